"""Cross-validated evaluation of suggestions."""

from __future__ import annotations

import numpy as np
import pytest
from test_suggest import write_ai_project

from qualkit.assist.embed import HashingEmbedder
from qualkit.assist.evaluate import (
    best_threshold_f1,
    coverage_precision,
    evaluate_suggestions,
    hit_rates,
)
from qualkit.errors import ProjectError
from qualkit.project import Project

ANSWERS = {
    "GP referred me": "referral",
    "leaflet and made the referral": "referral",
    "nearly eight weeks": "waiting",
    "waiting list was long": "waiting",
    "wait for an appointment": "waiting",
    "training course": "training",
    "best training": "training",
    "got advice": "consultation",
    "Case consultation": "consultation",
}


def test_hit_rates_and_threshold_f1():
    s = np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.1], [0.3, 0.2, 0.7]])
    g = np.array([[1, 0, 0], [0, 0, 1], [0, 0, 1]], dtype=bool)
    r = hit_rates(s, g)
    assert r["top1"] == pytest.approx(2 / 3) and r["top3"] == 1.0
    f1, thr, per = best_threshold_f1(s, g)
    assert 0 < f1 <= 1 and per.shape == (3,)


@pytest.mark.parametrize("level", ["code", "theme"])
def test_eval_reports_required_fields(tmp_path, level):
    p = Project.open(write_ai_project(tmp_path, copies=2))
    segs = p.segments()
    for frag, code in ANSWERS.items():
        for sid in segs[segs["text"].str.contains(frag, regex=False)]["segment_id"]:
            p.code(int(sid), code, "gold")
    r = evaluate_suggestions(p, "gold", folds=3, level=level, embedder=HashingEmbedder())
    keys = ("top1", "top3", "top5", "macro_f1", "n_segments", "level", "per_code", "zero_shot")
    for key in (*keys, "coverage_precision"):
        assert key in r
    coded = p.codings("gold")
    assert r["level"] == level and r["n_segments"] == coded["segment_id"].nunique()
    # Each code's support is the number of segments the answers give it, at this level.
    labels = coded["code"] if level == "code" else coded["code"].map(p.codebook.theme_of)
    support = coded.assign(label=labels).groupby("label")["segment_id"].nunique().to_dict()
    assert {row["code"]: row["n"] for row in r["per_code"]} == support
    # The answers are learnable: with coded examples, suggestions beat the codebook alone.
    assert r["top3"] >= r["zero_shot"]["top3"]
    by_t = evaluate_suggestions(
        p, "gold", folds=3, level=level, embedder=HashingEmbedder(), group="transcript"
    )
    assert by_t["grouping"] == "transcript"
    p.close()


def test_eval_needs_codings(tmp_path):
    p = Project.open(write_ai_project(tmp_path))
    with pytest.raises(ProjectError, match="no codings"):
        evaluate_suggestions(p, "nobody", embedder=HashingEmbedder())
    # one fold trains on nothing: it printed 1.000 for every figure
    with pytest.raises(ProjectError, match="--folds must be 2 or more, not 1"):
        evaluate_suggestions(p, "nobody", folds=1, embedder=HashingEmbedder())
    p.close()


def test_coverage_against_precision_by_hand():
    # four segments over three labels; the top score (confidence) falls row by row
    s = np.array(
        [[0.9, 0.1, 0.0], [0.1, 0.8, 0.2], [0.7, 0.0, 0.6], [0.05, 0.5, 0.4]], dtype=np.float32
    )
    g = np.array([[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 1]], dtype=bool)
    shown = np.array([True, True, True, False])  # the last one is below the evidence floor
    points = {p["kept"]: p for p in coverage_precision(s, g, shown)}
    # top 1 right on row 0 only; top 3 holds the gold code everywhere (three labels)
    assert points["all"] == {
        "kept": "all",
        "coverage": 1.0,
        "precision_top1": 0.25,
        "precision_top3": 1.0,
    }
    assert points["evidence floor"]["coverage"] == 0.75
    assert points["evidence floor"]["precision_top1"] == round(1 / 3, 4)
    # the most confident half: rows 0 (0.9) and 1 (0.8)
    assert points["most confident 50%"]["coverage"] == 0.5
    assert points["most confident 50%"]["precision_top1"] == 0.5
    assert "most confident 90%" not in points  # the floor already leaves only 75%
