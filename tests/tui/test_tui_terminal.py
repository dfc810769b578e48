"""The workbench as a user starts it: `qualkit` in a real terminal (tmux), and start-up errors."""

from __future__ import annotations

import re
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
        screen = wait_for(lambda s: " Access " in s and "reviewed by you 1/" in s)
        with Project.open(root) as project:
            assert project.codings("ana")["code"].tolist() == ["access"]
        subprocess.run([*env_tmux, "send-keys", "-t", session, "q"], check=True)
        wait_for(lambda s: "Codebook" not in s, timeout=20)
    finally:
        subprocess.run([*env_tmux, "kill-server"], capture_output=True)


def _tmux_session(root: Path, tmp_path: Path, width: int, height: int):
    """Start `qualkit` on `root` in a private tmux server at width x height."""
    session = f"qualkit-{width}x{height}-{id(root)}"
    tmux = ["tmux", "-L", session]
    command = f"cd {root} && {QUALKIT} --coder ana; sleep 5"
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", session, "-x", str(width), "-y", str(height), command],
        check=True,
        env={"TERM": "xterm-256color", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )

    def capture() -> str:
        return subprocess.run(
            [*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True
        ).stdout

    def keys(*names: str) -> None:
        for name in names:
            subprocess.run([*tmux, "send-keys", "-t", session, name], check=True)
            time.sleep(0.15)

    def wait_for(predicate, timeout: float = 40.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = capture()
            if predicate(screen):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"screen never matched; last screen:\n{screen}")

    return tmux, keys, wait_for


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.parametrize("width,height", [(80, 24), (200, 50)])
def test_coding_session_at_terminal_size(tmp_path: Path, width: int, height: int) -> None:
    """Readable transcript (whole words, >= 60 columns), a code applied with the picker, and
    the counts on screen equal the store's."""
    root = make_project(tmp_path / "study")
    tmux, keys, wait_for = _tmux_session(root, tmp_path, width, height)
    answer = "It was my health visitor. She mentioned it when the baby was small."
    try:
        screen = wait_for(lambda s: "health visitor" in s and "units" in s)
        line = next(row for row in screen.splitlines() if "It was my health visitor" in row)
        # Whole words, and the transcript column holds at least 60 characters of them.
        start = line.index("It was")
        text_run = line[start:].split("│")[0].rstrip()
        assert len(text_run) >= 60 and answer.startswith(text_run), text_run
        keys("c", *"referr", "Enter")
        screen = wait_for(lambda s: "Referral" in s and "1/4 units" in s)
        with Project.open(root) as project:
            assert project.codings("ana")["code"].tolist() == ["referral"]
            counts = project.code_counts("ana")
            units = project.progress("ana").set_index("transcript").loc["p1"]
        assert f"{units.coded_or_reviewed}/{units.segments} units" in screen
        if width < 120:
            keys("F4")  # the codebook is a tab on a narrow terminal
            screen = wait_for(lambda s: "Codebook" in s and "Access" in s)
        # the codebook's rows (name, then counts), not a suggestion of the same code
        codebook = {
            name: row
            for row in screen.splitlines()
            for name in ("Access", "Referral")
            if re.search(rf"● (\[a\] )?{name} \d+/\d+", row)
        }
        # The theme rolls its sub-code up; what is shown equals what the store counts.
        assert f"Access {counts['access']}/{counts['access']}" in codebook["Access"]
        assert f"Referral {counts['referral']}/{counts['referral']}" in codebook["Referral"]
        keys("q")
        wait_for(lambda s: "units" not in s, timeout=20)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
