"""The workbench as a user starts it: `qualkit` in a real terminal (tmux), and start-up errors."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from qualkit.tui.app import run_app
from tui_project import make_project

from qualkit.project import Project

QUALKIT = Path(sys.executable).parent / "qualkit"


def test_run_app_reports_a_bad_project_in_one_line(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run_app(tmp_path / "nowhere", "ana")
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err and err.count("\n") == 1


def test_console_script_reports_a_bad_project(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(QUALKIT), "--project", str(tmp_path / "nowhere"), "--coder", "ana"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_qualkit_in_a_real_terminal(tmp_path: Path) -> None:
    root = make_project(tmp_path / "study")
    session = f"qualkit-test-{id(root)}"
    socket = ["-L", session]  # a private tmux server: never touches the user's sessions
    command = f"cd {root} && {QUALKIT} --coder ana; sleep 5"
    env_tmux = ["tmux", *socket]
    subprocess.run(
        [*env_tmux, "new-session", "-d", "-s", session, "-x", "120", "-y", "40", command],
        check=True,
        env={"TERM": "xterm-256color", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )

    def capture() -> str:
        return subprocess.run(
            [*env_tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True
        ).stdout

    def wait_for(predicate, timeout: float = 40.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = capture()
            if predicate(screen):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"screen never matched; last screen:\n{screen}")

    try:
        screen = wait_for(lambda s: "health visitor" in s and "Codebook" in s)
        assert "Transcripts" in screen and "p1" in screen and "Maya" in screen
        subprocess.run([*env_tmux, "send-keys", "-t", session, "a"], check=True)
        screen = wait_for(lambda s: " Access " in s and "reviewed 1/" in s)
        with Project.open(root) as project:
            assert project.codings("ana")["code"].tolist() == ["access"]
        subprocess.run([*env_tmux, "send-keys", "-t", session, "q"], check=True)
        wait_for(lambda s: "Codebook" not in s, timeout=20)
    finally:
        subprocess.run([*env_tmux, "kill-server"], capture_output=True)
