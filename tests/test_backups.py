"""Backups are checked before they count, a vanished database is never silently replaced by an
empty one, and `qualkit restore` brings a backup back after saving the current state."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from projects import write_tiny_project

from qualkit import recovery
from qualkit.errors import ProjectError
from qualkit.project import Project


def coded_project(root: Path) -> Path:
    write_tiny_project(root)
    with Project.open(root) as p:
        p.ingest()
        for sid in p.segments().segment_id[:3]:
            p.code(int(sid), "waiting", "ana")
    return root


def qualkit(*args: object, ok: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "qualkit.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def test_a_missing_or_empty_database_with_backups_is_refused(tmp_path: Path) -> None:
    coded_project(tmp_path)
    with Project.open(tmp_path) as p:
        good = p.backup()
    db = tmp_path / ".qualkit" / "project.db"
    for damage in ("missing", "empty"):
        for side in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            side.unlink(missing_ok=True)
        if damage == "empty":
            db.write_bytes(b"")
        with pytest.raises(ProjectError, match=f"qualkit restore {good.name}") as info:
            Project.open(tmp_path)
        assert ("is missing" if damage == "missing" else "0 bytes") in str(info.value)
        with pytest.raises(ProjectError, match="backup"):
            Project.init(tmp_path)
    # Nothing was rotated out or backed up from the empty database.
    assert [b.path for b in recovery.list_backups(tmp_path)] == [good]


def test_backups_are_checked_and_a_failed_one_rotates_nothing_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qualkit.store import backups

    coded_project(tmp_path)
    with Project.open(tmp_path) as p:
        kept = [p.backup(keep=2) for _ in range(2)]

        def truncating_check(path: Path) -> dict[str, int]:
            return {"transcripts": 0, "segments": 0, "codings": 0}

        monkeypatch.setattr(backups, "check_file", truncating_check)
        with pytest.raises(ProjectError, match="differ from the database"):
            p.backup(keep=2)
    folder = tmp_path / ".qualkit" / "backups"
    assert sorted(folder.iterdir()) == kept  # no partial file, both good ones still there


def test_restore_lists_backups_and_saves_the_current_state(tmp_path: Path) -> None:
    coded_project(tmp_path)
    with Project.open(tmp_path) as p:
        p.backup()
        p.code(int(p.segments().segment_id.iloc[3]), "bonding", "ana")
    listing = qualkit("restore", "--project", tmp_path).stdout
    assert "manual" in listing and "3 codings" in listing and "2 transcripts" in listing
    out = qualkit("restore", "1", "--project", tmp_path).stdout
    assert "saved the current database as" in out and "3 codings" in out
    with Project.open(tmp_path) as p:
        assert len(p.codings()) == 3
    # The state before the restore is itself a backup: restoring it brings the 4th back.
    newest = recovery.list_backups(tmp_path)[0]
    assert newest.kind == "before-restore" and newest.counts["codings"] == 4
    recovery.restore(tmp_path, newest.path.name)
    with Project.open(tmp_path) as p:
        assert len(p.codings()) == 4


def test_a_damaged_database_points_to_restore_and_restore_repairs_it(tmp_path: Path) -> None:
    coded_project(tmp_path)
    with Project.open(tmp_path) as p:
        p.backup()
    db = tmp_path / ".qualkit" / "project.db"
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page
    db.write_bytes(bytes(data))
    failed = qualkit("status", "--project", tmp_path, ok=False)
    assert failed.returncode == 1 and "qualkit restore" in failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1
    qualkit("restore", "1", "--project", tmp_path)
    with Project.open(tmp_path) as p:
        assert len(p.codings()) == 3
    assert any(b.kind == "damaged" for b in recovery.list_backups(tmp_path))


def test_daily_backup_on_the_first_write_of_the_day_from_any_entry_point(tmp_path: Path) -> None:
    coded_project(tmp_path)  # the first writes happened on an empty project: nothing to keep
    assert not [b for b in recovery.list_backups(tmp_path) if b.kind == "daily"]
    with Project.open(tmp_path) as p:
        p.set_memo("project", "study", "ana", "first note of the day")
    daily = [b for b in recovery.list_backups(tmp_path) if b.kind == "daily"]
    assert len(daily) == 1 and daily[0].counts["codings"] == 3
    with Project.open(tmp_path) as p:
        p.set_memo("project", "study", "ana", "second note")
    assert len([b for b in recovery.list_backups(tmp_path) if b.kind == "daily"]) == 1


def test_ctrl_c_during_backup_reports_and_leaves_no_partial_file(tmp_path: Path) -> None:
    coded_project(tmp_path)
    # A database big enough that the copy takes many steps (16 MB of memos; the embedding
    # vectors live in cache.db, which backups leave out).
    with Project.open(tmp_path) as p:
        with p.store.transaction() as c:
            c.executemany(
                "INSERT INTO memos(kind, target, coder, text, updated) VALUES (?,?,?,?,?)",
                [("segment", str(i), "ana", "x" * 4000, "2026") for i in range(4000)],
            )
    script = (
        "import os, signal, sys, threading\n"
        "from qualkit.store import backups\n"
        "real = backups._noticing_signals\n"
        "def slow(*a):\n"
        "    print('copying', flush=True); import time; time.sleep(0.05)\n"
        "backups._noticing_signals = slow\n"
        "from qualkit.cli import main\n"
        f"sys.argv = ['qualkit', 'backup', '--project', {str(tmp_path)!r}]\n"
        "main()\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout.readline().strip() == "copying"
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    left = [f.name for f in (tmp_path / ".qualkit" / "backups").iterdir()]
    assert not [n for n in left if n.startswith(".partial") or n.endswith("-manual.db")], left


def test_backups_leave_the_embedding_cache_out(tmp_path: Path) -> None:
    """The vectors can be computed again; at 50,000 segments they were 78% of project.db."""
    coded_project(tmp_path)
    with Project.open(tmp_path) as p:
        rng = np.random.default_rng(0)
        p.store.put_embeddings(
            "m", {f"h{i}": rng.random(384, dtype=np.float32) for i in range(5000)}
        )
        taken = p.store.backup(reason="manual")
    assert Path(taken).stat().st_size < 1_000_000  # the vectors alone are 7.7 MB
    with Project.open(tmp_path) as p:
        assert p.store.embedding_count("m") == 5000
