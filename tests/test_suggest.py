"""Code suggestions: the real bundled model for behaviour, the hashing embedder for plumbing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qualkit.assist.embed import HashingEmbedder
from qualkit.assist.feedback import acceptance_report, record_feedback, suggestion_log
from qualkit.assist.suggest import Suggester, Suggestion
from qualkit.project import Project

# A small fictional study (written for these tests).
AI_CODEBOOK = """\
# Fictional test codebook.
codes:
  - id: workforce
    name: Workforce capacity building
    description: How the service builds the skills of the early-years workforce.
    children:
      - id: training
        name: Training for health visitors
        description: Formal teaching sessions delivered to health visitors and midwives.
        include: Content and usefulness of training courses and workshops.
        examples:
          - "The training day changed how I watch a mother holding her baby."
      - id: consultation
        name: Case consultation
        description: Advice to staff about a specific family they are worried about.
  - id: access
    name: Access to the service
    description: How families got into the service.
    children:
      - id: waiting
        name: Waiting times
        description: How long families waited before the first appointment; waiting lists.
      - id: referral
        name: Referral route
        description: Who referred the family, such as a GP or a health visitor.
"""

AI_PARTICIPANTS = """\
participant_id,group
P01,Parent
P02,Parent
S01,Stakeholder
S02,Stakeholder
"""

PARENT_LINES = [
    ("How did you come to the service?", "My GP referred me after I told her I was struggling."),
    ("What was the wait like?", "We waited nearly eight weeks for the first appointment."),
    ("Anything else about getting in?", "The waiting list was long and nobody rang us back."),
    ("Who suggested it?", "The health visitor gave me the leaflet and made the referral."),
    ("How was the first session?", "Honestly I cried most of the way through it."),
]
STAFF_LINES = [
    ("What did you get from the team?", "The training course taught us to notice the baby's cues."),
    ("Tell me about the sessions.", "Their workshop for health visitors was the best training."),
    ("And case advice?", "I rang them about one family I was worried about and got advice."),
    (
        "Anything on consultation?",
        "Case consultation helped me think about a mum I was worried about.",
    ),
    ("How long was the wait?", "For families the wait for an appointment is about two months now."),
]


def write_ai_project(root: Path, copies: int = 1) -> Path:
    """A fictional project: 2 parents, 2 stakeholders, 5 answers each (turn segmentation)."""
    t = root / "transcripts"
    t.mkdir(parents=True, exist_ok=True)
    (root / "codebook.yaml").write_text(AI_CODEBOOK, encoding="utf-8")
    (t / "participants.csv").write_text(AI_PARTICIPANTS, encoding="utf-8")
    (root / "qualkit.yaml").write_text("segmentation: turn\n", encoding="utf-8")
    for c in range(copies):
        for pid, lines in (
            ("P01", PARENT_LINES),
            ("P02", PARENT_LINES[::-1]),
            ("S01", STAFF_LINES),
            ("S02", STAFF_LINES[::-1]),
        ):
            body = [
                f"---\nid: {pid.lower()}-{c}\nspeakers:\n  Interviewer: interviewer\n"
                f"  Speaker: {pid}\n---\nFICTIONAL TRANSCRIPT for qualkit tests.\n"
            ]
            for q, a in lines:
                body.append(f"Interviewer: {q}\n\nSpeaker: {a}\n")
            (t / f"{pid.lower()}-{c}.txt").write_text("\n".join(body), encoding="utf-8")
    p = Project.init(root)
    p.ingest()
    p.close()
    return root


def seg_id(p: Project, fragment: str) -> int:
    s = p.segments()
    hit = s[s["text"].str.contains(fragment, regex=False)]
    assert len(hit), fragment
    return int(hit["segment_id"].iloc[0])


@pytest.fixture(scope="session")
def real_embedder():
    """The bundled all-MiniLM-L6-v2, loaded once per session (the loader caches the model)."""
    from qualkit.assist.embed import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture
def hashed(tmp_path):
    p = Project.open(write_ai_project(tmp_path))
    yield p, HashingEmbedder()
    p.close()


@pytest.mark.slow
def test_training_segment_gets_training_code_first(tmp_path, real_embedder):
    p = Project.open(write_ai_project(tmp_path))
    s = Suggester(p, embedder=real_embedder)
    sid = seg_id(p, "training course taught us")
    ((first, *_),) = s.suggest([sid], top_k=3)
    assert first.code_id == "training"
    assert first.because["codebook"]["code"] == "training"
    waiting = s.suggest([seg_id(p, "nearly eight weeks")], top_k=2)[0]
    assert waiting[0].code_id == "waiting"
    # themes roll up
    t = Suggester(p, embedder=real_embedder, level="theme")
    assert t.suggest([sid], top_k=1)[0][0].code_id == "workforce"


def test_exemplars_shift_weight_and_give_reasons(hashed):
    p, emb = hashed
    a = seg_id(p, "GP referred me")
    b = seg_id(p, "health visitor gave me the leaflet")
    before = Suggester(p, embedder=emb)
    every = len(before.space.labels)

    def referral(s: Suggester, sid: int) -> Suggestion:
        return next(x for x in s.suggest([sid], top_k=every)[0] if x.code_id == "referral")

    unseen = referral(before, b)
    assert unseen.because["exemplars"] == 0 and "nearest" not in unseen.because
    p.code(a, "referral", "ana")
    p.code(b, "referral", "ana")
    s = Suggester(p, embedder=emb)
    assert s.counts[s.space.index["referral"]] == 2
    learned = referral(s, b)
    # Two examples move weight from the codebook to them: n / (n + kappa).
    assert learned.because["weight_exemplars"] == round(2 / (2 + s.cfg.kappa), 3)
    # b is scored leave-one-out: its reason is the other coded segment, never itself.
    assert learned.because["nearest"]["segment_id"] == a
    assert learned.score != unseen.score
    out = s.suggest([a, b], top_k=3)
    assert len(out) == 2 and all(len(x) == 3 for x in out)
    assert set(out[0][0].to_dict()) == {"code", "score", "because"}
    # the coder's uncoded segments exclude what they coded
    assert a not in s.uncoded_segments("ana")


def test_feedback_is_recorded_and_reported(hashed):
    p, emb = hashed
    a = seg_id(p, "nearly eight weeks")
    record_feedback(p, "ana", a, Suggestion("waiting", 1.2), accepted=True, rank=1)
    record_feedback(p, "ana", a, "referral", accepted=False, rank=2, score=0.3)
    assert "waiting" in p.codes_of(a, "ana")
    log = suggestion_log(p)
    assert len(log) == 2
    rep = acceptance_report(p).set_index("code")
    assert rep.loc["waiting", "acceptance_rate"] == 1.0
    assert rep.loc["referral", "rejected"] == 1


def test_suggest_in_chunks_answers_as_one_segment_at_a_time(tmp_path):
    p = Project.open(write_ai_project(tmp_path, copies=5))
    s = Suggester(p, embedder=HashingEmbedder())
    ids = s.table.frame["segment_id"].astype(int).tolist()
    for sid in ids[:6]:
        p.code(sid, "waiting", "ana")
    s.refresh()
    # One matrix product per chunk (chunks of 7 here) gives the answers one call per segment
    # would: exemplars among them are still scored leave-one-out.
    together = s.suggest(ids, top_k=2, chunk=7)
    alone = [s.suggest([sid], top_k=2)[0] for sid in ids]
    assert len(together) == len(ids)
    for x, y in zip(together, alone, strict=True):
        assert [c.code_id for c in x] == [c.code_id for c in y]
        assert np.allclose([c.score for c in x], [c.score for c in y], atol=1e-5)
    p.close()


def test_suggester_for_one_transcript_answers_as_the_full_one(tmp_path):
    p = Project.open(write_ai_project(tmp_path, copies=2))
    p.code(seg_id(p, "GP referred me"), "referral", "ana")  # an exemplar in p01-0
    p.code(seg_id(p, "Case consultation helped"), "consultation", "ana")
    full = Suggester(p, embedder=HashingEmbedder(), coder="ana")
    scoped = Suggester(p, embedder=HashingEmbedder(), coder="ana", transcripts={"s02-1"})
    # Only the open transcript and the transcripts holding exemplars are in the table.
    assert set(scoped.table.frame["transcript"]) == {"s02-1", "p01-0", "s01-0"}
    assert len(scoped.table.frame) < len(full.table.frame)
    ids = p.segments("s02-1")["segment_id"].tolist()
    for a, b in zip(full.suggest(ids, top_k=4), scoped.suggest(ids, top_k=4), strict=True):
        assert [s.code_id for s in a] == [s.code_id for s in b]
        assert np.allclose([s.score for s in a], [s.score for s in b], atol=1e-5)
    p.close()


def test_suggest_lists_coding_units_only(tmp_path):
    """`qualkit suggest` listed short turns kept as context ("Yeah.") that `qualkit segments`
    and the workbench treat as no coding units: 292 rows on the demo against 278 units."""
    root = write_ai_project(tmp_path, copies=2)
    for path in (root / "transcripts").glob("p0*.txt"):
        path.write_text(path.read_text("utf-8") + "\nInterviewer: Right?\n\nSpeaker: Yeah.\n")
    p = Project.open(root)
    p.ingest()
    s = Suggester(p, embedder=HashingEmbedder())
    units = p.segments()["segment_id"].astype(int).tolist()
    short = [i for i in s.table.frame["segment_id"].astype(int) if i not in set(units)]
    assert short, "the table keeps the short turns as neighbours"
    assert sorted(s.coding_units()) == sorted(units)
    p.code(units[0], "waiting", "ana")
    assert s.uncoded_segments("ana") == [u for u in s.coding_units() if u != units[0]]
    p.close()
