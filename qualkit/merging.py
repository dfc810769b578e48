"""`qualkit merge OTHER`: bring another copy's coders into this project (two coders on two
laptops). Transcripts match by content (re-ingest's alignment where text was corrected), codes
by id then name; conflicts are reported, never guessed; merging twice adds nothing."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualkit.errors import ProjectError
from qualkit.ingest.align import match_segments
from qualkit.merge_history import event_key, read_changes
from qualkit.merge_three_way import MergeContext, merge_layer, merge_marks, merge_memos
from qualkit.store.merge import MergeWrite


def _counted(n: int, what: str) -> str:
    """'1 coding removed', '2 codings removed': the report's keys are plural nouns."""
    if n == 1:
        what = " ".join(w[:-1] if w in _PLURALS else w for w in what.split())
    return f"{n} {what}"


_PLURALS = {"codings", "marks", "events", "memos", "stars"}


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
        added = ", ".join(_counted(n, what) for what, n in self.added.items() if n)
        changed = ", ".join(_counted(n, what) for what, n in self.changed.items() if n)
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


def _brought(event: Any, coders: list[str], layers: set[str]) -> bool:
    """Whether an event of the other copy comes along: the merged coders' own, and those of
    people who have no layer (an adjudicator's decisions and notes, a look at a layer) unless
    they acted on a layer that was not merged (a coder in conflict)."""
    if event.coder in coders:
        return True
    if event.coder in layers:
        return False  # a coder whose work was not merged
    layer = event.payload.get("layer")
    return layer is None or layer in coders


def _segments_here(payload: dict[str, Any], ctx: MergeContext) -> dict[str, Any]:
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
    ctx = MergeContext(
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
        if not merge_layer(ours, theirs, coder, ctx, write, report):
            continue
        coders.append(coder)
        merge_marks(ours, theirs, coder, ctx, changes, write, report)
    merge_memos(
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
    layers = set(theirs.coders()) | set(ours.coders())
    for event in reversed(theirs.events()):
        if not _brought(event, coders, layers):
            continue
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
