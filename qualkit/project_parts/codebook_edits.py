"""The codebook as the project sees it: re-read when codebook.yaml changes, and edited so that
every change is saved at once and logged as an event; codings follow merges and deletes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualkit.errors import CodebookError
from qualkit.project_parts.base import ProjectPart

if TYPE_CHECKING:
    from qualkit.codebook import Codebook

CODEBOOK_FILE = "codebook.yaml"


class ProjectCodebook(ProjectPart):
    """Reading and editing codebook.yaml through the project."""

    @property
    def codebook_path(self) -> Path:
        return self.root / CODEBOOK_FILE

    @property
    def codebook(self) -> Codebook:
        """The codebook, re-read whenever codebook.yaml changed on disk."""
        from qualkit.codebook import Codebook

        if self._codebook is None or self._codebook.changed_on_disk():
            if not self.codebook_path.exists():
                # A folder of transcripts adopted as a project starts with an empty codebook,
                # so the first code a coder creates has a file to go into.
                Codebook.write_template(self.codebook_path)
            self._codebook = Codebook.load(self.codebook_path)
            if self._codebook.dirty:
                # Ids derived from names are written into the file at once, so that codings
                # never point at an id that a later rename of the code would change.
                self._codebook.save()
        return self._codebook

    def add_code(
        self, name: str, parent: str | None = None, actor: str = "system", **fields: Any
    ) -> str:
        book = self.codebook
        code = book.add(name, parent=parent, **fields)
        book.save()
        self.store.log_event(actor, "add-code", {"code": code.id, "name": name, "parent": parent})
        return code.id

    def rename_code(self, code_id: str, name: str, actor: str = "system") -> None:
        """Rename a code; its id, and so every coding of it, stays."""
        book = self.codebook
        before = book.get(code_id).name
        book.rename(code_id, name)
        book.save()
        self.store.log_event(actor, "rename-code", {"code": code_id, "from": before, "to": name})

    def move_code(
        self, code_id: str, parent: str | None, index: int | None = None, actor: str = "system"
    ) -> None:
        book = self.codebook
        before = book.get(code_id).parent
        book.move(code_id, parent, index)
        book.save()
        self.store.log_event(actor, "move-code", {"code": code_id, "from": before, "to": parent})

    def update_code(self, code_id: str, actor: str = "system", **fields: Any) -> None:
        """Edit description, include, exclude, examples, color or key of a code."""
        book = self.codebook
        book.update(code_id, **fields)
        book.save()
        self.store.log_event(actor, "update-code", {"code": code_id, "fields": sorted(fields)})

    def merge_codes(self, source: str, target: str, actor: str = "system") -> int:
        """Merge code `source` into `target`: the YAML entry goes, its codings are re-pointed.

        A `source` already gone from codebook.yaml (removed by hand) that codings still point
        to is merged too: only its codings move.
        """
        book = self.codebook
        book.get(target)
        if source == target:
            raise CodebookError(f"cannot merge code '{source}' into itself")
        if source in book:
            book.merge(source, target)
            book.save()
        elif source not in self.codes_missing_from_codebook():
            book.get(source)  # the usual "unknown code" error
        return self.store.recode(source, target, actor, "merge-code")

    def codebook_summary(self) -> dict[str, Any]:
        """Themes and codes in codebook.yaml, or why it cannot be read (``error``): status
        reports a broken codebook instead of leaving it out."""
        try:
            book = self.codebook
        except CodebookError as e:
            return {"themes": None, "codes": None, "error": str(e)}
        return {"themes": len(book.roots()), "codes": len(book.codes), "error": None}

    def _missing_codes_or_none(self) -> dict[str, int]:
        try:
            return self.codes_missing_from_codebook()
        except CodebookError:
            return {}  # a broken codebook.yaml is reported on its own

    def codes_missing_from_codebook(self) -> dict[str, int]:
        """Code ids that live codings point to but codebook.yaml no longer has (removed by
        hand), with their number of codings. Fix: add the code back, or merge it."""
        book = self.codebook
        return {code: n for code, n in sorted(self.store.code_usage().items()) if code not in book}

    def delete_code(self, code_id: str, remap_to: str | None = None, actor: str = "system") -> int:
        """Delete a code; its codings move to `remap_to`, so none is lost."""
        book = self.codebook
        book.get(code_id)
        # Live codings only: a removed one is history, and undo never brings back a coding
        # whose code has left the codebook (see Store.undo's known_codes).
        used = [r for r in self.store.codings_rows() if r.code == code_id]
        if used and remap_to is None:
            raise CodebookError(
                f"code '{code_id}' has {len(used)} coding(s): choose a code to move them to"
            )
        if remap_to is not None:
            book.get(remap_to)
        book.delete(code_id)
        book.save()
        if remap_to:
            return self.store.recode(code_id, remap_to, actor, "delete-code")
        self.store.log_event(actor, "delete-code", {"from": code_id, "to": None, "codings": []})
        return 0
