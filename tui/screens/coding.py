"""The coding screen: transcripts | transcript | codebook, suggestions, status.

Every action is committed by the core the moment it is taken; the screen then updates only
what that action changed. Background work (ingest check, suggestions) runs in thread workers
that never touch widgets: they post messages, and handlers here own every change. What each
key does is in coding_actions.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from qualkit.tui import heap, model
from qualkit.tui.bindings import APP_ACTIONS, CODING_ACTIONS, bindings
from qualkit.tui.messages import Progressed
from qualkit.tui.problems import problem_text
from qualkit.tui.screens.coding_keys import CodingActions
from qualkit.tui.screens.coding_layout import AdaptiveLayout, empty_project_message
from qualkit.tui.screens.coding_list import TranscriptListing
from qualkit.tui.screens.coding_suggestions import SuggestionActions
from qualkit.tui.screens.db_watch import start_window
from qualkit.tui.widgets.dialogs import MessageScreen
from qualkit.tui.widgets.panels import CodebookTree, SuggestionsPanel, TranscriptList
from qualkit.tui.widgets.transcript_view import TranscriptView
from qualkit.tui.workers import SuggestionEngine, check_transcripts
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static, Tree

from qualkit.agreement.blinding import blind_for
from qualkit.assist.embed_service import BackgroundProgress, EmbeddingService
from qualkit.errors import QualkitError
from qualkit.project import Project

T = TypeVar("T")


class CodingScreen(TranscriptListing, AdaptiveLayout, SuggestionActions, CodingActions, Screen):
    """Transcripts | transcript | codebook, suggestions, status."""

    BINDINGS = [
        # Help first in the footer: at 80 columns the footer's end (where the app's bindings
        # go) is cut off, and "?" is what a new coder needs to see. Same id, same keymap.
        *[
            Binding(a.keys, f"app.{a.action}", a.label, show=True, id=a.id, tooltip=a.description)
            for a in APP_ACTIONS
            if a.id == "help"
        ],
        *bindings(CODING_ACTIONS),
        Binding("escape", "cancel_work", "Cancel", show=False, id="cancel-work"),
    ]

    class TranscriptsChecked(Message):
        def __init__(self, summary: str | None) -> None:
            super().__init__()
            self.summary = summary

    class SuggestionsComputed(Message):
        def __init__(self, segment_id: int, suggestions: list) -> None:
            super().__init__()
            self.segment_id = segment_id
            self.suggestions = suggestions

    class SuggestionsProgressed(Progressed):
        """Segments embedded so far while suggestions are computed."""

    class EmbeddingProgressed(Message):
        """Where the background embedding is; a newer one replaces one still queued."""

        def __init__(self, progress: BackgroundProgress) -> None:
            super().__init__()
            self.progress = progress

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, type(self))

    class WorkFailed(Message):
        def __init__(self, what: str, message: str, dialog: bool = False) -> None:
            super().__init__()
            self.what = what
            self.message = message
            self.dialog = dialog

    def __init__(self, project: Project, coder: str, suggestions: bool = True) -> None:
        super().__init__()
        self.project = project
        self.coder = coder
        self.blind = blind_for(project, coder)
        self.entries: list[model.TranscriptEntry] = []
        self._entry_index: dict[str, int] = {}  # transcript -> its place in entries
        # The participant attributes transcripts can be grouped by, read with the entries so the
        # command palette does not query the participants on every keystroke.
        self.group_attributes: list[str] = []
        self.transcript: str | None = None
        self.book: Any = None
        self.mine: dict = {}
        self.everyone: dict = {}
        self.suggestions: list = []
        # Provenance: the segment whose suggestions are on screen, and the codes this coder
        # applied to it during this visit (to log accepted and rejected suggestions).
        self._suggested_for: int | None = None
        self._applied_here: set[str] = set()
        # A cursor move while another screen was on top: ask for suggestions on return.
        self._suggestions_owed = False
        # The participant attribute the transcript list is grouped by (remembered per project).
        self.group_by: str | None = project.remembered("workbench.group_by")
        # The model loads, and the project embeds, in one background thread from the start.
        self.embedding: EmbeddingService | None = None
        self.engine: SuggestionEngine | None = None
        if suggestions:
            self._start_embedding()
        self._embed_note = ""
        self._embedding_paused = False
        self._cancel = threading.Event()
        self._codebook_problem: str | None = None
        self._status_line = ""
        self._suggestions_paused = False
        self.tab = "view"  # the pane shown on a narrow terminal

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="≡")
        yield Static(id="tabs")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield Static("Transcripts  (% done by you)", classes="panel-title")
                yield TranscriptList(id="transcripts")
            yield TranscriptView(id="view")
            with Vertical(id="right"):
                with Vertical(id="codebook-pane"):
                    yield Static(self._codebook_title(), classes="panel-title", id="codebook-title")
                    yield CodebookTree("codes", id="codebook")
                    yield Static("", id="code-info")
                with Vertical(id="suggestions-pane"):
                    yield Static("Suggestions  (strength; 1-9 accepts)", classes="panel-title")
                    yield SuggestionsPanel("", id="suggestions")
        yield Static("", id="status")
        yield Footer()

    def _codebook_title(self) -> str:
        if self.blind:
            return "Codebook  (segments you coded)"
        return "Codebook  (segments: yours/all)"

    def on_mount(self) -> None:
        self.title = f"qualkit · {self.project.root.name}"
        start_window(self)  # session (undo scope, blind log), notice, watching the database
        self.sub_title = f"coder: {self.coder}" + (" · blind" if self.blind else "")
        tree = self.query_one(CodebookTree)
        tree.show_root = False
        tree.guide_depth = 2
        view = self.query_one(TranscriptView)
        view.coder = self.coder
        view.code_color = self._code_color
        view.code_label = self._code_label
        self._load_codebook()
        self._load_entries()
        first = next((e.transcript for e in self.entries if not e.done), None)
        if first is None and self.entries:
            first = self.entries[0].transcript
        self.show_transcript_list(first)
        if first:
            self.open_transcript(first)
        else:
            view.empty_message = empty_project_message(self.project.root)
        self._apply_width(self.app.size.width)
        view.focus()
        self.set_interval(2.0, self._watch_codebook)
        self.call_after_refresh(self._check_transcripts)
        self.call_after_refresh(heap.settle)  # after the first frame: see heap.py
        if self.embedding is not None:
            # after the first frame: importing the model holds the interpreter for seconds
            self.call_after_refresh(self.embedding.start)

    # -- helpers -----------------------------------------------------------------------------

    def guard(self, fn: Callable[[], T], what: str = "") -> T | None:
        """Run a core call; a failure becomes a one-line notification, never a traceback."""
        try:
            return fn()
        except (QualkitError, OSError) as exc:
            message = problem_text(exc)
            self.notify(f"{what}: {message}" if what else message, severity="error", timeout=8)
            return None

    def attempt(self, fn: Callable[[], Any], what: str = "") -> bool:
        """Like guard, for calls that return nothing: True when it worked."""
        done: list[bool] = []
        self.guard(lambda: (fn(), done.append(True)), what)
        return bool(done)

    def _code_color(self, code_id: str) -> str | None:
        book = self.book
        if book is not None and code_id in book:
            code = book.codes[code_id]
            if code.color:
                return code.color
            for parent in book.ancestors(code_id):
                if book.codes[parent].color:
                    return book.codes[parent].color
        return None

    def _code_label(self, code_id: str) -> str:
        book = self.book
        if book is not None and code_id in book:
            return book.codes[code_id].name
        return code_id

    @property
    def view(self) -> TranscriptView:
        return self.query_one(TranscriptView)

    # -- codebook ----------------------------------------------------------------------------

    def _load_codebook(self) -> None:
        try:
            book = self.project.codebook
        except QualkitError as exc:
            message = str(exc)
            if message != self._codebook_problem:
                self._codebook_problem = message
                self.notify(
                    f"{message} — keeping the last good codebook; fix the file to go on",
                    title="codebook.yaml",
                    severity="error",
                    timeout=12,
                )
            if self.book is None:
                self.query_one("#code-info", Static).update(Text(message, style="red"))
            return
        self._codebook_problem = None
        self.book = book
        self.warn_about_key_clashes()
        mine, everyone = model.code_counts(self.project, self.coder, self.blind)
        self.mine, self.everyone = dict(mine), dict(everyone)
        self.query_one(CodebookTree).show(book, self.mine, self.everyone, self.blind)
        self.view.restyle()

    def _watch_codebook(self) -> None:
        book = self.book
        try:
            changed = book is None or book.changed_on_disk()
        except OSError:
            changed = True
        if changed:
            self._load_codebook()
            if self.engine is not None and self._codebook_problem is None:
                self.engine.mark_stale()

    def refresh_counts(self) -> None:
        """Read the rolled-up counts from the core again and relabel the codebook tree (a code
        changes its own count and its themes': the core knows which segments overlap)."""
        counts = self.guard(lambda: model.code_counts(self.project, self.coder, self.blind))
        if counts is None:
            return
        self.mine, self.everyone = dict(counts[0]), dict(counts[1])
        if self.book is not None:
            self.query_one(CodebookTree).relabel(self.book, self.mine, self.everyone, self.blind)

    def adjust_counts(self, before: list[model.Chip], item: model.SegmentItem) -> None:
        """After one segment's codings changed (before -> item.chips): move the counts by
        that segment alone. Reading them again costs a pass over every coding (seconds at
        1,000,000 segments); a failed re-read of the chips falls back to it."""
        book = self.book
        if book is None or item.chips is before:
            self.refresh_counts()
            return
        mine, everyone = model.count_change(book, before, item.chips, self.coder)
        tree = self.query_one(CodebookTree)
        for counts, delta in ((self.mine, mine), (self.everyone, everyone)):
            for code, step in delta.items():
                counts[code] = counts.get(code, 0) + step
        for code in set(mine) | set(everyone):
            if code in book:
                tree.update_code(book.codes[code], self.mine, self.everyone, self.blind)

    def codes_for_picker(self, only: list[str] | None = None) -> list[tuple[str, str, str]]:
        return [] if self.book is None else model.picker_codes(self.book, only)

    # -- transcripts -------------------------------------------------------------------------

    def open_transcript(self, transcript: str, segment_id: int | None = None) -> None:
        items = self.guard(
            lambda: model.load_segments(self.project, transcript, self.coder, self.blind)
        )
        if items is None:
            return
        self.transcript = transcript
        cursor = 0
        if segment_id is not None:
            cursor = next((i for i, s in enumerate(items) if s.segment_id == segment_id), 0)
        else:
            cursor = next(
                (i for i, s in enumerate(items) if s.coding_unit and not s.handled_by(self.coder)),
                0,
            )
        view = self.view
        view.empty_message = "This transcript has no segments."
        view.show(items, cursor)
        if not self.query_one(TranscriptList).highlight_transcript(transcript):
            self.show_transcript_list(transcript)  # outside the window shown: move it
        self._embed_in_background()

    @on(OptionList.OptionSelected, "#transcripts")
    def _transcript_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.open_transcript(event.option.id)
            if self.narrow:
                self._show_tab("view")
            self.view.focus()

    def _check_transcripts(self) -> None:
        self._run_check_transcripts()

    @work(thread=True, exclusive=True, group="ingest")
    def _run_check_transcripts(self) -> None:
        try:
            summary = check_transcripts(self.project.root)
        except (QualkitError, OSError) as exc:
            self.post_message(self.WorkFailed("transcripts", problem_text(exc)))
            return
        self.post_message(self.TranscriptsChecked(summary))

    def on_coding_screen_transcripts_checked(self, message: TranscriptsChecked) -> None:
        if message.summary is None:
            return
        self.notify(message.summary, title="transcripts updated")
        self._load_entries()
        current = self.transcript
        if current is None and self.entries:
            current = self.entries[0].transcript
        self.show_transcript_list(current)
        if current:
            sid = self.view.current.segment_id if self.view.current else None
            self.open_transcript(current, sid)

    def on_coding_screen_work_failed(self, message: WorkFailed) -> None:
        if message.dialog:
            self.app.push_screen(MessageScreen(f"{message.what} failed", message.message))
        else:
            self.notify(message.message, title=message.what, severity="error", timeout=10)

    # -- cursor and status -------------------------------------------------------------------

    @on(TranscriptView.CursorMoved)
    def _cursor_moved(self, event: TranscriptView.CursorMoved) -> None:
        self._log_rejected_suggestion()
        self._update_status()
        self.suggestions = []
        self._suggested_for = None
        self._applied_here = set()
        self._show_suggestions(None)
        # After the frame is drawn: moving never waits for the suggestion worker to start.
        self.call_after_refresh(self._request_suggestions)

    def _after_coding_change(self, index: int, had_codes: bool) -> None:
        """Refresh one segment's codings, its transcript's progress and the status line.

        Coding never changes a reviewed mark, so this reads only the segment's codings; the
        callers that change marks (toggle reviewed, undo, redo) set `item.reviewed` first.
        """
        view = self.view
        item = view.items[index]
        chips = self.guard(
            lambda: model.segment_chips(self.project, item.segment_id, self.coder, self.blind)
        )
        if chips is not None:
            item.chips = chips
        view.segment_changed(index)
        has_codes = item.handled_by(self.coder)
        entry = self._entry(self.transcript or "")
        if entry is not None and has_codes != had_codes and item.coding_unit:
            entry.coded_or_reviewed += 1 if has_codes else -1
            self.query_one(TranscriptList).update_entry(entry)
        self._update_status()
        if self.suggestions and self._suggested_for == item.segment_id:
            self._show_suggestions(None)  # marks what is applied now
        if self.engine is not None:
            self.engine.mark_stale()

    # -- codebook tree -----------------------------------------------------------------------

    @on(Tree.NodeHighlighted, "#codebook")
    def _code_highlighted(self, event: Tree.NodeHighlighted) -> None:
        code_id = event.node.data
        info = self.query_one("#code-info", Static)
        if not code_id or self.book is None or code_id not in self.book:
            info.update("")
            return
        code = self.book.codes[code_id]
        text = Text()
        text.append(code.name, style="bold")
        if code.description:
            text.append(f"\n{code.description}")
        if code.include:
            text.append("\nInclude: ", style="green")
            text.append(code.include)
        if code.exclude:
            text.append("\nExclude: ", style="red")
            text.append(code.exclude)
        info.update(text)

    @on(Tree.NodeSelected, "#codebook")
    def _code_selected(self, event: Tree.NodeSelected) -> None:
        if event.node.data:
            self.apply_code(event.node.data)
            if self.narrow:
                self.toggle_tab("view")

    def on_unmount(self) -> None:
        self._cancel.set()
        heap.release()
        if self.embedding is not None:
            # Asked, not awaited: the thread stops after the batch in hand (run_app gives it a
            # second before the process ends); it holds nothing that could be half-written.
            self.embedding.stop(timeout=0)
        if self.engine is not None:
            self.engine.close()
