"""The search screen: find words across every transcript and jump to the segment."""

from __future__ import annotations

from typing import Any

from qualkit.tui.widgets.dialogs import move_highlight
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from qualkit.project import Project

MAX_HITS = 200


def _snippet(text: str, start: int, width: int = 90) -> Text:
    left = max(0, start - width // 3)
    piece = text[left : left + width].replace("\n", " ")
    return Text(("…" if left else "") + piece + ("…" if left + width < len(text) else ""))


class SearchScreen(ModalScreen[tuple[str, int] | None]):
    """`/`: find words across every transcript; Enter jumps to the segment."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="search-close"),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]
    DEFAULT_CSS = """
    SearchScreen { align: center middle; }
    SearchScreen > Vertical {
        width: 90%; height: 80%; border: thick $primary; background: $panel; padding: 0 1;
    }
    SearchScreen #count { color: $text-muted; }
    SearchScreen OptionList { height: 1fr; }
    """

    def __init__(self, project: Project, coder: str, blind: bool) -> None:
        super().__init__()
        self.project = project
        self.rows: list[tuple[int, str, str, str, str]] = []  # id, transcript, who, text, folded
        self._timer: Any = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Search all transcripts", id="title")
            yield Input(placeholder="words to find; Enter jumps to the highlighted hit")
            yield Label("", id="count")
            yield OptionList(id="hits")

    def on_mount(self) -> None:
        for r in self.project.segment_rows():
            if r.orphaned:
                continue
            who = r.participant or r.speaker or ""
            self.rows.append((r.segment_id, r.transcript, who, r.text, r.text.casefold()))

    def on_input_changed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(0.12, self._search)

    def _search(self) -> None:
        self._timer = None  # done: Enter now keeps the hit the user moved to
        query = self.query_one(Input).value.strip().casefold()
        hits = self.query_one(OptionList)
        hits.clear_options()
        if not query:
            self.query_one("#count", Label).update("")
            return
        options = []
        total = 0
        for sid, transcript, who, text, folded in self.rows:
            at = folded.find(query)
            if at < 0:
                continue
            total += 1
            if len(options) >= MAX_HITS:
                continue
            line = Text(f"{transcript} ", style="bold")
            line.append(f"{who}: ", style="dim")
            snippet = _snippet(text, at)
            snippet.highlight_words([query], style="reverse", case_sensitive=False)
            line.append_text(snippet)
            options.append(Option(line, id=f"{transcript}\t{sid}"))
        hits.add_options(options)
        if options:
            hits.highlighted = 0
        shown = f" (first {MAX_HITS} shown)" if total > MAX_HITS else ""
        self.query_one("#count", Label).update(f"{total} segment(s){shown}")

    def action_move(self, step: int) -> None:
        move_highlight(self.query_one(OptionList), step)

    def on_input_submitted(self) -> None:
        if self._timer is not None:  # typed faster than the search: bring it up to date
            self._timer.stop()
            self._search()
        hits = self.query_one(OptionList)
        if hits.highlighted is not None:
            self._jump(hits.get_option_at_index(hits.highlighted).id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._jump(event.option.id)

    def _jump(self, option_id: str | None) -> None:
        if option_id:
            transcript, sid = option_id.split("\t")
            self.dismiss((transcript, int(sid)))

    def action_close(self) -> None:
        self.dismiss(None)
