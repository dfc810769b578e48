"""What coders note beside their codings: memos (on a segment, code, transcript or the
project), transcripts marked done, and segments marked reviewed with nothing to code."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from qualkit.errors import ProjectError
from qualkit.project_parts.base import ProjectPart

if TYPE_CHECKING:
    import pandas as pd


class ProjectMarks(ProjectPart):
    """Memos, done marks and reviewed marks."""

    def set_memo(self, kind: str, target: str | int, coder: str, text: str) -> None:
        coder = self._check_coder(coder)
        if kind == "segment":
            self._codable_segment(int(target))
        elif kind == "code":
            self.codebook.get(str(target))
        elif kind == "transcript":
            self.store.transcript_text(str(target))
        elif kind != "project":
            raise ProjectError(f"memo kind must be segment, code, transcript or project: {kind}")
        self.store.set_memo(kind, str(target), coder, text)

    def memo(self, kind: str, target: str | int, coder: str) -> str | None:
        return self.store.memo(kind, str(target), coder)

    def segments_with_memos(self, coder: str) -> set[int]:
        """The segments this coder wrote a memo on (the workbench marks them)."""
        return {int(t) for t in self.store.memo_targets("segment", coder)}

    def memos(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            [asdict(r) for r in self.store.memo_rows()],
            columns=["kind", "target", "coder", "text", "updated"],
        )

    def mark_done(self, transcript: str, coder: str, done: bool = True) -> None:
        coder = self._check_coder(coder)
        self.store.transcript_text(transcript)
        self.store.set_done(transcript, coder, done)

    def mark_reviewed(self, segment_id: int, coder: str, reviewed: bool = True) -> None:
        """Mark a segment reviewed with nothing to code (or clear the mark); undoable."""
        coder = self._check_coder(coder)
        self._codable_segment(int(segment_id))
        self.store.set_reviewed([int(segment_id)], coder, reviewed)

    def reviewed(self, coder: str, transcript: str | None = None) -> set[int]:
        """Segment ids the coder marked reviewed with nothing to code."""
        return self.store.reviewed_segments(self._check_coder(coder), transcript)
