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
        await pilot.press("ctrl+a")
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


async def test_coding_screen_shows_consensus_after_adjudicating(tmp_path: Path) -> None:
    """Close the adjudication screen: the coding screen shows the consensus layer and the new
    counts at once (the decisions went through this window's connection, which the database
    watch does not see), and u there undoes the last decision."""
    root = make_second_project(tmp_path / "s", blind="true")
    with Project.open(root) as setup:
        units = code_both(setup)
    project, app = open_app(root, "cat")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        coding = app.screen
        assert coding.blind and coding.everyone.get("referral", 0) == 0
        await pilot.press("ctrl+a")
        await pilot.pause()
        await pilot.press("a", "h", "escape")  # take ana's on unit 3, both on unit 4
        await pilot.pause()
        assert app.screen is coding and coding.blind is False
        # it shows where adjudication left off: the next disagreement, unit 5
        assert coding.transcript == "t1" and coding.view.current.segment_id == units[5]
        chips = {
            s.segment_id: [(c.code, c.coder) for c in s.chips if c.coder == "consensus"]
            for s in coding.view.items
        }
        assert chips[units[3]] == [("referral", "consensus")]
        assert chips[units[4]] == [("referral", "consensus")]
        assert chips[units[5]] == []
        # consensus comes before the coders' chips: a narrow terminal cuts the line's end
        unit_3 = next(s for s in coding.view.items if s.segment_id == units[3])
        assert [c.coder for c in unit_3.chips] == ["consensus", "ana"]
        assert coding.everyone["referral"] == 5  # units 0-4 in somebody's layer
        assert "yours/all" in str(coding.query_one("#codebook-title").render())
        await pilot.press("u")  # the coding screen's undo takes back the last decision
        await pilot.pause()
        assert project.codes_of(units[4], "consensus") == []
        item = next(s for s in coding.view.items if s.segment_id == units[4])
        assert ("referral", "consensus") not in [(c.code, c.coder) for c in item.chips]
    project.close()


async def test_two_windows_one_coder_undo_isolation_and_pick_up(tmp_path: Path) -> None:
    root = make_second_project(tmp_path / "s", blind="true")
    project_a, app_a = open_app(root, "ana")
    project_b, app_b = open_app(root, "ana")
    async with app_a.run_test(size=SIZE) as pilot_a, app_b.run_test(size=SIZE) as pilot_b:
        await pilot_a.pause()
        await pilot_b.pause()
        sid = app_a.screen.view.current.segment_id
        await pilot_a.press("r")  # window A codes 'referral'
        await pilot_a.pause()
        assert project_a.codes_of(sid, "ana") == ["referral"]
        # window B picks it up within a few seconds, without a restart
        await pilot_b.pause(2.5)
        item_b = next(s for s in app_b.screen.view.items if s.segment_id == sid)
        assert item_b.codes_by("ana") == ["referral"]
        # B did not make it: B's undo refuses, clearly, and changes nothing
        app_b._notifications.clear()
        await pilot_b.press("u")
        await pilot_b.pause()
        messages = [n.message for n in app_b._notifications]
        assert any("another window" in m for m in messages), messages
        assert any("qualkit undo --coder ana" in m for m in messages), messages  # if closed
        assert project_b.codes_of(sid, "ana") == ["referral"]
        # A's own undo works
        await pilot_a.press("u")
        await pilot_a.pause()
        assert project_a.codes_of(sid, "ana") == []
        await pilot_b.pause(2.5)
        item_b = next(s for s in app_b.screen.view.items if s.segment_id == sid)
        assert item_b.codes_by("ana") == []
    project_a.close()
    project_b.close()


async def test_coder_option_does_not_replace_the_remembered_coder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qualkit.tui import app as app_module

    root = make_second_project(tmp_path / "s", blind="true")
    with Project.open(root) as p:
        p.remember_coder("ana")
    opened: list[str | None] = []

    class FakeApp:  # records who the workbench would open as, without a terminal
        def __init__(self, project: Project, coder: str | None, **_: object) -> None:
            opened.append(coder)
            self.return_code = 0

        def run(self) -> None:
            pass

    monkeypatch.setattr(app_module, "QualkitApp", FakeApp)
    app_module.run_app(root, "ben")
    with Project.open(root) as p:
        assert p.remembered_coder == "ana"
    app_module.run_app(root, "ben", remember=True)
    with Project.open(root) as p:
        assert p.remembered_coder == "ben"
    assert opened == ["ben", "ben"]


async def test_cache_writes_from_another_connection_do_not_reload_the_window(
    tmp_path: Path,
) -> None:
    """The background embedding thread writes the embedding cache on its own connection, which
    moves SQLite's data_version every time. The window used to reload its transcript on each
    such write, and so restarted the suggestion request for the segment on screen; only a
    change somebody made (an event) reloads it now."""
    import numpy as np

    root = make_second_project(tmp_path / "s", blind="true")
    project, app = open_app(root, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        reloads: list[str] = []
        opened = screen.open_transcript
        screen.open_transcript = lambda *a, **k: (reloads.append(a[0]), opened(*a, **k))[1]
        with Project.open(root) as other:
            other.store.put_embeddings("test-model", {"abc": np.ones(4, dtype="float32")})
            sid = screen.view.current.segment_id
            other.store.record_suggestion("ana", sid, "referral", 0.5, 1, False)
            await pilot.pause(2.5)
            assert reloads == []
            # a coding made elsewhere still comes in
            other.code(sid, "referral", "ana")
            await pilot.pause(2.5)
            assert reloads == [screen.transcript]
            item = next(s for s in screen.view.items if s.segment_id == sid)
            assert item.codes_by("ana") == ["referral"]
    project.close()


async def test_after_adjudicating_the_matrix_counts_every_layer_too(tmp_path: Path) -> None:
    """Once a coder's window shows every layer (after adjudicating), the matrix still said
    "Only your own layer can be counted here" and stayed on that coder's layer."""
    root = make_second_project(tmp_path / "s", blind="true")
    people = "participant_id,group\nP01,Parent\nP02,Parent\n"
    (root / "transcripts" / "participants.csv").write_text(people, encoding="utf-8")
    with Project.open(root) as setup:
        setup.ingest()
        code_both(setup)
    project, app = open_app(root, "ben")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        coding = app.screen
        await pilot.press("ctrl+a")
        await pilot.pause()
        await pilot.press("a", "escape")
        await pilot.pause()
        assert app.screen is coding and coding.blind is False
        await pilot.press("g")
        await pilot.pause()
        matrix = app.screen
        assert set(matrix.layer_choices) == {"ana", "ben", "consensus"}
        first = matrix.layer_name
        assert first == "consensus"  # the default once a consensus layer exists
        await pilot.press("l")
        await pilot.pause()
        assert matrix.layer_name != first
        assert not any("Only your own layer" in n.message for n in app._notifications)
    project.close()
