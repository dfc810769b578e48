"""The segments behind each matrix cell (what the workbench lists) agree with the matrix, and
the workbench's layer rule; on the fictional project of tests/report_project.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_project import coded_report_project, segment_ids

from qualkit.errors import QualkitError, ReportError
from qualkit.project import Project
from qualkit.reports.layers import workbench_layer, workbench_layers
from qualkit.reports.matrix import TOTAL
from qualkit.reports.matrix_cells import cell_segments
from qualkit.reports.preview import QuotePreview


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = coded_report_project(tmp_path)
    yield p
    p.close()


@pytest.mark.parametrize("by", ["group", "service"])
def test_every_cell_lists_what_the_matrix_counts(project: Project, by: str) -> None:
    segments = project.matrix(by=by, measure="segments")
    people = project.matrix(by=by, measure="participants")
    for code, _name in segments.index:
        for column in segments.columns:
            found = cell_segments(project, code, column, by=by, layer="ana")
            assert len(found) == segments.loc[(code, _name), column], (code, column)
            speakers = {s.participant for s in found}
            assert len(speakers) == people.loc[(code, _name), column], (code, column)


def test_a_cell_holds_the_hand_worked_segments(project: Project) -> None:
    ids = segment_ids(project)
    waiting_parents = cell_segments(project, "waiting", "Parent", by="group", layer="ana")
    assert [s.segment_id for s in waiting_parents] == [ids["a"], ids["c"]]
    # The theme rolls up: a is coded referral and waiting, and is listed once, with both.
    access = cell_segments(project, "access", None, by="group", layer="ana")
    assert [s.segment_id for s in access] == [ids[k] for k in "abcgh"]
    assert access[0].codes == ("referral", "waiting")
    assert cell_segments(project, "access", TOTAL, by="group", layer="ana") == access
    # Quotes keep brackets and show the stored trim with /.../.
    assert "[laughs]" in access[0].quote
    trimmed = next(s for s in access if s.segment_id == ids["b"])
    assert trimmed.starred
    assert (
        trimmed.quote == "/.../ [team member] called me every week after that, even when I "
        "missed a session."
    )


def test_bad_cells_are_one_clear_line(project: Project) -> None:
    with pytest.raises(QualkitError, match="nope"):
        cell_segments(project, "nope", "Parent", by="group", layer="ana")
    with pytest.raises(ReportError, match="unknown attribute 'colour'"):
        cell_segments(project, "access", "Parent", by="colour", layer="ana")
    assert cell_segments(project, "access", "Nobody", by="group", layer="ana") == []


def reopened(root: Path, blind: str) -> Project:
    with (root / "qualkit.yaml").open("a", encoding="utf-8") as f:
        f.write(f"blind: {blind}\n")
    return Project.open(root)


def test_the_workbench_layer_rule_when_coders_see_each_other(tmp_path: Path) -> None:
    coded_report_project(tmp_path).close()
    with reopened(tmp_path, "false") as project:
        ids = segment_ids(project)
        assert workbench_layers(project, "ana") == ["ana"]  # the only coder
        assert workbench_layer(project, "bo") == "ana"  # bo may count ana's layer
        project.code(ids["c"], "waiting", "bo")
        # Several coders, no consensus: each coder counts their own layer first.
        assert workbench_layers(project, "ana") == ["ana", "bo"]
        assert workbench_layers(project, "bo") == ["bo", "ana"]
        assert workbench_layers(project, "cy") == ["ana", "bo"]  # a report author: the first
        project.code(ids["c"], "waiting", "consensus")
        assert workbench_layers(project, "bo") == ["consensus", "ana", "bo"]


def test_a_blind_coder_counts_only_their_own_layer(tmp_path: Path) -> None:
    coded_report_project(tmp_path).close()
    with reopened(tmp_path, "true") as project:
        ids = segment_ids(project)
        project.code(ids["c"], "waiting", "bo")
        project.code(ids["c"], "waiting", "consensus")
        assert workbench_layers(project, "ana") == ["ana"]
        assert workbench_layers(project, "bo") == ["bo"]
        # Someone who codes nothing (the report author) gets the export default.
        assert workbench_layers(project, "cy") == ["consensus", "ana", "bo"]


def test_by_default_blinding_starts_with_a_second_coder(project: Project) -> None:
    ids = segment_ids(project)
    assert workbench_layers(project, "bo") == ["ana"]  # nobody else codes: bo is not blind
    project.code(ids["c"], "waiting", "bo")
    assert workbench_layers(project, "ana") == ["ana"]
    assert workbench_layers(project, "bo") == ["bo"]
    project.code(ids["c"], "waiting", "consensus")
    assert workbench_layers(project, "bo") == ["bo"]
    assert workbench_layer(project, "cy") == "consensus"


def test_no_codings_is_one_clear_line(tmp_path: Path) -> None:
    from report_project import write_report_project

    write_report_project(tmp_path)
    with Project.open(tmp_path) as project:
        project.ingest()
        with pytest.raises(ReportError, match="no codings yet"):
            workbench_layers(project, "ana")


def test_the_preview_is_the_markdown_quote_line(project: Project) -> None:
    ids = segment_ids(project)
    text = project.segment(ids["b"])["text"]
    start = text.index("[team member] called")
    preview = QuotePreview(project)
    assert preview.problem is None
    # pseudonyms.yaml maps Anna to [team member]; the attribution follows qualkit.yaml.
    assert preview.line(text, None, "P01") == (
        "\"[team member]'s group was the first place I felt listened to. [team member] called "
        'me every week after that, even when I missed a session." (Parent, Together Time)'
    )
    assert preview.line(text, (0, start - 1), "P01") == (
        '"[team member]\'s group was the first place I felt listened to. /.../" '
        "(Parent, Together Time)"
    )
