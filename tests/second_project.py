"""A fictional two-coder project whose agreement figures are worked out by hand in the tests.

Ten participant turns (segmentation: turn, so one unit per turn) in one interview, plus a
second interview for merges. Code names carry [brackets], which must reach every output.
"""

from __future__ import annotations

from pathlib import Path

CODEBOOK = """\
codes:
  - id: referral
    name: Referral routes into the service and how families heard
    key: r
  - id: support
    name: Support from [team member]
    key: f
  - id: waiting
    name: Waiting
    key: g
"""

# Fictional words: ten answers, one per unit. Unit 5 keeps its "[laughs]".
ANSWERS = [
    "The health visitor told us about it at the clinic.",
    "My sister had been before and said to ring them.",
    "The GP wrote a letter and they phoned me the next week.",
    "A leaflet came through the door, I think, in spring.",
    "The midwife mentioned it when we were still in hospital.",
    "[laughs] Honestly the [team member] was the one who kept me going.",
    "We went on Tuesdays, after nursery.",
    "The room was small but warm.",
    "He sleeps better now, most nights.",
    "I would tell other parents to go.",
]

INTERVIEW = "---\nid: t1\nspeakers:\n  Interviewer: interviewer\n  Ola: P01\n---\n" + "".join(
    f"Interviewer: Question {i + 1}?\n\nOla: {text}\n\n" for i, text in enumerate(ANSWERS)
)

SECOND = """\
---
id: t2
speakers:
  Interviewer: interviewer
  Kit: P02
---
Interviewer: How was the first visit?

Kit: Calm. They let us take our time.

Interviewer: Anything else?

Kit: Only that the bus there takes an hour.
"""

# unit index -> codes, per coder (see the hand-worked figures in test_agreement_report.py)
ANA = {0: ["referral"], 1: ["referral"], 2: ["referral"], 3: ["referral"], 5: ["support"]}
BEN = {0: ["referral"], 1: ["referral"], 2: ["referral"], 4: ["referral"]}


def make_second_project(root: Path, blind: str | None = None) -> Path:
    """Write and ingest the project; `blind` is the qualkit.yaml value, None leaves it unset."""
    from qualkit.project import Project

    (root / "transcripts").mkdir(parents=True)
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    settings = "segmentation: turn\nembedding_model: hashing-64\n"
    if blind is not None:
        settings += f"blind: {blind}\n"
    (root / "qualkit.yaml").write_text(settings, encoding="utf-8")
    (root / "transcripts" / "t1.txt").write_text(INTERVIEW, encoding="utf-8")
    (root / "transcripts" / "t2.txt").write_text(SECOND, encoding="utf-8")
    with Project.open(root, create=True) as project:
        project.ingest()
    return root


def unit_ids(project: object, transcript: str = "t1") -> list[int]:
    """Participant segment ids of a transcript, in order."""
    frame = project.segments(transcript)  # type: ignore[attr-defined]
    return [int(s) for s in frame["segment_id"]]


def code_both(project: object) -> list[int]:
    """Apply ANA and BEN to t1 and mark t1 done for both; returns the unit ids."""
    units = unit_ids(project)
    for coder, layer in (("ana", ANA), ("ben", BEN)):
        for index, codes in layer.items():
            for code in codes:
                project.code(units[index], code, coder)  # type: ignore[attr-defined]
        project.mark_done("t1", coder)  # type: ignore[attr-defined]
    return units
