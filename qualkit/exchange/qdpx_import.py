"""Import a REFI-QDA project (.qdpx, or a bare .qde) into a new or existing qualkit project.

Everything is read and checked before anything is written. Then, in order: codes go into
codebook.yaml, participants into transcripts/participants.csv, each text source into
transcripts/ as a file, and one ingest segments them; if any of that fails, the files are put
back as they were. Codings follow: each selection is converted to code points over the
stored text and split over the segments it covers, keeping its exact span there.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualkit import file_journal
from qualkit.exchange.import_codes import import_codes
from qualkit.exchange.import_people import (
    attribute_sets,
    coder_names,
    merge_participants,
    participant_rows,
)
from qualkit.exchange.import_sources import PlannedSource, front_matter, plan_sources
from qualkit.exchange.refi_file import load_qdpx
from qualkit.exchange.refi_model import RefiProject, RefiSelection

if TYPE_CHECKING:
    from qualkit.project import Project

GUID_MEMORY_KEY = "refi-guids"
IMPORTED_CODER = "imported"


@dataclass
class ImportReport:
    file: str
    origin: str | None
    transcripts_added: list[str] = field(default_factory=list)
    transcripts_reused: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    codes_added: int = 0
    codes_reused: int = 0
    codings_added: int = 0
    codings_present: int = 0
    codings_carried: int = 0  # the file's codings that landed on imported text
    coders: list[str] = field(default_factory=list)
    participants_added: list[str] = field(default_factory=list)
    memos: int = 0
    conventions: dict[str, str] = field(default_factory=dict)
    names_checked: int = 0
    names_matched: int = 0
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"{self.file} ({self.origin or 'unknown program'}): "
            f"{len(self.transcripts_added)} transcript(s) added "
            f"({len(self.documents)} as documents), {len(self.transcripts_reused)} already here; "
            f"{self.codes_added} code(s) added, {self.codes_reused} already here; "
            f"{self.codings_carried} coding(s) of the file carried as {self.codings_added} new "
            f"segment coding(s) ({self.codings_present} already here); "
            f"{len(self.participants_added)} participant(s) added; {self.memos} memo(s)",
        ]
        if self.coders:
            lines.append("coders: " + ", ".join(self.coders))
        for name, convention in sorted(self.conventions.items()):
            lines.append(f"offsets of '{name}': {convention}")
        if self.names_checked:
            lines.append(
                f"selected text checked against @name: {self.names_matched} of "
                f"{self.names_checked} match"
            )
        lines.extend(f"not imported: {line}" for line in self.skipped)
        return "\n".join(lines)


def remembered_guids(project: Project) -> dict[str, dict[str, str]]:
    raw = project.store.get_meta(GUID_MEMORY_KEY)
    memory = json.loads(raw) if raw else {}
    for kind in ("code", "transcript", "participant", "coder"):
        memory.setdefault(kind, {})
    return memory


def _split_selection(
    start: int, end: int, starts: list[int], segments: list[Any]
) -> list[tuple[Any, int | None, int | None]]:
    """(segment, span start, span end) for each segment the selection covers; the span is
    None where the selection covers the whole segment."""
    pieces = []
    i = max(bisect_right(starts, start) - 1, 0)
    while i < len(segments) and segments[i].start < end:
        seg = segments[i]
        a, b = max(start, seg.start), min(end, seg.end)
        if a < b and seg.text[a - seg.start : b - seg.start].strip():
            if a == seg.start and b == seg.end:
                pieces.append((seg, None, None))
            else:
                pieces.append((seg, a - seg.start, b - seg.start))
        i += 1
    return pieces


class _Memos:
    """Memo texts gathered per (kind, target, coder), joined when several land together."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str], list[str]] = {}

    def add(self, kind: str, target: str, coder: str, text: str | None) -> None:
        if text and text.strip():
            bucket = self.items.setdefault((kind, target, coder), [])
            if text.strip() not in bucket:
                bucket.append(text.strip())


def import_qdpx(project: Project, path: Path) -> ImportReport:
    """Import `path` into `project`; returns what came in and what could not."""
    loaded = load_qdpx(Path(path))
    refi = loaded.model
    report = ImportReport(Path(path).name, refi.origin, skipped=list(refi.skipped))
    store = project.store
    memory = remembered_guids(project)
    # Bring the folder up to date first, so the import's own ingest adds only its files and
    # needs no backup inside its transaction.
    project.ingest()

    existing_texts = {r.id: store.transcript_text(r.id) for r in store.transcript_rows()}
    taken = {tid.casefold() for tid in existing_texts}
    taken |= {p.stem.casefold() for p in (project.root / "transcripts").glob("*")}
    plans, skipped = plan_sources(refi, existing_texts, taken, project.settings)
    report.skipped.extend(skipped)
    users = coder_names(refi)
    notes = {n.guid: n for n in refi.notes}
    attribute_sets(refi, plans)

    book = project.codebook
    codebook_before = project.codebook_path.read_bytes()
    participants_path = project.root / "transcripts" / "participants.csv"
    participants_before = participants_path.read_bytes() if participants_path.exists() else None
    targets = [
        project.root / "transcripts" / f"{plan.transcript_id}.txt"
        for plan in plans
        if not plan.reuse
    ]
    # Files first, then one database transaction for everything else; the journal puts the
    # files back if the process dies before that commit (qualkit/file_journal.py).
    journal = file_journal.FileJournal.begin(
        project.root / ".qualkit", project.root, [project.codebook_path, participants_path], targets
    )
    written: list[Path] = []
    try:
        with store.transaction():
            codes = import_codes(book, refi.codes, refi.origin, memory["code"])
            book.save()
            rows = participant_rows(refi, plans)
            report.participants_added = merge_participants(project, participants_path, rows)
            for plan in plans:
                if plan.reuse:
                    report.transcripts_reused.append(plan.transcript_id)
                    continue
                target = project.root / "transcripts" / f"{plan.transcript_id}.txt"
                body = front_matter(plan, refi.origin, report.file) + plan.text
                target.write_bytes(body.encode("utf-8"))
                written.append(target)
                report.transcripts_added.append(plan.transcript_id)
                if plan.kind == "document":
                    report.documents.append(plan.transcript_id)
            if written:
                project.ingest()
            report.codes_added, report.codes_reused = len(codes.added), codes.reused

            memos = _Memos()
            planned: dict[str, dict[tuple[int, str], dict[str, Any]]] = {}
            for plan in plans:
                _plan_codings(plan, refi, codes.ids, users, notes, memos, planned, report, store)
            for coder, by_key in planned.items():
                present = {
                    (int(r.segment_id), r.code)
                    for r in store.codings_rows(coder=coder)
                    if r.transcript in {p.transcript_id for p in plans}
                }
                rows_to_add = [row for key, row in by_key.items() if key not in present]
                report.codings_present += len(by_key) - len(rows_to_add)
                if rows_to_add:
                    store.add_codings(rows_to_add, coder, action="import")
                    report.codings_added += len(rows_to_add)
            report.coders = sorted(planned)

            _plan_memos(refi, plans, codes.ids, users, notes, memos)
            for (kind, target, coder), texts in memos.items.items():
                before = project.memo(kind, target, coder) or ""
                fresh = [t for t in texts if t not in before]
                if fresh:
                    project.set_memo(kind, target, coder, "\n\n".join([before, *fresh]).strip())
                    report.memos += 1

            for guid, code_id in codes.ids.items():
                memory["code"].setdefault(code_id, guid)
            for plan in plans:
                memory["transcript"].setdefault(plan.transcript_id, plan.source.guid)
            for user_guid, name in users.items():
                memory["coder"].setdefault(name, user_guid)
            for case in refi.cases:
                if case.name:
                    memory["participant"].setdefault(case.name.strip(), case.guid)
            store.set_meta(GUID_MEMORY_KEY, json.dumps(memory, sort_keys=True))
            store.log_event(
                "system",
                "import-qdpx",
                {
                    "file": report.file,
                    "transcripts": report.transcripts_added,
                    "codes": codes.added,
                    "codings": report.codings_added,
                },
            )
            store.set_meta(file_journal.TOKEN_KEY, journal.token)
    except BaseException:
        # The transaction rolled back: the files go back too.
        for target in written:
            target.unlink(missing_ok=True)
        project.codebook_path.write_bytes(codebook_before)
        if participants_before is None:
            participants_path.unlink(missing_ok=True)
        else:
            participants_path.write_bytes(participants_before)
        raise
    finally:
        journal.finish()
    return report


def _coder_of(refi: RefiProject, users: dict[str, str], *guids: str | None) -> str:
    for guid in (*guids, refi.creating_user):
        if guid and guid in users:
            return users[guid]
    return IMPORTED_CODER


def _note_texts(refs: list[str], notes: dict) -> list[tuple[str, str | None]]:
    return [(notes[r].text, notes[r].user_guid) for r in refs if r in notes]


def _plan_codings(
    plan: PlannedSource,
    refi: RefiProject,
    code_ids: dict[str, str],
    users: dict[str, str],
    notes: dict,
    memos: _Memos,
    planned: dict[str, dict[tuple[int, str], dict[str, Any]]],
    report: ImportReport,
    store: Any,
) -> None:
    source = plan.source
    segments = [
        r for r in store.segment_rows(plan.transcript_id) if not r.orphaned and r.start is not None
    ]
    segments.sort(key=lambda r: r.start)
    starts = [r.start for r in segments]
    report.conventions[source.name] = plan.converter.convention
    report.names_checked += plan.converter.name_checked
    report.names_matched += plan.converter.name_matched
    linked = _links_by_target(refi)
    lost = 0
    for sel in source.selections:
        span = plan.converter.convert(sel.start, sel.end)
        if span is None:
            report.skipped.append(
                f"source '{source.name}': selection {sel.start}-{sel.end} lies outside its text"
            )
            continue
        pieces = _split_selection(span[0], span[1], starts, segments)
        if not pieces:
            lost += len(sel.codings)
            continue
        sel_notes = _note_texts(sel.note_refs + linked.get(sel.guid, []), notes)
        for coding in sel.codings:
            code_id = code_ids.get(coding.code_guid)
            if code_id is None:
                report.skipped.append(
                    f"source '{source.name}': a coding refers to unknown code {coding.code_guid}"
                )
                continue
            coder = _coder_of(refi, users, coding.user_guid, sel.user_guid)
            report.codings_carried += 1
            memo_parts = [sel.description or ""] + [t for t, _ in sel_notes]
            memo_parts += [t for t, _ in _note_texts(coding.note_refs, notes)]
            memo = "\n\n".join(p.strip() for p in memo_parts if p and p.strip()) or None
            layer = planned.setdefault(coder, {})
            for seg, a, b in pieces:
                key = (int(seg.segment_id), code_id)
                row = layer.get(key)
                if row is None:
                    layer[key] = {
                        "segment_id": key[0],
                        "code_id": code_id,
                        "span_start": a,
                        "span_end": b,
                        "quote": seg.text[a:b] if a is not None else None,
                        "memo": memo,
                        "source": "import",
                    }
                else:
                    _widen(row, seg, a, b, memo)
        if not sel.codings:
            # A selection with a note and no code (MAXQDA, NVivo annotations): a segment memo.
            seg = pieces[0][0]
            for text, user in sel_notes:
                memos.add("segment", str(seg.segment_id), _coder_of(refi, users, user), text)
            if sel.description:
                memos.add(
                    "segment",
                    str(seg.segment_id),
                    _coder_of(refi, users, sel.user_guid),
                    sel.description,
                )
    if lost:
        report.skipped.append(
            f"source '{source.name}': {lost} coding(s) on text outside every segment "
            "(blank lines or speaker labels only)"
        )


def _widen(row: dict[str, Any], seg: Any, a: int | None, b: int | None, memo: str | None) -> None:
    """Two selections of one code on one segment: one coding spanning both."""
    if row["span_start"] is None or a is None:
        row.update(span_start=None, span_end=None, quote=None)
    else:
        lo, hi = min(row["span_start"], a), max(row["span_end"], b or 0)
        if (lo, hi) == (0, len(seg.text)):
            row.update(span_start=None, span_end=None, quote=None)
        else:
            row.update(span_start=lo, span_end=hi, quote=seg.text[lo:hi])
    if memo and memo not in (row["memo"] or ""):
        row["memo"] = "\n\n".join(p for p in (row["memo"], memo) if p)


def _links_by_target(refi: RefiProject) -> dict[str, list[str]]:
    """NVivo and ATLAS.ti link notes to what they annotate through Links, not NoteRefs."""
    note_guids = {n.guid for n in refi.notes}
    found: dict[str, list[str]] = {}
    for link in refi.links:
        if link.origin in note_guids and link.target:
            found.setdefault(link.target, []).append(link.origin)
        elif link.target in note_guids and link.origin:
            found.setdefault(link.origin, []).append(link.target)
    return found


def _plan_memos(
    refi: RefiProject,
    plans: list[PlannedSource],
    code_ids: dict[str, str],
    users: dict[str, str],
    notes: dict,
    memos: _Memos,
) -> None:
    linked = _links_by_target(refi)
    used: set[str] = set()
    for selection_notes in _selection_note_refs(refi):
        used.update(selection_notes)
    for code in refi.all_codes():
        code_id = code_ids.get(code.guid)
        for ref in code.note_refs + linked.get(code.guid, []):
            if code_id and ref in notes:
                note = notes[ref]
                memos.add("code", code_id, _coder_of(refi, users, note.user_guid), note.text)
                used.add(ref)
    for plan in plans:
        source = plan.source
        tid = plan.transcript_id
        if source.description:
            memos.add(
                "transcript", tid, _coder_of(refi, users, source.user_guid), source.description
            )
        for ref in source.note_refs + linked.get(source.guid, []):
            if ref in notes:
                note = notes[ref]
                memos.add("transcript", tid, _coder_of(refi, users, note.user_guid), note.text)
                used.add(ref)
    if refi.description:
        memos.add("project", "project", _coder_of(refi, users), refi.description)
    for note in refi.notes:
        if note.guid in used and note.guid not in refi.project_note_refs:
            continue
        text = note.text
        if note.name and note.name.strip() and not note.name.startswith("qualkit:"):
            text = f"{note.name.strip()}\n\n{text}" if text else note.name.strip()
        memos.add("project", "project", _coder_of(refi, users, note.user_guid), text)


def _selection_note_refs(refi: RefiProject) -> list[list[str]]:
    linked = _links_by_target(refi)
    found = []
    for source in refi.sources:
        for sel in source.selections:
            found.append(_all_note_refs(sel) + linked.get(sel.guid, []))
    return found


def _all_note_refs(sel: RefiSelection) -> list[str]:
    return sel.note_refs + [r for c in sel.codings for r in c.note_refs]
