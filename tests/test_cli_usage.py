"""Usage errors, help text and the remembered coder, as a user meets them in a terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from projects import write_tiny_project

from qualkit.project import Project

QUALKIT = [sys.executable, "-m", "qualkit.cli"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*QUALKIT, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={**os.environ, "COLUMNS": "80"},
    )


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_tiny_project(tmp_path_factory.mktemp("usage"))
    with Project.open(root, create=True) as p:
        p.ingest()
    return root


@pytest.mark.parametrize(
    "args",
    [
        ["frobnicate"],
        ["agreement"],  # no --coders
        ["status", "--bogus"],
        ["code", "abc", "referral", "--coder", "ana"],  # not a number
        ["export", "codings"],  # no --output
    ],
    ids=["unknown-command", "missing-coders", "bad-option", "bad-type", "no-out"],
)
def test_usage_errors_print_one_line_and_exit_2(project_dir: Path, args: list[str]) -> None:
    proc = run(*args, cwd=project_dir)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: qualkit")
    assert proc.stdout == ""


def test_a_qualkit_error_prints_one_line_and_exits_1(project_dir: Path) -> None:
    proc = run("code", "99999", "referral", "--coder", "ana", cwd=project_dir)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "99999" in lines[0]


def _commands() -> list[tuple[str, Any]]:
    from qualkit.cli.main import app

    root = typer.main.get_command(app)
    found: list[tuple[str, Any]] = []

    # Typer may carry its own copy of click, so commands are handled by shape, not by class.
    def walk(path: str, command: Any) -> None:
        found.append((path, command))
        ctx = command.context_class(command)
        for name in getattr(command, "list_commands", lambda _ctx: [])(ctx):
            walk(f"{path} {name}".strip(), command.get_command(ctx, name))

    walk("", root)
    return found


def _options(command: Any) -> list[Any]:
    return [p for p in command.params if p.param_type_name == "option"]


def test_every_option_of_every_command_has_help_and_project_comes_last() -> None:
    json_help = set()
    commands = _commands()
    assert len(commands) > 20
    for path, command in commands:
        options = _options(command)
        for option in options:
            assert (option.help or "").strip(), f"qualkit {path} {option.opts}: no help text"
            if "--json" in option.opts:
                json_help.add(option.help)
        names = [max(o.opts, key=len) for o in options if "--help" not in o.opts]
        if path in ("init", "import", "export", "eval"):
            assert "--project" not in names
            continue
        assert names and names[-1] == "--project", f"qualkit {path}: options {names}"
    assert len(json_help) == 1, json_help  # --json is described the same way everywhere


def test_help_shows_no_type_placeholders_after_flags(project_dir: Path) -> None:
    for args in (["--help"], ["status", "--help"], ["agreement", "--help"], ["topics", "--help"]):
        proc = run(*args, cwd=project_dir)
        assert proc.returncode == 0, proc.stderr
        assert "<bool>" not in proc.stdout
        assert "--project" in proc.stdout and "--help" in proc.stdout


def test_suggest_without_coder_learns_from_the_remembered_coder_only(tmp_path: Path) -> None:
    """`qualkit suggest` without --coder uses the remembered coder, so blind stays blind."""
    root = write_tiny_project(tmp_path)
    (root / "qualkit.yaml").write_text("blind: true\nembedding_model: hashing-64\n", "utf-8")
    with Project.open(root, create=True) as p:
        p.ingest()
        sids = [int(s) for s in p.segments()["segment_id"]]
        p.code(sids[0], "waiting", "ben")  # only ben's layer holds an example
        p.remember_coder("ana")
    proc = run("suggest", "--all", "--json", cwd=root)
    assert proc.returncode == 0, proc.stderr
    cited = set()
    for line in proc.stdout.splitlines():
        for suggestion in json.loads(line)["suggestions"]:
            nearest = suggestion.get("because", {}).get("nearest") or {}
            if "segment_id" in nearest:
                cited.add(nearest["segment_id"])
    assert sids[0] not in cited  # ben's coding must not teach ana's suggestions
    # the same call naming ben does learn from ben's coding: the test can fail
    proc = run("suggest", "--all", "--json", "--coder", "ben", cwd=root)
    cited_ben = {
        (s.get("because", {}).get("nearest") or {}).get("segment_id")
        for line in proc.stdout.splitlines()
        for s in json.loads(line)["suggestions"]
    }
    assert sids[0] in cited_ben


def test_coding_commands_use_the_remembered_coder_and_say_so(project_dir: Path) -> None:
    with Project.open(project_dir) as p:
        sid = int(p.segments()["segment_id"].iloc[0])
    proc = run("code", str(sid), "referral", cwd=project_dir)  # nobody remembered yet
    assert proc.returncode == 1 and proc.stderr.startswith("error: no coder: pass --coder")
    assert len(proc.stderr.strip().splitlines()) == 1
    with Project.open(project_dir) as p:
        p.remember_coder("ana")
    proc = run("code", str(sid), "referral", cwd=project_dir)
    assert proc.returncode == 0, proc.stderr
    assert "coder: ana (remembered" in proc.stderr
    with Project.open(project_dir) as p:
        assert p.codes_of(sid, "ana") == ["referral"]
        name = p.codebook.get("referral").name
    proc = run("undo", cwd=project_dir)
    assert proc.returncode == 0, proc.stderr
    # In words: which code on which segment, not a raw payload.
    assert proc.stdout.strip() == f"undid: code {name} on segment {sid} (ana)"
    log = run("log", cwd=project_dir).stdout
    assert f" code         {name} on segment {sid}" in log and "{" not in log
