"""Typed rows the store hands out: plain frozen dataclasses, never driver rows, so another
store (a server database) can hand out the same."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TranscriptRow:
    id: str
    file: str  # path relative to the project root
    content_hash: str
    ingest_key: str  # hash of the settings that shaped its segments
    kind: str
    date: str | None
    metadata: dict[str, Any]
    missing: bool  # the file has gone from transcripts/ (kept, not dropped)
    ingested_at: str


@dataclass(frozen=True)
class SegmentRow:
    segment_id: int
    transcript: str
    turn: int | None  # None when orphaned
    position: int | None  # None when orphaned
    speaker: str | None
    participant: str | None
    is_interviewer: bool
    start: int | None
    end: int | None
    text: str
    text_hash: str
    orphaned: bool

    @property
    def coding_unit(self) -> bool:
        """Whether coders code it: interviewer turns are context, orphaned text is gone."""
        return not self.is_interviewer and not self.orphaned


@dataclass(frozen=True)
class Coding:
    """One coding as stored (live or removed)."""

    id: int
    segment_id: int
    code_id: str
    coder: str
    created: str
    span_start: int | None
    span_end: int | None
    quote: str | None
    memo: str | None
    starred: bool
    source: str
    removed: bool


@dataclass(frozen=True)
class CodingRow:
    """A coding joined with its segment and speaker: what reading codings returns."""

    coding_id: int
    segment_id: int
    transcript: str
    participant: str | None
    speaker: str | None
    code: str
    coder: str
    created: str
    starred: bool
    memo: str | None
    span_start: int | None
    span_end: int | None
    quote: str | None
    source: str
    removed: bool
    orphaned: bool
    text: str


@dataclass(frozen=True)
class LayerCoding:
    """One coder's live coding with what exports need: the segment's place, words, speaker.
    Read without text, `memo`, `quote` and `text` are None."""

    coding_id: int
    segment_id: int
    code: str
    starred: bool
    memo: str | None
    span_start: int | None
    span_end: int | None
    quote: str | None
    transcript: str
    turn: int | None
    position: int | None
    text: str | None
    text_hash: str
    orphaned: bool
    participant: str | None
    speaker: str | None


@dataclass(frozen=True)
class SegmentCoding:
    """A live coding on one segment, as the workbench shows it."""

    coding_id: int
    code: str
    coder: str
    starred: bool
    memo: str | None
    quote: str | None


@dataclass(frozen=True)
class MemoRow:
    kind: str  # segment, code, transcript or project
    target: str
    coder: str
    text: str
    updated: str


@dataclass(frozen=True)
class SuggestionFeedback:
    """One judged suggestion: shown to a coder and accepted or rejected."""

    time: str
    coder: str
    segment_id: int
    code_id: str
    score: float | None
    rank: int | None
    accepted: bool
