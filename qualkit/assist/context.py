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
    """``neighbour_prior`` for many rows: (len(rows), L).

    Only coded rows within the window can count, so each row looks at that slice of the sorted
    coded rows instead of scanning every exemplar (the cost no longer grows with the codings).
    """
    out = np.zeros((len(rows), coded_gold.shape[1]), dtype=np.float32)
    coded_rows = np.asarray(coded_rows)
    if cfg.neighbours == 0 or len(coded_rows) == 0:
        return out
    order = np.argsort(coded_rows, kind="stable")
    in_order = coded_rows[order]
    window = int(cfg.neighbour_window)
    for i, r in enumerate(np.asarray(rows).tolist()):
        lo = np.searchsorted(in_order, r - window, side="left")
        hi = np.searchsorted(in_order, r + window, side="right")
        # back in the callers' order, so the weighted sum adds up exactly as a full scan would
        pick = np.sort(order[lo:hi])
        out[i] = neighbour_prior(r, coded_rows[pick], coded_gold[pick], transcripts, cfg)
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
