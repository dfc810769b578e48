"""Processes racing on one project: first opens, the same coder in two processes, imports.
Nothing is lost and no driver error reaches a user."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from projects import write_tiny_project

from qualkit.project import Project

_FORK = multiprocessing.get_context("fork")


def _first_open(root: str, barrier: object, results: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    try:
        with Project.open(root) as p:
            results.put(("ok", len(p.transcript_ids())))  # type: ignore[attr-defined]
    except Exception as exc:  # the test reports whatever escaped
        results.put(("error", f"{type(exc).__name__}: {exc}"))  # type: ignore[attr-defined]


def _race(target: object, args_for: list[tuple]) -> list[tuple]:
    barrier = _FORK.Barrier(len(args_for))
    results = _FORK.Queue()
    workers = [_FORK.Process(target=target, args=(*a, barrier, results)) for a in args_for]
    for w in workers:
        w.start()
    found = [results.get(timeout=60) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    return found


def test_four_simultaneous_first_opens_all_succeed(tmp_path: Path) -> None:
    # Under load about one race in twenty once hit the switch to WAL mode, which SQLite
    # does not retry by itself: several rounds make that likely to show.
    for n in range(8):
        root = tmp_path / f"study{n}"
        root.mkdir()
        (root / "transcripts").mkdir()  # a folder laid out as a project, no database yet
        found = _race(_first_open, [(str(root),)] * 4)
        assert found == [("ok", 0)] * 4, found


def _code_all(root: str, coder: str, pairs: list, barrier: object, results: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    errors = []
    with Project.open(root) as p:
        for segment_id, code_id in pairs:
            try:
                p.code(segment_id, code_id, coder)
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
    results.put(errors)  # type: ignore[attr-defined]


def _import(root: str, coder: str, csv: str, barrier: object, results: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    try:
        with Project.open(root) as p:
            results.put(p.import_codings(Path(csv), coder))  # type: ignore[attr-defined]
    except Exception as exc:
        results.put(f"{type(exc).__name__}: {exc}")  # type: ignore[attr-defined]


def test_the_same_coder_in_two_processes_never_gets_a_driver_error(tmp_path: Path) -> None:
    write_tiny_project(tmp_path)
    with Project.open(tmp_path) as p:
        p.ingest()
        segments = [int(s) for s in p.segments().segment_id]
    pairs = [(s, c) for s in segments for c in ("referral", "waiting", "bonding", "impact")]
    found = _race(_code_all, [(str(tmp_path), "ana", pairs)] * 2)
    assert found == [[], []]
    csv = tmp_path / "codings.csv"
    rows = [f"{s},{c}" for s in segments for c in ("access", "impact")]
    csv.write_text("segment_id,code\n" + "\n".join(rows) + "\n", encoding="utf-8")
    imported = _race(_import, [(str(tmp_path), "ben", str(csv))] * 2)
    assert all(isinstance(n, int) for n in imported), imported
    with Project.open(tmp_path) as p:
        assert len(p.codings("ana")) == len(pairs)  # each acknowledged coding once
        assert sum(imported) == len(p.codings("ben")) == len(rows)


def _cache_writes(root: str, n: int, barrier: object, results: object) -> None:
    import numpy as np

    barrier.wait()  # type: ignore[attr-defined]
    try:
        with Project.open(root) as p:
            for i in range(20):
                p.store.put_embeddings("m", {f"{n}-{i}": np.full(8, i, dtype=np.float32)})
        results.put(("ok", n))  # type: ignore[attr-defined]
    except Exception as exc:
        results.put(("error", f"{type(exc).__name__}: {exc}"))  # type: ignore[attr-defined]


def test_several_processes_creating_the_cache_file_at_once(tmp_path: Path) -> None:
    """The embedding cache (its own file) is created on first use, possibly by two windows
    and a CLI at once: its switch to WAL mode waits like the project database's."""
    for round_ in range(4):
        root = tmp_path / f"study{round_}"
        write_tiny_project(root)
        with Project.open(root):
            pass
        found = _race(_cache_writes, [(str(root), n) for n in range(4)])
        assert sorted(found) == [("ok", n) for n in range(4)], found
        with Project.open(root) as p:
            assert p.store.embedding_count("m") == 80
