"""Ranking quote candidates: representative, readable, then picked for diversity.

- Representative: close to the centre of the code's coded segments. The centre is taken over
  cached sentence embeddings when one model has a vector for every segment in the bank;
  otherwise over word counts (a deterministic, model-free fallback: the share of the code's
  segments each content word appears in).
- Readable: one-word turns and 300-word monologues are left out; 15 to 90 words reads best.
- Diverse: no participant twice before every group has had a quote, and no near-duplicates.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MIN_WORDS = 5
MAX_WORDS = 300
_BEST_WORDS = (15, 90)
_READABILITY_WEIGHT = 0.3
_DUPLICATE_SIMILARITY = 0.92
_DUPLICATE_WORD_OVERLAP = 0.8
_TOKEN = re.compile(r"[^\W\d_]{3,}")


@dataclass
class Candidate:
    """A coded segment that may be quoted."""

    coding_id: int
    segment_id: int
    participant: str | None
    group: str | None
    words: str
    text_hash: str
    word_count: int
    score: float = 0.0
    vector: np.ndarray | None = field(default=None, repr=False)
    tokens: frozenset[str] = field(default_factory=frozenset, repr=False)
    _folded: str | None = field(default=None, repr=False)

    @property
    def folded(self) -> str:
        """The words lower-cased with whitespace runs as one space (for exact duplicates)."""
        if self._folded is None:
            self._folded = " ".join(self.words.lower().split())
        return self._folded


def readability(word_count: int) -> float:
    """1.0 inside the best length, falling towards 0.5 for very short or very long quotes."""
    low, high = _BEST_WORDS
    if word_count < low:
        return 0.5 + 0.5 * max(word_count - MIN_WORDS, 0) / (low - MIN_WORDS)
    if word_count > high:
        return max(0.5, 1.0 - 0.5 * (word_count - high) / (MAX_WORDS - high))
    return 1.0


def is_readable(word_count: int) -> bool:
    return MIN_WORDS <= word_count <= MAX_WORDS


class Scorer:
    """Scores candidates against the centre of their section, by embeddings or by words."""

    def __init__(self, vectors: dict[str, np.ndarray] | None, stopwords: frozenset[str]) -> None:
        self.vectors = vectors
        self.stopwords = stopwords

    @property
    def method(self) -> str:
        return "cached embeddings" if self.vectors is not None else "shared words"

    def tokens(self, text: str) -> frozenset[str]:
        return frozenset(t for t in _TOKEN.findall(text.lower()) if t not in self.stopwords)

    def score(self, candidates: Sequence[Candidate]) -> None:
        """Set each candidate's score: similarity to the centre plus a readability bonus."""
        if not candidates:
            return
        if self.vectors is not None:
            matrix = np.stack([self.vectors[c.text_hash] for c in candidates]).astype(np.float64)
            norms = np.linalg.norm(matrix, axis=1, keepdims=True)
            matrix = matrix / np.where(norms == 0, 1.0, norms)
            centre = matrix.mean(axis=0)
            centre_norm = np.linalg.norm(centre) or 1.0
            similarity = matrix @ (centre / centre_norm)
            for c, row, sim in zip(candidates, matrix, similarity, strict=True):
                c.vector = row
                c.score = float(sim)
        else:
            counts: dict[str, int] = {}
            for c in candidates:
                c.tokens = self.tokens(c.words)
                for t in c.tokens:
                    counts[t] = counts.get(t, 0) + 1
            centre_norm = math.sqrt(sum(n * n for n in counts.values())) or 1.0
            for c in candidates:
                shared = sum(counts[t] for t in c.tokens)
                c.score = shared / (math.sqrt(len(c.tokens) or 1) * centre_norm)
        for c in candidates:
            c.score += _READABILITY_WEIGHT * readability(c.word_count)

    def near_duplicate(self, a: Candidate, b: Candidate) -> bool:
        if a.folded == b.folded:
            return True
        if a.vector is not None and b.vector is not None:
            return float(a.vector @ b.vector) >= _DUPLICATE_SIMILARITY
        ta = a.tokens or self.tokens(a.words)
        tb = b.tokens or self.tokens(b.words)
        if not ta or not tb:
            return False
        return len(ta & tb) / len(ta | tb) >= _DUPLICATE_WORD_OVERLAP


def rank_order(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Best score first; ties by segment id, so the order never depends on input order."""
    return sorted(candidates, key=lambda c: (-round(c.score, 9), c.segment_id, c.coding_id))


def pick_diverse(
    ranked: Sequence[Candidate],
    chosen: Sequence[Candidate],
    limit: int,
    scorer: Scorer,
) -> list[Candidate]:
    """Up to ``limit`` candidates in total with ``chosen`` (the starred ones), greedily:
    a group that has had no quote this round first, then a participant not yet quoted, then
    anyone; never a near-duplicate of a quote already picked. ``ranked`` is best first."""
    picked: list[Candidate] = []
    taken = list(chosen)
    quoted = {c.participant for c in chosen if c.participant}
    round_groups = {c.group for c in chosen}
    pool = list(ranked)
    while pool and len(taken) < limit:
        groups = {c.group for c in pool}
        groups_left = groups - round_groups
        if not groups_left:
            round_groups = set()  # every group has had a quote: a new round
            groups_left = set(groups)
        best: Candidate | None = None
        best_tier = 3
        duplicates = []
        # Scan best first; stop at the first candidate of the best possible tier.
        for c in pool:
            tier = _tier(c, groups_left, quoted)
            if tier >= best_tier:
                continue
            if any(scorer.near_duplicate(c, s) for s in taken):
                duplicates.append(c)
                continue
            best, best_tier = c, tier
            if tier == 0:
                break
        dropped = {id(c) for c in duplicates} | {id(best)}
        pool = [c for c in pool if id(c) not in dropped]
        if best is None:
            break
        picked.append(best)
        taken.append(best)
        if best.participant:
            quoted.add(best.participant)
        round_groups.add(best.group)
    return picked


def _tier(c: Candidate, groups_left: set[str | None], quoted: set[str]) -> int:
    """0: a new group and a new participant; 1: a new participant; 2: anyone."""
    new_participant = c.participant is None or c.participant not in quoted
    if c.group in groups_left and new_participant:
        return 0
    return 1 if new_participant else 2


def cached_vectors(store: Any, hashes: Sequence[str]) -> tuple[dict[str, np.ndarray] | None, str]:
    """Vectors of one embedding model that covers every hash, and that model's id; or
    (None, "") when no model covers them all (then ranking uses shared words)."""
    wanted = list(dict.fromkeys(hashes))
    if not wanted:
        return None, ""
    coverage = store.embedding_coverage(wanted)
    complete = sorted(m for m, n in coverage.items() if n >= len(wanted))
    if not complete:
        return None, ""
    model_id = complete[0]
    return store.get_embeddings(model_id, wanted), model_id
