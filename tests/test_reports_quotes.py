"""The quote bank: starred first, trimmed quotes marked /.../, ranked candidates, brackets kept,
attribution from qualkit.yaml, and the trimming API."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from report_project import coded_report_project, segment_ids

from qualkit.errors import ProjectError, QualkitError, ReportError
from qualkit.project import Project
from qualkit.reports.quotes import build_quote_bank
from qualkit.reports.trim import sentence_spans


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = coded_report_project(tmp_path)
    yield p
    p.close()


def section(bank, code: str):
    return next(s for s in bank.walk() if s.code == code)


def test_sections_follow_the_codebook_with_sub_themes_nested(project: Project) -> None:
    bank = build_quote_bank(project)
    assert [s.code for s in bank.sections] == ["access", "impact"]
    assert [c.code for c in bank.sections[0].children] == ["referral", "waiting"]
    assert [q.number for q in bank.quotes] == list(range(1, len(bank.quotes) + 1))


def test_starred_first_and_trimmed_with_elision(project: Project) -> None:
    referral = section(build_quote_bank(project), "referral")
    first = referral.quotes[0]
    assert first.starred
    assert first.display == (
        "/.../ [team member] called me every week after that, even when I missed a session."
    )
    assert first.attribution == "(Parent, Together Time)"
    assert all(not q.starred for q in referral.quotes[1:])


def test_brackets_and_words_are_kept_exactly(project: Project) -> None:
    bank = build_quote_bank(project, per_theme=0)
    words = {q.words for q in bank.quotes}
    assert "I hold [my baby] differently now, I notice when she wants to be close to me." in words
    assert any("[laughs] because nobody rang back" in w for w in words)
    segments = {int(r.segment_id): r.text for r in project.segments().itertuples()}
    for q in bank.quotes:
        if not (q.cut_before or q.cut_after):
            assert q.words == segments[q.segment_id]  # nothing else is ever changed


def test_readable_candidates_only_unless_every_segment_is_asked_for(project: Project) -> None:
    ids = segment_ids(project)
    bonding = section(build_quote_bank(project), "bonding")
    assert ids["y"] not in [q.segment_id for q in bonding.quotes]  # "Yes." is one word
    every = section(build_quote_bank(project, per_theme=0), "bonding")
    assert sorted(q.segment_id for q in every.quotes) == sorted([ids["d"], ids["e"], ids["y"]])


def test_no_participant_twice_before_every_group_has_a_quote(tmp_path: Path) -> None:
    with coded_report_project(tmp_path) as p:
        ids = segment_ids(p)
        # P01 (a, b) and P02 (c) are parents; S01 (h) a stakeholder; T01 (g) a team member
        for key in ("c", "h"):
            p.code(ids[key], "referral", "ana")
        referral = section(build_quote_bank(p, per_theme=4), "referral")
        people = [q.participant for q in referral.quotes]
        assert people[0] == "P01"  # starred (b)
        assert sorted(people[1:3]) == ["S01", "T01"]  # the other groups before a parent again
        assert people[3] == "P02"  # a new participant before P01's second quote
        assert len(people) == 4


def test_representative_by_cached_embeddings(tmp_path: Path) -> None:
    with coded_report_project(tmp_path) as p:
        ids = segment_ids(p)
        for key in ("c", "h", "d"):
            p.code(ids[key], "referral", "ana")
        frame = p.segments()
        hashes = dict(zip(frame.segment_id.astype(int), frame.text_hash, strict=True))
        # d lies near the centre of referral's segments; h far from it
        vectors = {
            key: np.array(v, dtype=np.float32)
            for key, v in {
                "a": [1, 0, 0],
                "b": [0.9, 0.1, 0],
                "c": [0.7, 0.7, 0],
                "d": [0.75, 0.3, 0.1],
                "g": [0.6, 0, 0.8],
                "h": [-1, 0, 0],
            }.items()
        }
        store_vectors = {hashes[ids[k]]: v for k, v in vectors.items()}
        others = {h: np.array([0, 0, 1], np.float32) for h in hashes.values()}
        p.store.put_embeddings("test-model", {**others, **store_vectors})
        # per_theme=0: starred, then every candidate by closeness to the centre (no diversity)
        bank = build_quote_bank(p, themes=["referral"], per_theme=0)
        assert bank.ranking == "cached embeddings (test-model)"
        quotes = section(bank, "referral").quotes
        order = ["b", "d", "a", "c", "g", "h"]  # cosines to the mean: .99 .91 .88 .75 -.91
        assert [q.segment_id for q in quotes] == [ids[k] for k in order]
        # with a limit, groups come first: after the starred parent, the team member (nearer
        # the centre) and then the stakeholder
        limited = section(build_quote_bank(p, themes=["referral"], per_theme=3), "referral")
        assert [q.segment_id for q in limited.quotes] == [ids["b"], ids["g"], ids["h"]]


def test_without_embeddings_ranking_is_deterministic_by_shared_words(project: Project) -> None:
    first = build_quote_bank(project)
    again = build_quote_bank(project)
    assert first.ranking == "shared words"
    assert [q.coding_id for q in first.quotes] == [q.coding_id for q in again.quotes]


def test_attribution_comes_from_qualkit_yaml(project: Project, tmp_path: Path) -> None:
    bank = build_quote_bank(project, per_theme=0)
    by_participant = {q.participant: q.attribution for q in bank.quotes}
    assert by_participant["P03"] == "(Parent, Baby Steps)"
    assert by_participant["T01"] == "(Team member)"  # the blank service drops out
    assert by_participant["S01"] == "(Stakeholder)"
    (project.root / "qualkit.yaml").write_text("segmentation: turn\n", encoding="utf-8")
    with Project.open(project.root) as plain:
        assert {q.attribution for q in build_quote_bank(plain, per_theme=0).quotes} == {
            "(Parent)",
            "(Team member)",
            "(Stakeholder)",
        }


@pytest.mark.parametrize(
    ("setting", "needle"),
    [
        ('quote_attribution: "({group}, {sevice})"', "unknown attribute 'sevice'"),
        ('quote_attribution: "({group"', "quote_attribution"),
        ("quote_attribution: 12", "quote_attribution must be text"),
    ],
)
def test_bad_attribution_setting_is_one_line(project: Project, setting: str, needle: str) -> None:
    (project.root / "qualkit.yaml").write_text(f"segmentation: turn\n{setting}\n", "utf-8")
    with pytest.raises(QualkitError) as caught:
        with Project.open(project.root) as p:
            build_quote_bank(p)
    assert needle in str(caught.value) and "\n" not in str(caught.value)


def test_bad_theme_and_per_theme(project: Project) -> None:
    with pytest.raises(ReportError, match=r"unknown theme id 'acess' \(themes: access, impact\)"):
        build_quote_bank(project, themes=["acess"])
    with pytest.raises(ReportError, match="--per-theme"):
        build_quote_bank(project, per_theme=-1)
    only = build_quote_bank(project, themes=["impact"])
    assert [s.code for s in only.sections] == ["impact"]


def test_trim_is_stored_undoable_and_read_back(project: Project) -> None:
    ids = segment_ids(project)
    text = project.segment(ids["c"])["text"]
    assert project.trimmed_quote(ids["c"], "waiting", "ana").span is None
    spans = sentence_spans("One. Two [laughs] three! Four")
    assert [("One. Two [laughs] three! Four")[a:b] for a, b in spans] == [
        "One.",
        "Two [laughs] three!",
        "Four",
    ]
    start = text.index("three")
    trimmed = project.trim_quote(ids["c"], "waiting", "ana", (start + 2, start + 9))
    assert trimmed.words == "three months"  # a cut inside a word moves to its edge
    assert trimmed.display == "/.../ three months /.../"
    assert project.trimmed_quote(ids["c"], "waiting", "ana") == trimmed
    project.undo("ana")
    assert project.trimmed_quote(ids["c"], "waiting", "ana").span is None
    with pytest.raises(ProjectError, match="not a stretch of words"):
        project.trim_quote(ids["c"], "waiting", "ana", (5, 500))
    with pytest.raises(ProjectError, match="has no code 'bonding' by ana"):
        project.trim_quote(ids["c"], "bonding", "ana", (0, 4))
