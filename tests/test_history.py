"""Undo and redo are defined on events: they never stick, never fail half-way, and say why when
an action can no longer be reversed. Every change to a coding is an event."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from projects import INTERVIEW_1, write_tiny_project

from qualkit.errors import HistoryError, ProjectError
from qualkit.project import Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    write_tiny_project(tmp_path)
    p = Project.open(tmp_path)
    p.ingest()
    yield p
    p.close()


def seg(p: Project, needle: str) -> int:
    frame = p.segments()
    return int(frame[frame.text.str.contains(needle, regex=False)].segment_id.iloc[0])


def live(p: Project, coder: str) -> set[tuple[int, str]]:
    return {(int(r.segment_id), r.code) for r in p.codings(coder).itertuples()}


def test_undo_after_codebook_merge_never_sticks(project: Project) -> None:
    s = seg(project, "health visitor")
    project.code(s, "waiting", "ana")
    project.code(s, "referral", "ana")
    project.uncode(s, "waiting", "ana")
    assert project.merge_codes("referral", "waiting", actor="ben") == 1
    assert live(project, "ana") == {(s, "waiting")}
    # Three undos of ana's three actions: none raises, none sticks.
    steps = [project.undo("ana") for _ in range(3)]
    assert [e.action for e in steps] == ["uncode", "code", "code"]
    assert live(project, "ana") == set()
    assert project.undo("ana") is None
    # And all three come back.
    assert [project.redo("ana").action for _ in range(3)] == ["code", "code", "uncode"]
    assert live(project, "ana") == {(s, "waiting")}
    assert project.redo("ana") is None


def test_undo_after_merge_from_the_cli_prints_no_traceback(tmp_path: Path) -> None:
    write_tiny_project(tmp_path)
    with Project.open(tmp_path) as p:
        p.ingest()
        s = seg(p, "health visitor")
        p.code(s, "waiting", "ana")
        p.code(s, "referral", "ana")
        p.uncode(s, "waiting", "ana")
        p.merge_codes("referral", "waiting", actor="ben")
    cmd = [sys.executable, "-m", "qualkit.cli", "undo", "--coder", "ana", "--project", tmp_path]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and done.stdout.startswith("undid: uncode")


def test_redo_of_an_undone_import_restores_the_batch_despite_a_clash(
    project: Project, tmp_path: Path
) -> None:
    a, b = seg(project, "health visitor"), seg(project, "six weeks")
    csv = tmp_path / "in.csv"
    csv.write_text(f"segment_id,code\n{a},referral\n{b},waiting\n", encoding="utf-8")
    assert project.import_codings(csv, "ana") == 2
    assert project.undo("ana").action == "import"
    project.code(a, "referral", "ana")  # the same coding again, by hand: clears redo
    project.undo("ana")  # undo the hand coding; redo stack now holds it, the import is cleared
    project.code(a, "referral", "ana")
    csv.write_text(f"segment_id,code\n{a},referral\n{b},waiting\n", encoding="utf-8")
    assert project.import_codings(csv, "ana") == 1  # the row ana already has is skipped
    assert project.undo("ana").action == "import"
    assert live(project, "ana") == {(a, "referral")}
    assert project.redo("ana").action == "import"
    assert live(project, "ana") == {(a, "referral"), (b, "waiting")}


def test_undo_of_a_code_gone_from_the_codebook_says_why_and_the_next_undo_works(
    project: Project,
) -> None:
    a, b = seg(project, "health visitor"), seg(project, "six weeks")
    project.code(a, "referral", "ana")
    project.code(b, "bonding", "ana")
    project.uncode(b, "bonding", "ana")
    # bonding removed from codebook.yaml by hand
    text = project.codebook_path.read_text(encoding="utf-8")
    cut = text.index("    children:\n      - id: bonding")
    project.codebook_path.write_text(text[:cut], encoding="utf-8")
    with pytest.raises(HistoryError, match="'bonding' is no longer in codebook.yaml") as info:
        project.undo("ana")
    assert "next undo goes further back" in str(info.value)
    assert "\n" not in str(info.value)
    assert project.undo("ana").action == "code"  # bonding's coding: removing is always possible
    assert project.undo("ana").action == "code"
    assert live(project, "ana") == set()
    assert project.undo("ana") is None


def test_undo_of_a_review_whose_segment_left_the_transcript_says_why(
    project: Project,
) -> None:
    s = seg(project, "closer to her")
    project.mark_reviewed(s, "ana")
    project.undo("ana")
    path = project.root / "transcripts" / "p1.txt"
    cut = INTERVIEW_1.index("Interviewer: What changed")
    path.write_text(INTERVIEW_1[:cut], encoding="utf-8")
    project.ingest()
    with pytest.raises(HistoryError, match="left the transcript"):
        project.redo("ana")
    assert project.redo("ana") is None


def test_reingest_merging_duplicate_codings_is_an_event(tmp_path: Path) -> None:
    write_tiny_project(tmp_path)
    # One segment per turn; Maya's answer comes in two turns that a later edit joins.
    (tmp_path / "qualkit.yaml").write_text("segmentation: turn\n", encoding="utf-8")
    path = tmp_path / "transcripts" / "p1.txt"
    two_turns = "Maya: The wait was long, maybe six weeks.\n\nMaya: I rang them twice to check."
    path.write_text(
        INTERVIEW_1.replace(
            "Maya: The wait was long, maybe six weeks. I rang them twice to check.", two_turns
        ),
        encoding="utf-8",
    )
    project = Project.open(tmp_path)
    project.ingest()
    first, second = seg(project, "six weeks"), seg(project, "rang them")
    assert first != second
    for coder in ("ana", "ben"):
        project.code(first, "waiting", coder)
        project.code(second, "waiting", coder)
    before = len(project.codings())
    path.write_text(
        INTERVIEW_1.replace("six weeks. I rang", "six weeks and I rang"), encoding="utf-8"
    )
    report = project.ingest()
    assert report.codings_merged == 2
    assert "2 duplicate coding(s) merged" in report.summary()
    assert len(project.codings()) == before - 2
    event = project.store.events("system", limit=1)[0]
    assert event.action == "ingest"
    merged = event.payload["codings_merged"]
    assert sorted(m["coder"] for m in merged) == ["ana", "ben"]
    assert {m["code"] for m in merged} == {"waiting"}
    # Undoing ana's codings after the merge works and never raises.
    while project.undo("ana") is not None:
        pass
    assert live(project, "ana") == set()


def test_star_and_uncode_of_a_missing_coding_name_it(project: Project) -> None:
    s = seg(project, "health visitor")
    with pytest.raises(ProjectError, match=f"segment {s} has no code 'referral' by ana"):
        project.uncode(s, "referral", "ana")
    with pytest.raises(ProjectError, match="has no code"):
        project.star(s, "referral", "ana")
