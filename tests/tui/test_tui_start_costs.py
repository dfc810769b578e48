"""What the workbench does once at start-up to keep later keys fast: the codebook's counts read
once for a blind coder (both columns are their own layer), and the objects start-up made frozen
out of the garbage collector's full passes (released when the screen closes)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from qualkit.tui import model
from qualkit.tui.app import CodingScreen, QualkitApp
from tui_project import make_project

from qualkit.project import Project

SIZE = (120, 40)


def test_a_blind_coder_counts_are_read_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Project.open(make_project(tmp_path / "study")) as project:
        first, second = project.segments().segment_id.astype(int).tolist()[:2]
        project.code(first, "referral", "ana")
        project.code(first, "waiting", "ana")
        project.code(second, "waiting", "ben")
        reads: list[str | None] = []
        real = project.code_counts
        monkeypatch.setattr(project, "code_counts", lambda c=None: reads.append(c) or real(c))
        mine, everyone = model.code_counts(project, "ana", blind=True)
        assert reads == ["ana"]
        assert dict(mine) == dict(everyone) == real("ana")
        assert mine is not everyone  # the screen moves each column on its own
        reads.clear()
        mine, everyone = model.code_counts(project, "ana", blind=False)
        assert reads == ["ana", None]
        assert dict(everyone) == real(None) != dict(mine)


@pytest.mark.asyncio
async def test_start_up_objects_are_frozen_after_the_first_frame_and_released(
    tmp_path: Path,
) -> None:
    gc.unfreeze()
    project = Project.open(make_project(tmp_path / "study"))
    app = QualkitApp(project, "ana", suggestions=False, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        assert gc.get_freeze_count() > 0
        await pilot.press("j")
        await pilot.pause()
    assert gc.get_freeze_count() == 0
    project.close()
