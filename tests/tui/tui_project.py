"""A tiny fictional project for the workbench tests (no real corpus text)."""

from __future__ import annotations

from pathlib import Path

CODEBOOK = """\
# Workbench test codebook (fictional). This comment must survive writes.
codes:
  # --- the first theme ---
  - id: access          # stable id, keep it
    name: Access
    description: Getting into the service.
    color: "#4e79a7"
    key: a
    children:
      - id: referral
        name: Referral
        description: How families were referred.
      - id: waiting
        name: Waiting
        description: Waiting times and waiting lists.
        color: "#e15759"
  - id: impact
    name: Impact
    description: What changed for families.
    color: "#59a14f"
    key: i
"""

PARTICIPANTS = """\
participant_id,group,service
P01,Parent,psychotherapy
P02,Parent,group programme
S01,Stakeholder,
"""

INTERVIEW_1 = """\
---
id: p1
kind: interview
speakers:
  Interviewer: interviewer
  Maya: P01
---
Interviewer: How did you first hear about the service?

Maya: It was my health visitor. She mentioned it when the baby was small.

Interviewer: And what was the wait like?

Maya: The wait was long, maybe six weeks. I rang them twice to check.

Interviewer: What changed for you?

Maya: I feel closer to him now. I can tell what he needs.

Maya: My partner noticed it too, which surprised me.
"""

INTERVIEW_2 = """\
---
id: s1
kind: interview
speakers:
  Interviewer: interviewer
  Tom: S01
---
Interviewer: How do families reach the team?

Tom: Mostly through health visitors and the midwives, sometimes the GP.

Tom: The waiting list has grown this year, which worries us.
"""


def make_project(root: Path, blind: bool = False, embedding: str = "hashing-64") -> Path:
    """Write and ingest the fictional test project at `root`; returns root."""
    from qualkit.project import Project

    (root / "transcripts").mkdir(parents=True)
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "qualkit.yaml").write_text(
        f"blind: {'true' if blind else 'false'}\nembedding_model: {embedding}\n",
        encoding="utf-8",
    )
    (root / "transcripts" / "participants.csv").write_text(PARTICIPANTS, encoding="utf-8")
    (root / "transcripts" / "p1.txt").write_text(INTERVIEW_1, encoding="utf-8")
    (root / "transcripts" / "s1.txt").write_text(INTERVIEW_2, encoding="utf-8")
    with Project.init(root) as project:
        project.ingest()
    return root
