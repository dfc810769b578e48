"""What an ingest will write: planned transcripts, turns and segments, checked before any write.

The store applies an `IngestPlan` in one transaction (`Store.write_ingest`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class PlannedTurn:
    idx: int  # the turn's place in its transcript
    speaker: str  # the label as written
    participant_id: str | None  # None for the interviewer
    is_interviewer: bool
    start: int  # code-point offsets of the spoken words in the transcript text
    end: int
    line: int  # 1-based line in the source file
    timestamp: str | None


@dataclass(slots=True)
class PlannedSegment:
    turn: int
    position: int
    start: int
    end: int
    text: str
    text_hash: str


@dataclass
class PlannedTranscript:
    id: str
    file: str
    content_hash: str
    ingest_key: str
    kind: str
    date: str | None
    metadata: dict[str, Any]
    text: str
    turns: list[PlannedTurn]
    kept: dict[int, PlannedSegment]  # existing segment id -> its new place
    added: list[PlannedSegment]
    moved: dict[int, int]  # old segment id -> segment id that now holds its text
    orphaned: list[int]
    deleted: list[int]
    respanned: dict[int, tuple[int | None, int | None]]


@dataclass
class IngestPlan:
    participants: dict[str, dict[str, Any]] | None
    transcripts: list[PlannedTranscript]
    remapped_turns: dict[str, dict[int, tuple[str | None, bool]]]
    missing: list[str]
    ingest_key: str
