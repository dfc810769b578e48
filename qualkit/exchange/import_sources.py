"""Plan how each REFI text source becomes a transcript file in transcripts/.

An imported source is written as ``transcripts/<id>.txt`` with front matter, so the project
folder stays the source of truth and a later ingest reads it like any other transcript. A
source whose text parses into speaker turns (two or more labels, one used at least twice) is
an interview: its labels map to the participants of the cases linked to it. Any other source
(a paper, field notes, a document without speaker labels) becomes ``kind: document``:
segmented by paragraph and sentence, attributed to its one linked case when it has exactly one.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualkit.errors import TranscriptError
from qualkit.exchange.offsets import Converter, detect, normalise_newlines
from qualkit.exchange.refi_model import RefiCase, RefiProject, RefiSource
from qualkit.settings import Settings

# More distinct speaker labels than this in one text are fields or headings, not people.
MAX_SPEAKERS = 15
_ID_UNSAFE = re.compile(r"[^\w\-]+")
_SOURCE_SUFFIX = re.compile(r"\.(docx?|txt|pdf|rtf|md|odt)$", re.IGNORECASE)


@dataclass
class Turn:
    speaker: str
    start: int
    end: int


@dataclass
class PlannedSource:
    source: RefiSource
    text: str  # LF text: the offsets' target space and the transcript's body
    converter: Converter
    transcript_id: str
    reuse: bool  # the project already holds this exact text under transcript_id
    kind: str = "document"
    speakers: dict[str, str] = field(default_factory=dict)
    participant: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    participants: list[str] = field(default_factory=list)


def transcript_id_for(name: str, taken: set[str]) -> str:
    stem = _SOURCE_SUFFIX.sub("", name.strip())
    base = _ID_UNSAFE.sub("-", stem).strip("-")[:80] or "source"
    candidate, n = base, 2
    while candidate.casefold() in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate.casefold())
    return candidate


def parse_turns(text: str, workdir: Path | None = None) -> list[Turn]:
    """Speaker turns qualkit's own transcript parser finds in `text` (empty: none).

    `workdir` is no longer used (the text is parsed in memory); kept for callers.
    """
    from qualkit.transcripts.read import parse_transcript

    # An empty front matter block keeps a text that itself starts with '---' from being read
    # as front matter; other texts need none (and parse faster without).
    body = "---\n---\n" + text if text.startswith("---") else text
    try:
        parsed = parse_transcript(body.encode("utf-8"), Path("probe.txt"), "probe.txt")
    except TranscriptError:
        return []
    return [Turn(t.speaker, t.start, t.end) for t in parsed.turns]


def is_interview(turns: list[Turn], text: str) -> bool:
    """A few speakers taking turns from near the top: an interview or a focus group.

    Many distinct 'labels' are headings or data fields ("Title: ..."), not people; a long
    preamble before the first turn is a document that happens to contain a colon line.
    """
    counts = Counter(t.speaker.casefold() for t in turns)
    if not (2 <= len(counts) <= MAX_SPEAKERS) or max(counts.values()) < 2:
        return False
    return turns[0].start <= max(200, len(text) // 4)


def _case_pid(case: RefiCase) -> str | None:
    return case.name.strip() if case.name and case.name.strip() else None


def _turn_at(turns: list[Turn], start: int, end: int) -> Turn | None:
    best, overlap = None, 0
    for turn in turns:
        covered = min(end, turn.end) - max(start, turn.start)
        if covered > overlap:
            best, overlap = turn, covered
    return best


def map_speakers(
    plan: PlannedSource,
    turns: list[Turn],
    cases: list[RefiCase],
    selection_spans: dict[str, tuple[int, int]],
    settings: Settings,
) -> None:
    """Fill plan.speakers: label -> participant id or 'interviewer'."""
    labels: list[str] = []
    for turn in turns:
        if turn.speaker not in labels:
            labels.append(turn.speaker)
    mapping: dict[str, str] = {}
    for label in labels:
        if settings.is_interviewer_label(label):
            mapping[label] = "interviewer"
    named = [c for c in cases if _case_pid(c)]
    # A case that points at a selection in this source speaks in the turn it selects.
    for case in named:
        for ref in case.selection_refs:
            span = selection_spans.get(ref)
            turn = _turn_at(turns, *span) if span else None
            if turn is not None and turn.speaker not in mapping:
                mapping[turn.speaker] = _case_pid(case) or ""
    used = set(mapping.values())
    for label in labels:
        if label in mapping:
            continue
        for case in named:
            pid = _case_pid(case) or ""
            if pid not in used and pid.casefold() == label.casefold():
                mapping[label] = pid
                used.add(pid)
    left_labels = [label for label in labels if label not in mapping]
    left_cases = [c for c in named if _case_pid(c) not in used]
    if len(left_labels) == 1 and len(left_cases) == 1:
        mapping[left_labels[0]] = _case_pid(left_cases[0]) or ""
    for label in labels:
        mapping.setdefault(label, label.strip())
    plan.speakers = mapping
    plan.participants = sorted({pid for pid in mapping.values() if pid != "interviewer"})


class SourcePlanner:
    """Plans text sources one at a time, so a streamed import never holds every source's
    selections at once. `header` is the project read so far (its cases at least)."""

    def __init__(
        self,
        header: RefiProject,
        existing_texts: dict[str, str],
        taken_ids: set[str],
        settings: Settings,
        workdir: Path,
    ) -> None:
        self.origin = header.origin
        self.settings = settings
        self.workdir = workdir
        self.taken_ids = taken_ids
        self.by_text = {text: tid for tid, text in existing_texts.items()}
        self.skipped: list[str] = []
        # Cases point at sources directly, or at a selection inside one.
        self.cases_by_source: dict[str, list[RefiCase]] = {}
        self.cases_by_selection: dict[str, list[RefiCase]] = {}
        self.case_order = {id(case): i for i, case in enumerate(header.cases)}
        for case in header.cases:
            for guid in dict.fromkeys(case.source_refs):
                self.cases_by_source.setdefault(guid, []).append(case)
            for guid in dict.fromkeys(case.selection_refs):
                self.cases_by_selection.setdefault(guid, []).append(case)

    def plan(self, source: RefiSource) -> PlannedSource | None:
        """The plan for one source, or None (with a line in `skipped`) when it cannot come in."""
        if source.raw_text is None:
            return None  # already listed by the reader
        text = normalise_newlines(source.raw_text)
        if text.startswith("\ufeff"):
            text = text[1:]
            source.raw_text = source.raw_text[1:]
        if not text.strip():
            self.skipped.append(f"source '{source.name}': empty text")
            return None
        if "\x00" in text:
            self.skipped.append(f"source '{source.name}': binary content (NUL characters)")
            return None
        converter = detect(source.raw_text, source.selections, self.origin)
        if text in self.by_text:
            tid, reuse = self.by_text[text], True
        else:
            tid, reuse = transcript_id_for(source.name, self.taken_ids), False
            self.by_text[text] = tid
        plan = PlannedSource(source, text, converter, tid, reuse)
        linked = list(self.cases_by_source.get(source.guid, []))
        for sel in source.selections:
            for case in self.cases_by_selection.get(sel.guid, []):
                if case not in linked:
                    linked.append(case)
        linked.sort(key=lambda case: self.case_order[id(case)])  # the file's order of cases
        if reuse:
            return plan
        turns = parse_turns(text, self.workdir)
        spans = {}
        for sel in source.selections:
            span = converter.convert(sel.start, sel.end)
            if span is not None:
                spans[sel.guid] = span
        if is_interview(turns, text):
            plan.kind = "interview"
            map_speakers(plan, turns, linked, spans, self.settings)
            if len(plan.participants) > 1:
                plan.kind = "focus group"
        else:
            named = [c for c in linked if _case_pid(c)]
            if len(named) == 1:
                plan.participant = _case_pid(named[0])
                plan.participants = [plan.participant or ""]
        return plan


def plan_sources(
    refi: RefiProject,
    existing_texts: dict[str, str],
    taken_ids: set[str],
    settings: Settings,
) -> tuple[list[PlannedSource], list[str]]:
    """A plan per importable text source of a whole model, and one line per source left out."""
    plans: list[PlannedSource] = []
    with tempfile.TemporaryDirectory(prefix="qualkit-import-") as tmp:
        planner = SourcePlanner(refi, existing_texts, taken_ids, settings, Path(tmp))
        for source in refi.sources:
            plan = planner.plan(source)
            if plan is not None:
                plans.append(plan)
    return plans, planner.skipped


def front_matter(plan: PlannedSource, origin: str | None, file_name: str) -> str:
    import yaml

    meta: dict[str, Any] = {"id": plan.transcript_id, "kind": plan.kind}
    if plan.kind == "document" and plan.participant:
        meta["participant"] = plan.participant
    if plan.speakers:
        meta["speakers"] = dict(plan.speakers)
    meta["imported_from"] = f"{file_name} ({origin or 'unknown program'})"
    meta["source_name"] = plan.source.name
    meta.update(plan.metadata)
    dumped = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{dumped}---\n"
