"""The report author's workbench parts, driven by Pilot: the matrix screen (`g`) and trimming a
starred quote (`"`), on the fictional project of tests/report_project.py; SVG snapshots at 80x24.

Update the snapshots after an intended change with:
pytest tests/tui/test_tui_reports.py --snapshot-update
"""

from __future__ import annotations

from pathlib import Path

import pytest
from qualkit.tui.app import CodingScreen, QualkitApp
from qualkit.tui.screens.matrix import CellSegmentsScreen, MatrixScreen
from qualkit.tui.screens.trim import TrimScreen
from qualkit.tui.widgets.transcript_view import TranscriptView
from report_project import coded_report_project, segment_ids, write_report_project
from textual.widgets import DataTable, OptionList, Static

from qualkit.project import Project
from qualkit.reports.exports import export_quotes
from qualkit.reports.matrix_view import format_value

SMALL = (80, 24)
# A fixed "data as of" date (the reproducible-builds variable the exports honour), so the
# matrix note in the snapshots does not change from day to day.
EPOCH = "1767225600"

# A fictional four-sentence answer to trim, with bracketed words that are data.
LONG_ANSWER = (
    "We sat on the floor with the toys. [my baby] reached for me first, which never happened "
    "before. I cried a bit [laughs] in the car. Next week we go back."
)
T4 = f"""\
---
id: t4
speakers:
  Interviewer: interviewer
  Lou: P03
---
FICTIONAL TRANSCRIPT for qualkit tests.

Interviewer: Tell me about the last session.

Lou: {LONG_ANSWER}
"""


@pytest.fixture(autouse=True)
def _fixed_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


@pytest.fixture
def report(tmp_path: Path) -> Path:
    """The report project coded by ana (tests/report_project.py)."""
    root = tmp_path / "study"
    coded_report_project(root).close()
    return root


@pytest.fixture
def trimmable(tmp_path: Path) -> tuple[Path, int]:
    """The report project plus t4, whose long answer ana coded `bonding` and starred."""
    root = tmp_path / "study"
    write_report_project(root)
    (root / "transcripts" / "t4.txt").write_text(T4, encoding="utf-8")
    with Project.open(root) as p:
        p.ingest()
        frame = p.segments("t4")
        sid = int(frame[frame.text == LONG_ANSWER].segment_id.iloc[0])
        p.code(sid, "bonding", "ana")
        p.star(sid, "bonding", "ana")
    return root, sid


def app_for(root: Path, **kw) -> QualkitApp:
    return QualkitApp(Project.open(root), "ana", suggestions=False, cursor_blink=False, **kw)


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def table_texts(table: DataTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(r)] for r in range(table.row_count)]


# -- the matrix screen -----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_matrix_cells_equal_project_matrix_for_every_measure(report: Path) -> None:
    app = app_for(report)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MatrixScreen)
        table = screen.query_one(DataTable)
        for measure in ("participants", "segments", "percent"):
            assert screen.measure == measure
            with Project.open(report) as p:
                expected = p.matrix(by="group", measure=measure)
            assert [str(c.label).split("\n")[0] for c in table.columns.values()] == list(
                expected.columns
            )
            assert screen.row_codes == [code for code, _ in expected.index]
            assert table_texts(table) == [
                [format_value(v, measure) for v in row] for row in expected.to_numpy()
            ]
            await pilot.press("m")  # the next measure
            await settle(pilot)
        # The hand-worked participants row of the matrix tests: Access is raised by 2 of the
        # 3 parents, 1 stakeholder and the team member.
        assert table_texts(table)[0] == ["2", "1", "1", "4"]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CodingScreen)


@pytest.mark.asyncio
async def test_enter_lists_a_cells_segments_and_opens_one(report: Path) -> None:
    with Project.open(report) as p:
        ids = segment_ids(p)
    app = app_for(report)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        # Arrow keys to Waiting (third row) × Stakeholder (second column), then back to Parent.
        await pilot.press("down", "down", "right")
        assert app.screen.cell_at(*app.screen.query_one(DataTable).cursor_coordinate) == (
            "waiting",
            "Stakeholder",
        )
        cell_line = str(app.screen.query_one("#matrix-cell", Static).render())
        assert cell_line == "Waiting · group Stakeholder (n=2): 1 participant(s) raised it"
        await pilot.press("left", "enter")
        await settle(pilot)
        cells = app.screen
        assert isinstance(cells, CellSegmentsScreen)
        options = cells.query_one(OptionList)
        listed = [options.get_option_at_index(i) for i in range(options.option_count)]
        assert [int(o.id.split("\t")[1]) for o in listed] == [ids["a"], ids["c"]]
        # Participant and quote, with the brackets intact (data, not markup).
        first = str(listed[0].prompt)
        assert "P01" in first
        assert "the wait felt endless [laughs] because nobody rang back" in first
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CodingScreen)
        view = app.screen.query_one(TranscriptView)
        assert view.current is not None and view.current.segment_id == ids["c"]
        assert app.screen.transcript == "t1"


@pytest.mark.asyncio
async def test_escape_from_the_cell_list_returns_to_the_matrix(report: Path) -> None:
    app = app_for(report)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CellSegmentsScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MatrixScreen)
        # An empty cell (Impact × Stakeholder) says so instead of opening an empty list.
        await pilot.press("down", "down", "down", "right", "enter")
        await settle(pilot)
        assert isinstance(app.screen, MatrixScreen)


@pytest.mark.asyncio
async def test_matrix_from_the_palette_and_a_remapped_key(report: Path) -> None:
    from qualkit.tui.bindings import load_keymap

    (report / ".qualkit" / "keys.toml").write_text('matrix = "ctrl+g"\n', encoding="utf-8")
    app = app_for(report, keymap=load_keymap(report))
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("g")  # no longer bound
        await settle(pilot)
        assert isinstance(app.screen, CodingScreen)
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert isinstance(app.screen, MatrixScreen)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"theme group matrix")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MatrixScreen)


@pytest.mark.asyncio
async def test_several_coders_without_consensus_see_their_own_layer(report: Path) -> None:
    with Project.open(report) as p:
        ids = segment_ids(p)
        p.code(ids["h"], "waiting", "bo")
        expected = p.matrix(by="group", layer="bo")
    app = QualkitApp(Project.open(report), "bo", suggestions=False, cursor_blink=False)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        assert "layer bo" in str(app.screen.query_one("#matrix-title", Static).render())
        table = app.screen.query_one(DataTable)
        assert table_texts(table) == [
            [format_value(v, "participants") for v in row] for row in expected.to_numpy()
        ]
        assert table_texts(table)[2] == ["0", "1", "0", "1"]  # Waiting: bo's one stakeholder


@pytest.mark.asyncio
async def test_a_report_author_switches_layers_and_the_look_is_logged(report: Path) -> None:
    with Project.open(report) as p:
        ids = segment_ids(p)
        p.code(ids["h"], "waiting", "bo")
        expected = p.matrix(by="group", layer="bo")
    app = QualkitApp(Project.open(report), "cy", suggestions=False, cursor_blink=False)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        title = app.screen.query_one("#matrix-title", Static)
        assert "layer ana" in str(title.render())  # no consensus: the first layer
        await pilot.press("l")
        await settle(pilot)
        assert "layer bo" in str(title.render())
        assert table_texts(app.screen.query_one(DataTable)) == [
            [format_value(v, "participants") for v in row] for row in expected.to_numpy()
        ]
        await pilot.press("m", "l")  # back to ana: each layer's look is logged once
        await settle(pilot)
    with Project.open(report) as p:
        views = [e for e in p.events("cy") if e.action == "view-layer"]
        assert sorted(e.payload["layers"][0] for e in views) == ["ana", "bo"]


@pytest.mark.asyncio
async def test_undo_after_looking_at_the_matrix_undoes_the_last_action(report: Path) -> None:
    with (report / "qualkit.yaml").open("a", encoding="utf-8") as f:
        f.write("blind: false\n")
    with Project.open(report) as p:
        ids = segment_ids(p)
        p.code(ids["c"], "waiting", "consensus")
        trimmed = p.trimmed_quote(ids["b"], "referral", "ana").span
    assert trimmed is not None
    app = app_for(report)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        app.screen.open_transcript("t1", ids["b"])
        await settle(pilot)
        await pilot.press("quotation_mark", "w", "enter")  # the whole segment again
        await settle(pilot)
        with Project.open(report) as p:
            assert p.trimmed_quote(ids["b"], "referral", "ana").span is None
        await pilot.press("g")
        await settle(pilot)
        assert "layer consensus" in str(app.screen.query_one("#matrix-title", Static).render())
        await pilot.press("escape", "u")  # looking is logged, but undo steps over it
        await settle(pilot)
    with Project.open(report) as p:
        assert p.trimmed_quote(ids["b"], "referral", "ana").span == trimmed


@pytest.mark.asyncio
async def test_matrix_without_codings_says_so(tmp_path: Path) -> None:
    root = tmp_path / "study"
    write_report_project(root)
    with Project.open(root) as p:
        p.ingest()
    app = app_for(root)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        title = str(app.screen.query_one("#matrix-title", Static).render())
        assert "no codings yet" in title
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CodingScreen)


# -- trimming a starred quote ----------------------------------------------------------------


async def open_segment(pilot, segment_id: int) -> None:
    await settle(pilot)
    pilot.app.screen.open_transcript("t4", segment_id)
    await settle(pilot)


@pytest.mark.asyncio
async def test_trim_dialog_stores_the_span_and_the_quote_bank_shows_it(
    trimmable: tuple[Path, int], tmp_path: Path
) -> None:
    root, sid = trimmable
    kept = "[my baby] reached for me first, which never happened before. I cried a bit [laughs] "
    kept += "in the car."
    app = app_for(root)
    async with app.run_test(size=SMALL) as pilot:
        await open_segment(pilot, sid)
        await pilot.press("quotation_mark")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, TrimScreen)
        assert len(dialog.sentences) == 4
        await pilot.press("down")  # the start moves to the second sentence
        await pilot.press("tab", "up")  # the end moves back to the third
        await pilot.pause()
        preview = str(dialog.query_one("#trim-preview", Static).render())
        assert preview == f'"/.../ {kept} /.../" (Parent, Baby Steps)'
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CodingScreen)
        with Project.open(root) as p:
            quote = p.trimmed_quote(sid, "bonding", "ana")
            start = LONG_ANSWER.index("[my baby]")
            assert quote.span == (start, start + len(kept))
            assert quote.words == kept
            out = export_quotes(p, tmp_path / "quotes.md", allow_names=True)
        markdown = out.read_text(encoding="utf-8")
        assert f'"/.../ {kept} /.../" (Parent, Baby Steps)' in markdown
        # Undo takes the trim back like any other action.
        await pilot.press("u")
        await settle(pilot)
        with Project.open(root) as p:
            assert p.trimmed_quote(sid, "bonding", "ana").span is None


@pytest.mark.asyncio
async def test_trim_dialog_escape_stores_nothing(trimmable: tuple[Path, int]) -> None:
    root, sid = trimmable
    app = app_for(root)
    async with app.run_test(size=SMALL) as pilot:
        await open_segment(pilot, sid)
        await pilot.press("quotation_mark")
        await settle(pilot)
        await pilot.press("down", "down", "escape")
        await settle(pilot)
        assert isinstance(app.screen, CodingScreen)
        with Project.open(root) as p:
            assert p.trimmed_quote(sid, "bonding", "ana").span is None
            assert p.events("ana", limit=1)[0].action != "span"


@pytest.mark.asyncio
async def test_trim_needs_a_starred_coding(trimmable: tuple[Path, int]) -> None:
    root, sid = trimmable
    with Project.open(root) as p:
        p.star(sid, "bonding", "ana", starred=False)
    app = app_for(root)
    async with app.run_test(size=SMALL) as pilot:
        await open_segment(pilot, sid)
        await pilot.press("quotation_mark")
        await settle(pilot)
        assert isinstance(app.screen, CodingScreen)
        assert any("Star one of your codings" in str(n.message) for n in app._notifications)


@pytest.mark.asyncio
async def test_trim_dialog_reopens_on_the_stored_span(trimmable: tuple[Path, int]) -> None:
    root, sid = trimmable
    with Project.open(root) as p:
        start = LONG_ANSWER.index("I cried")
        p.trim_quote(sid, "bonding", "ana", (start, len(LONG_ANSWER)))
    app = app_for(root)
    async with app.run_test(size=SMALL) as pilot:
        await open_segment(pilot, sid)
        await pilot.press("quotation_mark")
        await settle(pilot)
        dialog = app.screen
        assert (dialog.first, dialog.last) == (2, 3)
        await pilot.press("w", "enter")  # back to the whole segment
        await settle(pilot)
        with Project.open(root) as p:
            assert p.trimmed_quote(sid, "bonding", "ana").span is None


# -- snapshots at 80x24 ----------------------------------------------------------------------


def test_matrix_screen_snapshot(report: Path, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)

    assert snap_compare(app_for(report), terminal_size=SMALL, run_before=run_before)


def test_matrix_cell_segments_snapshot(report: Path, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        await pilot.press("down", "enter")  # Referral × Parent: brackets in both quotes
        await settle(pilot)

    assert snap_compare(app_for(report), terminal_size=SMALL, run_before=run_before)


def test_trim_dialog_snapshot(trimmable: tuple[Path, int], snap_compare) -> None:
    root, sid = trimmable

    async def run_before(pilot) -> None:
        await open_segment(pilot, sid)
        await pilot.press("quotation_mark")
        await settle(pilot)
        await pilot.press("down")
        await settle(pilot)

    assert snap_compare(app_for(root), terminal_size=SMALL, run_before=run_before)
