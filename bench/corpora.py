"""Build qualkit projects from the real corpora in ../shared/corpora (for tests and benchmarks).

The real text is written into a project folder outside the repository (a temp folder); it is
never committed.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
INTERVIEWER = SHARED / "corpora" / "interviewer"

CODEBOOK = """\
# Working codebook for the interviewer corpus (benchmarks only).
codes:
  - id: ai-use
    name: Using AI at work
    description: How participants use AI tools in their work.
  - id: concerns
    name: Concerns about AI
    description: Worries, risks and limits participants describe.
"""


def interviewer_turns() -> dict[str, list[dict[str, str]]]:
    turns: dict[str, list[dict[str, str]]] = defaultdict(list)
    with (INTERVIEWER / "turns.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            turns[row["interview_id"]].append(row)
    return turns


def build_interviewer_project(dest: Path, copies: int = 1) -> Path:
    """One .txt per interview (front matter maps AI/Assistant to the interviewer, User to the
    interview id), participants.csv with the `group` attribute, a two-code codebook.

    `copies` > 1 repeats the corpus under new ids to make a larger project.
    """
    folder = dest / "transcripts"
    folder.mkdir(parents=True, exist_ok=True)
    people = []
    for copy in range(copies):
        for interview_id, rows in interviewer_turns().items():
            tid = interview_id if copy == 0 else f"{interview_id}-copy{copy}"
            group = rows[0]["group"]
            people.append((tid, group))
            lines = [
                "---",
                f"id: {tid}",
                "kind: interview",
                "speakers:",
                "  Assistant: interviewer",
                "  AI: interviewer",
                f"  User: {tid}",
                "---",
                "",
            ]
            for row in rows:
                text = row["text"].strip()
                lines.append(f"{row['speaker_label']}: {text}")
                lines.append("")
            (folder / f"{tid}.txt").write_text("\n".join(lines), encoding="utf-8")
    with (folder / "participants.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["participant_id", "group"])
        writer.writerows(people)
    (dest / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    return dest
