"""Coding units: turns, and long turns split at sentence boundaries.

spaCy's rule-based ``sentencizer`` on a blank English pipeline: no model download. It is only
run on turns longer than the word limit, so most of a transcript never touches spaCy.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_WORD = re.compile(r"\S+")
# The most characters spaCy is given at once (its own limit is 1,000,000).
PIECE_CHARS = 100_000
# Marks that open what follows: a quotation, a bracket, a dash. After a space at the end of a
# sentence they belong to the next sentence ("... perspective. 'If I ..." is not "... '").
_OPENING_TAIL = re.compile(r"\s+([\"'“‘«(\[{—–-]+)$")
_ONLY_OPENING = re.compile(r"^[\"'“‘«(\[{—–-]+$")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def text_hash(text: str) -> str:
    """Identity of a segment's words for the embedding cache and re-ingest alignment."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


@lru_cache(maxsize=1)
def _sentencizer() -> Any:
    from qualkit.heavy_imports import import_spacy

    spacy = import_spacy()  # without torch: see heavy_imports
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def sentence_spans(text: str, sentences: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentence spans (offsets into `text`) stripped of spaces, with opening marks moved on.

    The sentencizer leaves an opening quote, bracket or dash at the end of the sentence before
    it; a quote bank would then show a dangling mark. Such marks start the next sentence.
    """
    spans: list[tuple[int, int]] = []
    carry: int | None = None  # where marks cut from the previous sentence begin
    for start, end in sentences:
        chunk = text[start:end]
        lead = len(chunk) - len(chunk.lstrip())
        s_start, s_end = start + lead, start + len(chunk.rstrip())
        if s_start >= s_end:
            continue
        if carry is not None:
            s_start, carry = carry, None
        if _ONLY_OPENING.match(text[s_start:s_end]):
            carry = s_start
            continue
        tail = _OPENING_TAIL.search(text, s_start, s_end)
        if tail and tail.start() > s_start:
            carry = tail.start(1)
            s_end = s_start + len(text[s_start : tail.start()].rstrip())
        spans.append((s_start, s_end))
    if carry is not None:  # marks at the very end stay with the last sentence
        if spans:
            spans[-1] = (spans[-1][0], len(text.rstrip()))
        else:
            spans.append((carry, len(text.rstrip())))
    return spans


def split_turns(
    text: str, turns: list[tuple[int, int]], max_words: int, mode: str
) -> list[list[Span]]:
    """Segment spans for each turn span (offsets into `text`).

    In 'turn' mode every turn is one segment. Otherwise a turn up to `max_words` stays whole
    and a longer one is cut into runs of whole sentences of at most `max_words` (a single
    sentence longer than that stays whole: we never cut inside a sentence).
    """
    result: list[list[Span]] = [[Span(s, e)] for s, e in turns]
    if mode == "turn":
        return result
    long_turns = [i for i, (s, e) in enumerate(turns) if word_count(text[s:e]) > max_words]
    if not long_turns:
        return result
    nlp = _sentencizer()
    # A turn is fed to spaCy in pieces: its parser refuses texts over a million characters,
    # and memory grows with the piece, so one enormous turn must not blow up an ingest.
    pieces = [(i, base, piece) for i in long_turns for base, piece in _pieces(text, *turns[i])]
    docs = nlp.pipe(piece for _, _, piece in pieces)
    sentences: dict[int, list[tuple[int, str]]] = {i: [] for i in long_turns}
    for (i, base, _), doc in zip(pieces, docs, strict=True):
        sentences[i].extend((base + sent.start_char, sent.text) for sent in doc.sents)
    for i in long_turns:
        spans: list[Span] = []
        chunk_start: int | None = None
        chunk_end = 0
        chunk_words = 0
        turn_start, turn_end = turns[i]
        turn_text = text[turn_start:turn_end]
        relative = [(a - turn_start, a - turn_start + len(t)) for a, t in sentences[i]]
        for start, end in sentence_spans(turn_text, relative):
            words = word_count(turn_text[start:end])
            s_start, s_end = turn_start + start, turn_start + end
            if chunk_start is not None and chunk_words + words > max_words:
                spans.append(Span(chunk_start, chunk_end))
                chunk_start, chunk_words = None, 0
            if chunk_start is None:
                chunk_start = s_start
            chunk_end = s_end
            chunk_words += words
        if chunk_start is not None:
            spans.append(Span(chunk_start, chunk_end))
        result[i] = spans or result[i]
    return result


def _pieces(text: str, start: int, end: int) -> list[tuple[int, str]]:
    """(offset, text) pieces of text[start:end], each at most PIECE_CHARS long, cut after a
    sentence end or line break where one is near, else at a space."""
    found: list[tuple[int, str]] = []
    pos = start
    while end - pos > PIECE_CHARS:
        window = text[pos : pos + PIECE_CHARS]
        cut = max(window.rfind(". "), window.rfind("\n"))
        if cut < PIECE_CHARS // 2:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = PIECE_CHARS - 1
        found.append((pos, text[pos : pos + cut + 1]))
        pos += cut + 1
    found.append((pos, text[pos:end]))
    return found
