"""Cross-validated quality of code suggestions against one coder's codings.

k-fold over the segments the coder has coded: each held-out segment is suggested from the
codebook plus the coder's codings in the other folds. Reported: top-1/3/5 hit rate (a hit = one
of the first k suggestions is among the segment's codes), macro-F1 at the best single global
score threshold, per-code figures, and the same for the codebook-only (zero-shot) case.

``folds="segment"`` (default) shuffles coded segments into k folds; ``group="transcript"``
holds out whole transcripts instead (harder: nothing from the same interview is seen).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from qualkit.assist.context import neighbour_priors
from qualkit.assist.embed import Embedder, Progress
from qualkit.assist.floor import has_evidence
from qualkit.assist.scoring import RidgeModel, SuggestConfig, blend
from qualkit.assist.suggest import LEVELS, Suggester
from qualkit.errors import ProjectError


def hit_rates(
    scores: np.ndarray, gold: np.ndarray, ks: Sequence[int] = (1, 3, 5)
) -> dict[str, float]:
    order = np.argsort(-scores, axis=1, kind="stable")
    out = {}
    for k in ks:
        top = order[:, :k]
        hits = np.take_along_axis(gold, top, axis=1).any(axis=1)
        out[f"top{k}"] = float(hits.mean()) if len(hits) else 0.0
    return out


def best_threshold_f1(scores: np.ndarray, gold: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Macro-F1 (over labels present in gold) at the best single global threshold.

    Returns (macro_f1, threshold, per-label f1 at that threshold).
    """
    present = gold.any(axis=0)
    if not present.any():
        return 0.0, 0.0, np.zeros(gold.shape[1])
    cand = np.unique(np.quantile(scores, np.linspace(0.5, 0.999, 120)))
    best = (-1.0, 0.0, None)
    g = gold.astype(bool)
    for t in cand:
        pred = scores >= t
        tp = (pred & g).sum(axis=0)
        fp = (pred & ~g).sum(axis=0)
        fn = (~pred & g).sum(axis=0)
        denom = 2 * tp + fp + fn
        f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)
        macro = float(f1[present].mean())
        if macro > best[0]:
            best = (macro, float(t), f1)
    return best[0], best[1], best[2]


def holdout_folds(n: int, k: int, seed: int, groups: np.ndarray | None) -> list[np.ndarray]:
    """k folds of n items (shuffled with ``seed``), or of whole groups when ``groups`` is given."""
    rng = np.random.default_rng(seed)
    if groups is not None:
        uniq = sorted(set(groups.tolist()))
        rng.shuffle(uniq)
        buckets = [uniq[i::k] for i in range(min(k, len(uniq)))]
        return [np.where(np.isin(groups, b))[0] for b in buckets]
    perm = rng.permutation(n)
    return [np.sort(perm[i::k]) for i in range(min(k, n))]


def _summary(scores: np.ndarray, gold: np.ndarray, labels: list[str]) -> dict[str, Any]:
    rates = hit_rates(scores, gold)
    macro, thr, f1 = best_threshold_f1(scores, gold)
    order = np.argsort(-scores, axis=1, kind="stable")
    rank_of = np.empty_like(order)
    rows = np.arange(len(order))[:, None]
    rank_of[rows, order] = np.arange(order.shape[1])[None, :]
    per = []
    pred = scores >= thr
    for j, lab in enumerate(labels):
        support = int(gold[:, j].sum())
        if support == 0:
            continue
        in_top3 = float((rank_of[gold[:, j], j] < 3).mean())
        tp = int((pred[:, j] & gold[:, j]).sum())
        per.append(
            {
                "code": lab,
                "n": support,
                "top1": round(float((rank_of[gold[:, j], j] < 1).mean()), 3),
                "top3": round(in_top3, 3),
                "precision": round(tp / max(int(pred[:, j].sum()), 1), 3),
                "recall": round(tp / support, 3),
                "f1": round(float(f1[j]), 3),
            }
        )
    per.sort(key=lambda r: (-r["n"], r["code"]))
    return {
        **{k: round(v, 4) for k, v in rates.items()},
        "macro_f1": round(macro, 4),
        "threshold": round(thr, 4),
        "per_code": per,
    }


COVERAGES = (1.0, 0.9, 0.75, 0.5)


def coverage_precision(
    scores: np.ndarray, gold: np.ndarray, shown: np.ndarray
) -> list[dict[str, float]]:
    """Coverage against precision: precision (top 1 / top 3 holds a gold code) over the
    segments shown suggestions, first as the evidence floor leaves them, then keeping only the
    most confident (highest top score) of those for each coverage in ``COVERAGES``."""
    order = np.argsort(-scores, axis=1, kind="stable")
    hit1 = np.take_along_axis(gold, order[:, :1], axis=1).any(axis=1)
    hit3 = np.take_along_axis(gold, order[:, :3], axis=1).any(axis=1)
    top = scores.max(axis=1)
    rows: list[dict[str, float]] = []
    n = len(scores)
    if n == 0:
        return rows

    def point(name: str, keep: np.ndarray) -> dict[str, float]:
        k = max(int(keep.sum()), 1)
        return {
            "kept": name,
            "coverage": round(float(keep.sum()) / n, 4),
            "precision_top1": round(float(hit1[keep].sum()) / k, 4),
            "precision_top3": round(float(hit3[keep].sum()) / k, 4),
        }

    rows.append(point("all", np.ones(n, dtype=bool)))
    rows.append(point("evidence floor", shown))
    floor_top = np.sort(top[shown])[::-1]
    for share in COVERAGES[1:]:
        m = int(round(share * n))
        if m == 0 or m > len(floor_top):
            continue
        keep = shown & (top >= floor_top[m - 1])
        rows.append(point(f"most confident {share:.0%}", keep))
    return rows


def gold_by_row(sug: Suggester, codings: Any) -> dict[int, np.ndarray]:
    """Each coded table row's gold answers: a bool vector over the suggester's labels (a code
    the suggester cannot offer, or a segment outside its table, is left out)."""
    space = sug.space
    per_row: dict[int, np.ndarray] = {}
    for sid, code in zip(
        codings["segment_id"].astype(int), codings["code"].astype(str), strict=True
    ):
        r = sug.table.row_of.get(int(sid))
        if r is None or code not in space.maps:
            continue
        y = per_row.setdefault(r, np.zeros(len(space.labels), dtype=bool))
        y[space.maps[code]] = True
    return per_row


def evaluate_suggestions(
    project,
    coder: str,
    folds: int = 5,
    level: str = "code",
    embedder: Embedder | None = None,
    cfg: SuggestConfig | None = None,
    seed: int = 0,
    group: str | None = None,
    suggester: Suggester | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """k-fold cross-validation of suggestions over `coder`'s codings (see module doc)."""
    if level not in LEVELS:
        raise ProjectError(f"unknown level '{level}' (use code or theme)")
    if group not in (None, "segment", "transcript"):
        raise ProjectError(f"unknown grouping '{group}' (use segment or transcript)")
    if folds < 2:  # one fold holds everything out and trains on nothing: every figure is moot
        raise ProjectError(f"--folds must be 2 or more, not {folds}")
    codings = project.codings(coder)
    if codings.empty:
        raise ProjectError(f"coder '{coder}' has no codings to evaluate against")
    sug = suggester or Suggester(
        project, embedder=embedder, level=level, cfg=cfg, coder=coder, progress=progress
    )
    if sug.level != level:
        raise ProjectError("the suggester was built for another level")
    cfg = sug.cfg
    space = sug.space
    L = len(space.labels)
    per_row = gold_by_row(sug, codings)
    rows = np.array(sorted(per_row), dtype=np.int64)
    if len(rows) < max(2, folds):
        raise ProjectError(
            f"coder '{coder}' has coded {len(rows)} segments; need at least {max(2, folds)}"
        )
    gold = np.stack([per_row[r] for r in rows])
    groups = None
    if group == "transcript":
        groups = sug.table.frame["transcript"].astype(str).to_numpy()[rows]
    parts = holdout_folds(len(rows), folds, seed, groups)
    few_scores = np.zeros((len(rows), L), dtype=np.float32)
    # codebook-only scores learn nothing from the folds (blend works row by row): one call
    zero_scores = blend(None, sug.zero[rows], np.zeros(L), cfg, space.ancestors).astype(np.float32)
    F = sug.features
    transcripts = sug.table.frame["transcript"].astype(str).to_numpy()
    for test in parts:
        train = np.setdiff1d(np.arange(len(rows)), test)
        Y = gold[train].astype(np.float32)
        counts = Y.sum(axis=0)
        model = RidgeModel(cfg.ridge).fit(F[rows[train]], Y) if len(train) >= 2 else None
        few = model.predict(F[rows[test]]) if model is not None else None
        # codes of the neighbouring segments coded in the other folds (none when whole
        # transcripts are held out: a new interview has no coded neighbours)
        prior = neighbour_priors(rows[test], rows[train], gold[train], transcripts, cfg)
        few_scores[test] = blend(few, sug.zero[rows[test]], counts, cfg, space.ancestors, prior)
    result = {
        "coder": coder,
        "level": level,
        "folds": len(parts),
        "grouping": group or "segment",
        "n_segments": int(len(rows)),
        "n_labels": int(gold.any(axis=0).sum()),
        "model": sug.embedder.model_id,
    }
    result.update(_summary(few_scores, gold, space.labels))
    texts = sug.table.frame["text"].astype(str).tolist()
    shown = np.array([has_evidence(texts[r]) for r in rows], dtype=bool)
    result["coverage_precision"] = coverage_precision(few_scores, gold, shown)
    result["zero_shot"] = _summary(zero_scores, gold, space.labels)
    return result
