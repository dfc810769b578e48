"""Trimming a starred coding's quote (`"`): move its first and last sentence with the arrow
keys while a preview shows the line a quote bank will print, with ``/.../`` for the cuts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qualkit.tui.widgets.dialogs import CodePicker, PickerChoice
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from qualkit.reports.preview import QuotePreview
from qualkit.reports.trim import sentence_spans

if TYPE_CHECKING:
    from qualkit.tui.screens.coding import CodingScreen

START, END = "start", "end"
# The dialog's answer: the span to store (None: the whole segment), or None for Esc.
Span = tuple[int, int] | None


class TrimScreen(ModalScreen[tuple[Span] | None]):
    """The segment's sentences; the arrow keys move the chosen start or end one sentence."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="trim-cancel"),
        Binding("enter", "store", "Store", id="trim-store"),
        Binding("up,left", "step(-1)", "Earlier", id="trim-earlier"),
        Binding("down,right", "step(1)", "Later", id="trim-later"),
        Binding("tab,shift+tab", "switch_edge", "Start/end", id="trim-switch"),
        Binding("w", "whole", "Whole segment", id="trim-whole"),
    ]
    DEFAULT_CSS = """
    TrimScreen { align: center middle; }
    TrimScreen > Vertical {
        width: 96%; max-width: 110; height: auto; max-height: 96%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    TrimScreen #trim-title { text-style: bold; margin-bottom: 1; }
    TrimScreen #trim-text { height: auto; max-height: 10; }
    TrimScreen .trim-label { color: $text-muted; margin-top: 1; }
    TrimScreen #trim-help { color: $text-muted; margin-top: 1; }
    """

    def __init__(
        self,
        title: str,
        text: str,
        span: Span,
        participant: str | None,
        preview: QuotePreview,
    ) -> None:
        super().__init__()
        self.heading = title
        self.text = text
        self.participant = participant
        self.preview = preview
        self.sentences = sentence_spans(text) or [(0, len(text))]
        last = len(self.sentences) - 1
        self.first, self.last = 0, last
        if span is not None:
            # The sentences the stored span touches (a span cut mid-sentence elsewhere, e.g.
            # from Python, widens to whole sentences only when the coder stores it again).
            inside = [i for i, (s, e) in enumerate(self.sentences) if e > span[0] and s < span[1]]
            if inside:
                self.first, self.last = inside[0], inside[-1]
        self.stored_span = span
        self.edge = START

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.heading), id="trim-title")
            with VerticalScroll(id="trim-text"):
                yield Static("", id="trim-sentences")
            yield Static("", id="trim-where")
            yield Label("The quote bank will print:", classes="trim-label")
            yield Static("", id="trim-preview")
            yield Static(
                "↑↓ or ←→ move the start (Tab: the end) one sentence · w: whole segment · "
                "Enter stores · Esc cancels",
                id="trim-help",
            )

    def on_mount(self) -> None:
        self.refresh_view()

    @property
    def span(self) -> Span:
        """The chosen sentences as offsets into the text; None when they are all of it."""
        if self.first == 0 and self.last == len(self.sentences) - 1:
            return None
        return self.sentences[self.first][0], self.sentences[self.last][1]

    def refresh_view(self) -> None:
        # Text, never markup: "[team member]" in a participant's words is data.
        shown = Text()
        position = 0
        for index, (start, end) in enumerate(self.sentences):
            shown.append(self.text[position:start])
            kept = self.first <= index <= self.last
            style = "bold" if kept else "dim strike"
            if index == (self.first if self.edge == START else self.last):
                style += " underline"
            shown.append(self.text[start:end], style=style)
            position = end
        shown.append(self.text[position:])
        self.query_one("#trim-sentences", Static).update(shown)
        total = len(self.sentences)
        moving = "start" if self.edge == START else "end"
        where = Text(
            f"Sentences {self.first + 1}–{self.last + 1} of {total}; the arrows move the {moving}.",
            style="italic",
        )
        self.query_one("#trim-where", Static).update(where)
        line = Text(self.preview.line(self.text, self.span, self.participant))
        if self.preview.problem:
            line.append(f"\n({self.preview.problem})", style="dim")
        self.query_one("#trim-preview", Static).update(line)

    def action_step(self, step: int) -> None:
        if self.edge == START:
            self.first = max(0, min(self.last, self.first + step))
        else:
            self.last = max(self.first, min(len(self.sentences) - 1, self.last + step))
        self.refresh_view()

    def action_switch_edge(self) -> None:
        self.edge = END if self.edge == START else START
        self.refresh_view()

    def action_whole(self) -> None:
        self.first, self.last = 0, len(self.sentences) - 1
        self.refresh_view()

    def action_store(self) -> None:
        self.dismiss((self.span,))

    def action_cancel(self) -> None:
        self.dismiss(None)


def trim_starred_quote(screen: CodingScreen) -> None:
    """The coding screen's trim key: choose a starred coding of this coder on the segment, trim
    it in the dialog, and store the span through the core (one undoable action)."""
    view = screen.view
    item = view.current
    if item is None:
        return
    starred = [c.code for c in item.chips if c.coder == screen.coder and c.starred]
    if not starred:
        screen.notify(
            "Star one of your codings here first (s): a starred coding's quote is trimmed.",
            timeout=4,
        )
        return
    project, coder = screen.project, screen.coder
    segment_id, index = item.segment_id, view.cursor

    def trim(code_id: str) -> None:
        current = screen.guard(lambda: project.trimmed_quote(segment_id, code_id, coder))
        segment = screen.guard(lambda: project.segment(segment_id))
        preview = screen.guard(lambda: QuotePreview(project))
        if current is None or segment is None or preview is None:
            return
        label = screen._code_label(code_id)

        def chosen(answer: tuple[Span] | None) -> None:
            if answer is None:
                return
            stored = screen.guard(lambda: project.trim_quote(segment_id, code_id, coder, answer[0]))
            if stored is None:
                return
            screen._after_coding_change(index, True)
            what = "Trimmed" if stored.span is not None else "Whole segment as"
            screen.notify(f"{what} the quote for {label}: {stored.display}")

        title = f"Trim the quote for {label} (segment #{segment_id})"
        dialog = TrimScreen(title, segment["text"], current.span, item.participant, preview)
        screen.app.push_screen(dialog, chosen)

    if len(starred) == 1:
        trim(starred[0])
        return

    def picked(choice: PickerChoice | None) -> None:
        if choice is not None and choice.code_id:
            trim(choice.code_id)

    known: list[Any] = screen.codes_for_picker(only=starred)
    known_ids = {c[0] for c in known}
    known += [(c, c, c) for c in starred if c not in known_ids]
    picker = CodePicker(known, "Trim which starred quote?", allow_create=False, enter="trims it")
    screen.app.push_screen(picker, picked)
