"""SVG snapshots of every workbench screen at 120x40, and the coding screen at 80x24, 120x35
and 200x50 (cursor blink off).

Update after an intended change with: pytest tests/tui --snapshot-update
"""

from __future__ import annotations

from pathlib import Path

import pytest
from qualkit.tui.app import QualkitApp
from qualkit.tui.screens import topics as topics_screen

from qualkit.project import Project

SIZE = (120, 40)


def app_for(root: Path, coder: str | None = "ana", suggestions: bool = False) -> QualkitApp:
    return QualkitApp(Project.open(root), coder, suggestions=suggestions, cursor_blink=False)


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_main_screen(study: Path, snap_compare) -> None:
    with Project.open(study) as p:
        answers = p.segments("p1")["segment_id"].tolist()
        p.code(answers[0], "referral", "ana")
        p.code(answers[1], "waiting", "ana")
        p.star(answers[1], "waiting", "ana")
        p.code(answers[1], "impact", "bo")

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)

    assert snap_compare(app_for(study, suggestions=True), terminal_size=SIZE, run_before=run_before)


def _coded_study(study: Path) -> None:
    with Project.open(study) as p:
        answers = p.segments("p1")["segment_id"].tolist()
        p.code(answers[0], "referral", "ana")
        p.code(answers[1], "waiting", "ana")
        p.code(answers[1], "impact", "bo")


@pytest.mark.parametrize("size", [(80, 24), (120, 35), (200, 50)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_coding_screen_at_terminal_size(study: Path, snap_compare, size) -> None:
    """Narrow: the transcript alone with a tab line; wide: three panes, transcript >= 60."""
    _coded_study(study)
    assert snap_compare(app_for(study), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("key", ["f2", "f4", "f6"])
def test_narrow_terminal_side_pane_tabs(study: Path, snap_compare, key: str) -> None:
    _coded_study(study)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)

    assert snap_compare(app_for(study), terminal_size=(80, 24), run_before=run_before)


def test_coder_prompt(study: Path, snap_compare) -> None:
    assert snap_compare(app_for(study, coder=None), terminal_size=SIZE, run_before=settle)


def test_help_screen(study: Path, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("question_mark")

    assert snap_compare(app_for(study), terminal_size=SIZE, run_before=run_before)


def test_code_picker(study: Path, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("c", *"wai")

    assert snap_compare(app_for(study), terminal_size=SIZE, run_before=run_before)


def test_memo_editor(study: Path, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("m", *"Mentions the health visitor.")

    assert snap_compare(app_for(study), terminal_size=SIZE, run_before=run_before)


def test_search_screen(study: Path, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("slash", *"wait")
        await pilot.pause(0.3)

    assert snap_compare(app_for(study), terminal_size=SIZE, run_before=run_before)


def test_codebook_editor(study: Path, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("e", "down", "down")

    assert snap_compare(app_for(study), terminal_size=SIZE, run_before=run_before)


def test_topics_screen(study: Path, snap_compare, monkeypatch: pytest.MonkeyPatch) -> None:
    with Project.open(study) as p:
        ids = p.segments("p1")["segment_id"].tolist()

    def fake_topics(root, progress, cancel, **options):
        progress(1, 1)
        return [
            {
                "label": "waiting, weeks, rang",
                "size": 2,
                "segment_ids": ids[:2],
                "terms": ["waiting", "weeks", "rang"],
                "groups": {"Parent": 2},
                "nearest_code": "waiting",
                "similarity": 0.57,
            },
            {"label": "closer, needs", "size": 1, "segment_ids": ids[2:3]},
        ]

    monkeypatch.setattr(topics_screen, "compute_topics", fake_topics)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)

    assert snap_compare(app_for(study), terminal_size=SIZE, run_before=run_before)


def test_transcript_list_grouped_with_progress(study: Path, snap_compare) -> None:
    with Project.open(study) as p:
        p.mark_done("s1", "ana")
        for sid in p.segments("s1")["segment_id"].tolist():
            p.code(sid, "access", "ana")

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("ctrl+down")
        await settle(pilot)

    assert snap_compare(app_for(study), terminal_size=SIZE, run_before=run_before)
