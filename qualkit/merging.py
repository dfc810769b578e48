"""`qualkit merge OTHER`: bring another copy's coders into this project (two coders on two
laptops). Transcripts match by content (re-ingest's alignment where text was corrected), codes
by id then name; conflicts are reported, never guessed; merging twice adds nothing."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualkit.errors import ProjectError
from qualkit.ingest.align import match_segments
from qualkit.store.merge import MergeWrite

CODING_ACTIONS = ("code", "import", "uncode")


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

    def lines(self) -> list[str]:
        out = [f"merged from {self.source}"]
        if self.backup:
            out.append(f"backup: {self.backup}")
        for theirs, ours in self.transcripts.items():
            how = " (text differs: aligned)" if theirs in self.corrected else ""
            out.append(f"transcript {theirs} -> {ours}{how}")
        added = ", ".join(f"{n} {what}" for what, n in self.added.items() if n)
        out.append(f"added: {added or 'nothing (already merged)'}")
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


def _key(event: Any) -> str:
    identity = [event.time, event.coder, event.action, event.payload]
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:24]


def _live(project: Any, coder: str) -> set[tuple[int, str]]:
    return {(r.segment_id, r.code) for r in project.coding_rows(coder)}


def plan_merge(ours: Any, theirs: Any, report: MergeReport) -> tuple[MergeWrite, list[str]]:
    """Everything to add, mapped onto this project, and the coders brought in."""
    segments = _match_transcripts(ours, theirs, report)
    codes = _match_codes(ours, theirs, report)
    transcripts = report.transcripts
    write = MergeWrite()
    coders: list[str] = []
    # Events already here: merged before, or shared history (both copies started as one).
    seen_keys = ours.store.merged_event_keys() | {_key(e) for e in ours.events()}
    for coder in theirs.coders():
        their_rows = [
            r for r in theirs.coding_rows(coder) if r.segment_id in segments and r.code in codes
        ]
        wanted = {(segments[r.segment_id], codes[r.code]): r for r in their_rows}
        have = _live(ours, coder)
        # In both copies: merge only when this copy's work is part of theirs (they went on
        # coding there); otherwise the two differ and which is right is not ours to guess.
        # In both copies: merge when one copy's work contains the other's (an older copy, or
        # they went on coding there); when each has codings the other lacks, which is right is
        # not ours to guess.
        if set(wanted) - have and have - set(wanted):
            report.conflicts.append(
                f"coder '{coder}' has different work in the two copies "
                f"({len(have - set(wanted))} coding(s) only here, "
                f"{len(set(wanted) - have)} only there); not merged"
            )
            continue
        coders.append(coder)
        for (segment, code), r in wanted.items():
            if (segment, code) in have:
                continue
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
                }
            )
        reviewed_here = ours.reviewed(coder)
        for segment in theirs.reviewed(coder):
            if segment in segments and segments[segment] not in reviewed_here:
                write.reviews.append((segments[segment], coder, ""))
        done_here = ours.store.done_marks()
        for tid, who in theirs.store.done_marks():
            if who == coder and tid in transcripts and (transcripts[tid], coder) not in done_here:
                write.done.append((transcripts[tid], coder, ""))
        for event in reversed(theirs.events(coder)):
            merged = event.payload.get("merged")
            # An event merged before keeps its key, so it never comes in twice by two routes.
            key = merged["key"] if isinstance(merged, dict) and "key" in merged else _key(event)
            if key in seen_keys:
                continue
            seen_keys.add(key)
            payload = {**event.payload, "merged": {"key": key, "from": str(theirs.root)}}
            write.events.append((event.time, event.coder, event.action, payload))
    for memo in theirs.store.memo_rows():
        if memo.coder not in coders:
            continue
        target = _memo_target(memo.kind, memo.target, segments, codes, transcripts)
        if target is None:
            report.unmatched.append(f"{memo.kind} memo by {memo.coder} on {memo.target}")
            continue
        here = ours.memo(memo.kind, target, memo.coder)
        if here is None:
            write.memos.append((memo.kind, target, memo.coder, memo.text))
        elif here != memo.text:
            report.conflicts.append(
                f"{memo.kind} memo by {memo.coder} on {target} differs between the copies; "
                "this copy's was kept"
            )
    for when, rows in (
        ("codings", write.codings),
        ("reviewed marks", write.reviews),
        ("done marks", write.done),
        ("memos", write.memos),
        ("events", write.events),
    ):
        report.added[when] = len(rows)
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
        summary = {"from": str(other_root), "coders": coders, "added": report.added}
        ours.store.write_merge(write, actor, summary)
    return report
