"""The coding screen's suggestions and background embedding (a mixin: ``self`` is the coding
screen, which owns the messages and widgets named here).

The embedding service loads the model and embeds the project in one background thread from the
first frame on; the suggestion worker asks it for the segment on screen first, and only ever
waits on it watching Esc, so neither Esc nor quitting waits for the model.
"""

from __future__ import annotations

from typing import Any

from qualkit.tui.problems import problem_text
from qualkit.tui.widgets.panels import SuggestionsPanel
from qualkit.tui.workers import SuggestionEngine, Unavailable
from textual import work
from textual.worker import get_current_worker

from qualkit.assist.embed_service import EmbeddingService
from qualkit.assist.feedback import record_feedback, rejected_on_leaving
from qualkit.errors import QualkitError


class SuggestionActions:
    """Suggestions for the segment under the cursor, and the embedding behind them."""

    embedding: EmbeddingService | None
    engine: SuggestionEngine | None

    def _start_embedding(self) -> None:
        self.embedding = EmbeddingService(
            self.project.root, on_progress=lambda p: self.post_message(self.EmbeddingProgressed(p))
        )
        self.engine = SuggestionEngine(self.project.root, self.coder, self.embedding)

    def _embed_in_background(self) -> None:
        """Embed every transcript in the background, the one on screen first."""
        if self.embedding is None or self._embedding_paused:
            return
        first = [self.transcript] if self.transcript else []
        self.embedding.background(first + [e.transcript for e in self.entries])

    def on_coding_screen_embedding_progressed(self, message: Any) -> None:
        progress = message.progress
        if self._embedding_paused:
            return
        if progress.finished:
            note = ""
        elif self.narrow:
            note = f"embedding {progress.transcripts_done}/{progress.transcripts_total}"
        else:
            note = progress.describe()
        if note != self._embed_note:
            self._embed_note = note
            self._update_status()

    def _request_suggestions(self) -> None:
        # Deferred callbacks run on whichever screen is on top, and after the app has begun
        # tearing this one down on exit; a hidden screen asks again when it shows (on resume).
        if not self.is_current:
            self._suggestions_owed = True
            return
        self._suggestions_owed = False
        item = self.view.current
        if self.engine is None:
            self._show_suggestions("suggestions off")
            return
        if self._suggestions_paused:
            self._show_suggestions("suggestions paused (F5 resumes)")
            return
        if item is None or not item.coding_unit:
            return
        self._cancel.clear()
        if not self.suggestions:
            loading = self.embedding is not None and not self.embedding.ready
            what = "loading the embedding model" if loading else "computing suggestions"
            self._show_suggestions(f"{what} … (Esc cancels)")
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
        except (QualkitError, OSError, ValueError, RuntimeError) as exc:
            if "cancel" not in str(exc).lower():  # Esc: the screen already says so
                self.post_message(self.WorkFailed("suggestions", problem_text(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self.SuggestionsComputed(segment_id, found))

    def on_coding_screen_suggestions_progressed(self, message: Any) -> None:
        if self.embedding is not None and not self.embedding.ready:
            return  # "loading the embedding model" says more than "embedding 0/9" until it is
        if message.total:
            self._show_suggestions(f"embedding {message.done}/{message.total} … (Esc cancels)")

    def on_coding_screen_suggestions_computed(self, message: Any) -> None:
        item = self.view.current
        if item is None or item.segment_id != message.segment_id:
            return
        self.suggestions = message.suggestions
        self._suggested_for = message.segment_id
        self._show_suggestions(None if message.suggestions else "no strong match")

    def _log_rejected_suggestion(self) -> None:
        """Leaving a segment the coder coded in this visit without taking the first
        suggestion: log that suggestion as rejected (the audit trail of how often suggestions
        were right, per code)."""
        if self._suggested_for is None:
            return
        top = rejected_on_leaving(self.suggestions, self._applied_here)
        if top is None:
            return
        segment_id = self._suggested_for
        self.attempt(
            lambda: record_feedback(
                self.project, self.coder, segment_id, top, accepted=False, rank=1
            )
        )

    def _show_suggestions(self, note: str | None) -> None:
        panel = self.query_one("#suggestions", SuggestionsPanel)
        if note is not None or not self.suggestions:
            panel.show_note(note)
        else:
            item = self.view.current
            applied = set(item.codes_by(self.coder)) if item is not None else set()
            panel.show(self.suggestions, self._code_color, self._code_label, applied)

    def on_screen_resume(self) -> None:
        if self._suggestions_owed:
            self._request_suggestions()

    def action_refresh_suggestions(self) -> None:
        self._suggestions_paused = False
        self._embedding_paused = False
        if self.engine is None or self.embedding is None or not self.embedding.running:
            if self.engine is not None:
                self.engine.close()
            self._start_embedding()
            assert self.embedding is not None
            self.embedding.start()
        assert self.engine is not None
        self.engine.mark_stale()
        self._embed_in_background()
        self._request_suggestions()

    def action_cancel_work(self) -> None:
        """Esc: back to the transcript from a side tab; else stop the suggestion worker (what
        it embedded so far stays cached)."""
        if self.narrow and self.tab != "view":
            self.toggle_tab("view")
            return
        busy = any(w.group == "suggest" and w.is_running for w in self.workers)
        embedding = bool(self._embed_note) and not self._embedding_paused
        if busy:
            self._cancel.set()
            self.workers.cancel_group(self, "suggest")
            self._suggestions_paused = True
            self._show_suggestions("suggestions paused (F5 resumes)")
        if (busy or embedding) and self.embedding is not None:
            # the batch in hand finishes and is cached; nothing else runs until F5
            self._embedding_paused = True
            self.embedding.background([])
            self._embed_note = "embedding paused (F5 resumes)"
            self._update_status()
