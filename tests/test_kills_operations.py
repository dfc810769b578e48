"""A seeded SIGKILL harness for the long writes besides coding: `import codings`, `import qdpx`,
`merge OTHER` and the embedding cache. A forked child runs the operation and is killed at a
random moment; afterwards the database passes quick_check, the project is exactly as before the
operation or exactly as after it (row counts and the event log together), and running the same
operation again succeeds and ends where an unkilled run ends.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import signal
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from projects import write_tiny_project

from qualkit.merging import merge_project
from qualkit.project import Project

_FORK = multiprocessing.get_context("fork")
CODES = ("access", "referral", "waiting", "impact", "bonding")
# What "the project's state" means here: each table's rows, live codings apart, and the
# event log's length and last action. Caches and session bookkeeping are left out.
TABLES = ("transcripts", "turns", "segments", "participants", "memos", "reviews", "transcript_done")
Operation = Callable[[Project], object]


def _db(root: Path) -> Path:
    return root / ".qualkit" / "project.db"


def state(root: Path) -> dict[str, object]:
    """Counts of every table the operations write, and where the event log ends."""
    conn = sqlite3.connect(_db(root))
    try:
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        out: dict[str, object] = {
            t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES
        }
        out["codings"] = conn.execute(
            "SELECT coder, COUNT(*) FROM codings WHERE removed = 0 GROUP BY coder ORDER BY coder"
        ).fetchall()
        out["events"] = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        out["last_event"] = conn.execute(
            "SELECT action FROM events ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return out
    finally:
        conn.close()


def files(root: Path) -> dict[str, bytes]:
    """The project's own files (codebook, transcripts, participants): the state outside the db."""
    found = {"codebook.yaml": (root / "codebook.yaml").read_bytes()}
    for path in sorted((root / "transcripts").glob("*")):
        found[f"transcripts/{path.name}"] = path.read_bytes()
    return found


def _child(root: str, operation: Operation, ready) -> None:
    with Project.open(root) as project:
        ready.set()
        operation(project)
    time.sleep(60)  # finished before the kill: wait for it, so "after" is seen too


def killed_runs(
    root: Path, operation: Operation, kills: int, seed: int
) -> tuple[dict[str, object], list[str]]:
    """Run `operation` to the end on a copy (the "after"), then `kills` times in a child killed
    at a seeded random moment within that run's duration; each time the project must be the
    "before" or the "after". Returns the "after" and what each kill left ("before"/"after")."""
    before, before_files = state(root), files(root)
    copy = root.parent / f"{root.name}-unkilled"
    shutil.copytree(root, copy)
    started = time.monotonic()
    with Project.open(copy) as project:
        operation(project)
    duration = time.monotonic() - started
    after, after_files = state(copy), files(copy)
    with Project.open(copy) as project:
        operation(project)  # what running it once more after it finished gives
    again = state(copy)
    assert after != before, "the operation must change something for the harness to test it"
    rng = random.Random(seed)
    seen = []
    for _ in range(kills):
        ready = _FORK.Event()
        child = _FORK.Process(target=_child, args=(str(root), operation, ready))
        child.start()
        assert ready.wait(timeout=30)
        time.sleep(rng.uniform(0.0, duration * 1.1))
        os.kill(child.pid, signal.SIGKILL)
        child.join(timeout=30)
        # what the next user finds: opening the project finishes any recovery (file_journal)
        with Project.open(root) as reopened:
            if any("was undone" in w for w in reopened.storage_warnings()):
                seen.append("files put back")
        now, now_files = state(root), files(root)
        if now == before:
            assert now_files == before_files, "the database is as before, the files are not"
            seen.append("before")
        else:
            assert now == after, f"half-done after a kill: {now} (before {before})"
            assert now_files == after_files
            seen.append("after")
            break  # done: nothing left to interrupt
    # the next run succeeds and ends where an unkilled run (or, after a finished one, a second
    # run) ends
    with Project.open(root) as project:
        operation(project)
    assert state(root) == (again if seen[-1:] == ["after"] else after)
    assert files(root) == after_files
    return after, seen


def _turn_project(root: Path, transcripts: int, turns: int) -> None:
    write_tiny_project(root)
    (root / "qualkit.yaml").write_text(
        "segmentation: turn\nembedding_model: hashing-256\n", encoding="utf-8"
    )
    for n in range(transcripts):
        body = "".join(
            f"Maya: Fictional answer {n}-{k} about the {CODES[k % 5]} of it all.\n\n"
            for k in range(turns)
        )
        (root / "transcripts" / f"t{n:02}.txt").write_text(
            f"---\nid: t{n:02}\nspeakers:\n  Maya: P01\n---\n{body}", encoding="utf-8"
        )
    with Project.open(root) as p:
        p.ingest()


def test_kills_during_import_codings_leave_before_or_after(tmp_path: Path) -> None:
    root = tmp_path / "study"
    _turn_project(root, transcripts=10, turns=80)
    with Project.open(root) as p:
        ids = [int(s) for s in p.segments().segment_id]
    rows = [f"{s},{CODES[(s + k) % 5]}" for s in ids for k in range(3)]
    csv_path = tmp_path / "ana.csv"
    csv_path.write_text("segment_id,code\n" + "\n".join(rows) + "\n", encoding="utf-8")
    after, seen = killed_runs(root, lambda p: p.import_codings(csv_path, "ana"), 12, seed=131)
    assert after["codings"] == [("ana", len(set(rows)))]
    assert seen


def test_kills_during_merge_leave_before_or_after(tmp_path: Path) -> None:
    ours = tmp_path / "ana-laptop"
    _turn_project(ours, transcripts=6, turns=60)
    theirs = tmp_path / "ben-laptop"
    shutil.copytree(ours, theirs)
    with Project.open(theirs) as p:
        for i, s in enumerate(int(x) for x in p.segments().segment_id):
            if i % 3:
                p.code(s, CODES[i % 5], "ben")
        p.set_memo("project", "project", "ben", "Fictional memo from ben's laptop.")
    after, seen = killed_runs(ours, lambda p: merge_project(p, theirs, actor="ana"), 10, seed=132)
    assert after["last_event"] == ("merge",)
    assert seen


@pytest.fixture()
def qdpx_file(tmp_path: Path) -> Path:
    """A .qdpx exported from a small fictional project with two coders' codings and memos."""
    source = tmp_path / "source"
    _turn_project(source, transcripts=8, turns=40)
    with Project.open(source) as p:
        for i, s in enumerate(int(x) for x in p.segments().segment_id):
            p.code(s, CODES[i % 5], "ana")
            if i % 4 == 0:
                p.code(s, CODES[(i + 1) % 5], "ben", memo="Fictional reason.")
        out = tmp_path / "study.qdpx"
        p.export_qdpx(out)
    return out


def test_kills_during_import_qdpx_leave_before_or_after(tmp_path: Path, qdpx_file: Path) -> None:
    root = tmp_path / "fresh"
    root.mkdir()
    (root / "qualkit.yaml").write_text("segmentation: turn\n", encoding="utf-8")
    Project.init(root).close()
    after, seen = killed_runs(root, lambda p: p.import_qdpx(qdpx_file), 10, seed=133)
    assert after["transcripts"] == 10  # the tiny project's two and eight more
    assert seen
    # at least one kill landed after the files were written, and opening put them back
    assert "files put back" in seen, seen


def _embed_child(root: str, ready) -> None:
    from qualkit.assist.embed import embed_segments

    with Project.open(root) as project:
        ready.set()
        embed_segments(project)
    time.sleep(60)


def test_kills_during_embedding_keep_a_sound_cache_and_finish_next_time(tmp_path: Path) -> None:
    """The cache is written batch by batch on purpose (an interruption keeps the work done), so
    here "before or after" is per batch: every stored vector is whole, nothing else changes,
    and the next run embeds only what is missing."""
    from qualkit.assist.embed import embed_segments

    root = tmp_path / "study"
    _turn_project(root, transcripts=20, turns=120)
    before = state(root)
    rng = random.Random(134)
    for _ in range(8):
        ready = _FORK.Event()
        child = _FORK.Process(target=_embed_child, args=(str(root), ready))
        child.start()
        assert ready.wait(timeout=30)
        time.sleep(rng.uniform(0.0, 0.6))
        os.kill(child.pid, signal.SIGKILL)
        child.join(timeout=30)
        assert state(root) == before
        conn = sqlite3.connect(_db(root).with_name("cache.db"))
        try:
            bad = conn.execute(
                "SELECT COUNT(*) FROM embeddings WHERE length(vector) != dim * 4"
            ).fetchone()[0]
        finally:
            conn.close()
        assert bad == 0
    with Project.open(root) as p:
        stored = p.store.embedding_count()
        _, embedded = embed_segments(p)
        hashes = set(p.segments(include_interviewer=True).text_hash)
        # the kills kept whole batches, and this run embedded only the rest
        assert embedded == len(hashes) - stored
        assert p.store.embedding_count() == len(hashes)
        _, again = embed_segments(p)
        assert again == 0
    assert state(root) == before
