"""The new-interview-coded-in-order figure (`eval suggestions --online --by transcript`) on two
fictional interviews: hand-checked first steps, and no gold code of the held-out interview is
seen before its segment has been ranked."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from test_cli import run
from test_online import ANSWERS, CODEBOOK

from qualkit.assist.embed import HashingEmbedder
from qualkit.assist.interview_online import GrowingRidge, evaluate_interview_online
from qualkit.assist.scoring import RidgeModel
from qualkit.assist.suggest import Suggester
from qualkit.project import Project

# A second fictional interview, in turn order, with the code the test coder gives each answer.
SECOND = [
    ("Nights were the hardest, she barely slept at all.", "sleep"),
    ("I never slept more than two hours in a row.", "sleep"),
    ("The health visitor made the referral for us.", "referral"),
    ("We sat on a waiting list for nine weeks.", "waiting"),
    ("Cuddles in the morning were when I felt the bond.", "bonding"),
    ("The waiting felt endless, nobody called us back.", "waiting"),
]


def write_two_interviews(root: Path, second: list[tuple[str, str]] = SECOND) -> Path:
    t = root / "transcripts"
    t.mkdir(parents=True)
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "qualkit.yaml").write_text(
        "segmentation: turn\nembedding_model: hashing-64\n", encoding="utf-8"
    )
    for name, speaker, answers in (("t1", "Ama", ANSWERS), ("t2", "Bea", second)):
        front = f"---\nid: {name}\nspeakers:\n  Interviewer: interviewer\n  {speaker}: {name}\n"
        body = [front + "---\n"]
        for i, (text, _) in enumerate(answers):
            body.append(f"Interviewer: Question {i + 1}, tell me more?\n\n{speaker}: {text}\n")
        (t / f"{name}.txt").write_text("\n".join(body), encoding="utf-8")
    p = Project.init(root)
    p.ingest()
    segs = p.segments()
    for text, code in ANSWERS + second:
        sid = int(segs[segs["text"] == text]["segment_id"].iloc[0])
        p.code(sid, code, "gold")
    p.close()
    return root


def walk(root: Path) -> dict:
    p = Project.open(root)
    sug = Suggester(p, embedder=HashingEmbedder(64), level="code", coder="gold")
    r = evaluate_interview_online(p, "gold", sug)
    p.close()
    return r


def test_each_interview_is_held_out_and_walked_in_order(tmp_path):
    r = walk(write_two_interviews(tmp_path))
    assert r["n_interviews"] == 2 and r["n_segments"] == len(ANSWERS) + len(SECOND)
    assert [s["interview"] for s in r["steps"]] == ["t1"] * 12 + ["t2"] * 6
    assert [s["step"] for s in r["steps"][12:]] == [1, 2, 3, 4, 5, 6]
    # worked out by hand: held out, t2 starts after t1's codings (in order: waiting, waiting,
    # referral, waiting, bonding, bonding, sleep, bonding, waiting, referral, sleep, sleep), so
    # "most recent" ranks sleep, referral, waiting, bonding at its first step. Then t2's own:
    # 1 sleep (top 1), 2 sleep (top 1), 3 referral (2nd), 4 waiting (3rd after referral, sleep),
    # 5 bonding (4th after waiting, referral, sleep), 6 waiting (2nd after bonding).
    recent = [s["hits"]["most recent"] for s in r["steps"] if s["interview"] == "t2"]
    assert [h[0] for h in recent] == [True, True, False, False, False, False]
    assert [h[1] for h in recent] == [True, True, True, True, False, True]
    assert all(h[2] for h in recent)
    assert r["curves"]["most recent"]["all"]["n"] == 18
    for curves in r["curves"].values():
        for figures in curves.values():
            assert 0 <= figures["top1"] <= figures["top3"] <= figures["top5"] <= 1


def test_no_gold_code_of_the_held_out_interview_is_seen_early(tmp_path):
    """Change the codes of t2's last three segments: the rankings of t2's first four steps stay
    the same (the fourth is ranked before its own code joins the history), and t1's walk,
    which learns from all of t2, may change."""
    changed = SECOND[:3] + [
        (SECOND[3][0], "bonding"),
        (SECOND[4][0], "sleep"),
        (SECOND[5][0], "referral"),
    ]
    a = walk(write_two_interviews(tmp_path / "a"))
    b = walk(write_two_interviews(tmp_path / "b", changed))
    t2a = [s["suggested"] for s in a["steps"] if s["interview"] == "t2"]
    t2b = [s["suggested"] for s in b["steps"] if s["interview"] == "t2"]
    assert t2a[:4] == t2b[:4]
    # the changed codes did reach the model: the steps after the first change rank differently
    assert t2a[4:] != t2b[4:]


def test_cli_new_interview_in_order(tmp_path):
    root = write_two_interviews(tmp_path)
    args = ["eval", "suggestions", "--online", "--by", "transcript", "--coder", "gold"]
    out = run(*args, "--project", str(root)).stdout
    assert "new interview coded in order" in out and "without this interview's codings" in out
    data = json.loads(run(*args, "--json", "--project", str(root)).stdout)
    assert data["evaluation"] == "new interview coded in order"
    assert set(data["curves"]) == {
        "suggester",
        "without this interview's codings",
        "codebook only",
        "most recent",
    }


def test_growing_ridge_matches_the_ridge_refitted_from_scratch():
    rng = np.random.default_rng(3)
    F = rng.normal(size=(15, 6))
    Y = (rng.random((15, 4)) < 0.4).astype(np.float64)
    test = rng.normal(size=(2, 6))
    grown = GrowingRidge(F[:9], Y[:9], 0.7)
    for i in range(9, 15):
        grown.add(F[i], Y[i])
    refit = RidgeModel(0.7).fit(F.astype(np.float32), Y.astype(np.float32))
    assert np.allclose(grown.predict(test), refit.predict(test.astype(np.float32)), atol=1e-4)
    assert grown.counts().tolist() == Y.sum(axis=0).tolist()
