"""Fixtures for the workbench tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_project import make_project


@pytest.fixture
def study(tmp_path: Path) -> Path:
    return make_project(tmp_path / "study")


@pytest.fixture(autouse=True)
def _no_user_keymap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's own ~/.config/qualkit/keys.toml must not change the tests.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
