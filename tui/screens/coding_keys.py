"""What the coding screen's keys do: moving, coding, memos, and opening the other screens.

The keys, descriptions and ids are declared once in actions.py; these are the methods they run.
`CodingActions` is mixed into `CodingScreen` and works on its state and helpers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from qualkit.tui.bindings import bound_characters, key_clashes
from qualkit.tui.widgets.dialogs import CodePicker, MemoScreen, PickerChoice
from qualkit.tui.widgets.panels import CodebookTree, TranscriptList

from qualkit.assist.feedback import rank_of, record_feedback

if TYPE_CHECKING:
    from qualkit.store import Event


class CodingActions:
    """The key-bound actions of `CodingScreen` (a mixin: `self` is the screen)."""

    # Code keys the workbench binds too, already told about (id, key); replaced, never mutated.
    _key_clashes_told: frozenset[tuple[str, str | None]] = frozenset()
    _workbench_characters: frozenset[str] | None = None

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
        found = view.find(lambda s: s.coding_unit and not s.handled_by(self.coder), step)
        if found is None:
            where = "after" if step > 0 else "before"
            self.notify(
                f"No segment {where} this one that you have not coded or reviewed.", timeout=3
            )
            return
        view.move_to(found)

    def action_transcript(self, step: int) -> None:
        entries = self.entries
        if not entries:
            return
        index = self._entry_index.get(self.transcript or "", -1)
        self.open_transcript(entries[(index + step) % len(entries)].transcript)

    def action_focus(self, which: str) -> None:
        """F2/F3/F4/F6: focus a pane; on a narrow terminal, show it as a tab (or go back)."""
        if self.narrow:
            self.toggle_tab(which)
        elif which != "suggestions":
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
        had = item.handled_by(self.coder)
        before = item.chips
        if code_id in item.codes_by(self.coder):
            self.notify(f"Already coded {self._code_label(code_id)}.", timeout=2)
            return False
        result = self.guard(
            lambda: self.project.code(item.segment_id, code_id, self.coder, source=source)
        )
        if result is None:
            return False
        if source != "suggestion" and item.segment_id == self._suggested_for:
            ranked = rank_of(self.suggestions, code_id)
            if ranked is not None:
                rank, score = ranked
        if rank is not None:
            # The code is applied above; record_feedback logs the suggestion as accepted.
            self.attempt(
                lambda: record_feedback(
                    self.project, self.coder, item.segment_id, code_id, True, rank, score
                )
            )
        if item.segment_id == self._suggested_for:
            self._applied_here.add(code_id)
        self._after_coding_change(index, had)
        self.adjust_counts(before, item)
        return True

    def workbench_characters(self) -> frozenset[str]:
        """The characters the workbench binds under the user's keymap (read once)."""
        if self._workbench_characters is None:
            self._workbench_characters = bound_characters(getattr(self.app, "user_keymap", None))
        return self._workbench_characters

    def warn_about_key_clashes(self) -> None:
        """Say once per clash that a code's key is also a workbench key, which wins."""
        if self.book is None:
            return
        clashes = [
            code
            for code in key_clashes(self.book, self.workbench_characters())
            if (code.id, code.key) not in self._key_clashes_told
        ]
        if not clashes:
            return
        self._key_clashes_told = self._key_clashes_told | {(c.id, c.key) for c in clashes}
        listed = ", ".join(f"'{c.key}' ({c.name})" for c in clashes)
        self.notify(
            f"Code key {listed} is also a workbench key, and the workbench key wins; "
            "give the code another key in codebook.yaml.",
            title="codebook.yaml",
            severity="warning",
            timeout=10,
            markup=False,  # code names are the user's text, not markup
        )

    def on_key(self, event: Any) -> None:
        """A code's own key (from codebook.yaml) applies it, unless the workbench binds it."""
        char = event.character
        if not char or len(char) != 1 or self.book is None or not char.isprintable():
            return
        if char in self.workbench_characters():
            return  # the binding wins (the coder was told when the codebook loaded)
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
                code_id = self.guard(
                    lambda: self.project.add_code(choice.name, actor=self.coder), "new code"
                )
                if code_id is None:
                    return
                self._load_codebook()
                self.notify(f"Added code “{choice.name}” to codebook.yaml.", timeout=3)
            self.apply_code(code_id)

        self.app.push_screen(CodePicker(self.codes_for_picker()), chosen)

    def _choose_own_code(
        self, title: str, then: Callable[[str], None], enter: str = "chooses it"
    ) -> None:
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

            picker = CodePicker(known, title, allow_create=False, enter=enter)
            self.app.push_screen(picker, chosen)

    def action_remove_code(self) -> None:
        view = self.view

        def remove(code_id: str) -> None:
            item = view.current
            if item is None:
                return
            index = view.cursor
            before = item.chips
            if not self.attempt(lambda: self.project.uncode(item.segment_id, code_id, self.coder)):
                return
            self._after_coding_change(index, True)
            self.adjust_counts(before, item)

        self._choose_own_code("Remove which code from this segment?", remove, "removes it")

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

        self._choose_own_code("Star which coding?", star, "stars it")

    def action_toggle_reviewed(self) -> None:
        """Mark the segment reviewed with nothing to code (or clear the mark)."""
        view = self.view
        item = view.current
        if item is None:
            return
        if not item.coding_unit:
            self.notify("This turn is context, not a coding unit.", timeout=2)
            return
        index = view.cursor
        had = item.handled_by(self.coder)
        marked = not item.reviewed
        if not self.attempt(
            lambda: self.project.mark_reviewed(item.segment_id, self.coder, marked)
        ):
            return
        item.reviewed = marked
        self._after_coding_change(index, had)
        if marked and not item.codes_by(self.coder):
            self.action_uncoded(1)  # reviewed: on to the next segment still to do

    def _undo_redo(self, redo: bool) -> None:
        fn = self.project.redo if redo else self.project.undo
        stepped: list[Any] = []
        # A step that is no longer possible is reported by attempt (it says why) and leaves
        # the history, so the next key press goes further back.
        if not self.attempt(lambda: stepped.append(fn(self.coder))):
            return
        event = stepped[0]
        word = "Redo" if redo else "Undo"
        if event is None:
            self.notify(f"Nothing to {word.lower()}.", timeout=2)
            return
        self._refresh_after_event(event)
        what = self.guard(lambda: self.project.describe_event(event)) or event.action
        self.notify(f"{word}: {what}", timeout=3)

    def _refresh_after_event(self, event: Event) -> None:
        segment_ids = event.segments  # which segments the action changed: decided by the core
        reviewed = self.guard(lambda: self.project.reviewed(self.coder, self.transcript))
        view = self.view
        moved = False
        for index, item in enumerate(view.items):
            if item.segment_id in segment_ids:
                had = item.handled_by(self.coder)
                if reviewed is not None:
                    item.reviewed = item.segment_id in reviewed
                self._after_coding_change(index, had)
                if not moved:
                    view.move_to(index)
                    moved = True
        self.refresh_counts()

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
        transcripts = self.query_one(TranscriptList)
        if transcripts.has_focus and transcripts.highlighted is not None:
            option = transcripts.get_option_at_index(transcripts.highlighted)
            if option.id:
                self.edit_memo("transcript", option.id, f"Memo on transcript {option.id}")
                return
        item = self.view.current
        if item is None:
            return
        index = self.view.cursor

        def marked(text: str) -> None:
            item.memo = bool(text)
            self.view.segment_changed(index)

        self.edit_memo(
            "segment",
            item.segment_id,
            f"Memo on segment #{item.segment_id}",
            beside=self._coding_memos(item),
            then=marked,
        )

    def _coding_memos(self, item: Any) -> str | None:
        """The memos on this segment's codings (those the coder may see), one per line."""
        lines = [
            f"{self._code_label(chip.code)}"
            + (f" ({chip.coder})" if chip.coder != self.coder else "")
            + f": {chip.memo}"
            for chip in item.chips
            if chip.memo
        ]
        return "Memos on its codings:\n" + "\n".join(lines) if lines else None

    def edit_memo(
        self,
        kind: str,
        target: Any,
        title: str,
        beside: str | None = None,
        then: Callable[[str], None] | None = None,
    ) -> None:
        """Edit the coder's memo; ``then`` gets the saved text."""
        text = self.guard(lambda: self.project.memo(kind, target, self.coder)) or ""

        def saved(new: str | None) -> None:
            if new is None or new == text:
                return
            if not self.attempt(lambda: self.project.set_memo(kind, target, self.coder, new)):
                return
            self.notify("Memo saved.", timeout=2)
            if then is not None:
                then(new)

        self.app.push_screen(MemoScreen(title, text, beside), saved)

    def action_toggle_done(self) -> None:
        entry = self._entry(self.transcript or "")
        if entry is None:
            return
        done = not entry.done
        if done:
            from qualkit.done_marks import done_shortfall

            problem = self.guard(lambda: done_shortfall(self.project, entry.transcript, self.coder))
            if problem:
                from qualkit.tui.widgets.confirm import ConfirmScreen

                def answered(yes: bool | None) -> None:
                    if yes:
                        self._set_done(entry, True)

                question = f"{problem}. Mark it done anyway?"
                self.app.push_screen(ConfirmScreen("Mark done?", question), answered)
                return
        self._set_done(entry, done)

    def _set_done(self, entry: Any, done: bool) -> None:
        if not self.attempt(lambda: self.project.mark_done(entry.transcript, self.coder, done)):
            return
        entry.done = done
        self.query_one(TranscriptList).update_entry(entry)
        self._update_status()
        self.notify(f"{entry.transcript} marked {'done' if done else 'not done'}.", timeout=2)

    # -- actions: other screens --------------------------------------------------------------

    def action_search(self) -> None:
        from qualkit.tui.screens.search import SearchScreen

        def found(hit: tuple[str, int] | None) -> None:
            if hit is not None:
                self.open_transcript(hit[0], hit[1])

        self.app.push_screen(SearchScreen(self.project, self.coder, self.blind), found)

    def action_adjudicate(self) -> None:
        from qualkit.tui.screens.adjudication import start_adjudication

        start_adjudication(self)

    def action_topics(self) -> None:
        from qualkit.tui.screens.topics import TopicsScreen

        def chosen(hit: tuple[str, int] | None) -> None:
            self._load_codebook()  # a topic may have become a code
            if hit is not None:
                self.open_transcript(hit[0], hit[1])

        # Blind coders only see their own layer, so "uncoded" means uncoded by them.
        coder = self.coder if self.blind else None
        self.app.push_screen(TopicsScreen(self.project, coder, actor=self.coder), chosen)

    def action_codebook_editor(self) -> None:
        from qualkit.tui.screens.codebook_editor import CodebookEditor

        def closed(_: Any) -> None:
            self._load_codebook()
            if self.engine is not None:
                self.engine.mark_stale()

        self.app.push_screen(CodebookEditor(self.project, self.coder), closed)

    def action_matrix(self) -> None:
        from qualkit.tui.screens.matrix import MatrixScreen

        def chosen(hit: tuple[str, int] | None) -> None:
            if hit is not None:
                self.open_transcript(hit[0], hit[1])
                self.view.focus()

        self.app.push_screen(MatrixScreen(self.project, self.coder, self.blind), chosen)

    def action_trim_quote(self) -> None:
        from qualkit.tui.screens.trim import trim_starred_quote

        trim_starred_quote(self)
