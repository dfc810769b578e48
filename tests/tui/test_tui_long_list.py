"""A project with more transcripts than the workbench lists at once (46,500 at 1,000,000
segments): the list shows a window around the open transcript, reads counts only for that
window, and moves the window when the coder moves past its edge."""

from __future__ import annotations

from pathlib import Path

import pytest
from qualkit.tui import model
from qualkit.tui.app import CodingScreen, QualkitApp
from qualkit.tui.widgets.panels import TranscriptList

from qualkit.project import Project

SIZE = (120, 40)
WINDOW = 4


def many_transcripts(root: Path, n: int) -> Path:
    (root / "transcripts").mkdir(parents=True)
    (root / "codebook.yaml").write_text(
        "codes:\n  - id: access\n    name: Access\n    key: a\n", encoding="utf-8"
    )
    for i in range(n):
        (root / "transcripts" / f"t{i:02}.txt").write_text(
            f"---\nid: t{i:02}\nspeakers:\n  Interviewer: interviewer\n  Maya: P{i:02}\n---\n"
            f"Interviewer: What happened next?\n\nMaya: Fictional answer number {i} here.\n\n"
            f"Interviewer: And then?\n\nMaya: Another fictional answer, {i} again.\n",
            encoding="utf-8",
        )
    with Project.init(root) as project:
        project.ingest()
    return root


def shown(app: QualkitApp) -> list[str]:
    options = app.screen.query_one(TranscriptList).options
    return [str(o.prompt) for o in options]


async def test_a_long_list_shows_a_window_and_moves_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model, "LIST_WINDOW", WINDOW)
    root = many_transcripts(tmp_path / "study", 10)
    with Project.open(root) as p:
        first = p.segments().segment_id.iloc[0]
        p.code(int(first), "access", "ana")  # t00: one of its two units coded
    project = Project.open(root)
    app = QualkitApp(project, "ana", suggestions=False, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CodingScreen)
        assert screen.transcript == "t00"
        lines = shown(app)
        # four transcripts, and a line saying how many more there are below
        assert sum("t0" in line for line in lines) == WINDOW
        assert any("6 transcripts below" in line for line in lines)
        assert any("50%" in line and "t00" in line for line in lines)
        # only the shown window was counted
        assert [e.counted for e in screen.entries] == [True] * WINDOW + [False] * 6
        for _ in range(5):
            await pilot.press("ctrl+down")
            await pilot.pause()
        assert screen.transcript == "t05"
        lines = shown(app)
        assert any("t05" in line for line in lines)
        assert any("transcripts above" in line for line in lines)
        highlighted = screen.query_one(TranscriptList).highlighted_option
        assert highlighted is not None and highlighted.id == "t05"
        assert screen.entries[5].counted
        # the counts still move with coding in the window
        await pilot.press("a")
        await pilot.pause()
        assert screen.entries[5].coded_or_reviewed == 1
    project.close()


async def test_a_short_list_is_shown_whole_and_counted(tmp_path: Path) -> None:
    root = many_transcripts(tmp_path / "study", 3)
    project = Project.open(root)
    app = QualkitApp(project, "ana", suggestions=False, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lines = shown(app)
        assert not any("transcripts above" in x or "transcripts below" in x for x in lines)
        assert all(e.counted for e in app.screen.entries)
    project.close()


async def test_codebook_counts_follow_coding_without_reading_every_coding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Coding and uncoding move the rolled-up counts by the one segment changed (reading the
    counts again costs a pass over every coding: seconds at 1,000,000 segments), and they
    stay what the core counts."""
    from tui_project import make_project

    root = make_project(tmp_path / "study")
    with Project.open(root) as p:
        first = int(p.segments().segment_id.iloc[0])
        p.code(first, "waiting", "ben")  # another coder's coding on the same segment
        # the workbench's start-up check then finds nothing to ingest and writes nothing (a
        # write from its connection would make the screen read every count again, rightly)
        p.ingest_if_changed()
    project = Project.open(root)
    app = QualkitApp(project, "ana", suggestions=False, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        reads = []
        real = model.code_counts
        monkeypatch.setattr(model, "code_counts", lambda *a: reads.append(a) or real(*a))
        for code in ("referral", "waiting", "access", "impact"):
            assert screen.apply_code(code)
            await pilot.pause()
            assert _live(screen.mine, screen.everyone) == _core_counts(project)
        await pilot.press("n")  # the next unit nobody coded
        await pilot.pause()
        assert screen.apply_code("waiting")
        await pilot.pause()
        assert _live(screen.mine, screen.everyone) == _core_counts(project)
        screen.action_remove_code()  # the segment's one code of ana's: removed at once
        await pilot.pause()
        assert _live(screen.mine, screen.everyone) == _core_counts(project)
        assert reads == []
    project.close()


def _core_counts(project: Project) -> tuple[dict, dict]:
    return project.code_counts("ana"), project.code_counts(None)


def _live(*counts: dict) -> tuple[dict, ...]:
    """Counts without the codes that went back to 0 (the core lists only codes in use)."""
    return tuple({code: n for code, n in c.items() if n} for c in counts)
