"""The second coder through the real workbench (Pilot): automatic blinding and its notice,
the done-mark confirmation, and adjudication with undo."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from qualkit.tui.app import QualkitApp
from qualkit.tui.screens.adjudication import AdjudicationScreen
from qualkit.tui.widgets.confirm import ConfirmScreen

from qualkit.project import Project

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from second_project import code_both, make_second_project, unit_ids  # noqa: E402

pytestmark = pytest.mark.asyncio
SIZE = (120, 40)


def open_app(root: Path, coder: str) -> tuple[Project, QualkitApp]:
    project = Project.open(root)
    return project, QualkitApp(project, coder, suggestions=False, cursor_blink=False)


async def test_second_coder_is_blind_automatically_and_told_once(tmp_path: Path) -> None:
    root = make_second_project(tmp_path / "s")  # no 'blind' setting
    with Project.open(root) as setup:
        first = unit_ids(setup)[0]
        setup.code(first, "referral", "ana")
    for visit in (1, 2):
        project, app = open_app(root, "ben")
        notices: list[str] = []
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            notices = [n.message for n in app._notifications]
            screen = app.screen
            assert screen.blind is True
            item = next(s for s in screen.view.items if s.segment_id == first)
            assert item.chips == []  # ana's coding is not shown to ben
        project.close()
        blind_notes = [n for n in notices if n.startswith("Blind coding")]
        assert len(blind_notes) == (1 if visit == 1 else 0)
    with Project.open(root) as p:
        sessions = [e for e in p.events("ben") if e.action == "workbench-open"]
        assert len(sessions) == 2 and all(e.payload["blind"] for e in sessions)
        assert all(e.payload["setting"] == "auto" for e in sessions)


async def test_done_below_90_percent_asks_first(tmp_path: Path) -> None:
    root = make_second_project(tmp_path / "s", blind="true")
    project, app = open_app(root, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        transcript = app.screen.transcript
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert not bool(project.progress("ana").set_index("transcript").loc[transcript, "done"])
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert bool(project.progress("ana").set_index("transcript").loc[transcript, "done"])
    project.close()


async def test_adjudication_screen_decides_notes_and_undoes(tmp_path: Path) -> None:
    root = make_second_project(tmp_path / "s", blind="true")
    with Project.open(root) as setup:
        units = code_both(setup)
    project, app = open_app(root, "cat")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("A")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, AdjudicationScreen)
        assert [(d.segment_id, d.code) for d in screen.items] == [
            (units[3], "referral"),
            (units[4], "referral"),
            (units[5], "support"),
        ]
        shown = str(screen.query_one("#segment").render())
        assert "A leaflet came through the door" in shown
        # a note, then take ana's: referral goes into consensus on unit 3
        await pilot.press("m")
        await pilot.pause()
        await pilot.press(*"ana is right", "ctrl+s")
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        assert project.codes_of(units[3], "consensus") == ["referral"]
        event = project.events("cat")[0]
        assert event.action == "adjudicate" and event.payload["layer"] == "consensus"
        assert event.payload["note"] == "ana is right" and event.payload["decision"] == "a"
        # neither on unit 4, then undo it and take both instead
        await pilot.press("n")
        await pilot.pause()
        assert project.codes_of(units[4], "consensus") == []
        await pilot.press("u")
        await pilot.pause()
        assert screen.current.segment_id == units[4]
        await pilot.press("h")
        await pilot.pause()
        assert project.codes_of(units[4], "consensus") == ["referral"]
        # undo the 'both': the consensus coding goes again
        await pilot.press("u")
        await pilot.pause()
        assert project.codes_of(units[4], "consensus") == []
        # the unit 5 text keeps its brackets on screen
        await pilot.press("down")
        await pilot.pause()
        assert "[team member]" in str(screen.query_one("#segment").render())
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, AdjudicationScreen)
    project.close()
