"""The three-way rule of `qualkit merge`, per coder: what changed only in the other copy since
the copies parted comes in, what changed only here stays, and what changed in both (to
different states) is a conflict, reported and left as it is here. Codings, memos, and reviewed
and done marks; which copy changed what is read from the event logs (see merge_history)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qualkit.merge_history import Changes
from qualkit.store.merge import MergeWrite

if TYPE_CHECKING:  # pragma: no cover
    from qualkit.merging import MergeReport

_FIELDS = ("starred", "memo", "span_start", "span_end", "quote")
Identity = tuple[int, str, str]  # (segment here, code here, created): one coding in both copies


def _state(row: Any) -> tuple[Any, ...]:
    return (True,) if row.removed else (False, *(getattr(row, f) for f in _FIELDS))


def _by_identity(rows: list[Any], segments: dict[int, int] | None, codes: dict[str, str] | None):
    """Rows by identity, mapped onto this project when `segments`/`codes` are given; a live
    row wins over a removed one of the same identity."""
    found: dict[Identity, Any] = {}
    for r in rows:
        if r.orphaned:
            continue
        segment, code = r.segment_id, r.code
        if segments is not None and codes is not None:
            if segment not in segments or code not in codes:
                continue
            segment, code = segments[segment], codes[code]
        key = (segment, code, r.created)
        if key not in found or not r.removed:
            found[key] = r
    return found


@dataclass
class MergeContext:
    """What every layer's merge reads: the id maps and what each copy changed since parting."""

    segments: dict[int, int]
    codes: dict[str, str]
    changed_here: dict[int, set[str]]  # our coding id -> events this copy alone knows
    changed_there: dict[int, set[str]]  # their coding id -> events that copy alone knows
    # Events behind a conflict stay out of this copy, so the next merge (either way) still
    # sees both changes and reports the conflict again instead of quietly taking one side.
    withheld: set[str] = field(default_factory=set)
    transcripts: dict[str, str] = field(default_factory=dict)  # their id -> ours
    # their coding id -> ours, for codings both copies have (the events brought in name ours)
    coding_ids: dict[int, int] = field(default_factory=dict)


def merge_layer(
    ours: Any, theirs: Any, coder: str, ctx: MergeContext, write: MergeWrite, report: MergeReport
) -> bool:
    """Plan one coder's layer: their new codings come in, codings both copies have take the
    change made there (removed, restored, starred, memo) unless this copy changed them too.
    False when the coder added codings in both copies (two people under one name?)."""
    there = _by_identity(
        theirs.store.codings_rows(coder, include_removed=True), ctx.segments, ctx.codes
    )
    here = _by_identity(ours.store.codings_rows(coder, include_removed=True), None, None)
    live_here = {(k[0], k[1]) for k, r in here.items() if not r.removed}
    live_there = {(k[0], k[1]) for k, r in there.items() if not r.removed}
    matched = set(ctx.segments.values())
    new_there = [
        (k, r)
        for k, r in there.items()
        if not r.removed and k not in here and (k[0], k[1]) not in live_here
    ]
    new_here = [
        r
        for k, r in here.items()
        if not r.removed and k not in there and k[0] in matched and (k[0], k[1]) not in live_there
    ]
    if new_there and new_here:
        report.conflicts.append(
            f"coder '{coder}' has different work in the two copies "
            f"({len(new_here)} coding(s) only here, {len(new_there)} only there); not merged"
        )
        return False
    for (segment, code, _), r in new_there:
        write.codings.append(
            {
                "segment_id": segment,
                "code_id": code,
                "coder": coder,
                "created": r.created,
                "span_start": r.span_start,
                "span_end": r.span_end,
                "quote": r.quote,
                "memo": r.memo,
                "starred": r.starred,
                "source": r.source,
                "removed": False,
                "origin": sorted(ctx.changed_there.get(r.coding_id, ())),
                "their_id": r.coding_id,
            }
        )
    for key, theirs_row in there.items():
        mine = here.get(key)
        if mine is not None:
            ctx.coding_ids[theirs_row.coding_id] = mine.coding_id
        if mine is None or _state(mine) == _state(theirs_row):
            continue
        origin = ctx.changed_there.get(theirs_row.coding_id)
        if origin is None:
            continue  # changed here only (or before they parted): this copy's stands
        what = f"{coder}'s coding of segment {mine.segment_id} with '{mine.code}'"
        if mine.coding_id in ctx.changed_here:
            differs = (
                "removed in one copy"
                if mine.removed != theirs_row.removed
                else ", ".join(f for f in _FIELDS if getattr(mine, f) != getattr(theirs_row, f))
            )
            report.conflicts.append(
                f"{what} was changed in both copies ({differs} differs); this copy's was kept"
            )
            ctx.withheld |= origin
            continue
        change: dict[str, Any] = {}
        if theirs_row.removed:
            change["removed"] = 1
        else:
            if mine.removed:
                if (mine.segment_id, mine.code) in live_here:
                    continue  # another live coding already says the same here
                change["removed"] = 0
            change.update(
                {
                    f: getattr(theirs_row, f)
                    for f in _FIELDS
                    if getattr(theirs_row, f) != getattr(mine, f)
                }
            )
        write.changes.append((mine.coding_id, change, sorted(origin)))
    return True


def merge_memos(
    ours: Any,
    theirs: Any,
    coders: list[str],
    ctx: MergeContext,
    memos_here: dict,
    memos_there: dict,
    write: MergeWrite,
    report: MergeReport,
    transcripts: dict[str, str],
) -> None:
    """Memos by the merged coders: a memo written or changed only there comes in; one
    changed in both copies to different words is a conflict (this copy's is kept)."""
    current = {(m.kind, m.target, m.coder): m.text for m in theirs.store.memo_rows()}
    for their_key in sorted(set(current) | set(memos_there)):
        kind, target, coder = their_key
        if coder not in coders:
            continue
        text = current.get(their_key)
        mapped = _memo_target(kind, target, ctx.segments, ctx.codes, transcripts)
        if mapped is None:
            if text is not None:
                report.unmatched.append(f"{kind} memo by {coder} on {target}")
            continue
        here = ours.memo(kind, mapped, coder)
        if here == text:
            continue
        origin = memos_there.get(their_key)
        changed_here = (kind, mapped, coder) in memos_here
        if origin is None:
            if here is not None or changed_here:
                continue  # that copy did not change it since they parted: this copy's stands
        elif changed_here:
            report.conflicts.append(
                f"{kind} memo by {coder} on {mapped} was changed in both copies; "
                "this copy's was kept"
            )
            ctx.withheld |= origin
            continue
        write.memos.append((kind, mapped, coder, text, sorted(origin or ())))


def merge_marks(
    ours: Any,
    theirs: Any,
    coder: str,
    ctx: MergeContext,
    changes: tuple[Changes, Changes],
    write: MergeWrite,
    report: MergeReport,
) -> None:
    """Reviewed and done marks, three-way like codings: a mark set or cleared only there
    follows here; one changed in both copies to different states is a conflict."""
    here_changes, there_changes = changes
    transcripts = dict(report.transcripts)
    done_here = {t for t, who in ours.store.done_marks() if who == coder}
    done_there = {t for t, who in theirs.store.done_marks() if who == coder}
    kinds: list[tuple[str, dict, set, set, Callable[[str], Any], str]] = [
        ("reviews", ctx.segments, theirs.reviewed(coder), ours.reviewed(coder), int, "reviewed"),
        ("done", transcripts, done_there, done_here, str, "done"),
    ]
    for kind, id_map, marked_there, marked_here, parse, what in kinds:
        changed_there = there_changes.marks_unknown_to(here_changes, kind)
        changed_here = here_changes.marks_unknown_to(there_changes, kind)
        candidates = set(marked_there)
        candidates |= {parse(t) for t, who in changed_there if who == coder}
        for target in sorted(candidates, key=str):
            if target not in id_map:
                continue
            mapped = id_map[target]
            there, here = target in marked_there, mapped in marked_here
            if there == here:
                continue
            origin = changed_there.get((str(target), coder))
            edited_here = (str(mapped), coder) in changed_here
            if origin is None and (not there or edited_here):
                continue  # that copy did not change it since they parted: this copy's stands
            if origin is not None and edited_here:
                report.conflicts.append(
                    f"{what} mark by {coder} on {mapped} was changed in both copies; "
                    "this copy's was kept"
                )
                ctx.withheld |= origin
                continue
            row = (mapped, coder, "")
            if kind == "reviews":
                (write.reviews if there else write.unreviews).append(row)
            else:
                (write.done if there else write.undone).append(row)
            write.marks_touched[kind].append([str(mapped), coder, sorted(origin or ())])


def _memo_target(
    kind: str,
    target: str,
    segments: dict[int, int],
    codes: dict[str, str],
    transcripts: dict[str, str],
) -> str | None:
    if kind == "segment":
        mapped = segments.get(int(target)) if target.isdigit() else None
        return None if mapped is None else str(mapped)
    if kind == "code":
        return codes.get(target)
    if kind == "transcript":
        return transcripts.get(target)
    return target
