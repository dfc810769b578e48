"""`qualkit merge OTHER`: bring another copy's coders into this project (two coders on two
laptops). Transcripts match by content (re-ingest's alignment where text was corrected), codes
by id then name; conflicts are reported, never guessed; merging twice adds nothing."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualkit.errors import ProjectError
from qualkit.ingest.align import match_segments
from qualkit.merge_history import Changes, event_key, read_changes
from qualkit.store.merge import MergeWrite


@dataclass
class MergeReport:
    """What a merge brought in and what it could not match (printed by the CLI)."""

    source: str
    backup: str | None = None
    transcripts: dict[str, str] = field(default_factory=dict)  # theirs -> ours
    corrected: list[str] = field(default_factory=list)  # matched by alignment, not identical
    added: dict[str, int] = field(default_factory=dict)  # what -> how many
    unmatched: list[str] = field(default_factory=list)  # one line each
    conflicts: list[str] = field(default_factory=list)  # one line each
    changed: dict[str, int] = field(default_factory=dict)  # what -> how many (shared codings)

    def lines(self) -> list[str]:
        out = [f"merged from {self.source}"]
        if self.backup:
            out.append(f"backup: {self.backup}")
        for theirs, ours in self.transcripts.items():
            how = " (text differs: aligned)" if theirs in self.corrected else ""
            out.append(f"transcript {theirs} -> {ours}{how}")
        added = ", ".join(f"{n} {what}" for what, n in self.added.items() if n)
        changed = ", ".join(f"{n} {what}" for what, n in self.changed.items() if n)
        if added or not changed:
            out.append(f"added: {added or 'nothing (already merged)'}")
        if changed:
            out.append(f"changed: {changed}")
        out += [f"conflict: {line}" for line in self.conflicts]
        out += [f"not matched: {line}" for line in self.unmatched]
        return out


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _match_transcripts(ours: Any, theirs: Any, report: MergeReport) -> dict[int, int]:
    """Their segment id -> ours, over every transcript matched by content."""
    our_ids = ours.transcript_ids()
    by_text = {_text_key(ours.transcript_text(t)): t for t in our_ids}
    segments: dict[int, int] = {}
    for tid in theirs.transcript_ids():
        text = theirs.transcript_text(tid)
        match = by_text.get(_text_key(text))
        if match is None and tid in our_ids:
            match = tid  # same interview, text corrected in one copy: align the segments
            report.corrected.append(tid)
        if match is None:
            report.unmatched.append(f"transcript {tid} (no transcript here has its text or id)")
            continue
        report.transcripts[tid] = match
        mine = [r for r in ours.segment_rows(match) if not r.orphaned]
        other = [r for r in theirs.segment_rows(tid) if not r.orphaned]
        mapped = match_segments(other, mine)
        segments.update(mapped)
        lost = [r for r in other if r.segment_id not in mapped and r.coding_unit]
        if lost:
            report.unmatched.append(
                f"{len(lost)} segment(s) of transcript {tid} have no counterpart here"
            )
    return segments


def _match_codes(ours: Any, theirs: Any, report: MergeReport) -> dict[str, str]:
    """Their code id -> ours: by id (same name), else by name; conflicts are left out."""
    book, other = ours.codebook, theirs.codebook
    by_name = {c.name.casefold(): c.id for c in book.codes.values()}
    codes: dict[str, str] = {}
    for code in other.codes.values():
        if code.id in book:
            if book.codes[code.id].name == code.name:
                codes[code.id] = code.id
            else:
                report.conflicts.append(
                    f"code id '{code.id}' is '{code.name}' there but "
                    f"'{book.codes[code.id].name}' here; its codings were not merged"
                )
        elif code.name.casefold() in by_name:
            codes[code.id] = by_name[code.name.casefold()]
        else:
            report.unmatched.append(
                f"code '{code.id}' ({code.name}) is not in this codebook; add it and merge again"
            )
    return codes


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
class _Context:
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


def _merge_layer(
    ours: Any, theirs: Any, coder: str, ctx: _Context, write: MergeWrite, report: MergeReport
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


def _merge_memos(
    ours: Any,
    theirs: Any,
    coders: list[str],
    ctx: _Context,
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


def _merge_marks(
    ours: Any,
    theirs: Any,
    coder: str,
    ctx: _Context,
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


def _segments_here(payload: dict[str, Any], ctx: _Context) -> dict[str, Any]:
    """An event's payload with their segment ids (and segment memo targets) put into this
    project's; coding ids are put into ours when the merge is written (see MergeWrite)."""
    out = dict(payload)
    if isinstance(out.get("segments"), list):
        out["segments"] = [ctx.segments[s] for s in out["segments"] if s in ctx.segments]
    if isinstance(out.get("transcript"), str):
        out["transcript"] = ctx.transcripts.get(out["transcript"], out["transcript"])
    if out.get("kind") == "segment" and str(out.get("target", "")).isdigit():
        mapped = ctx.segments.get(int(out["target"]))
        out["target"] = None if mapped is None else str(mapped)
    return out


def plan_merge(ours: Any, theirs: Any, report: MergeReport) -> tuple[MergeWrite, list[str]]:
    """Everything to add or change, mapped onto this project, and the coders brought in."""
    here_changes, there_changes = read_changes(ours), read_changes(theirs)
    changes = (here_changes, there_changes)
    ctx = _Context(
        segments=_match_transcripts(ours, theirs, report),
        codes=_match_codes(ours, theirs, report),
        changed_here=here_changes.codings_unknown_to(there_changes),
        changed_there=there_changes.codings_unknown_to(here_changes),
    )
    transcripts = ctx.transcripts = report.transcripts
    write = MergeWrite()
    coders: list[str] = []
    # Events already here: merged before, or shared history (both copies started as one).
    seen_keys = set(here_changes.keys)
    for coder in theirs.coders():
        if not _merge_layer(ours, theirs, coder, ctx, write, report):
            continue
        coders.append(coder)
        _merge_marks(ours, theirs, coder, ctx, changes, write, report)
    _merge_memos(
        ours,
        theirs,
        coders,
        ctx,
        here_changes.memos_unknown_to(there_changes),
        there_changes.memos_unknown_to(here_changes),
        write,
        report,
        transcripts,
    )
    for coder in coders:
        for event in reversed(theirs.events(coder)):
            # An event merged before keeps its key, so it never comes in twice by two routes.
            key = event_key(event)
            if key in seen_keys or key in ctx.withheld:
                continue
            seen_keys.add(key)
            payload = {
                **_segments_here(event.payload, ctx),
                "merged": {"key": key, "from": str(theirs.root)},
            }
            write.events.append((event.time, event.coder, event.action, payload))
    write.coding_ids = ctx.coding_ids
    report.added = {
        "codings": len(write.codings),
        "reviewed marks": len(write.reviews),
        "done marks": len(write.done),
        "events": len(write.events),
    }
    report.changed = {
        "reviewed marks cleared": len(write.unreviews),
        "done marks cleared": len(write.undone),
        "codings removed": sum(1 for _, c, _ in write.changes if c.get("removed") == 1),
        "codings restored": sum(1 for _, c, _ in write.changes if c.get("removed") == 0),
        "stars or coding memos": sum(
            1 for _, c, _ in write.changes if set(c) - {"removed"} and c.get("removed") != 1
        ),
        "memos": len(write.memos),
    }
    return write, coders


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


def merge_project(
    ours: Any, other_dir: str | os.PathLike[str], actor: str = "merge"
) -> MergeReport:
    """Merge the project at `other_dir` into `ours` (a backup is taken first)."""
    from qualkit.project import DB_FILE, STATE_DIR, Project

    other_root = Path(other_dir).expanduser().resolve()
    if other_root == ours.root:
        raise ProjectError(f"{other_root}: cannot merge a project into itself")
    if not (other_root / STATE_DIR / DB_FILE).exists():
        raise ProjectError(f"{other_root}: no qualkit database there (.qualkit/project.db)")
    report = MergeReport(str(other_root))
    with Project.open(other_root) as theirs:
        write, coders = plan_merge(ours, theirs, report)
        if write.empty():
            return report
        report.backup = str(ours.store.backup(reason="before-merge", keep=5))
        summary = {
            "from": str(other_root),
            "coders": coders,
            "added": report.added,
            "changed": report.changed,
        }
        ours.store.write_merge(write, actor, summary)
    return report
