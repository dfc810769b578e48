"""A new interview coded in order: each held-out interview's coded segments walked in turn order,
each ranked with every other interview's codings plus the ones made before it in this interview.

This is a separate figure from ``--by transcript`` (which ranks every segment of the held-out
interview with none of its own codings): it is what a coder meets when opening the next
interview, where the codes they have just used there count. The held-out interview's gold codes
join the history only after their segment has been ranked, so none of them is ever seen early.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qualkit.assist.context import neighbour_prior, recency_scores
from qualkit.assist.online import KS, coding_order, hits_at
from qualkit.assist.scoring import blend
from qualkit.assist.suggest import Suggester
from qualkit.errors import ProjectError

METHODS = ("suggester", "without this interview's codings", "codebook only", "most recent")
# bins of codings made so far in the held-out interview (counted from 1)
BINS: tuple[tuple[str, int, int | None], ...] = (
    ("first 10", 1, 10),
    ("11-30", 11, 30),
    ("31+", 31, None),
    ("all", 1, None),
)


def evaluate_interview_online(project: Any, coder: str, suggester: Suggester) -> dict[str, Any]:
    """Top-1/3/5 of the suggester and baselines on each interview coded in order, held out from
    the rest in turn (see the module docstring)."""
    from threadpoolctl import threadpool_limits

    # hundreds of small solves: BLAS threads only fight over the cores
    with threadpool_limits(1):
        return _evaluate(project, coder, suggester)


def _evaluate(project: Any, coder: str, sug: Suggester) -> dict[str, Any]:
    steps = coding_order(sug, coder, project)
    rows, gold = steps.rows, steps.gold
    cfg, space = sug.cfg, sug.space
    trans = sug.table.frame["transcript"].astype(str).to_numpy()
    interviews = list(dict.fromkeys(trans[rows].tolist()))  # natural order, as coding_order
    if len(interviews) < 2:
        raise ProjectError(
            f"coder '{coder}' has coded in {len(interviews)} interview; "
            "holding one out needs at least 2"
        )
    F = sug.features.astype(np.float64)
    hits = {m: [] for m in METHODS}
    step_in_interview: list[int] = []
    walked: list[dict[str, Any]] = []  # each step's top 5 (the JSON shows what was ranked)
    segment_ids = sug.table.frame["segment_id"].to_numpy(dtype=np.int64)
    codebook_all = blend(None, sug.zero[rows], np.zeros(gold.shape[1]), cfg, space.ancestors)
    for name in interviews:
        inside = trans[rows] == name
        base_rows, base_gold = rows[~inside], gold[~inside].astype(np.float64)
        own_rows, own_gold = rows[inside], gold[inside]
        own_codebook = codebook_all[inside]
        # the ridge in its primal form, grown one coding at a time: memory and each step's
        # solve depend on the feature size, not on how many segments are coded
        ridge = GrowingRidge(F[base_rows], base_gold, cfg.ridge)
        # the same interview ranked with none of its own codings (as --by transcript, one
        # interview held out at a time): one solve for all its segments
        without_all = blend(
            ridge.predict(F[own_rows]), sug.zero[own_rows], ridge.counts(), cfg, space.ancestors
        )
        for t in range(len(own_rows)):
            r = own_rows[t]
            few = ridge.predict(F[[r]])  # the other interviews and this one's first t codings
            prior = neighbour_prior(r, own_rows[:t], own_gold[:t], trans, cfg)[None, :]
            full = blend(few, sug.zero[[r]], ridge.counts(), cfg, space.ancestors, prior=prior)[0]
            g = own_gold[t]
            step_hits = {
                "suggester": hits_at(full, g),
                "without this interview's codings": hits_at(without_all[t], g),
                "codebook only": hits_at(own_codebook[t], g),
                "most recent": hits_at(
                    recency_scores(np.concatenate([base_gold > 0, own_gold[:t]])), g
                ),
            }
            for method, hit in step_hits.items():
                hits[method].append(hit)
            step_in_interview.append(t + 1)
            top5 = np.argsort(-full, kind="stable")[: max(KS)]
            walked.append(
                {
                    "interview": name,
                    "step": t + 1,
                    "segment_id": int(segment_ids[r]),
                    "suggested": [space.labels[i] for i in top5.tolist()],
                    "hits": {m: [bool(x) for x in hit] for m, hit in step_hits.items()},
                }
            )
            ridge.add(F[r], g.astype(np.float64))  # its gold joins only after it was ranked
    steps_arr = np.array(step_in_interview)
    curves = {m: _curve(np.array(h), steps_arr) for m, h in hits.items()}
    return {
        "coder": coder,
        "level": sug.level,
        "n_segments": int(len(rows)),
        "n_interviews": len(interviews),
        "model": sug.embedder.model_id,
        "evaluation": "new interview coded in order",
        "curves": curves,
        "steps": walked,
    }


class GrowingRidge:
    """Ridge regression on centred targets (as ``RidgeModel``) that takes one more coded segment
    at a time: it keeps F'F, F'Y, the feature sums and the label sums, and solves on demand."""

    def __init__(self, F: np.ndarray, Y: np.ndarray, lam: float) -> None:
        self.A = F.T @ F + lam * np.eye(F.shape[1])
        self.B = F.T @ Y
        self.f_sum = F.sum(axis=0)
        self.y_sum = Y.sum(axis=0)
        self.n = len(F)

    def add(self, f: np.ndarray, y: np.ndarray) -> None:
        self.A += np.outer(f, f)
        self.B += np.outer(f, y)
        self.f_sum += f
        self.y_sum += y
        self.n += 1

    def counts(self) -> np.ndarray:
        return self.y_sum.astype(np.float32)

    def predict(self, X: np.ndarray) -> np.ndarray:
        # F'(Y - 1 mean') = F'Y - (sum of f) mean'
        mean = self.y_sum / max(self.n, 1)
        W = np.linalg.solve(self.A, self.B - np.outer(self.f_sum, mean))
        return (X @ W).astype(np.float32)


def _curve(hits: np.ndarray, step: np.ndarray) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for name, lo, hi in BINS:
        mask = (step >= lo) & (step <= (hi if hi is not None else step.max()))
        if not mask.any():
            continue
        out[name] = {f"top{k}": round(float(hits[mask, i].mean()), 4) for i, k in enumerate(KS)}
        out[name]["n"] = int(mask.sum())
    return out


def interview_online_lines(r: dict[str, Any]) -> list[str]:
    """The report as lines of text (CLI and bench)."""
    lines = [
        f"{r['n_segments']} segments coded by {r['coder']} in {r['n_interviews']} interviews, "
        f"level {r['level']}; new interview coded in order: each interview held out in turn, "
        "its segments ranked in turn order with the other interviews' codings plus the ones "
        "made before it in this interview (not the --by transcript figure)",
    ]
    bins = list(r["curves"]["suggester"].keys())
    for k in ("top1", "top3", "top5"):
        lines.append(f"{k:<34}" + "".join(f"{b:>10}" for b in bins))
        for method, curve in r["curves"].items():
            lines.append(f"  {method:<32}" + "".join(f"{curve[b][k]:>10.3f}" for b in bins))
    sizes = r["curves"]["suggester"]
    lines.append(f"{'segments per bin':<34}" + "".join(f"{sizes[b]['n']:>10}" for b in bins))
    return lines
