"""A project is a folder: the façade the CLI, the TUI and Python users work through.

```python
from qualkit import Project
p = Project.open("my-study")
p.ingest()
p.code(segment_id=12, code_id="referral-routes", coder="ana")
p.codings()          # pandas DataFrame
```
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualkit import file_journal
from qualkit.agreement.blinding import blind_for
from qualkit.errors import CodebookError, ProjectError
from qualkit.ingest.plan import IngestReport, Progress, plan_ingest
from qualkit.ingest.segmentation import word_count
from qualkit.project_parts.codebook_edits import CODEBOOK_FILE, ProjectCodebook
from qualkit.project_parts.imports_exports import ProjectExchange
from qualkit.project_parts.marks import ProjectMarks
from qualkit.project_parts.status import ProjectStatus
from qualkit.project_parts.tables import ProjectTables
from qualkit.settings import SETTINGS_FILE, SETTINGS_TEMPLATE, Settings, load_settings
from qualkit.store import CodingRow, Event, SegmentCoding, SegmentRow, SQLiteStore, Store

if TYPE_CHECKING:
    from qualkit.codebook import Codebook
    from qualkit.reports.trim import TrimmedQuote

STATE_DIR = ".qualkit"
DB_FILE = "project.db"
CONSENSUS = "consensus"


class Project(ProjectCodebook, ProjectTables, ProjectMarks, ProjectStatus, ProjectExchange):
    """One study folder: codebook.yaml, transcripts/, exports/ and .qualkit/project.db.

    Opening, ingest, coding, undo and the event log are here; the other concerns are mixed in
    from :mod:`qualkit.project_parts` (codebook edits, DataFrames, memos and marks, progress
    and status, imports and exports), so there is still one door: ``Project``.
    """

    def __init__(self, root: Path, store: Store, settings: Settings) -> None:
        self.root = root
        self.store = store
        self.settings = settings
        self._codebook: Codebook | None = None
        self._files_put_back = False  # an import killed before its commit was undone on open

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def init(cls, path: str | os.PathLike[str] = ".") -> Project:
        """Create a project folder (or make an existing folder a project); keeps what is there."""
        root = Path(path).expanduser().resolve()
        if root.exists() and not root.is_dir():
            raise ProjectError(f"{root}: exists and is not a folder")
        for folder in (root, root / "transcripts", root / "exports", root / STATE_DIR):
            folder.mkdir(parents=True, exist_ok=True)
        codebook_path = root / CODEBOOK_FILE
        if not codebook_path.exists():
            from qualkit.codebook import Codebook

            Codebook.write_template(codebook_path)
        settings_path = root / SETTINGS_FILE
        if not settings_path.exists():
            settings_path.write_text(SETTINGS_TEMPLATE, encoding="utf-8")
        store = SQLiteStore(root / STATE_DIR / DB_FILE, create=True)
        return cls(root, store, load_settings(root))

    @classmethod
    def open(cls, path: str | os.PathLike[str] = ".", create: bool = False) -> Project:
        root = Path(path).expanduser().resolve()
        if not root.is_dir():
            raise ProjectError(f"{root}: no such folder")
        db = root / STATE_DIR / DB_FILE
        if not db.exists():
            if create or (root / CODEBOOK_FILE).exists() or (root / "transcripts").is_dir():
                # A folder laid out as a project (like the demo study) is adopted on first use.
                (root / STATE_DIR).mkdir(exist_ok=True)
                (root / "exports").mkdir(exist_ok=True)
            else:
                raise ProjectError(
                    f"{root}: not a qualkit project (no codebook.yaml or transcripts/); "
                    "run 'qualkit init'"
                )
        settings = load_settings(root)
        project = cls(root, SQLiteStore(db, create=True), settings)
        # An import killed between writing its files and committing puts them back here.
        project._files_put_back = file_journal.recover(
            root / STATE_DIR, root, project.store.get_meta(file_journal.TOKEN_KEY)
        )
        return project

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def storage_warnings(self) -> list[str]:
        """Warn when the project sits where SQLite's file locks are unreliable, and when an
        import killed before it finished was undone on opening."""
        from qualkit.storage_place import storage_warnings

        warnings = storage_warnings(self.root)
        if self._files_put_back:
            warnings.append(
                "an import that was stopped before it finished was undone: codebook.yaml, "
                "participants.csv and transcripts/ are as before it; run it again"
            )
        return warnings

    # -- ingest and reading ------------------------------------------------------------------

    def ingest(self, progress: Progress | None = None) -> IngestReport:
        plan, report = plan_ingest(self.root, self.store, self.settings, progress)
        if report.updated or report.missing:
            # Re-anchoring codings to edited transcripts is the riskiest write qualkit makes.
            self.store.backup(reason="before-ingest", keep=5)
        report.codings_merged = len(self.store.write_ingest(plan))
        return report

    def ingest_if_changed(self) -> IngestReport | None:
        """Ingest only when a file an ingest reads changed since the last check (by name, size
        and modified time; `ingest()` always reads every file). None when nothing changed."""
        from qualkit.ingest.signature import SIGNATURE_KEY, folder_signature

        signature = folder_signature(self.root)  # before ingesting: a later edit is seen next
        if signature == self.store.get_meta(SIGNATURE_KEY):
            return None
        report = self.ingest()
        self.store.set_meta(SIGNATURE_KEY, signature)
        return report

    def transcript_ids(self) -> list[str]:
        return self.store.transcript_ids()

    def transcript_text(self, transcript_id: str) -> str:
        return self.store.transcript_text(transcript_id)

    def segment(self, segment_id: int) -> dict[str, Any]:
        row = self.store.segment_row(int(segment_id))
        if row is None:
            raise ProjectError(f"unknown segment id {segment_id}")
        data = asdict(row)
        data["attributes"] = self.store.participants().get(row.participant or "", {})
        return data

    # -- coding ------------------------------------------------------------------------------

    def _check_coder(self, coder: str) -> str:
        coder = (coder or "").strip()
        if not coder:
            raise ProjectError("a coder name is required (e.g. --coder ana)")
        if coder == "system":
            raise ProjectError("'system' is reserved; choose another coder name")
        return coder

    def is_coding_unit(self, row: SegmentRow) -> bool:
        """Whether coders code this segment. Interviewer turns are context unless the project
        sets `code_interviewer: true`; a participant segment under `min_words` words (a short
        turn that had no earlier words of the same speaker to join) is context too."""
        if row.orphaned:
            return False
        if row.is_interviewer:
            return bool(self.settings.code_interviewer)
        return not self.settings.min_words or word_count(row.text) >= self.settings.min_words

    def not_codable_because(self, row: SegmentRow) -> str | None:
        """Why coders cannot code this segment, or None: the one rule behind `code`, the
        codings CSV import and anything else that applies codes."""
        sid = row.segment_id
        if row.orphaned:
            return f"segment {sid} is orphaned (its text left the transcript)"
        if self.is_coding_unit(row):
            return None
        if row.is_interviewer:
            return (
                f"segment {sid} is an interviewer turn ({row.speaker}): context, not a coding "
                "unit (set 'code_interviewer: true' in qualkit.yaml to code it)"
            )
        return (
            f"segment {sid} is a short turn kept as context (under "
            f"{self.settings.min_words} words; see 'min_words' in qualkit.yaml)"
        )

    def _codable_segment(self, segment_id: int) -> SegmentRow:
        row = self.store.segment_row(int(segment_id))
        if row is None:
            raise ProjectError(f"unknown segment id {segment_id}")
        reason = self.not_codable_because(row)
        if reason is not None:
            raise ProjectError(reason)
        return row

    def code(
        self,
        segment_id: int,
        code_id: str,
        coder: str,
        span: tuple[int, int] | None = None,
        memo: str | None = None,
        source: str = "manual",
    ) -> int:
        """Apply a code to a segment in the coder's layer; returns the coding id.

        `span` optionally marks the exact quote as (start, end) offsets within the segment text.
        Applying a code the segment already has in this layer changes nothing.
        """
        coder = self._check_coder(coder)
        row = self._codable_segment(segment_id)
        self.codebook.get(code_id)
        coding: dict[str, Any] = {
            "segment_id": int(segment_id),
            "code_id": code_id,
            "memo": memo,
            "source": source,
        }
        if span is not None:
            start, end = span
            if not (0 <= start < end <= len(row.text)):
                raise ProjectError(
                    f"span {start}-{end} lies outside segment {segment_id} (0-{len(row.text)})"
                )
            coding.update(span_start=start, span_end=end, quote=row.text[start:end])
        # The store checks for a live coding inside its write transaction (no race).
        return self.store.add_codings([coding], coder)[0]

    def uncode(self, segment_id: int, code_id: str, coder: str) -> None:
        """Remove a code from a segment (an event: undo brings it back)."""
        coder = self._check_coder(coder)
        self.store.remove_coding(int(segment_id), code_id, coder)

    def star(self, segment_id: int, code_id: str, coder: str, starred: bool = True) -> None:
        """Mark (or unmark) a coding as an illustrative quote for its code."""
        coder = self._check_coder(coder)
        self.store.change_coding(int(segment_id), code_id, coder, "star", starred=int(starred))

    def set_coding_memo(self, segment_id: int, code_id: str, coder: str, memo: str) -> None:
        coder = self._check_coder(coder)
        self.store.change_coding(int(segment_id), code_id, coder, "coding-memo", memo=memo or None)

    def trim_quote(
        self, segment_id: int, code_id: str, coder: str, span: tuple[int, int] | None
    ) -> TrimmedQuote:
        """Keep only ``span`` (offsets into the segment text) as the coding's quote; None
        restores the whole segment. Undoable; exports mark the cut with /.../."""
        from qualkit.reports.trim import trim_quote

        return trim_quote(self, segment_id, code_id, self._check_coder(coder), span)

    def trimmed_quote(self, segment_id: int, code_id: str, coder: str) -> TrimmedQuote:
        """The quote exports print for this coding: its trimmed span, or the whole segment."""
        from qualkit.reports.trim import trimmed_quote

        return trimmed_quote(self, segment_id, code_id, self._check_coder(coder))

    def undo(self, coder: str) -> Event | None:
        """Reverse the coder's latest action (in a window: only its own; see sessions). An
        action that can no longer be reversed raises HistoryError saying why, and leaves the
        history: the next undo goes further back."""
        event = self.store.undo(
            self._check_coder(coder), known_codes=self._known_codes(), session=self.store.session
        )
        return None if event is None else self._with_segments(event)

    def redo(self, coder: str) -> Event | None:
        event = self.store.redo(
            self._check_coder(coder), known_codes=self._known_codes(), session=self.store.session
        )
        return None if event is None else self._with_segments(event)

    def _known_codes(self) -> set[str] | None:
        try:
            return set(self.codebook.codes)
        except CodebookError:
            return None  # a broken codebook.yaml must not block undoing a coding

    def events(self, coder: str | None = None, limit: int | None = None) -> list[Event]:
        """The audit log, newest first, each event naming the segments it changed."""
        return [self._with_segments(e) for e in self.store.events(coder, limit)]

    def _with_segments(self, event: Event) -> Event:
        # Undo semantics live here: which segments an action touched, read from its payload.
        payload = event.payload or {}
        segments = {int(s) for s in payload.get("segments") or []}
        coding_ids = list(payload.get("codings") or [])
        if "coding" in payload:
            coding_ids.append(payload["coding"])
        for coding_id in coding_ids:
            coding = self.store.coding(int(coding_id))
            if coding is not None:
                segments.add(coding.segment_id)
        if payload.get("kind") == "segment" and str(payload.get("target", "")).isdigit():
            segments.add(int(payload["target"]))
        return replace(event, segments=frozenset(segments))

    def describe_event(self, event: Event, what_only: bool = False) -> str:
        """An event in words: which code on which segment, by whom ("code Referral on
        segment 12 (ana)"), for the log and for undo/redo messages; `what_only` gives just
        "Referral on segment 12"."""
        payload = event.payload or {}
        coding_ids = list(payload.get("codings") or [])
        if "coding" in payload:
            coding_ids.append(payload["coding"])
        try:
            book = self.codebook
        except CodebookError:
            book = None
        parts = []
        for coding_id in coding_ids[:3]:
            coding = self.store.coding(int(coding_id))
            if coding is None:
                continue
            name = coding.code_id
            if book is not None and coding.code_id in book:
                name = book.codes[coding.code_id].name
            parts.append(f"{name} on segment {coding.segment_id}")
        if len(coding_ids) > 3:
            parts.append(f"and {len(coding_ids) - 3} more")
        if not parts and event.segments:
            shown = sorted(event.segments)
            parts.append(
                "segment" + ("s " if len(shown) > 1 else " ") + ", ".join(map(str, shown[:5]))
            )
        if not parts:
            for key in ("code", "id", "target", "transcript"):
                if payload.get(key) is not None:
                    parts.append(str(payload[key]))
                    break
        if what_only:
            return ", ".join(parts)
        what = event.action.replace("-", " ")
        return f"{what} {', '.join(parts)} ({event.coder})" if parts else f"{what} ({event.coder})"

    def codes_of(self, segment_id: int, coder: str | None = None) -> list[str]:
        return [
            r.code
            for r in self.store.segment_codings(int(segment_id))
            if coder is None or r.coder == coder
        ]

    def segment_codings(self, segment_id: int, coder: str | None = None) -> list[SegmentCoding]:
        """Live codings on one segment, oldest first: all coders' or one coder's."""
        return [
            r
            for r in self.store.segment_codings(int(segment_id))
            if coder is None or r.coder == coder
        ]

    def coding_rows(
        self, coder: str | None = None, transcript: str | None = None
    ) -> list[CodingRow]:
        """Live codings as typed rows (`codings()` is the same as a DataFrame)."""
        return self.store.codings_rows(coder, transcript=transcript)

    def visible_layer(self, coder: str | None, blind: bool | None = None) -> str | None:
        """Whose codings `coder` may see: only their own when they code blind (see blinding)."""
        return visible_layer(coder, blind_for(self, coder) if blind is None else blind)

    def code_usage(self, coder: str | None = None) -> dict[str, int]:
        """Live codings per code id: every coder's, or one coder's."""
        return self.store.code_usage(coder)

    def code_counts(self, coder: str | None = None) -> dict[str, int]:
        """Segments per code, rolled up the codebook: a theme counts each segment that has the
        theme or any of its sub-codes once (one coder's codings, or anyone's)."""
        book = self.codebook
        # each code's segments once, then each label the union of its codes' (cheap: a set per
        # code, not a lineage per coding)
        sets: dict[str, list[set[int]]] = {}
        for code_id, segments in self.store.coded_segments_by_code(coder).items():
            for label in [code_id, *book.ancestors(code_id)] if code_id in book else [code_id]:
                sets.setdefault(label, []).append(segments)
        return {
            label: len(held[0]) if len(held) == 1 else len(set().union(*held))
            for label, held in sets.items()
        }

    def segment_rows(self, transcript: str | None = None) -> list[SegmentRow]:
        """Segments as typed rows in transcript order, orphaned ones last (`segments()` is the
        DataFrame view, without interviewer and orphaned rows by default)."""
        return self.store.segment_rows(transcript)

    def segment_row(self, segment_id: int) -> SegmentRow:
        row = self.store.segment_row(int(segment_id))
        if row is None:
            raise ProjectError(f"unknown segment id {segment_id}")
        return row

    def participant_attributes(self) -> dict[str, dict[str, Any]]:
        """Participant id -> its attributes from participants.csv (file order)."""
        return self.store.participants()

    def transcript_participants(self) -> dict[str, list[str]]:
        """Transcript id -> the participants who speak in it (in order of first turn)."""
        return self.store.transcript_participants()

    def coders(self) -> list[str]:
        return self.store.coders()

    # -- the coder remembered for this project (per machine: .qualkit is local) --------------

    @property
    def remembered_coder(self) -> str | None:
        return self.store.get_meta("coder")

    def remember_coder(self, coder: str) -> None:
        self.store.set_meta("coder", self._check_coder(coder))

    def remembered(self, key: str) -> str | None:
        """A value remembered for this project on this machine (e.g. the workbench grouping)."""
        return self.store.get_meta(key)

    def remember(self, key: str, value: str) -> None:
        self.store.set_meta(key, value)

    # -- removing a transcript whose file has gone -------------------------------------------

    def check_removable(self, transcript_id: str) -> None:
        """Raise the reason ``transcript_id`` cannot be removed (unknown, or its file still in
        transcripts/), so that nobody is asked to confirm what would then be refused."""
        rows = {r.id: r for r in self.store.transcript_rows()}
        row = rows.get(transcript_id)
        if row is None:
            listed = ", ".join(sorted(rows)) or "none"
            raise ProjectError(f"unknown transcript '{transcript_id}' (transcripts: {listed})")
        if not row.missing:
            raise ProjectError(
                f"{row.file} is still in transcripts/: move it out first, or the next ingest "
                "brings it back"
            )

    def remove_transcript(self, transcript_id: str, actor: str = "system") -> TranscriptRemoval:
        """Remove a transcript whose file has left transcripts/, with its segments and codings.

        A backup is taken first (`qualkit restore` brings everything back); the removal is one
        logged transaction. A transcript whose file is still there is refused: the next ingest
        would only bring it back.
        """
        self.check_removable(transcript_id)
        backup = self.store.backup(reason="before-remove")
        removed = self.store.remove_transcript(transcript_id, actor)
        return TranscriptRemoval(transcript_id, removed["segments"], removed["codings"], backup)


@dataclass(frozen=True)
class TranscriptRemoval:
    """What `Project.remove_transcript` removed, and the backup that keeps it."""

    transcript: str
    segments: int
    codings: int
    backup: Path


def visible_layer(coder: str | None, blind: bool) -> str | None:
    """Blind coding: a coder sees (and suggestions learn from) only their own layer. None means
    every coder's codings."""
    return coder if blind and coder else None
