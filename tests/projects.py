"""Small fictional projects for tests (plain functions, no fixtures, so any test can use them)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

CODEBOOK = """\
# Test codebook (fictional). This comment must survive writes.
codes:
  - id: access
    name: Access
    description: Getting into the service.
    key: a
    children:
      - id: referral
        name: Referral
        description: How families were referred.
      - id: waiting
        name: Waiting
        description: Waiting times and waiting lists.
  - id: impact
    name: Impact
    description: What changed for families.
    key: i
    children:
      - id: bonding
        name: Bonding
        description: Closeness between parent and baby.
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
FICTIONAL TRANSCRIPT for qualkit tests.

Interviewer: How did you first hear about the service?

Maya: It was my health visitor. She mentioned it when the baby was small.

Interviewer: And what was the wait like?

Maya: The wait was long, maybe six weeks. I rang them twice to check.

Interviewer: What changed for you?

Maya: I feel closer to her now. I notice when she is tired.
"""

INTERVIEW_2 = """\
---
id: p2
speakers:
  Interviewer: interviewer
  Ben: P02
  Kofi: S01
---
FICTIONAL TRANSCRIPT for qualkit tests.

Interviewer: Tell me about the group.

Ben: The group was on Tuesdays. We sang with the babies and talked.

Kofi: From the health visiting side, we refer families every week.

Interviewer: Thanks both.
"""


def write_tiny_project(root: Path) -> Path:
    """A project folder with two fictional interviews, three participants, a small codebook."""
    (root / "transcripts").mkdir(parents=True, exist_ok=True)
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "transcripts" / "participants.csv").write_text(PARTICIPANTS, encoding="utf-8")
    (root / "transcripts" / "p1.txt").write_text(INTERVIEW_1, encoding="utf-8")
    (root / "transcripts" / "p2.txt").write_text(INTERVIEW_2, encoding="utf-8")
    return root


def copy_demo_project(root: Path) -> Path:
    """The repository's fictional demo study, copied so tests can change it."""
    shutil.copytree(REPO / "transcripts", root / "transcripts")
    shutil.copy(REPO / "codebook.yaml", root / "codebook.yaml")
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of a project (database included) for 'nothing changed' assertions."""
    import sqlite3

    con = sqlite3.connect(root / ".qualkit" / "project.db")
    dump = "\n".join(con.iterdump()).encode()
    con.close()
    files = {
        str(f.relative_to(root)): f.read_bytes()
        for f in sorted(root.rglob("*"))
        if f.is_file() and ".qualkit" not in f.parts
    }
    files["<database>"] = dump
    return files


def qualkit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real `qualkit` command in ``cwd``, as a user runs it: no terminal on stdin, wide
    output so a line is not wrapped."""
    return subprocess.run(
        [sys.executable, "-m", "qualkit.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "200"},
    )
