"""Turning one source's REFI selections into qualkit segment codings: each selection, in code
points over the stored text, is split over the segments it covers, keeping its exact span
there; codings are stored in batches per coder, and notes on selections become memos.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qualkit.exchange.import_sources import PlannedSource
from qualkit.exchange.refi_model import RefiProject, RefiSelection, RefiSource

if TYPE_CHECKING:
    from qualkit.exchange.qdpx_import import ImportReport

IMPORTED_CODER = "imported"
# Codings are stored this many at a time per coder: memory stays bounded, and an import of
# fewer codings per coder is still one undoable action.
CODING_BATCH = 20_000


def split_selection(
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


class Memos:
    """Memo texts gathered per (kind, target, coder), joined when several land together."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str], list[str]] = {}

    def add(self, kind: str, target: str, coder: str, text: str | None) -> None:
        if text and text.strip():
            bucket = self.items.setdefault((kind, target, coder), [])
            if text.strip() not in bucket:
                bucket.append(text.strip())


class CodingWriter:
    """Stores codings per coder in batches of CODING_BATCH, counting what was new."""

    def __init__(self, store: Any, report: ImportReport) -> None:
        self.store = store
        self.report = report
        self.pending: dict[str, list[dict[str, Any]]] = {}
        self.coders: set[str] = set()

    def add(self, coder: str, rows: list[dict[str, Any]]) -> None:
        self.coders.add(coder)
        bucket = self.pending.setdefault(coder, [])
        bucket.extend(rows)
        if len(bucket) >= CODING_BATCH:
            self._write(coder)

    def flush(self) -> None:
        for coder in list(self.pending):
            self._write(coder)

    def _write(self, coder: str) -> None:
        rows = self.pending.pop(coder, [])
        if not rows:
            return
        # A coding the coder already has (a second import of the same file) is kept as it is.
        _ids, added = self.store.insert_codings(rows, coder, action="import")
        self.report.codings_added += len(added)
        self.report.codings_present += len(rows) - len(added)


@dataclass
class CodingContext:
    refi: RefiProject
    code_ids: dict[str, str]
    users: dict[str, str]
    notes: dict
    linked: dict[str, list[str]]
    memos: Memos
    report: ImportReport
    store: Any


def coder_of(refi: RefiProject, users: dict[str, str], *guids: str | None) -> str:
    for guid in (*guids, refi.creating_user):
        if guid and guid in users:
            return users[guid]
    return IMPORTED_CODER


def _note_texts(refs: list[str], notes: dict) -> list[tuple[str, str | None]]:
    return [(notes[r].text, notes[r].user_guid) for r in refs if r in notes]


def plan_codings(
    plan: PlannedSource, source: RefiSource, ctx: CodingContext
) -> dict[str, dict[tuple[int, str], dict[str, Any]]]:
    """One source's codings as rows per coder, keyed by (segment, code); `source` is the
    plan's source read again with its selections."""
    refi, code_ids, users, notes = ctx.refi, ctx.code_ids, ctx.users, ctx.notes
    memos, report, linked = ctx.memos, ctx.report, ctx.linked
    planned: dict[str, dict[tuple[int, str], dict[str, Any]]] = {}
    segments = [
        r
        for r in ctx.store.segment_rows(plan.transcript_id)
        if not r.orphaned and r.start is not None
    ]
    segments.sort(key=lambda r: r.start)
    starts = [r.start for r in segments]
    report.conventions[source.name] = plan.converter.convention
    report.names_checked += plan.converter.name_checked
    report.names_matched += plan.converter.name_matched
    # qualkit writes a coding memo as a note of the Coding and a segment memo as a note of the
    # selection: from its own files a selection's notes are segment memos again, not copies
    # on every coding of that selection (some of them another coder's).
    own_file = (refi.origin or "").startswith("qualkit")
    lost = 0
    for sel in source.selections:
        span = plan.converter.convert(sel.start, sel.end)
        if span is None:
            report.skipped.append(
                f"source '{source.name}': selection {sel.start}-{sel.end} lies outside its text"
            )
            continue
        pieces = split_selection(span[0], span[1], starts, segments)
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
            coder = coder_of(refi, users, coding.user_guid, sel.user_guid)
            report.codings_carried += 1
            memo_parts = [sel.description or ""] + ([] if own_file else [t for t, _ in sel_notes])
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
        if not sel.codings or own_file:
            # A selection with a note and no code (MAXQDA, NVivo annotations): a segment memo.
            seg = pieces[0][0]
            for text, user in sel_notes:
                memos.add("segment", str(seg.segment_id), coder_of(refi, users, user), text)
            if sel.description and not sel.codings:
                memos.add(
                    "segment",
                    str(seg.segment_id),
                    coder_of(refi, users, sel.user_guid),
                    sel.description,
                )
    if lost:
        report.skipped.append(
            f"source '{source.name}': {lost} coding(s) on text outside every segment "
            "(blank lines or speaker labels only)"
        )
    return planned


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


def links_by_target(refi: RefiProject) -> dict[str, list[str]]:
    """NVivo and ATLAS.ti link notes to what they annotate through Links, not NoteRefs."""
    note_guids = {n.guid for n in refi.notes}
    found: dict[str, list[str]] = {}
    for link in refi.links:
        if link.origin in note_guids and link.target:
            found.setdefault(link.target, []).append(link.origin)
        elif link.target in note_guids and link.origin:
            found.setdefault(link.origin, []).append(link.target)
    return found


def all_note_refs(sel: RefiSelection) -> list[str]:
    return sel.note_refs + [r for c in sel.codings for r in c.note_refs]
