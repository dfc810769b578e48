"""How far the coding has got and what state the project is in: progress per transcript and
coder, the status summary, and backups of the project database."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualkit.project_parts.base import ProjectPart

if TYPE_CHECKING:
    import pandas as pd


class ProjectStatus(ProjectPart):
    """Progress, status and backups."""

    def progress(
        self, coder: str | None = None, transcripts: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Per transcript and coder: coding units, units coded, units coded or marked
        reviewed, % of units coded or reviewed, and the done mark. With `transcripts`, only
        those are read (the workbench asks for the part of a long list it shows)."""
        if transcripts is None:
            segment_rows = self.store.segment_rows()
        else:
            transcripts = list(dict.fromkeys(transcripts))
            segment_rows = [r for t in transcripts for r in self.store.segment_rows(t)]
        unit_transcript = {
            r.segment_id: r.transcript for r in segment_rows if self.is_coding_unit(r)
        }
        del segment_rows  # the texts: not needed past here
        return self._progress_of_units(unit_transcript, coder, transcripts)

    def _progress_of_units(
        self,
        unit_transcript: dict[int, str],
        coder: str | None = None,
        transcripts: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """progress() from the coding units already read (segment id -> transcript)."""
        import pandas as pd

        units: dict[str, int] = {}
        for tid in unit_transcript.values():
            units[tid] = units.get(tid, 0) + 1
        # Only coding units count: a coding left on a turn that is now context does not.
        coded_sets: dict[tuple[str, str], set[int]] = {}
        for segment_id, _, name in self.store.coded_pairs(transcripts=transcripts):
            if segment_id in unit_transcript:
                key = (unit_transcript[segment_id], name)
                coded_sets.setdefault(key, set()).add(segment_id)
        seen_sets = {key: set(ids) for key, ids in coded_sets.items()}
        for segment_id, name in self.store.review_pairs(transcripts):
            if segment_id in unit_transcript:
                seen_sets.setdefault((unit_transcript[segment_id], name), set()).add(segment_id)
        coded = {key: len(ids) for key, ids in coded_sets.items()}
        seen = {key: len(ids) for key, ids in seen_sets.items()}
        done = self.store.done_marks()
        coders = [coder] if coder else sorted({c for _, c in seen} | {c for _, c in done})
        rows = []
        for tid in self.transcript_ids() if transcripts is None else transcripts:
            for name in coders:
                n = units.get(tid, 0)
                k = seen.get((tid, name), 0)
                rows.append(
                    {
                        "transcript": tid,
                        "coder": name,
                        "segments": n,
                        "coded": coded.get((tid, name), 0),
                        "coded_or_reviewed": k,
                        "percent": round(100 * k / n, 1) if n else 0.0,
                        "done": (tid, name) in done,
                    }
                )
        columns = [
            "transcript",
            "coder",
            "segments",
            "coded",
            "coded_or_reviewed",
            "percent",
            "done",
        ]
        return pd.DataFrame(rows, columns=columns)

    def done_transcripts(self, coder: str) -> set[str]:
        """The transcripts this coder marked done."""
        return {t for t, c in self.store.done_marks() if c == coder}

    def status(self) -> dict[str, Any]:
        people = self.store.participants()
        attributes: dict[str, dict[str, int]] = {}
        for attrs in people.values():
            for name, value in attrs.items():
                bucket = attributes.setdefault(name, {})
                bucket[value or "(blank)"] = bucket.get(value or "(blank)", 0) + 1
        segments = self.store.segment_rows()
        units = [r for r in segments if self.is_coding_unit(r)]
        # read once: progress works from the same coding units
        progress = self._progress_of_units({r.segment_id: r.transcript for r in units})
        orphans = [r for r in segments if r.orphaned]
        per_coder = self.store.codings_per_coder()
        transcripts = self.store.transcript_rows()
        return {
            "project": str(self.root),
            "transcripts": len(transcripts),
            "missing_transcripts": [r.file for r in transcripts if r.missing],
            "participants": len(people),
            "participants_by_attribute": attributes,
            "segments": len(units),
            "interviewer_segments": sum(1 for r in segments if r.is_interviewer),
            "short_turns_as_context": sum(
                1
                for r in segments
                if not r.orphaned and not r.is_interviewer and not self.is_coding_unit(r)
            ),
            "codings_by_coder": per_coder,
            "orphaned_segments": [
                {"segment_id": r.segment_id, "transcript": r.transcript, "text": r.text[:80]}
                for r in orphans
            ],
            "progress": progress.to_dict(orient="records"),
            "warnings": self.storage_warnings(),
            "codebook": self.codebook_summary(),
            "codes_missing_from_codebook": self._missing_codes_or_none(),
        }

    def backup(self, keep: int = 10) -> Path:
        return self.store.backup(reason="manual", keep=keep)

    def daily_backup(self, keep: int = 7) -> Path | None:
        """Today's backup, when none was taken yet (the store also takes it before the first
        write of each day); returns the new file, or None."""
        return self.store.daily_backup(keep=keep)
