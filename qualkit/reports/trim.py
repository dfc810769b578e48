"""Trimming a quote: a coding may store a sub-span of its segment as the words to quote.

The span is kept with the coding (``span_start``/``span_end`` offsets into the segment text,
and the words themselves), as one undoable action. Exports print the words exactly, with
``/.../`` where words of the segment were cut before or after them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from qualkit.errors import ProjectError

ELISION = "/.../"
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’')\]]*\s+")


@dataclass(frozen=True)
class TrimmedQuote:
    """What an export prints for a coding: its exact words and where the segment was cut."""

    words: str
    span: tuple[int, int] | None  # offsets into the segment text; None = the whole segment
    cut_before: bool
    cut_after: bool

    @property
    def display(self) -> str:
        return elide(self.words, self.cut_before, self.cut_after)


def elide(words: str, cut_before: bool, cut_after: bool) -> str:
    """The words with the elision mark where the segment was cut."""
    before = f"{ELISION} " if cut_before else ""
    after = f" {ELISION}" if cut_after else ""
    return f"{before}{words}{after}"


def quote_words(
    text: str, span_start: Any = None, span_end: Any = None, stored: str | None = None
) -> TrimmedQuote:
    """The quote of a coding from its segment text and stored span (if any).

    A span that no longer fits the text (a transcript edited after trimming) falls back to the
    stored words when they are still in the segment, else to the whole segment.
    """
    if span_start is None and stored is None:  # untrimmed: the common case, kept cheap
        return TrimmedQuote(text.strip(), None, False, False)
    start, end = _as_offset(span_start), _as_offset(span_end)
    stored = stored if isinstance(stored, str) else None
    if start is None or end is None or not (0 <= start < end <= len(text)):
        found = text.find(stored) if stored else -1
        if found < 0:
            return TrimmedQuote(text.strip(), None, False, False)
        start, end = found, found + len(stored or "")
    words = text[start:end]
    lead = len(words) - len(words.lstrip())
    start, end = start + lead, start + lead + len(words.strip())
    cut_before = bool(text[:start].strip())
    cut_after = bool(text[end:].strip())
    span = (start, end) if cut_before or cut_after else None
    return TrimmedQuote(text[start:end], span, cut_before, cut_after)


def _as_offset(value: Any) -> int | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else int(number)  # NaN from a pandas column


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a segment, for trimming sentence by sentence."""
    spans = []
    start = len(text) - len(text.lstrip())
    for match in _SENTENCE_END.finditer(text):
        end = match.start() + len(match.group(0).rstrip())
        if text[start:end].strip():
            spans.append((start, end))
        start = match.end()
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


def _active_coding(project: Any, segment_id: int, code_id: str, coder: str) -> Any:
    row = project.store.active_coding(int(segment_id), code_id, coder)
    if row is None:
        raise ProjectError(f"segment {segment_id} has no code '{code_id}' by {coder}")
    return row


def trim_quote(
    project: Any,
    segment_id: int,
    code_id: str,
    coder: str,
    span: tuple[int, int] | None,
) -> TrimmedQuote:
    """Store ``span`` (offsets into the segment text) as the coding's quote; None clears it."""
    row = _active_coding(project, segment_id, code_id, coder)
    segment = project.segment(int(segment_id))
    text = segment["text"]
    if span is None:
        project.store.set_coding_span(row.id, coder, None, None)
        return quote_words(text)
    start, end = (int(x) for x in span)
    if not (0 <= start < end <= len(text)) or not text[start:end].strip():
        raise ProjectError(
            f"span {start}-{end} is not a stretch of words in segment {segment_id} (0-{len(text)})"
        )
    # A quote never starts or ends inside a word: the cut moves out to the word's edge.
    while start > 0 and not text[start - 1].isspace() and not text[start].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace() and not text[end - 1].isspace():
        end += 1
    trimmed = quote_words(text, start, end)
    if trimmed.span is None:  # the whole segment: nothing to store
        project.store.set_coding_span(row.id, coder, None, None)
    else:
        project.store.set_coding_span(row.id, coder, trimmed.span, trimmed.words)
    return trimmed


def trimmed_quote(project: Any, segment_id: int, code_id: str, coder: str) -> TrimmedQuote:
    """The quote an export prints for this coding (its trimmed span, or the whole segment)."""
    row = _active_coding(project, segment_id, code_id, coder)
    text = project.segment(int(segment_id))["text"]
    return quote_words(text, row.span_start, row.span_end, row.quote)
