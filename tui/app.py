"""The coding workbench: `qualkit` (or `qualkit tui`) opens it on a project.

Every action is committed by the core the moment it is taken; the screen then updates only
what that action changed. Background work (ingest check, suggestions, topics) runs in thread
workers that never touch widgets: they post messages, and handlers here own every change.
"""

from __future__ import annotations

import sqlite3
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from qualkit.tui import model
from qualkit.tui.actions import APP_ACTIONS, CODING_ACTIONS, bindings, load_keymap
from qualkit.tui.background import SuggestionEngine, Unavailable, check_transcripts, describe_reason
from qualkit.tui.dialogs import (
    CodePicker,
    CoderNameScreen,
    HelpScreen,
    MemoScreen,
    MessageScreen,
    PickerChoice,
)
from qualkit.tui.transcript_view import TranscriptView
from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static, Tree
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from qualkit.errors import QualkitError

T = TypeVar("T")


def problem_text(exc: BaseException) -> str:
    """The one line a user sees for a failure."""
    if isinstance(exc, QualkitError):
        return str(exc)
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return "the project database is locked by another program; try again"
    if isinstance(exc, sqlite3.Error | OSError):
        return f"{type(exc).__name__}: {exc}"
    return f"unexpected {type(exc).__name__}: {exc}"


class TranscriptList(OptionList):
    """Transcripts grouped by a participant attribute, with this coder's % and done mark."""

    def show(self, entries: list[model.TranscriptEntry], current: str | None) -> None:
        self.clear_options()
        options: list[Option] = []
        group = None
        for entry in entries:
            if entry.group != group:
                group = entry.group
                options.append(Option(Text(group, style="bold underline"), disabled=True))
            options.append(Option(self.prompt(entry), id=entry.transcript))
        self.add_options(options)
        if current:
            self.highlight_transcript(current)

    @staticmethod
    def prompt(entry: model.TranscriptEntry) -> Text:
        text = Text(" ", no_wrap=True, overflow="ellipsis")
        text.append("✓" if entry.done else " ", style="bold green")
        text.append(f"{entry.percent:4.0f}% ", style="dim")
        text.append(entry.transcript)
        return text

    def update_entry(self, entry: model.TranscriptEntry) -> None:
        try:
            self.replace_option_prompt(entry.transcript, self.prompt(entry))
        except Exception:  # noqa: BLE001 - the option may be gone after a reload
            pass

    def highlight_transcript(self, transcript: str) -> None:
        try:
            self.highlighted = self.get_option_index(transcript)
        except Exception:  # noqa: BLE001
            pass


class CodebookTree(Tree[str]):
    """Codes with their key and counts (mine / all)."""

    def show(self, book: Any, mine: dict, everyone: dict, blind: bool) -> None:
        self.clear()
        self.root.expand()
        self.nodes: dict[str, Any] = {}
        self._meta = (mine, everyone, blind)

        def add(parent: Any, code: Any) -> None:
            label = self.label_for(code, mine, everyone, blind)
            if code.children:
                node = parent.add(label, data=code.id, expand=True)
                for child in code.children:
                    add(node, book.codes[child])
            else:
                node = parent.add_leaf(label, data=code.id)
            self.nodes[code.id] = node

        for code in book.roots():
            add(self.root, code)

    @staticmethod
    def label_for(code: Any, mine: dict, everyone: dict, blind: bool) -> Text:
        text = Text()
        text.append("● ", style=code.color or "#888888")
        if code.key:
            text.append(f"[{code.key}] ", style="bold")
        text.append(code.name)
        counts = (
            f" {mine.get(code.id, 0)}"
            if blind
            else (f" {mine.get(code.id, 0)}/{everyone.get(code.id, 0)}")
        )
        text.append(counts, style="dim")
        return text

    def update_code(self, code: Any, mine: dict, everyone: dict, blind: bool) -> None:
        node = getattr(self, "nodes", {}).get(code.id)
        if node is not None:
            node.set_label(self.label_for(code, mine, everyone, blind))


class CodingScreen(Screen):
    """Transcripts | transcript | codebook, suggestions, status."""

    BINDINGS = [
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

    class SuggestionsProgressed(Message):
        def __init__(self, done: int, total: int) -> None:
            super().__init__()
            self.done = done
            self.total = total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, CodingScreen.SuggestionsProgressed)

    class WorkFailed(Message):
        def __init__(self, what: str, message: str, dialog: bool = False) -> None:
            super().__init__()
            self.what = what
            self.message = message
            self.dialog = dialog

    def __init__(self, project: Any, coder: str, suggestions: bool = True) -> None:
        super().__init__()
        self.project = project
        self.coder = coder
        self.blind = bool(getattr(project.settings, "blind", False))
        self.entries: list[model.TranscriptEntry] = []
        self.transcript: str | None = None
        self.book: Any = None
        self.mine: dict = {}
        self.everyone: dict = {}
        self.suggestions: list = []
        # Provenance: the segment whose suggestions are on screen, and the codes this coder
        # applied to it during this visit (to log accepted and rejected suggestions).
        self._suggested_for: int | None = None
        self._applied_here: set[str] = set()
        # The participant attribute the transcript list is grouped by (remembered per project).
        self.group_by: str | None = project.store.get_meta("workbench.group_by")
        self.suggestions_enabled = suggestions
        self.engine = SuggestionEngine(project.root, coder) if suggestions else None
        self._cancel = threading.Event()
        self._codebook_problem: str | None = None
        self._status_line = ""
        self._suggestions_paused = False
        self._suggestions_shown: object = None

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="≡")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield Static("Transcripts", classes="panel-title")
                yield TranscriptList(id="transcripts")
            yield TranscriptView(id="view")
            with Vertical(id="right"):
                yield Static("Codebook  (mine/all)", classes="panel-title", id="codebook-title")
                yield CodebookTree("codes", id="codebook")
                yield Static("", id="code-info")
                yield Static("Suggestions", classes="panel-title")
                yield Static("", id="suggestions")
        yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"qualkit · {self.project.root.name}"
        self.sub_title = f"coder: {self.coder}" + (" · blind" if self.blind else "")
        tree = self.query_one(CodebookTree)
        tree.show_root = False
        tree.guide_depth = 2
        view = self.query_one(TranscriptView)
        view.coder = self.coder
        view.code_color = self._code_color
        view.code_label = self._code_label
        self._load_codebook()
        self.entries = model.transcript_entries(self.project, self.coder, self.group_by)
        first = next((e.transcript for e in self.entries if not e.done), None)
        if first is None and self.entries:
            first = self.entries[0].transcript
        self.query_one(TranscriptList).show(self.entries, first)
        if first:
            self.open_transcript(first)
        else:
            view.empty_message = "No transcripts yet: reading transcripts/ …"
        view.focus()
        self.set_interval(2.0, self._watch_codebook)
        self.call_after_refresh(self._check_transcripts)

    # -- helpers -----------------------------------------------------------------------------

    def guard(self, fn: Callable[[], T], what: str = "") -> T | None:
        """Run a core call; a failure becomes a one-line notification, never a traceback."""
        try:
            return fn()
        except (QualkitError, sqlite3.Error, OSError) as exc:
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

    def _entry(self, transcript: str) -> model.TranscriptEntry | None:
        return next((e for e in self.entries if e.transcript == transcript), None)

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

    def _count(self, code_id: str, delta: int) -> None:
        self.mine[code_id] = self.mine.get(code_id, 0) + delta
        self.everyone[code_id] = self.everyone.get(code_id, 0) + delta
        if self.book is not None and code_id in self.book:
            self.query_one(CodebookTree).update_code(
                self.book.codes[code_id], self.mine, self.everyone, self.blind
            )

    def codes_for_picker(self, only: list[str] | None = None) -> list[tuple[str, str, str]]:
        book = self.book
        if book is None:
            return []
        out = []
        for code in book.codes.values():
            if only is not None and code.id not in only:
                continue
            path = " › ".join(book.codes[a].name for a in reversed(book.ancestors(code.id)))
            label = f"{path} › {code.name}" if path else code.name
            if code.key:
                label += f"  [{code.key}]"
            out.append((code.id, code.name, label))
        return out

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
                (
                    i
                    for i, s in enumerate(items)
                    if not s.is_interviewer and not s.codes_by(self.coder)
                ),
                0,
            )
        view = self.view
        view.empty_message = "This transcript has no segments."
        view.show(items, cursor)
        self.query_one(TranscriptList).highlight_transcript(transcript)

    @on(OptionList.OptionSelected, "#transcripts")
    def _transcript_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.open_transcript(event.option.id)
            self.view.focus()

    def _check_transcripts(self) -> None:
        self._run_check_transcripts()

    @work(thread=True, exclusive=True, group="ingest")
    def _run_check_transcripts(self) -> None:
        try:
            summary = check_transcripts(self.project.root)
        except (QualkitError, sqlite3.Error, OSError) as exc:
            self.post_message(self.WorkFailed("transcripts", problem_text(exc)))
            return
        self.post_message(self.TranscriptsChecked(summary))

    def group_transcripts_by(self, attribute: str) -> None:
        """Group the transcript list by another participant attribute (remembered)."""
        self.group_by = attribute
        self.attempt(lambda: self.project.store.set_meta("workbench.group_by", attribute))
        self.entries = model.transcript_entries(self.project, self.coder, attribute)
        self.query_one(TranscriptList).show(self.entries, self.transcript)
        self.notify(f"Transcripts grouped by {attribute}.", timeout=2)

    def on_coding_screen_transcripts_checked(self, message: TranscriptsChecked) -> None:
        if message.summary is None:
            return
        self.notify(message.summary, title="transcripts updated")
        self.entries = model.transcript_entries(self.project, self.coder, self.group_by)
        current = self.transcript
        if current is None and self.entries:
            current = self.entries[0].transcript
        self.query_one(TranscriptList).show(self.entries, current)
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

    def _update_status(self) -> None:
        view = self.view
        item = view.current
        parts = []
        if self.transcript:
            entry = self._entry(self.transcript)
            parts.append(self.transcript)
            if item is not None:
                parts.append(f"segment {view.cursor + 1}/{len(view.items)} (#{item.segment_id})")
                who = item.participant or item.speaker
                if item.is_interviewer:
                    who = f"{item.speaker} (interviewer)"
                parts.append(who)
            if entry is not None:
                parts.append(f"coded {entry.coded}/{entry.segments} ({entry.percent:.0f}%)")
                if entry.done:
                    parts.append("done ✓")
        if self.blind:
            parts.append("blind")
        line = " · ".join(parts)
        if line != self._status_line:
            self._status_line = line
            self.query_one("#status", Static).update(line, layout=False)

    def _after_coding_change(self, index: int, had_codes: bool) -> None:
        """Refresh one segment, its transcript's progress and the status line."""
        view = self.view
        item = view.items[index]
        chips = self.guard(
            lambda: model.segment_chips(self.project, item.segment_id, self.coder, self.blind)
        )
        if chips is not None:
            item.chips = chips
        view.segment_changed(index)
        has_codes = bool(item.codes_by(self.coder))
        entry = self._entry(self.transcript or "")
        if entry is not None and has_codes != had_codes and not item.is_interviewer:
            entry.coded += 1 if has_codes else -1
            self.query_one(TranscriptList).update_entry(entry)
        self._update_status()
        if self.engine is not None:
            self.engine.mark_stale()

    # -- suggestions -------------------------------------------------------------------------

    def _request_suggestions(self) -> None:
        item = self.view.current
        if self.engine is None:
            self._show_suggestions("suggestions off")
            return
        if self._suggestions_paused:
            self._show_suggestions("suggestions paused (F5 resumes)")
            return
        if item is None or item.is_interviewer:
            return
        self._cancel.clear()
        if not self.suggestions:
            self._show_suggestions("computing suggestions … (Esc cancels)")
        self._suggest(item.segment_id)

    @work(thread=True, exclusive=True, group="suggest")
    def _suggest(self, segment_id: int) -> None:
        worker = get_current_worker()
        cancel = self._cancel
        engine = self.engine
        assert engine is not None

        def progress(done: int, total: int) -> None:
            if not worker.is_cancelled:
                self.post_message(self.SuggestionsProgressed(done, total))

        try:
            found = engine.suggest(segment_id, 9, progress, cancel)
        except Unavailable as exc:
            self.post_message(self.WorkFailed("suggestions", str(exc)))
            self.post_message(self.SuggestionsComputed(segment_id, []))
            return
        except (QualkitError, sqlite3.Error, OSError, ValueError, RuntimeError) as exc:
            if "cancel" in str(exc).lower():
                return  # Esc: the screen already says so
            else:
                self.post_message(self.WorkFailed("suggestions", problem_text(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.SuggestionsComputed(segment_id, found))

    def on_coding_screen_suggestions_progressed(self, message: SuggestionsProgressed) -> None:
        if message.total:
            self._show_suggestions(f"embedding {message.done}/{message.total} … (Esc cancels)")

    def on_coding_screen_suggestions_computed(self, message: SuggestionsComputed) -> None:
        item = self.view.current
        if item is None or item.segment_id != message.segment_id:
            return
        self.suggestions = message.suggestions
        self._suggested_for = message.segment_id
        self._show_suggestions(None if message.suggestions else "no suggestions")

    def _log_rejected_suggestion(self) -> None:
        """Leaving a segment the coder coded in this visit without taking the first
        suggestion: log that suggestion as rejected (the audit trail of how often suggestions
        were right, per code)."""
        if self._suggested_for is None or not self._applied_here or not self.suggestions:
            return
        top = self.suggestions[0]
        if top.code_id in self._applied_here:
            return
        segment_id = self._suggested_for
        self.attempt(
            lambda: self.project.store.record_suggestion(
                self.coder, segment_id, top.code_id, float(top.score), 1, False
            )
        )

    def _show_suggestions(self, note: str | None) -> None:
        panel = self.query_one("#suggestions", Static)
        if note is not None or not self.suggestions:
            if self._suggestions_shown != note:
                self._suggestions_shown = note
                panel.update(Text(note or "…", style="dim"), layout=False)
            return
        self._suggestions_shown = self.suggestions
        text = Text()
        for n, s in enumerate(self.suggestions, start=1):
            if n > 1:
                text.append("\n")
            text.append(f"{n} ", style="bold")
            text.append("● ", style=self._code_color(s.code_id) or "#888888")
            text.append(self._code_label(s.code_id))
            text.append(f" {s.score:.2f}", style="dim")
            reason = describe_reason(getattr(s, "because", {}) or {}) if n <= 3 else ""
            if reason:
                if len(reason) > 38:
                    reason = reason[:37] + "…"
                text.append(f"\n  {reason}", style="dim italic")
        panel.update(text, layout=False)

    # -- actions: moving ---------------------------------------------------------------------

    def action_cursor(self, step: int) -> None:
        view = self.view
        view.move_to(view.cursor + step)

    def action_page(self, step: int) -> None:
        view = self.view
        per_page = max(1, view.size.height // 4)
        view.move_to(view.cursor + step * per_page)

    def action_jump_end(self, end: int) -> None:
        view = self.view
        view.move_to(len(view.items) - 1 if end else 0)

    def action_uncoded(self, step: int) -> None:
        view = self.view
        found = view.find(lambda s: not s.is_interviewer and not s.codes_by(self.coder), step)
        if found is None:
            where = "after" if step > 0 else "before"
            self.notify(f"No segment {where} this one that you have not coded.", timeout=3)
            return
        view.move_to(found)

    def action_transcript(self, step: int) -> None:
        ids = [e.transcript for e in self.entries]
        if not ids:
            return
        index = ids.index(self.transcript) if self.transcript in ids else -1
        self.open_transcript(ids[(index + step) % len(ids)])

    def action_focus(self, which: str) -> None:
        self.query_one(f"#{which}").focus()

    # -- actions: coding ---------------------------------------------------------------------

    def apply_code(
        self, code_id: str, source: str = "manual", rank: int | None = None, score: Any = None
    ) -> bool:
        view = self.view
        item = view.current
        if item is None:
            return False
        index = view.cursor
        had = bool(item.codes_by(self.coder))
        if code_id in item.codes_by(self.coder):
            self.notify(f"Already coded {self._code_label(code_id)}.", timeout=2)
            return False
        result = self.guard(
            lambda: self.project.code(item.segment_id, code_id, self.coder, source=source)
        )
        if result is None:
            return False
        if source != "suggestion" and item.segment_id == self._suggested_for:
            # Chosen by key or picker, but it was on the list: the suggestion was right.
            for n, suggestion in enumerate(self.suggestions, start=1):
                if suggestion.code_id == code_id:
                    rank, score = n, float(suggestion.score)
                    break
        if rank is not None:
            self.attempt(
                lambda: self.project.store.record_suggestion(
                    self.coder, item.segment_id, code_id, score, rank, True
                )
            )
        if item.segment_id == self._suggested_for:
            self._applied_here.add(code_id)
        self._count(code_id, 1)
        self._after_coding_change(index, had)
        return True

    def on_key(self, event: Any) -> None:
        """A code's own key (from codebook.yaml) applies it."""
        char = event.character
        if not char or len(char) != 1 or self.book is None or not char.isprintable():
            return
        code = self.book.by_key(char)
        if code is not None:
            event.stop()
            event.prevent_default()
            self.apply_code(code.id)

    def action_accept(self, n: int) -> None:
        if len(self.suggestions) < n:
            self.notify(f"No suggestion {n}.", timeout=2)
            return
        s = self.suggestions[n - 1]
        self.apply_code(s.code_id, source="suggestion", rank=n, score=float(s.score))

    def action_code_picker(self) -> None:
        if self.view.current is None:
            return

        def chosen(choice: PickerChoice | None) -> None:
            if choice is None:
                return
            code_id = choice.code_id
            if code_id is None:
                code_id = self.guard(lambda: self.project.add_code(choice.name), "new code")
                if code_id is None:
                    return
                self._load_codebook()
                self.notify(f"Added code “{choice.name}” to codebook.yaml.", timeout=3)
            self.apply_code(code_id)

        self.app.push_screen(CodePicker(self.codes_for_picker()), chosen)

    def _choose_own_code(self, title: str, then: Callable[[str], None]) -> None:
        item = self.view.current
        if item is None:
            return
        mine = item.codes_by(self.coder)
        if not mine:
            self.notify("You have not coded this segment.", timeout=2)
        elif len(mine) == 1:
            then(mine[0])
        else:
            known = self.codes_for_picker(only=mine)
            known_ids = {c[0] for c in known}
            known += [(c, c, c) for c in mine if c not in known_ids]

            def chosen(choice: PickerChoice | None) -> None:
                if choice is not None and choice.code_id:
                    then(choice.code_id)

            self.app.push_screen(CodePicker(known, title, allow_create=False), chosen)

    def action_remove_code(self) -> None:
        view = self.view

        def remove(code_id: str) -> None:
            item = view.current
            if item is None:
                return
            index = view.cursor
            if not self.attempt(lambda: self.project.uncode(item.segment_id, code_id, self.coder)):
                return
            self._count(code_id, -1)
            self._after_coding_change(index, True)

        self._choose_own_code("Remove which code?", remove)

    def action_star(self) -> None:
        view = self.view

        def star(code_id: str) -> None:
            item = view.current
            if item is None:
                return
            chip = next(
                (c for c in item.chips if c.code == code_id and c.coder == self.coder), None
            )
            starred = not (chip.starred if chip else False)
            if not self.attempt(
                lambda: self.project.star(item.segment_id, code_id, self.coder, starred)
            ):
                return
            self._after_coding_change(view.cursor, True)
            label = self._code_label(code_id)
            self.notify(f"{'Starred' if starred else 'Unstarred'} as a quote for {label}.")

        self._choose_own_code("Star which coding?", star)

    def _undo_redo(self, redo: bool) -> None:
        fn = self.project.redo if redo else self.project.undo
        event = self.guard(lambda: fn(self.coder))
        word = "Redo" if redo else "Undo"
        if event is None:
            self.notify(f"Nothing to {word.lower()}.", timeout=2)
            return
        self._refresh_after_event(event)
        self.notify(f"{word}: {event.action}", timeout=2)

    def _refresh_after_event(self, event: Any) -> None:
        payload = event.payload or {}
        coding_ids = list(payload.get("codings") or [])
        if "coding" in payload:
            coding_ids.append(payload["coding"])
        segment_ids = set()
        for cid in coding_ids:
            row = self.project.store.coding(int(cid))
            if row is not None:
                segment_ids.add(int(row["segment_id"]))
        view = self.view
        moved = False
        for index, item in enumerate(view.items):
            if item.segment_id in segment_ids:
                had = bool(item.codes_by(self.coder))
                self._after_coding_change(index, had)
                if not moved:
                    view.move_to(index)
                    moved = True
        mine, everyone = model.code_counts(self.project, self.coder, self.blind)
        self.mine, self.everyone = dict(mine), dict(everyone)
        if self.book is not None:
            tree = self.query_one(CodebookTree)
            for code in self.book.codes.values():
                tree.update_code(code, self.mine, self.everyone, self.blind)

    def action_undo(self) -> None:
        self._undo_redo(False)

    def action_redo(self) -> None:
        self._undo_redo(True)

    def action_memo(self) -> None:
        tree = self.query_one(CodebookTree)
        if tree.has_focus and tree.cursor_node is not None and tree.cursor_node.data:
            code_id = tree.cursor_node.data
            self.edit_memo("code", code_id, f"Memo on code {self._code_label(code_id)}")
            return
        item = self.view.current
        if item is None:
            return
        self.edit_memo("segment", item.segment_id, f"Memo on segment #{item.segment_id}")

    def edit_memo(self, kind: str, target: Any, title: str) -> None:
        text = self.guard(lambda: self.project.memo(kind, target, self.coder)) or ""

        def saved(new: str | None) -> None:
            if new is None or new == text:
                return
            if not self.attempt(lambda: self.project.set_memo(kind, target, self.coder, new)):
                return
            self.notify("Memo saved.", timeout=2)

        self.app.push_screen(MemoScreen(title, text), saved)

    def action_toggle_done(self) -> None:
        entry = self._entry(self.transcript or "")
        if entry is None:
            return
        done = not entry.done
        if not self.attempt(lambda: self.project.mark_done(entry.transcript, self.coder, done)):
            return
        entry.done = done
        self.query_one(TranscriptList).update_entry(entry)
        self._update_status()
        self.notify(f"{entry.transcript} marked {'done' if done else 'not done'}.", timeout=2)

    def action_refresh_suggestions(self) -> None:
        self._suggestions_paused = False
        if self.engine is None:
            self.engine = SuggestionEngine(self.project.root, self.coder)
        self.engine.mark_stale()
        self._request_suggestions()

    def action_cancel_work(self) -> None:
        """Esc: stop the suggestion worker (what it embedded so far stays cached)."""
        if any(w.group == "suggest" and w.is_running for w in self.workers):
            self._cancel.set()
            self.workers.cancel_group(self, "suggest")
            self._suggestions_paused = True
            self._show_suggestions("suggestions paused (F5 resumes)")

    def action_search(self) -> None:
        from qualkit.tui.screens import SearchScreen

        def found(hit: tuple[str, int] | None) -> None:
            if hit is not None:
                self.open_transcript(hit[0], hit[1])

        self.app.push_screen(SearchScreen(self.project, self.coder, self.blind), found)

    def action_topics(self) -> None:
        from qualkit.tui.screens import TopicsScreen

        def chosen(hit: tuple[str, int] | None) -> None:
            self._load_codebook()  # a topic may have become a code
            if hit is not None:
                self.open_transcript(hit[0], hit[1])

        self.app.push_screen(TopicsScreen(self.project), chosen)

    def action_codebook_editor(self) -> None:
        from qualkit.tui.screens import CodebookEditor

        def closed(_: Any) -> None:
            self._load_codebook()
            if self.engine is not None:
                self.engine.mark_stale()

        self.app.push_screen(CodebookEditor(self.project, self.coder), closed)

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

    def on_unmount(self) -> None:
        self._cancel.set()
        if self.engine is not None:
            self.engine.close()


class QualkitApp(App):
    """The workbench application."""

    CSS_PATH = "qualkit.tcss"
    TITLE = "qualkit"
    BINDINGS = bindings(APP_ACTIONS)

    def __init__(
        self,
        project: Any,
        coder: str | None = None,
        suggestions: bool = True,
        keymap: dict[str, str] | None = None,
        cursor_blink: bool = True,
    ) -> None:
        super().__init__()
        self.cursor_blink = cursor_blink
        self.project = project
        self.coder = coder or project.remembered_coder
        self.suggestions_enabled = suggestions
        self.user_keymap = keymap or {}
        from qualkit.tui.commands import WorkbenchCommands

        self.COMMANDS = self.COMMANDS | {WorkbenchCommands}

    def on_mount(self) -> None:
        if self.user_keymap:
            self.set_keymap(self.user_keymap)
        if self.coder:
            self._start(self.coder)
        else:
            self.push_screen(CoderNameScreen(), self._named)

    def on_descendant_focus(self, event: Any) -> None:
        # Snapshot tests switch blinking off so screenshots are stable.
        widget = event.widget
        if not self.cursor_blink and hasattr(widget, "cursor_blink"):
            widget.cursor_blink = False

    def _named(self, name: str | None) -> None:
        if not name:
            self.exit(return_code=1, message="no coder name given")
            return
        try:
            self.project.remember_coder(name)
        except (QualkitError, sqlite3.Error) as exc:
            self.notify(problem_text(exc), severity="error")
        self.coder = name
        self._start(name)

    def _start(self, coder: str) -> None:
        self.push_screen(CodingScreen(self.project, coder, self.suggestions_enabled))

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        keymap = dict(self._keymap) if hasattr(self, "_keymap") else {}
        code_keys: list[tuple[str, str]] = []
        screen = self.screen
        book = getattr(screen, "book", None)
        if book is not None:
            code_keys = [(c.key, c.name) for c in book.codes.values() if c.key]
        self.push_screen(HelpScreen(keymap, code_keys))


def run_app(project_path: Path, coder: str | None) -> None:
    """Open the workbench; a problem opening the project is one line and exit status 1."""
    from qualkit.project import Project

    try:
        project = Project.open(project_path)
        keymap = load_keymap(project.root)
        if coder:
            project.remember_coder(coder)
    except (QualkitError, sqlite3.Error) as exc:
        print(f"error: {problem_text(exc)}", file=sys.stderr)
        raise SystemExit(1) from None
    for warning in project.storage_warnings():
        print(f"warning: {warning}", file=sys.stderr)
    app = QualkitApp(project, coder, keymap=keymap)
    try:
        app.run()
    finally:
        project.close()
    if app.return_code:
        raise SystemExit(app.return_code)
