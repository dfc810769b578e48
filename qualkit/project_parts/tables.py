"""The project as pandas DataFrames: transcripts, participants, segments and codings, for
Python users and exports (the typed rows behind them are on ``Project`` itself)."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from qualkit.project_parts.base import ProjectPart

if TYPE_CHECKING:
    import pandas as pd


class ProjectTables(ProjectPart):
    """DataFrame views of what the store holds."""

    def transcripts(self) -> pd.DataFrame:
        import pandas as pd

        rows = [
            {
                "transcript": r.id,
                "file": r.file,
                "kind": r.kind,
                "date": r.date,
                "missing": r.missing,
                "metadata": r.metadata,
            }
            for r in self.store.transcript_rows()
        ]
        return pd.DataFrame(
            rows, columns=["transcript", "file", "kind", "date", "missing", "metadata"]
        )

    def participants(self) -> pd.DataFrame:
        import pandas as pd

        people = self.store.participants()
        frame = pd.DataFrame([{"participant_id": pid, **attrs} for pid, attrs in people.items()])
        if frame.empty:
            frame = pd.DataFrame(columns=["participant_id"])
        return frame

    def segments(
        self,
        transcript: str | None = None,
        include_interviewer: bool = False,
        include_orphaned: bool = False,
    ) -> pd.DataFrame:
        import pandas as pd

        people = self.store.participants()
        rows = []
        for r in self.store.segment_rows(transcript):
            if r.orphaned:
                if not include_orphaned:
                    continue
            elif not include_interviewer and not self.is_coding_unit(r):
                continue  # interviewer turns and short turns kept as context
            row = asdict(r)
            row["attributes"] = people.get(r.participant or "", {})
            rows.append(row)
        columns = [
            "segment_id",
            "transcript",
            "turn",
            "position",
            "speaker",
            "participant",
            "is_interviewer",
            "start",
            "end",
            "text",
            "text_hash",
            "orphaned",
            "attributes",
        ]
        return pd.DataFrame(rows, columns=columns)

    def codings(
        self,
        coder: str | None = None,
        include_removed: bool = False,
        transcript: str | None = None,
    ) -> pd.DataFrame:
        import pandas as pd

        columns = [
            "coding_id",
            "segment_id",
            "transcript",
            "participant",
            "speaker",
            "code",
            "coder",
            "created",
            "starred",
            "memo",
            "span_start",
            "span_end",
            "quote",
            "source",
            "removed",
            "orphaned",
            "text",
        ]
        rows = [asdict(r) for r in self.store.codings_rows(coder, include_removed, transcript)]
        frame = pd.DataFrame(rows, columns=columns)
        for flag in ("starred", "removed", "orphaned"):
            frame[flag] = frame[flag].astype(bool)
        return frame
