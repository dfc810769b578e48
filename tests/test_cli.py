"""The `qualkit` command as a user runs it: real subprocesses, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from projects import snapshot, write_tiny_project

QUALKIT = [sys.executable, "-m", "qualkit.cli"]


def run(*args: str, cwd: Path | None = None, ok: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [*QUALKIT, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def assert_clean_error(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_tiny_project(tmp_path)
    run("ingest", "--project", str(tmp_path))
    return tmp_path


def segments(project: Path) -> list[dict]:
    out = run("segments", "--json", "--project", str(project)).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_init_ingest_status(tmp_path: Path) -> None:
    study = tmp_path / "my-study"
    run("init", str(study))
    for name in ("codebook.yaml", "qualkit.yaml", "transcripts", "exports", ".qualkit"):
        assert (study / name).exists(), name
    write_tiny_project(study)
    out = run("ingest", "--project", str(study)).stdout
    assert "2 added" in out
    status = run("status", "--project", str(study)).stdout
    assert "transcripts: 2" in status and "group: Parent 2, Stakeholder 1" in status
    assert "segments: 5 coding units" in status
    assert "codebook: " in status and "cannot be read" not in status


def test_status_reports_a_broken_codebook_and_fails(project: Path) -> None:
    """A broken codebook.yaml used to leave status silent and successful."""
    book = project / "codebook.yaml"
    before = book.read_bytes()
    book.write_text("codes:\n  - id: x\n    name: X\n  - id: x\n    name: Y\n", "utf-8")
    for extra in ([], ["--json"]):
        out = run("status", *extra, "--project", str(project), ok=False)
        assert out.returncode == 1
        assert "duplicate code id 'x'" in out.stderr and "Traceback" not in out.stderr
        assert "transcripts: 2" in out.stdout or '"transcripts": 2' in out.stdout
    assert "cannot be read" in run("status", "--project", str(project), ok=False).stdout
    book.write_bytes(before)
    assert run("status", "--project", str(project)).returncode == 0


def test_segments_prints_one_line_per_segment(tmp_path: Path) -> None:
    """A turn of two lines printed its line break inside the listing."""
    write_tiny_project(tmp_path)
    (tmp_path / "transcripts" / "p3.txt").write_text(
        "---\nspeakers:\n  Interviewer: interviewer\n  Maya: P01\n---\n"
        "Interviewer: And then?\n\nMaya: The first line of the answer.\nIts second line.\n",
        "utf-8",
    )
    run("ingest", "--project", str(tmp_path))
    listing = run("segments", "--project", str(tmp_path)).stdout.splitlines()
    assert len(listing) == len(segments(tmp_path))
    assert any(line.endswith("The first line of the answer. Its second line.") for line in listing)


def test_ingest_names_the_files_it_does_not_read(project: Path) -> None:
    """A transcript saved as .rtf or .pdf was skipped without a word."""
    (project / "transcripts" / "p3.rtf").write_text("{\\rtf1 Interviewer: Hello}", "utf-8")
    (project / "transcripts" / "forms").mkdir()
    (project / "transcripts" / "forms" / "consent.pdf").write_bytes(b"%PDF-1.4")
    (project / "transcripts" / ".hidden.docx").write_bytes(b"")  # hidden files stay unsaid
    out = run("ingest", "--project", str(project)).stdout
    assert "2 file(s) not read (forms/consent.pdf, p3.rtf)" in out
    assert ".hidden" not in out and "participants.csv" not in out


def test_coding_again_says_so_and_a_memo_then_lands_on_the_coding(project: Path) -> None:
    """`code SEG CODE --memo X` on a coding that existed said "coded segment ..." and dropped
    the memo without a word."""
    sid = str(segments(project)[0]["segment_id"])
    args = ["--coder", "ana", "--project", str(project)]
    run("code", sid, "referral", *args)
    again = run("code", sid, "referral", *args).stdout
    assert "already had referral (ana): nothing changed" in again
    memo = run("code", sid, "referral", "--memo", "ask about [sleep]", *args).stdout
    assert "its memo is set" in memo
    from qualkit.project import Project

    with Project.open(project) as p:
        rows = p.codings("ana")
        assert rows["memo"].tolist() == ["ask about [sleep]"] and len(rows) == 1


def test_segments_json_fields(project: Path) -> None:
    rows = segments(project)
    assert len(rows) == 5
    first = rows[0]
    assert set(first) == {
        "segment_id",
        "transcript",
        "turn",
        "speaker",
        "participant",
        "attributes",
        "start",
        "end",
        "text",
    }
    assert first["turn"] == 1 and first["speaker"] == "Maya"  # turn 0 is the interviewer
    assert first["attributes"] == {"group": "Parent", "service": "psychotherapy"}


def test_code_undo_export_roundtrip(project: Path, tmp_path: Path) -> None:
    sid = str(segments(project)[0]["segment_id"])
    run("code", sid, "referral", "--coder", "ana", "--project", str(project))
    out = tmp_path / "codings.csv"
    # the speaker labels (Maya, ...) are names: exports refuse them unless allowed
    run(
        "export",
        "codings",
        "--coder",
        "ana",
        "-o",
        str(out),
        "--allow-names",
        "--project",
        str(project),
    )
    assert "referral" in out.read_text()
    assert (
        "undid: code Referral on segment"
        in run("undo", "--coder", "ana", "--project", str(project)).stdout
    )
    status = run("status", "--project", str(project)).stdout
    assert "codings: none yet" in status


def test_status_runs_from_project_folder_by_default(project: Path) -> None:
    assert "transcripts: 2" in run("status", cwd=project).stdout


def test_options_before_the_command_reach_it(project: Path, tmp_path_factory) -> None:
    """`qualkit -p study status` used to show the current folder's project, and
    `qualkit --coder ben code ...` to code as the remembered coder: both silently."""
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    assert "transcripts: 2" in run("-p", str(project), "status", cwd=elsewhere).stdout
    sid = str(segments(project)[0]["segment_id"])
    run("--coder", "ben", "-p", str(project), "code", sid, "referral", cwd=elsewhere)
    log = run("log", "--json", "--project", str(project)).stdout
    assert json.loads(log.splitlines()[0])["coder"] == "ben"
    # a group's commands get them too, and an option after the command still wins
    csv_path = elsewhere / "ben.csv"
    export = ["export", "codings", "--allow-names", "-o", str(csv_path)]
    run("-p", str(elsewhere), *export, "--coder", "ben", "-p", str(project))
    assert "referral" in csv_path.read_text("utf-8")
    csv_path.unlink()
    run("--coder", "ben", "-p", str(project), *export)
    assert "referral" in csv_path.read_text("utf-8")
    # a group's options before its command too: `qualkit anonymise -p study check`
    check = run("anonymise", "-p", str(project), "check", cwd=elsewhere, ok=False)
    assert check.returncode == 1 and "Maya" in check.stdout  # the tiny project's speaker
    assert_clean_error(
        run("topics", "--uncoded", "to-code", "1", "--name", "X", cwd=project, ok=False),
        "'qualkit topics to-code' takes no --uncoded",
    )
    assert_clean_error(run("--coder", "ben", "status", cwd=project, ok=False), "takes no --coder")
    assert_clean_error(run("-p", str(elsewhere / "nope"), "status", cwd=project, ok=False), "nope")


@pytest.mark.parametrize(
    ("write", "fragments"),
    [
        (
            lambda p: (p / "transcripts" / "bad.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00"),
            ["transcripts/bad.txt"],
        ),
        (
            lambda p: (p / "transcripts" / "empty.txt").write_text(""),
            ["transcripts/empty.txt", "empty"],
        ),
        (
            lambda p: (p / "transcripts" / "who.txt").write_text("Interviewer: Hi\n\nZed: Hello\n"),
            ["transcripts/who.txt", "line 3", "unknown speaker 'Zed'"],
        ),
        (
            lambda p: (p / "transcripts" / "participants.csv").write_text("id,group\nP01,x\n"),
            ["participants.csv", "participant_id"],
        ),
        (
            lambda p: (p / "transcripts" / "participants.csv").write_text(
                "participant_id,group\nP01,a\nP01,b\n"
            ),
            ["participants.csv", "line 3", "duplicate"],
        ),
        (
            lambda p: (p / "qualkit.yaml").write_text("segmentation: [oops\n"),
            ["qualkit.yaml", "invalid YAML"],
        ),
    ],
)
def test_bad_input_one_line_and_nothing_changes(project: Path, write, fragments) -> None:
    sid = str(segments(project)[0]["segment_id"])
    run("code", sid, "referral", "--coder", "ana", "--project", str(project))
    before = snapshot(project)
    write(project)
    proc = run("ingest", "--project", str(project), ok=False)
    assert_clean_error(proc, *fragments)
    after = snapshot(project)
    assert after["<database>"] == before["<database>"]


def test_bad_codebook_and_unknown_code(project: Path) -> None:
    sid = str(segments(project)[0]["segment_id"])
    proc = run("code", sid, "nope", "--coder", "ana", "--project", str(project), ok=False)
    assert_clean_error(proc, "unknown code", "nope")
    (project / "codebook.yaml").write_text(
        "codes:\n  - id: a\n    name: A\n  - id: a\n    name: B\n"
    )
    proc = run("code", sid, "a", "--coder", "ana", "--project", str(project), ok=False)
    assert_clean_error(proc, "codebook.yaml:4", "duplicate")


def test_export_codings_of_an_unknown_coder_fails(project: Path, tmp_path: Path) -> None:
    """It wrote an empty CSV and said "wrote 0 coding(s) (zed layer)"."""
    sid = str(segments(project)[0]["segment_id"])
    run("code", sid, "referral", "--coder", "ana", "--project", str(project))
    out = tmp_path / "zed.csv"
    for extra in ([], ["--allow-names"]):  # the name comes before the name check
        proc = run(
            "export",
            "codings",
            "--coder",
            "zed",
            "-o",
            str(out),
            *extra,
            "--project",
            str(project),
            ok=False,
        )
        assert_clean_error(proc, "unknown layer 'zed'", "ana")
    assert not out.exists()


def test_import_codings_bad_csv(project: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text('segment_id,code\n1,referral\n"2,referral\n')
    proc = run("import", "codings", str(bad), "--coder", "b", "--project", str(project), ok=False)
    assert_clean_error(proc, "bad.csv")
    bad.write_bytes(b"\x00\x01\x02PK")
    proc = run("import", "codings", str(bad), "--coder", "b", "--project", str(project), ok=False)
    assert_clean_error(proc, "bad.csv", "binary")


def test_not_a_project_and_corrupt_database(tmp_path: Path, project: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_clean_error(run("status", "--project", str(empty), ok=False), "not a qualkit project")
    db = project / ".qualkit" / "project.db"
    for extra in ("-wal", "-shm"):
        Path(str(db) + extra).unlink(missing_ok=True)
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # wreck the first page
    db.write_bytes(bytes(data))
    assert_clean_error(run("status", "--project", str(project), ok=False), "project.db")


def test_locked_database_is_a_clear_message(project: Path) -> None:
    sid = str(segments(project)[0]["segment_id"])
    holder = sqlite3.connect(project / ".qualkit" / "project.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        env_timeout = {**os.environ}
        proc = subprocess.run(
            [*QUALKIT, "code", sid, "referral", "--coder", "ana", "--project", str(project)],
            capture_output=True,
            text=True,
            timeout=60,
            env=env_timeout,
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_clean_error(proc, "locked")


KILL_SCRIPT = """
import sys
from qualkit.project import Project
p = Project.open(sys.argv[1])
ids = p.segments().segment_id.tolist()
for i, sid in enumerate(ids):
    p.code(int(sid), "referral", "ana")
    print(sid, flush=True)  # acknowledged to the user
import time
time.sleep(60)
"""


def test_acknowledged_codings_survive_kill_9(project: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(project)], stdout=subprocess.PIPE, text=True
    )
    acknowledged = [int(proc.stdout.readline()) for _ in range(5)]
    time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    from qualkit.project import Project

    with Project.open(project) as p:
        coded = set(p.codings("ana").segment_id)
    assert set(acknowledged) <= coded


def test_codebook_commands_keep_comments_and_log(project: Path) -> None:
    p = str(project)
    run(
        "codebook",
        "add",
        "Travel",
        "--parent",
        "access",
        "--description",
        "Getting there.",
        "--project",
        p,
    )
    run("codebook", "rename", "travel", "Travel and transport", "--project", p)
    run("codebook", "move", "travel", "--parent", "impact", "--project", p)
    sid = str(segments(project)[0]["segment_id"])
    run("code", sid, "travel", "--coder", "ana", "--project", p)
    run("codebook", "merge", "travel", "impact", "--project", p)
    listing = run("codebook", "--project", p).stdout
    assert "Impact (impact) [i]: 1 coding(s)" in listing and "travel" not in listing
    assert "This comment must survive writes" in (project / "codebook.yaml").read_text()
    proc = run("codebook", "delete", "impact", "--project", p, ok=False)
    assert_clean_error(proc, "impact", "1 coding")
    log = run("log", "--project", p).stdout
    for action in ("add-code", "rename-code", "move-code", "code", "merge-code"):
        assert f" {action} " in log, action
