"""The theme × group matrix on a fictional project, every cell worked out by hand.

Codings (coder ana; see report_project.CODINGS), with who said each segment:

    a  P01 Parent/Together Time   referral + waiting   (one segment, two sub-codes of access)
    b  P01 Parent/Together Time   referral
    c  P02 Parent/Together Time   waiting
    d  P02 Parent/Together Time   bonding
    e  P03 Parent/Baby Steps      bonding
    f  P03 Parent/Baby Steps      impact (the theme itself)
    y  P03 Parent/Baby Steps      bonding
    g  T01 Team member            referral
    h  S01 Stakeholder            waiting
Participants per group: Parent 3, Stakeholder 2 (S02 never speaks), Team member 1; all 6.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from report_project import coded_report_project, segment_ids

from qualkit.errors import QualkitError, ReportError
from qualkit.project import Project
from qualkit.reports.layers import choose_layer

GROUPS = ["Parent", "Stakeholder", "Team member", "Total"]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = coded_report_project(tmp_path)
    yield p
    p.close()


def rows(frame) -> dict[str, list]:
    return {
        code: list(values)
        for (code, _name), values in zip(frame.index, frame.to_numpy(), strict=True)
    }


def test_segments_roll_up_and_count_a_segment_once(project: Project) -> None:
    m = project.matrix(by="group", measure="segments")
    assert list(m.columns) == GROUPS
    assert rows(m) == {
        "access": [3, 1, 1, 5],  # a (twice coded: once), b, c | h | g
        "referral": [2, 0, 1, 3],  # a, b | - | g
        "waiting": [2, 1, 0, 3],  # a, c | h
        "impact": [4, 0, 0, 4],  # d, e, f, y
        "bonding": [3, 0, 0, 3],  # d, e, y
    }
    assert list(m.index.get_level_values("name")) == [
        "Access",
        "Referral",
        "Waiting",
        "Impact",
        "Bonding",
    ]


def test_participants_count_a_person_once(project: Project) -> None:
    m = project.matrix(by="group", measure="participants")
    assert rows(m) == {
        "access": [2, 1, 1, 4],  # P01, P02 | S01 | T01
        "referral": [1, 0, 1, 2],  # P01 | T01
        "waiting": [2, 1, 0, 3],  # P01, P02 | S01
        "impact": [2, 0, 0, 2],  # P02, P03
        "bonding": [2, 0, 0, 2],  # P02, P03
    }
    assert m.attrs["denominators"] == [3, 2, 1, 6]


def test_percent_divides_by_everyone_in_the_group(project: Project) -> None:
    m = project.matrix(by="group", measure="percent")
    expected = {
        "access": [200 / 3, 50.0, 100.0, 400 / 6],
        "referral": [100 / 3, 0.0, 100.0, 200 / 6],
        "waiting": [200 / 3, 50.0, 0.0, 50.0],
        "impact": [200 / 3, 0.0, 0.0, 200 / 6],
        "bonding": [200 / 3, 0.0, 0.0, 200 / 6],
    }
    got = rows(m)
    for code, values in expected.items():
        assert got[code] == pytest.approx(values), code


def test_theme_level_shows_themes_only(project: Project) -> None:
    m = project.matrix(by="group", measure="segments", level="theme")
    assert rows(m) == {"access": [3, 1, 1, 5], "impact": [4, 0, 0, 4]}


def test_two_attributes_nest_the_columns(project: Project) -> None:
    m = project.matrix(by=["group", "service"], measure="participants")
    assert list(m.columns) == [
        ("Parent", "Baby Steps"),
        ("Parent", "Together Time"),
        ("Stakeholder", "(blank)"),
        ("Team member", "(blank)"),
        ("Total", ""),
    ]
    assert rows(m)["access"] == [0, 2, 1, 1, 4]
    assert rows(m)["impact"] == [1, 1, 0, 0, 2]
    assert m.attrs["denominators"] == [1, 2, 2, 1, 6]


def test_metadata_says_layer_transcripts_and_date(project: Project) -> None:
    m = project.matrix(by="group")
    info = m.attrs["info"]
    assert info.layer == "ana" and m.attrs["layer"] == "ana"
    assert info.transcripts == ("t1", "t2", "t3") and info.transcripts_total == 3
    assert len(info.date) == 10 and info.date[4] == "-"
    assert "layer ana" in info.describe() and "3 of 3 transcripts" in info.describe()


def test_layer_rules(project: Project) -> None:
    assert choose_layer(project) == "ana"  # the only coder
    ids = segment_ids(project)
    project.code(ids["g"], "waiting", "ben")
    with pytest.raises(ReportError, match="several coders .* choose one with --layer"):
        project.matrix(by="group")
    assert rows(project.matrix(by="group", layer="ben", measure="segments"))["waiting"] == [
        0,
        0,
        1,
        1,
    ]
    project.code(ids["c"], "waiting", "consensus")
    assert project.matrix(by="group").attrs["layer"] == "consensus"  # consensus wins
    assert rows(project.matrix(by="group", measure="segments"))["waiting"] == [1, 0, 0, 1]


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"by": "grup"}, "unknown attribute 'grup' (participant attributes: group, service)"),
        ({"by": ["group", "group"]}, "given twice"),
        ({"by": []}, "needs an attribute"),
        ({"measure": "people"}, "unknown measure 'people'"),
        ({"level": "sub"}, "unknown level 'sub'"),
        ({"layer": "bob"}, "unknown layer 'bob' (layers with codings: ana)"),
    ],
)
def test_bad_requests_are_one_clear_line(project: Project, kwargs: dict, needle: str) -> None:
    args = {"by": "group", **kwargs}
    with pytest.raises(QualkitError) as caught:
        project.matrix(**args)
    message = str(caught.value)
    assert needle in message and "\n" not in message


def test_no_codings_is_an_error(tmp_path: Path) -> None:
    from report_project import write_report_project

    write_report_project(tmp_path)
    with Project.open(tmp_path) as p:
        p.ingest()
        with pytest.raises(ReportError, match="no codings yet"):
            p.matrix(by="group")


def test_percent_of_an_empty_group_is_not_a_number(project: Project) -> None:
    # a speaker with no participants.csv row lands in "(blank)" with no denominator
    m = project.matrix(by="service", measure="percent")
    assert "(blank)" in m.columns
    assert not any(math.isnan(v) for v in m["Total"])
