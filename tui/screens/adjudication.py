"""The adjudication screen: walk two coders' disagreements and settle each into the
``consensus`` layer (take A's, take B's, both, neither), with an optional note. Every decision
is one event under the adjudicator's name, undone with u like any other action."""

from __future__ import annotations

from typing import Any

from qualkit.tui.problems import problem_text
from qualkit.tui.widgets.dialogs import MemoScreen, NameScreen
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from qualkit.agreement.consensus import (
    DECISIONS,
    Disagreement,
    coding_memo,
    decide,
    latest_decision,
    open_disagreements,
)
from qualkit.agreement.stats import CONSENSUS
from qualkit.errors import QualkitError


class AdjudicationScreen(Screen):
    """One disagreement at a time: the segment in context, the code, who applied it, both
    coders' memos, the decision and note so far."""

    BINDINGS = [
        Binding("a", "decide('a')", "Take A's", id="adjudicate-take-a"),
        Binding("b", "decide('b')", "Take B's", id="adjudicate-take-b"),
        Binding("h", "decide('both')", "Both", id="adjudicate-both"),
        Binding("n", "decide('neither')", "Neither", id="adjudicate-neither"),
        Binding("m", "note", "Note", id="adjudicate-note"),
        Binding("u,ctrl+z", "undo", "Undo", id="adjudicate-undo"),
        Binding("down,j", "move(1)", "Next", id="adjudicate-next"),
        Binding("up,k", "move(-1)", "Previous", id="adjudicate-previous"),
        Binding("escape", "close", "Close", id="adjudicate-close"),
    ]
    DEFAULT_CSS = """
    AdjudicationScreen #where { text-style: bold; padding: 0 1; }
    AdjudicationScreen #context { height: 1fr; border: round $primary; padding: 0 1; }
    AdjudicationScreen #decision { height: auto; border: round $accent; padding: 0 1; }
    """

    def __init__(self, project: Any, adjudicator: str, coder_a: str, coder_b: str) -> None:
        super().__init__()
        self.project = project
        self.adjudicator = adjudicator
        self.coder_a, self.coder_b = coder_a, coder_b
        self.items: list[Disagreement] = []
        self.index = 0
        self.note = ""  # the note the next decision carries

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="≡")
        yield Static("", id="where")
        with VerticalScroll(id="context"):
            yield Static("", id="segment")
        yield Static("", id="decision")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = (
            f"adjudicating {self.coder_a} vs {self.coder_b} · decisions by {self.adjudicator}"
        )
        self.reload()

    def reload(self) -> None:
        try:
            self.items = open_disagreements(self.project, self.coder_a, self.coder_b)
        except QualkitError as exc:
            self.items = []
            self.notify(problem_text(exc), severity="error", timeout=8)
        self.index = min(self.index, max(len(self.items) - 1, 0))
        self.show()

    @property
    def current(self) -> Disagreement | None:
        return self.items[self.index] if 0 <= self.index < len(self.items) else None

    def _code_name(self, code: str) -> str:
        book = self.project.codebook
        return book.codes[code].name if code in book else code

    def show(self) -> None:
        item = self.current
        where = self.query_one("#where", Static)
        if item is None:
            where.update(Text(f"No disagreements between {self.coder_a} and {self.coder_b}."))
            self.query_one("#segment", Static).update("")
            self.query_one("#decision", Static).update("")
            return
        where.update(
            Text(
                f"Disagreement {self.index + 1} of {len(self.items)} · {item.transcript} · "
                f"segment {item.segment_id}"
            )
        )
        self.query_one("#segment", Static).update(self._segment_in_context(item))
        self.query_one("#decision", Static).update(self._decision_text(item))

    def _segment_in_context(self, item: Disagreement) -> Text:
        """The segment in full between its neighbours, each cut to its nearer end (the
        question before it is usually the interviewer's), so the segment itself shows even
        on an 80 × 24 terminal."""
        rows = [r for r in self.project.segment_rows(item.transcript) if not r.orphaned]
        at = next((i for i, r in enumerate(rows) if r.segment_id == item.segment_id), 0)
        out = Text()
        for i in range(max(0, at - 1), min(len(rows), at + 2)):
            r = rows[i]
            current = i == at
            shown = r.text if current else _cut(r.text, keep_end=i < at)
            out.append(f"{r.speaker or '?'}: ", style="bold" if current else "dim")
            # Text, not markup: "[laughs]" is the participant's words
            out.append(shown, style="bold reverse" if current else "dim")
            out.append("\n\n")
        return out

    def _decision_text(self, item: Disagreement) -> Text:
        out = Text()
        out.append("Code: ", style="bold")
        out.append(self._code_name(item.code))
        applied = [c for c, has in ((self.coder_a, item.has_a), (self.coder_b, item.has_b)) if has]
        out.append(f"   applied by: {', '.join(applied)}\n")
        for coder in (self.coder_a, self.coder_b):
            memo = coding_memo(self.project, item.segment_id, item.code, coder)
            out.append(f"{coder}'s memo: ", style="bold")
            out.append((memo or "–") + "\n")
        standing = latest_decision(self.project, item.segment_id, item.code)
        in_consensus = item.code in self.project.codes_of(item.segment_id, CONSENSUS)
        out.append("Decision so far: ", style="bold")
        if standing:
            out.append(
                f"{DECISIONS.get(standing['decision'], standing['decision'])} by "
                f"{standing['by']} ({'in' if in_consensus else 'not in'} consensus)"
            )
            if standing.get("note"):
                out.append(f"; note: {standing['note']}")
        else:
            out.append("none")
        out.append("\nNext note: ", style="bold")
        out.append(self.note or "–")
        out.append(
            f"\na: take {self.coder_a}'s · b: take {self.coder_b}'s · h: both · n: neither · "
            "m: note · u: undo · Esc: back",
            style="dim",
        )
        return out

    # -- actions ------------------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        if self.items:
            self.index = max(0, min(len(self.items) - 1, self.index + step))
            self.show()

    def action_decide(self, decision: str) -> None:
        item = self.current
        if item is None:
            return
        try:
            kept = decide(
                self.project,
                item.segment_id,
                item.code,
                decision,
                self.coder_a,
                self.coder_b,
                self.adjudicator,
                self.note or None,
            )
        except QualkitError as exc:
            self.notify(problem_text(exc), severity="error", timeout=8)
            return
        self.note = ""
        self.notify(
            f"{self._code_name(item.code)}: {DECISIONS[decision]} "
            f"({'in' if kept else 'not in'} consensus)",
            timeout=2,
        )
        if self.index < len(self.items) - 1:
            self.index += 1
        self.show()

    def action_note(self) -> None:
        def written(text: str | None) -> None:
            if text is not None:
                self.note = text.strip()
                self.show()

        self.app.push_screen(MemoScreen("Note for the next decision", self.note), written)

    def action_undo(self) -> None:
        try:
            event = self.project.undo(self.adjudicator)
        except QualkitError as exc:
            self.notify(problem_text(exc), severity="error", timeout=8)
            return
        if event is None:
            self.notify("Nothing to undo.", timeout=2)
            return
        segments = set(event.segments)
        code = event.payload.get("code")
        for i, item in enumerate(self.items):
            if item.segment_id in segments and (code is None or item.code == code):
                self.index = i
                break
        self.show()
        self.notify(f"Undone: {self.project.describe_event(event)}", timeout=3)

    def action_close(self) -> None:
        """Back to the coding screen, at the disagreement on screen (see after_adjudication)."""
        item = self.current
        self.dismiss(None if item is None else (item.transcript, item.segment_id))


NEIGHBOUR_CHARS = 160


def _cut(text: str, keep_end: bool) -> str:
    """A neighbouring segment shortened at a word: its end (before) or its start (after)."""
    if len(text) <= NEIGHBOUR_CHARS:
        return text
    if keep_end:
        tail = text[-NEIGHBOUR_CHARS:]
        return "… " + tail[tail.find(" ") + 1 :] if " " in tail else "… " + tail
    head = text[:NEIGHBOUR_CHARS]
    return (head[: head.rfind(" ")] if " " in head else head) + " …"


def start_adjudication(screen: Any) -> None:
    """Open the adjudication screen from the coding screen: the two coders are the project's
    two people when there are exactly two, else the adjudicator types them (A,B)."""
    project, adjudicator = screen.project, screen.coder
    people = [c for c in project.coders() if c != CONSENSUS]

    def open_for(names: list[str]) -> None:
        from qualkit.agreement.blinding import log_layer_view

        try:
            log_layer_view(project, adjudicator, names, "adjudication")
        except QualkitError as exc:
            screen.notify(problem_text(exc), severity="error", timeout=8)
            return
        screen.app.push_screen(
            AdjudicationScreen(project, adjudicator, names[0], names[1]),
            lambda at: after_adjudication(screen, at),
        )

    if len(people) == 2:
        open_for(people)
        return

    def typed(value: str | None) -> None:
        names = [n.strip() for n in (value or "").split(",") if n.strip()]
        if len(names) != 2:
            if value:
                screen.notify("Type two coder names, e.g. ana,ben", severity="error")
            return
        open_for(names)

    listed = ", ".join(people) or "none yet"
    screen.app.push_screen(NameScreen(f"Coders to compare, A,B ({listed})"), typed)


def after_adjudication(screen: Any, at: tuple[str, int] | None = None) -> None:
    """Back on the coding screen: show what adjudicating changed without a restart, at the
    segment last on the adjudication screen. The decisions were written through this window's
    own connection, so the database watch (which sees only other connections' commits) would
    never fire. A blind window now shows every layer, consensus included: the adjudicator has
    just seen both coders' work, and the event log already records that view."""
    from qualkit.tui.screens.db_watch import refresh_from_database

    if screen.blind:
        screen.blind = False
        screen.sub_title = f"coder: {screen.coder} · every layer"
        screen.query_one("#codebook-title", Static).update(screen._codebook_title())
        screen.notify(
            f"Showing every layer now, {CONSENSUS} included: you saw both coders' work "
            "while adjudicating.",
            timeout=6,
        )
    if at is not None:
        screen.open_transcript(*at)
    refresh_from_database(screen)  # the open transcript again (cursor kept), counts, status
