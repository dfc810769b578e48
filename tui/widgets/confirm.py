"""A yes/no question in one modal line: y or Enter confirms, n or Escape declines."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class ConfirmScreen(ModalScreen[bool]):
    """Ask before an action that is easy to regret (e.g. marking a transcript done early)."""

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm-yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm-no"),
    ]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 80; max-width: 100%; height: auto;
        border: thick $warning; background: $panel; padding: 1 2;
    }
    ConfirmScreen #title { text-style: bold; }
    """

    def __init__(self, title: str, question: str) -> None:
        super().__init__()
        self.title_text = title
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text), id="title")
            yield Static(Text(self.question))  # Text: the question may quote [brackets]
            yield Label("y / Enter: yes    n / Esc: no")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
