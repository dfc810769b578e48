"""Coding units: interviewer turns are refused (unless the project allows them), short turns
join the speaker's previous segment or stay as context, and counts roll up the codebook."""

from __future__ import annotations

from pathlib import Path

import pytest
from projects import write_tiny_project

from qualkit.errors import ProjectError
from qualkit.project import Project

SHORT_TURNS = """\
---
id: p3
speakers:
  Interviewer: interviewer
  Maya: P01
---
Interviewer: Did the group help?

Maya: No.

Interviewer: Can you say more about that?

Maya: The sessions were in the morning, when the baby slept.

Maya: Yeah, sorry.

Interviewer: And the evenings?
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    write_tiny_project(tmp_path)
    (tmp_path / "transcripts" / "p3.txt").write_text(SHORT_TURNS, encoding="utf-8")
    p = Project.open(tmp_path)
    p.ingest()
    yield p
    p.close()


def rows(p: Project, transcript: str = "p3") -> list:
    return [r for r in p.segment_rows(transcript) if not r.orphaned]


def test_short_turn_joins_the_same_speakers_previous_segment(project: Project) -> None:
    texts = [r.text for r in rows(project)]
    joined = "The sessions were in the morning, when the baby slept.\nYeah, sorry."
    assert joined in texts
    assert "Yeah, sorry." not in texts  # folded, not a unit of its own


def test_short_turn_after_the_interviewer_is_context(project: Project) -> None:
    no = next(r for r in rows(project) if r.text == "No.")
    assert not project.is_coding_unit(no)
    assert "No." not in project.segments("p3").text.tolist()  # not offered as a unit
    with pytest.raises(ProjectError, match="short turn kept as context"):
        project.code(no.segment_id, "impact", "ana")
    units = project.progress("ana").set_index("transcript").loc["p3", "segments"]
    assert units == 1  # only the joined answer counts towards progress


def test_interviewer_turns_are_refused_with_a_clear_message(project: Project) -> None:
    question = next(r for r in rows(project) if r.is_interviewer)
    with pytest.raises(ProjectError) as err:
        project.code(question.segment_id, "impact", "ana")
    message = str(err.value)
    assert "interviewer turn" in message and "code_interviewer: true" in message
    assert "\n" not in message
    assert project.codings("ana").empty


def test_a_project_can_allow_coding_the_interviewer(tmp_path: Path) -> None:
    write_tiny_project(tmp_path)
    (tmp_path / "qualkit.yaml").write_text("code_interviewer: true\n", encoding="utf-8")
    with Project.open(tmp_path) as p:
        p.ingest()
        question = next(r for r in p.segment_rows("p1") if r.is_interviewer)
        p.code(question.segment_id, "access", "ana")
        assert p.codes_of(question.segment_id) == ["access"]
        assert question.segment_id in p.segments("p1").segment_id.tolist()


def test_min_words_setting_is_checked(tmp_path: Path) -> None:
    write_tiny_project(tmp_path)
    (tmp_path / "qualkit.yaml").write_text("min_words: lots\n", encoding="utf-8")
    with pytest.raises(ProjectError, match="min_words"):
        Project.open(tmp_path)


def test_reingest_with_folding_keeps_codings_attached(tmp_path: Path) -> None:
    write_tiny_project(tmp_path)
    (tmp_path / "transcripts" / "p3.txt").write_text(SHORT_TURNS, encoding="utf-8")
    settings = tmp_path / "qualkit.yaml"
    settings.write_text("min_words: 0\n", encoding="utf-8")  # no folding at first
    with Project.open(tmp_path) as p:
        p.ingest()
        answer = next(r for r in p.segment_rows("p3") if r.text.startswith("The sessions"))
        sorry = next(r for r in p.segment_rows("p3") if r.text == "Yeah, sorry.")
        p.code(answer.segment_id, "waiting", "ana")
        p.code(sorry.segment_id, "impact", "ana")
    settings.write_text("min_words: 3\n", encoding="utf-8")
    with Project.open(tmp_path) as p:
        p.ingest()
        joined = next(r for r in p.segment_rows("p3") if r.text.startswith("The sessions"))
        assert joined.text.endswith("Yeah, sorry.") and not joined.orphaned
        # Both codings now sit on the joined segment; none was dropped or orphaned.
        assert sorted(p.codes_of(joined.segment_id, "ana")) == ["impact", "waiting"]
        assert len(p.codings("ana")) == 2


def test_counts_roll_up_each_segment_once(project: Project) -> None:
    frame = project.segments("p1")
    first, second = frame.segment_id.tolist()[:2]
    project.code(first, "referral", "ana")
    project.code(first, "waiting", "ana")  # same segment, two sub-codes: the theme counts 1
    project.code(second, "access", "ana")  # the theme itself
    project.code(second, "waiting", "bo")
    mine = project.code_counts("ana")
    assert mine == {"referral": 1, "waiting": 1, "access": 2}
    everyone = project.code_counts()
    assert everyone["waiting"] == 2 and everyone["access"] == 2
    assert "impact" not in everyone
