"""A seeded SIGKILL harness: a child process works through the Python API and is killed at
random moments. Every coding acknowledged before a kill survives, the database always passes
quick_check, and an ingest or a backup killed half-way leaves the project before or after it.
Children are forked from the test process (no interpreter start-up), so 50+ kills take seconds.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import time
from pathlib import Path

from projects import write_tiny_project

from qualkit import recovery
from qualkit.project import Project

_FORK = multiprocessing.get_context("fork")
CODES = ("access", "referral", "waiting", "impact", "bonding")
CHUNK = 40  # 60 kills x 40 < the 3,000 codings on offer


def _coding_child(root: str, pairs: list[tuple[int, str]], start: int, log: str, ready) -> None:
    with Project.open(root) as p, open(log, "a", encoding="utf-8") as acknowledged:
        ready.set()
        # At most CHUNK codings per life, then wait to be killed: however fast the machine,
        # 60 lives never run out of work, and most kills still land mid-coding.
        for segment_id, code_id in pairs[start : start + CHUNK]:
            p.code(segment_id, code_id, "ana")
            # Written only after code() returned: this line is an acknowledgement.
            acknowledged.write(f"{segment_id} {code_id}\n")
            acknowledged.flush()
        time.sleep(60)


def _kill_after(child, ready, delay: float) -> None:
    assert ready.wait(timeout=30)
    time.sleep(delay)
    os.kill(child.pid, signal.SIGKILL)
    child.join(timeout=30)


def _wait_for_more(log: Path, done: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(log.read_text(encoding="utf-8").splitlines()) > done:
            return
        time.sleep(0.005)


def _quick_check(root: Path) -> str:
    conn = sqlite3.connect(root / ".qualkit" / "project.db")
    try:
        return conn.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        conn.close()


def test_sixty_kills_while_coding_lose_no_acknowledged_coding(tmp_path: Path) -> None:
    write_tiny_project(tmp_path)
    # Many small segments: each turn is a segment, and there are plenty of turns.
    (tmp_path / "qualkit.yaml").write_text("segmentation: turn\n", encoding="utf-8")
    # enough work that 60 kills never run out of it (3,000 codings)
    turns = "".join(f"Maya: Fictional answer number {n}.\n\n" for n in range(600))
    (tmp_path / "transcripts" / "p3.txt").write_text(
        "---\nid: p3\nspeakers:\n  Maya: P01\n---\n" + turns, encoding="utf-8"
    )
    with Project.open(tmp_path) as p:
        p.ingest()
        segments = [int(s) for s in p.segments().segment_id]
    rng = random.Random(1313)
    pairs = [(s, c) for s in segments for c in CODES]
    rng.shuffle(pairs)
    log = tmp_path / "acknowledged.txt"
    log.touch()
    kills = 0
    while kills < 60:
        done = len(log.read_text(encoding="utf-8").splitlines())
        if done >= len(pairs):
            break
        ready = _FORK.Event()
        child = _FORK.Process(target=_coding_child, args=(str(tmp_path), pairs, done, log, ready))
        child.start()
        # On a loaded machine a child can be killed before it gets any CPU at all; every
        # fifth kill waits for one more acknowledgement first, so work always moves on.
        if kills % 5 == 0:
            _wait_for_more(log, done, timeout=30)
        _kill_after(child, ready, rng.uniform(0.0, 0.08))
        kills += 1
        assert _quick_check(tmp_path) == "ok"
    assert kills >= 50
    acknowledged = {
        (int(s), c)
        for s, c in (line.split() for line in log.read_text(encoding="utf-8").splitlines())
    }
    assert len(acknowledged) >= 10  # the children got real work done between kills
    with Project.open(tmp_path) as p:
        live = {(int(r.segment_id), r.code) for r in p.codings("ana").itertuples()}
    assert acknowledged <= live
    # At most the one call in flight at each kill was stored but not acknowledged.
    assert len(live - acknowledged) <= kills


def _ingest_child(root: str, ready) -> None:
    with Project.open(root) as p:
        ready.set()
        p.ingest()


def _backup_child(root: str, ready) -> None:
    with Project.open(root) as p:
        ready.set()
        while True:
            p.backup(keep=3)


def test_kills_during_ingest_and_backup_leave_before_or_after(tmp_path: Path) -> None:
    write_tiny_project(tmp_path)
    (tmp_path / "qualkit.yaml").write_text("segmentation: turn\n", encoding="utf-8")
    for n in range(40):
        body = "".join(f"Maya: Fictional answer {n}-{k}.\n\n" for k in range(40))
        (tmp_path / "transcripts" / f"t{n:02}.txt").write_text(
            f"---\nid: t{n:02}\nspeakers:\n  Maya: P01\n---\n{body}", encoding="utf-8"
        )
    rng = random.Random(7)
    count = 0
    for _ in range(12):
        ready = _FORK.Event()
        child = _FORK.Process(target=_ingest_child, args=(str(tmp_path), ready))
        child.start()
        _kill_after(child, ready, rng.uniform(0.0, 0.4))
        assert _quick_check(tmp_path) == "ok"
        with Project.open(tmp_path) as p:
            count = len(p.transcript_ids())
            assert count in (0, 42), count  # never half-ingested
            if count:
                break
    with Project.open(tmp_path) as p:
        stored = len(p.segments())
        report = p.ingest()
        assert len(p.transcript_ids()) == 42
        if count:  # an ingest that finished before its kill left nothing to redo
            assert not report.added and len(p.segments()) == stored
        p.backup(keep=3)
    for _ in range(12):
        ready = _FORK.Event()
        child = _FORK.Process(target=_backup_child, args=(str(tmp_path), ready))
        child.start()
        _kill_after(child, ready, rng.uniform(0.0, 0.2))
        found = recovery.list_backups(tmp_path)
        assert found and all(b.counts is not None for b in found), [b.problem for b in found]
        assert all(b.counts["transcripts"] == 42 for b in found)
