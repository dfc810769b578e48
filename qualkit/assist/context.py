"""Where a segment sits in the coder's work: codes of the neighbouring coded segments of the same
transcript (coders code in runs), and the labels used most recently (a baseline)."""

from __future__ import annotations

from typing import Any

import numpy as np


def neighbour_prior(
    row: int,
    coded_rows: np.ndarray,
    coded_gold: np.ndarray,
    transcripts: np.ndarray,
    cfg: Any,
) -> np.ndarray:
    """(L,) evidence from the labels of coded segments near ``row`` in its transcript.

    Rows are participant segments in transcript order, so ``|row - j|`` counts the segments
    between. Weight ``decay ** (distance - 1)`` within ``cfg.neighbour_window``; the result is
    the weighted share of those neighbours that carry each label (0..1), so a code used on every
    nearby segment scores 1 however many neighbours were coded.
    """
    L = coded_gold.shape[1]
    if cfg.neighbours == 0 or len(coded_rows) == 0:
        return np.zeros(L, dtype=np.float32)
    dist = np.abs(coded_rows - row)
    near = (transcripts[coded_rows] == transcripts[row]) & (dist > 0)
    near &= dist <= cfg.neighbour_window
    if not near.any():
        return np.zeros(L, dtype=np.float32)
    w = cfg.neighbour_decay ** (dist[near] - 1).astype(np.float64)
    share = (w[:, None] * coded_gold[near]).sum(axis=0) / w.sum()
    # a near neighbour counts for more than a far one: scale by the nearest's weight
    return (share * w.max()).astype(np.float32)


def neighbour_priors(
    rows: np.ndarray,
    coded_rows: np.ndarray,
    coded_gold: np.ndarray,
    transcripts: np.ndarray,
    cfg: Any,
) -> np.ndarray:
    """``neighbour_prior`` for many rows: (len(rows), L)."""
    out = np.zeros((len(rows), coded_gold.shape[1]), dtype=np.float32)
    for i, r in enumerate(np.asarray(rows).tolist()):
        out[i] = neighbour_prior(r, coded_rows, coded_gold, transcripts, cfg)
    return out


def recency_scores(history: np.ndarray) -> np.ndarray:
    """(L,) scores that rank labels by when they were last used in ``history`` (steps in
    time order, (t, L) bool), most recent first; never used labels come last."""
    t, L = history.shape
    if t == 0:
        return np.zeros(L, dtype=np.float32)
    used = history.any(axis=0)
    last = np.where(used, t - 1 - np.argmax(history[::-1], axis=0), -1).astype(np.float32)
    # labels last used on the same step: the more often used first
    return last + history.sum(axis=0) / (t + 1.0) * 0.5
