"""The prequential (online) evaluation, the neighbour prior and the evidence floor, on a small
fictional project whose curve was worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_cli import run

from qualkit.assist.context import neighbour_prior, recency_scores
from qualkit.assist.embed import HashingEmbedder
from qualkit.assist.floor import content_words, has_evidence
from qualkit.assist.online import curve, evaluate_online, kernel_ridge_predict, natural_key
from qualkit.assist.scoring import RidgeModel, SuggestConfig
from qualkit.assist.suggest import Suggester
from qualkit.project import Project

CODEBOOK = """\
codes:
  - id: referral
    name: Referral
    description: How the family was referred to the service.
  - id: waiting
    name: Waiting
    description: Waiting lists and waiting times.
  - id: bonding
    name: Bonding
    description: Closeness between parent and baby.
  - id: sleep
    name: Sleep
    description: How the baby or the parent slept.
"""

# Fictional answers, in transcript order, with the code the test coder gives each.
ANSWERS = [
    ("The waiting list was eleven weeks long before anyone rang back.", "waiting"),
    ("We waited again for the second appointment, another month.", "waiting"),
    ("Our midwife wrote the referral letter after the scan.", "referral"),
    ("Then more waiting, the clinic kept moving the date.", "waiting"),
    ("Holding him skin to skin made me feel close to him.", "bonding"),
    ("Bath time became our special cuddle time together.", "bonding"),
    ("Nobody in the house slept more than three hours.", "sleep"),
    ("Singing to her calmed us both and felt like a bond.", "bonding"),
    ("The waiting room chairs were full every single week.", "waiting"),
    ("A neighbour's leaflet was how the referral started.", "referral"),
    ("Night feeds meant broken sleep for months on end.", "sleep"),
    ("Eventually the baby slept through until six in the morning.", "sleep"),
]
FILLER = "[laughs] Was it?"


def write_project(root: Path) -> Path:
    t = root / "transcripts"
    t.mkdir(parents=True)
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "qualkit.yaml").write_text(
        "segmentation: turn\nembedding_model: hashing-64\n", encoding="utf-8"
    )
    body = ["---\nid: t1\nspeakers:\n  Interviewer: interviewer\n  Ama: P01\n---\n"]
    for i, (text, _) in enumerate(ANSWERS):
        body.append(f"Interviewer: Question {i + 1}, tell me more?\n\nAma: {text}\n")
        if i == 5:
            body.append(f"Interviewer: That sounds hard.\n\nAma: {FILLER}\n")
    (t / "t1.txt").write_text("\n".join(body), encoding="utf-8")
    p = Project.init(root)
    p.ingest()
    segs = p.segments()
    for text, code in ANSWERS:
        sid = int(segs[segs["text"] == text]["segment_id"].iloc[0])
        p.code(sid, code, "gold")
    p.close()
    return root


def test_curve_bins_and_natural_order():
    hits = np.zeros((120, 3), dtype=bool)
    hits[:5] = True  # 5 of the first 10
    hits[10:30:2] = True  # 10 of 11..30
    hits[100:] = True  # all of 101..120
    c = curve(hits)
    assert c["first 10"]["top1"] == 0.5 and c["first 10"]["n"] == 10
    assert c["11-30"]["top3"] == 0.5 and c["11-30"]["n"] == 20
    assert c["31-100"]["top5"] == 0.0 and c["31-100"]["n"] == 70
    assert c["100+"]["top1"] == 1.0 and c["100+"]["n"] == 20
    assert c["all"]["top1"] == round(35 / 120, 4)
    assert sorted(["P10", "P2", "P1"], key=natural_key) == ["P1", "P2", "P10"]


def test_recency_and_neighbour_prior():
    hist = np.array([[0, 1, 0], [1, 0, 0], [1, 0, 1]], dtype=bool)
    order = np.argsort(-recency_scores(hist), kind="stable")
    assert order.tolist()[:2] == [0, 2]  # both last used at step 3; label 0 used more
    assert recency_scores(np.zeros((0, 3), dtype=bool)).tolist() == [0, 0, 0]
    cfg = SuggestConfig(neighbours=1.0, neighbour_window=2, neighbour_decay=0.5)
    transcripts = np.array(["a", "a", "a", "b"])
    gold = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    prior = neighbour_prior(2, np.array([0, 1, 3]), gold, transcripts, cfg)
    # row 1 (distance 1, weight 1) has label 1, row 0 (distance 2, weight 0.5) label 0;
    # row 3 is another transcript
    assert prior.tolist() == pytest.approx([0.5 / 1.5, 1 / 1.5, 0.0])


def test_kernel_ridge_matches_primal_ridge():
    rng = np.random.default_rng(1)
    F = rng.normal(size=(12, 20)).astype(np.float32)
    Y = (rng.random((12, 4)) < 0.4).astype(np.float64)
    test = rng.normal(size=(3, 20)).astype(np.float32)
    primal = RidgeModel(0.7).fit(F, Y).predict(test)
    gram = F.astype(np.float64) @ F.T.astype(np.float64)
    dual = kernel_ridge_predict(gram, Y, test.astype(np.float64) @ F.T.astype(np.float64), 0.7)
    assert np.allclose(primal, dual, atol=1e-4)


def test_online_curve_on_a_fictional_project(tmp_path):
    p = Project.open(write_project(tmp_path))
    r = evaluate_online(p, "gold", level="code", embedder=HashingEmbedder(64))
    assert r["n_segments"] == 12 and r["retrain_every"] == 1
    recent = r["curves"]["most recent"]
    # worked out by hand from ANSWERS: the last-used code predicts steps 2, 6 and 12 at top 1;
    # the three last-used codes (unused ones in codebook order) miss at steps 7, 10 and 11
    assert recent["first 10"] == {"top1": 0.2, "top3": 0.8, "top5": 1.0, "n": 10}
    assert recent["11-30"] == {"top1": 0.5, "top3": 0.5, "top5": 1.0, "n": 2}
    assert recent["all"]["top1"] == 0.25 and recent["all"]["top3"] == 0.75
    assert set(r["curves"]["suggester"]) == {"first 10", "11-30", "all"}
    for curves in r["curves"].values():
        for figures in curves.values():
            assert 0 <= figures["top1"] <= figures["top3"] <= figures["top5"] <= 1
    floor = r["floor"]
    # the filler answer sits between coded ones and is the one segment below the floor
    assert floor["segments"] == 13 and floor["shown"] == 12 and floor["uncoded_suppressed"] == 1
    p.close()


def test_evidence_floor_suppresses_filler(tmp_path):
    assert content_words(FILLER) == [] and not has_evidence("Yeah.") and not has_evidence("No.")
    assert has_evidence("The waiting list was eleven weeks long")
    p = Project.open(write_project(tmp_path))
    s = Suggester(p, embedder=HashingEmbedder(64), coder="gold")
    segs = p.segments()
    filler = int(segs[segs["text"] == FILLER]["segment_id"].iloc[0])
    content = int(segs[segs["text"] == ANSWERS[0][0]]["segment_id"].iloc[0])
    got = s.suggest([filler, content], top_k=3)
    assert got[0] == [] and len(got[1]) == 3
    assert all("weak" in x.because for x in got[1])
    p.close()


def test_cli_eval_online(tmp_path):
    root = write_project(tmp_path)
    out = run("eval", "suggestions", "--online", "--coder", "gold", "--project", str(root))
    assert "most recent" in out.stdout and "retrained after every coding" in out.stdout
    assert "evidence floor" in out.stdout
    data = json.loads(
        run(
            "eval",
            "suggestions",
            "--online",
            "--coder",
            "gold",
            "--level",
            "theme",
            "--json",
            "--project",
            str(root),
        ).stdout
    )
    assert data["level"] == "theme" and set(data["curves"]) == {
        "suggester",
        "codebook only",
        "few-shot only",
        "most recent",
    }
    shown = run("suggest", "--coder", "gold", "--all", "--project", str(root)).stdout
    assert "no strong match" in shown and FILLER in shown
