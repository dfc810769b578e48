"""Prequential ("online") evaluation of suggestions: the coder's view, from the first coding.

The coder's coded segments are taken in transcript order (transcripts in natural order, then
turn and position). For each one, labels are ranked with only what was coded before it, then its
gold codes join the history. Hits at top-1/3/5 are reported per bin of steps (first 10, 11–30,
31–100, 100+, all) for the suggester and, in the same run, for three baselines: codebook only,
few-shot only and the most recently used labels. The evidence floor is judged on every
participant segment up to the last coded one: coverage and precision of what it lets through.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from qualkit.assist.context import neighbour_prior, recency_scores
from qualkit.assist.embed import Embedder, Progress
from qualkit.assist.evaluate import gold_by_row
from qualkit.assist.floor import has_evidence
from qualkit.assist.scoring import SuggestConfig, blend
from qualkit.assist.suggest import LEVELS, Suggester
from qualkit.errors import ProjectError

KS = (1, 3, 5)
# (label, first step, last step) with steps counted from 1; None: no upper end
BINS: tuple[tuple[str, int, int | None], ...] = (
    ("first 10", 1, 10),
    ("11-30", 11, 30),
    ("31-100", 31, 100),
    ("100+", 101, None),
    ("all", 1, None),
)
METHODS = ("suggester", "codebook only", "few-shot only", "most recent")
# Retraining after every coding costs one small linear solve; past this many coded segments the
# harness retrains every few steps instead and says so.
RETRAIN_EVERY_STEP_UP_TO = 1500


def natural_key(text: str) -> list[Any]:
    """Sort key that puts "P2" before "P10"."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", str(text))]


def kernel_ridge_predict(K_train: np.ndarray, Y: np.ndarray, k_test: np.ndarray, lam: float):
    """Ridge predictions on centred targets in the dual form, from Gram entries only.

    ``K_train`` is (t, t) of the history's feature dot products, ``k_test`` (m, t) of the test
    rows' with the history: the same answer as the primal ridge, and while the history is
    shorter than the feature vector it is the smaller solve.
    """
    prior = Y.mean(axis=0)
    alpha = np.linalg.solve(K_train + lam * np.eye(len(K_train)), Y - prior)
    return (k_test @ alpha).astype(np.float32)


@dataclass
class OnlineSteps:
    """The coded rows in coding order with their gold labels (what the harness walks)."""

    rows: np.ndarray  # table rows, in transcript order
    gold: np.ndarray  # (n, L) bool


def coding_order(sug: Suggester, coder: str, project: Any) -> OnlineSteps:
    """The coder's coded segments in transcript order, with their gold label sets."""
    codings = project.codings(coder)
    if codings.empty:
        raise ProjectError(f"coder '{coder}' has no codings to evaluate against")
    per_row = gold_by_row(sug, codings)
    if len(per_row) < 2:
        raise ProjectError(f"coder '{coder}' has coded {len(per_row)} segments; need at least 2")
    frame = sug.table.frame
    keys = {
        r: (
            natural_key(frame.at[r, "transcript"]),
            int(frame.at[r, "turn"]),
            int(frame.at[r, "position"]),
        )
        for r in per_row
    }
    rows = np.array(sorted(per_row, key=keys.__getitem__), dtype=np.int64)
    return OnlineSteps(rows, np.stack([per_row[r] for r in rows]))


def hits_at(scores: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """(len(KS),) bool: whether one of the first k labels is a gold label (stable ties)."""
    order = np.argsort(-scores, kind="stable")
    return np.array([bool(gold[order[:k]].any()) for k in KS])


def curve(hits: np.ndarray) -> dict[str, dict[str, float]]:
    """Hit rates per bin from (n_steps, len(KS)) hits."""
    out: dict[str, dict[str, float]] = {}
    n = len(hits)
    for name, lo, hi in BINS:
        part = hits[lo - 1 : n if hi is None else min(hi, n)]
        if len(part) == 0:
            continue
        out[name] = {f"top{k}": round(float(part[:, i].mean()), 4) for i, k in enumerate(KS)}
        out[name]["n"] = len(part)
    return out


def retrain_interval(n_steps: int) -> int:
    return 1 if n_steps <= RETRAIN_EVERY_STEP_UP_TO else -(-n_steps // RETRAIN_EVERY_STEP_UP_TO)


def evaluate_online(
    project: Any,
    coder: str,
    level: str = "code",
    embedder: Embedder | None = None,
    cfg: SuggestConfig | None = None,
    suggester: Suggester | None = None,
    progress: Progress | None = None,
    step_progress: Callable[[int, int], Any] | None = None,
) -> dict[str, Any]:
    """Prequential evaluation of `coder`'s codings (see the module docstring)."""
    from threadpoolctl import threadpool_limits

    # hundreds of tiny solves: BLAS threads only fight over the cores (20x slower on 2 cores)
    with threadpool_limits(1):
        return _evaluate_online(
            project, coder, level, embedder, cfg, suggester, progress, step_progress
        )


def _evaluate_online(
    project: Any,
    coder: str,
    level: str,
    embedder: Embedder | None,
    cfg: SuggestConfig | None,
    suggester: Suggester | None,
    progress: Progress | None,
    step_progress: Callable[[int, int], Any] | None,
) -> dict[str, Any]:
    if level not in LEVELS:
        raise ProjectError(f"unknown level '{level}' (use code or theme)")
    sug = suggester or Suggester(
        project, embedder=embedder, level=level, cfg=cfg, coder=coder, progress=progress
    )
    if sug.level != level:
        raise ProjectError("the suggester was built for another level")
    cfg = sug.cfg
    steps = coding_order(sug, coder, project)
    rows, gold = steps.rows, steps.gold
    n, L = gold.shape
    every = retrain_interval(n)
    F = sug.features
    zero = sug.zero
    trans = sug.table.frame["transcript"].astype(str).to_numpy()
    codebook_only = blend(None, zero[rows], np.zeros(L), cfg, sug.space.ancestors)
    hits = {m: np.zeros((n, len(KS)), dtype=bool) for m in METHODS}
    few_all = np.zeros((n, L), dtype=np.float32)
    # Gram matrix of the coded rows' features, once: each step's ridge is a small dual solve
    F_steps = F[rows].astype(np.float64)
    gram = F_steps @ F_steps.T
    fitted_on = 0  # history length of the last fit (0: none yet)
    for t in range(n):
        r = rows[t]
        hist_rows, hist_gold = rows[:t], gold[:t]
        counts = hist_gold.sum(axis=0).astype(np.float32)
        if t >= 1 and (fitted_on == 0 or t - fitted_on >= every):
            fitted_on = t
        few = None
        if fitted_on:
            h = fitted_on
            few = kernel_ridge_predict(
                gram[:h, :h], gold[:h].astype(np.float64), gram[[t], :h], cfg.ridge
            )
            counts = gold[:h].sum(axis=0).astype(np.float32)
            few_all[t] = few[0]
        prior = neighbour_prior(r, hist_rows, hist_gold, trans, cfg)[None, :]
        full = blend(few, zero[[r]], counts, cfg, sug.space.ancestors, prior=prior)[0]
        hits["suggester"][t] = hits_at(full, gold[t])
        hits["codebook only"][t] = hits_at(codebook_only[t], gold[t])
        hits["few-shot only"][t] = hits_at(few_all[t], gold[t])
        hits["most recent"][t] = hits_at(recency_scores(hist_gold), gold[t])
        if step_progress is not None:
            step_progress(t + 1, n)
    result: dict[str, Any] = {
        "coder": coder,
        "level": level,
        "n_segments": int(n),
        "n_labels": int(gold.any(axis=0).sum()),
        "model": sug.embedder.model_id,
        "retrain_every": every,
        "order": "transcripts in natural order, then turn",
        "curves": {m: curve(h) for m, h in hits.items()},
    }
    result["floor"] = floor_report(sug, rows, hits["suggester"])
    return result


def floor_report(sug: Suggester, rows: np.ndarray, suggester_hits: np.ndarray) -> dict[str, Any]:
    """Coverage against precision of the evidence floor over the participant segments up to the
    last coded one: which get suggestions, and how often those shown include a gold code."""
    frame = sug.table.frame
    last = int(rows.max())
    texts = frame["text"].astype(str).tolist()
    shown = np.array([has_evidence(texts[r]) for r in range(last + 1)])
    coded_pos = {int(r): i for i, r in enumerate(rows)}
    coded_mask = np.array([r in coded_pos for r in range(last + 1)])
    shown_coded = [coded_pos[r] for r in range(last + 1) if shown[r] and r in coded_pos]
    top3 = KS.index(3)
    shown_all = int(shown.sum())
    hits_shown = int(suggester_hits[shown_coded, top3].sum()) if shown_coded else 0
    hits_any = int(suggester_hits[:, top3].sum())
    return {
        "segments": int(last + 1),
        "shown": shown_all,
        "coverage": round(shown_all / max(last + 1, 1), 4),
        "coded_shown": len(shown_coded),
        "coded_coverage": round(len(shown_coded) / max(len(rows), 1), 4),
        "uncoded_suppressed": int((~shown & ~coded_mask).sum()),
        "uncoded": int((~coded_mask).sum()),
        # precision: shown segments whose top 3 holds a gold code / all shown segments
        "precision_top3": round(hits_shown / max(shown_all, 1), 4),
        "precision_top3_without_floor": round(hits_any / max(last + 1, 1), 4),
    }
