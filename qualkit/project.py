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

from qualkit.agreement.blinding import blind_for
from qualkit.errors import CodebookError, ProjectError
from qualkit.ingest.plan import IngestReport, Progress, plan_ingest
from qualkit.ingest.segmentation import word_count
from qualkit.settings import SETTINGS_FILE, SETTINGS_TEMPLATE, Settings, load_settings
from qualkit.store import CodingRow, Event, SegmentCoding, SegmentRow, SQLiteStore, Store

if TYPE_CHECKING:
    import pandas as pd

    from qualkit.codebook import Codebook
    from qualkit.reports.trim import TrimmedQuote

STATE_DIR = ".qualkit"
DB_FILE = "project.db"
CODEBOOK_FILE = "codebook.yaml"
CONSENSUS = "consensus"


class Project:
    """One study folder: codebook.yaml, transcripts/, exports/ and .qualkit/project.db."""

    def __init__(self, root: Path, store: Store, settings: Settings) -> None:
        self.root = root
        self.store = store
        self.settings = settings
        self._codebook: Codebook | None = None

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
        return cls(root, SQLiteStore(db, create=True), settings)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def storage_warnings(self) -> list[str]:
        """Warn when the project sits where SQLite's file locks are unreliable."""
        from qualkit.storage_place import storage_warnings

        return storage_warnings(self.root)

    # -- codebook ----------------------------------------------------------------------------

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
        used = [r for r in self.store.codings_rows(include_removed=True) if r.code == code_id]
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

    # -- ingest and reading ------------------------------------------------------------------

    def ingest(self, progress: Progress | None = None) -> IngestReport:
        plan, report = plan_ingest(self.root, self.store, self.settings, progress)
        if report.updated or report.missing:
            # Re-anchoring codings to edited transcripts is the riskiest write qualkit makes.
            self.store.backup(reason="before-ingest", keep=5)
        report.codings_merged = len(self.store.write_ingest(plan))
        return report

    def transcript_ids(self) -> list[str]:
        return [r.id for r in self.store.transcript_rows()]

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

    def transcript_text(self, transcript_id: str) -> str:
        return self.store.transcript_text(transcript_id)

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

    def _codable_segment(self, segment_id: int) -> SegmentRow:
        row = self.store.segment_row(int(segment_id))
        if row is None:
            raise ProjectError(f"unknown segment id {segment_id}")
        if row.orphaned:
            raise ProjectError(f"segment {segment_id} is orphaned (its text left the transcript)")
        if not self.is_coding_unit(row):
            if row.is_interviewer:
                raise ProjectError(
                    f"segment {segment_id} is an interviewer turn ({row.speaker}): context, "
                    "not a coding unit (set 'code_interviewer: true' in qualkit.yaml to code it)"
                )
            raise ProjectError(
                f"segment {segment_id} is a short turn kept as context (under "
                f"{self.settings.min_words} words; see 'min_words' in qualkit.yaml)"
            )
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
        segments: dict[str, set[int]] = {}
        for segment_id, code_id, _ in self.store.coded_pairs(coder):
            lineage = [code_id, *book.ancestors(code_id)] if code_id in book else [code_id]
            for code in lineage:
                segments.setdefault(code, set()).add(segment_id)
        return {code: len(ids) for code, ids in segments.items()}

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

    def coders(self) -> list[str]:
        return self.store.coders()

    def import_codings(self, path: Path, coder: str) -> int:
        """CSV with `segment_id,code` (optional `memo`): all rows valid, or nothing is stored."""
        from qualkit.exchange.codings_csv import read_codings_csv
        from qualkit.ingest.participants import decode_table

        coder = self._check_coder(coder)
        shown = str(path)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ProjectError(f"{shown}: cannot read: {exc.strerror}") from None
        rows = read_codings_csv(decode_table(data, shown), shown, data)
        book = self.codebook
        known = {r.segment_id: r for r in self.store.segment_rows()}
        planned: list[dict[str, Any]] = []
        seen: set[tuple[int, str]] = set()
        for line, segment_id, code_id, memo in rows:
            if segment_id not in known:
                raise ProjectError(f"{shown}: line {line}: unknown segment_id {segment_id}")
            if known[segment_id].orphaned:
                raise ProjectError(f"{shown}: line {line}: segment {segment_id} is orphaned")
            if code_id not in book:
                raise ProjectError(
                    f"{shown}: line {line}: unknown code id '{code_id}' (not in codebook.yaml)"
                )
            if (segment_id, code_id) in seen:
                continue
            seen.add((segment_id, code_id))
            planned.append(
                {
                    "segment_id": segment_id,
                    "code_id": code_id,
                    "memo": memo or None,
                    "source": "import",
                }
            )
        if not planned:
            return 0
        # Rows the coder already has are skipped inside the store's write transaction, so a
        # second process of the same coder cannot make the import fail half-way.
        return len(self.store.insert_codings(planned, coder, action="import")[1])

    # -- REFI-QDA exchange (qualkit.exchange does the work) -----------------------------------

    def import_qdpx(self, path: Path) -> Any:
        """Import a .qdpx (or bare .qde) from NVivo, ATLAS.ti, MAXQDA, QualCoder...; returns an
        ImportReport (its .summary() says what came in and what could not)."""
        from qualkit.exchange.qdpx_import import import_qdpx

        return import_qdpx(self, Path(path))

    def import_qdc(self, path: Path) -> Any:
        """Import a REFI-QDA codebook (.qdc) into codebook.yaml."""
        from qualkit.exchange.qdc import import_qdc

        return import_qdc(self, Path(path))

    def export_qdpx(self, path: Path) -> Any:
        """Write the project as a validated .qdpx; returns an ExportReport."""
        from qualkit.exchange.qdpx_export import export_qdpx

        return export_qdpx(self, Path(path))

    def export_qdc(self, path: Path) -> int:
        """Write the codebook as a validated .qdc; returns the number of codes."""
        from qualkit.exchange.qdpx_export import export_qdc

        return export_qdc(self, Path(path))

    def export_codings(self, path: Path, coder: str | None = None) -> int:
        """Long format: one row per coding with transcript, participant, attributes, code,
        the quote and memos; pseudonymised with pseudonyms.yaml."""
        from qualkit.reports.codings import write_codings_csv

        return write_codings_csv(self, Path(path), coder)

    def codings_long(self, coder: str | None = None) -> pd.DataFrame:
        """One row per coding with its participant's attributes: the codings CSV's layout."""
        from qualkit.exchange.codings_csv import codings_long

        return codings_long(self, coder)

    def matrix(
        self,
        by: str | list[str] = "group",
        measure: str = "participants",
        layer: str | None = None,
        level: str = "code",
    ) -> pd.DataFrame:
        """Codes × participant attribute values (see qualkit.reports.matrix.build_matrix)."""
        from qualkit.reports.matrix import build_matrix

        return build_matrix(self, by=by, measure=measure, layer=layer, level=level)

    # -- memos, done marks, progress ---------------------------------------------------------

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

    def progress(self, coder: str | None = None) -> pd.DataFrame:
        """Per transcript and coder: coding units, units coded, units coded or marked
        reviewed, % of units coded or reviewed, and the done mark."""
        import pandas as pd

        unit_transcript = {
            r.segment_id: r.transcript for r in self.store.segment_rows() if self.is_coding_unit(r)
        }
        units: dict[str, int] = {}
        for tid in unit_transcript.values():
            units[tid] = units.get(tid, 0) + 1
        # Only coding units count: a coding left on a turn that is now context does not.
        coded_sets: dict[tuple[str, str], set[int]] = {}
        for segment_id, _, name in self.store.coded_pairs():
            if segment_id in unit_transcript:
                key = (unit_transcript[segment_id], name)
                coded_sets.setdefault(key, set()).add(segment_id)
        seen_sets = {key: set(ids) for key, ids in coded_sets.items()}
        for segment_id, name in self.store.review_pairs():
            if segment_id in unit_transcript:
                seen_sets.setdefault((unit_transcript[segment_id], name), set()).add(segment_id)
        coded = {key: len(ids) for key, ids in coded_sets.items()}
        seen = {key: len(ids) for key, ids in seen_sets.items()}
        done = self.store.done_marks()
        coders = [coder] if coder else sorted({c for _, c in seen} | {c for _, c in done})
        rows = []
        for tid in self.transcript_ids():
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

    # -- status and backups ------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        people = self.store.participants()
        attributes: dict[str, dict[str, int]] = {}
        for attrs in people.values():
            for name, value in attrs.items():
                bucket = attributes.setdefault(name, {})
                bucket[value or "(blank)"] = bucket.get(value or "(blank)", 0) + 1
        segments = self.store.segment_rows()
        units = [r for r in segments if self.is_coding_unit(r)]
        orphans = [r for r in segments if r.orphaned]
        codings = self.store.codings_rows()
        per_coder: dict[str, int] = {}
        for r in codings:
            per_coder[r.coder] = per_coder.get(r.coder, 0) + 1
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
            "progress": self.progress().to_dict(orient="records"),
            "warnings": self.storage_warnings(),
            "codes_missing_from_codebook": self._missing_codes_or_none(),
        }

    def backup(self, keep: int = 10) -> Path:
        return self.store.backup(reason="manual", keep=keep)

    def remove_transcript(self, transcript_id: str, actor: str = "system") -> TranscriptRemoval:
        """Remove a transcript whose file has left transcripts/, with its segments and codings.

        A backup is taken first (`qualkit restore` brings everything back); the removal is one
        logged transaction. A transcript whose file is still there is refused: the next ingest
        would only bring it back.
        """
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
        backup = self.store.backup(reason="before-remove")
        removed = self.store.remove_transcript(transcript_id, actor)
        return TranscriptRemoval(transcript_id, removed["segments"], removed["codings"], backup)

    def daily_backup(self, keep: int = 7) -> Path | None:
        """Today's backup, when none was taken yet (the store also takes it before the first
        write of each day); returns the new file, or None."""
        return self.store.daily_backup(keep=keep)


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
