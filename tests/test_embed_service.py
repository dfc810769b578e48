"""The embedding service (qualkit/assist/embed_service.py) and partial segment tables: urgent
texts go first, every text is embedded once, transcript by transcript, and neither stop nor
kill -9 leaves anything but whole, correct vectors in the cache."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from test_suggest import seg_id, write_ai_project

from qualkit.assist.embed import HashingEmbedder
from qualkit.assist.embed_service import BackgroundProgress, EmbeddingService
from qualkit.assist.suggest import Suggester
from qualkit.project import Project


class Recording(HashingEmbedder):
    """The deterministic test embedder, recording each text it embeds (and optionally slow)."""

    def __init__(self, pause: float = 0.0) -> None:
        super().__init__(64)
        self.pause = pause
        self.seen: list[str] = []
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress=None, cancel=None):
        time.sleep(self.pause * len(texts))
        with self._lock:
            self.seen.extend(texts)
        return super().encode(texts, batch_size, progress, cancel)


def write_many(root: Path, interviews: int = 8, turns: int = 12) -> Path:
    """write_ai_project plus `interviews` fictional interviews whose every turn differs."""
    write_ai_project(root)
    for n in range(interviews):
        body = [f"---\nid: extra-{n}\nspeakers:\n  Interviewer: interviewer\n  Speaker: P01\n---\n"]
        for t in range(turns):
            body.append(f"Interviewer: Question {t} in extra interview {n}?\n")
            body.append(f"Speaker: Answer {t} in extra interview {n}, about the group.\n")
        (root / "transcripts" / f"extra-{n}.txt").write_text("\n".join(body), encoding="utf-8")
    with Project.open(root) as p:
        p.ingest()
    return root


def wait(condition, limit: float = 60.0) -> None:
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < limit, "never happened"
        time.sleep(0.02)


def all_hashes(project: Project) -> dict[str, str]:
    segments = project.segments(include_interviewer=True)
    return dict(zip(segments["text_hash"], segments["text"], strict=True))


def assert_cache_is_whole(project: Project) -> dict[str, np.ndarray]:
    texts = all_hashes(project)
    cached = project.store.get_embeddings("hashing-64", list(texts))
    reference = HashingEmbedder(64)
    for key, vector in cached.items():
        assert np.allclose(vector, reference.encode([texts[key]])[0], atol=1e-6)
    return cached


def test_partial_table_scores_its_ready_rows_as_the_full_table(tmp_path: Path) -> None:
    p = Project.open(write_ai_project(tmp_path, copies=2))
    p.code(seg_id(p, "GP referred me"), "referral", "ana")
    p.code(seg_id(p, "Case consultation helped"), "consultation", "ana")
    ids = p.segments("s02-1")["segment_id"].astype(int).tolist()
    window = ids[:2]
    partial = Suggester(p, embedder=HashingEmbedder(), coder="ana", required=window)
    assert all(partial.ready(s) for s in window)
    assert not any(partial.ready(s) for s in ids[2:]), "the rest waits for the background"
    full = Suggester(p, embedder=HashingEmbedder(), coder="ana")
    for a, b in zip(full.suggest(window, top_k=4), partial.suggest(window, top_k=4), strict=True):
        assert [s.code_id for s in a] == [s.code_id for s in b]
        assert np.allclose([s.score for s in a], [s.score for s in b], atol=1e-5)
    # once the cache holds everything, a rebuild is ready everywhere
    again = Suggester(p, embedder=HashingEmbedder(), coder="ana", required=window)
    assert again.table.ready is None
    p.close()


def test_background_embeds_each_text_once_the_chosen_transcript_first(tmp_path: Path) -> None:
    root = write_many(tmp_path)
    embedder = Recording()
    seen: list[BackgroundProgress] = []
    with Project.open(root) as p:
        order = p.transcript_ids()
        texts = all_hashes(p)
    first = order[-1]
    service = EmbeddingService(root, seen.append, make_embedder=lambda project: embedder)
    service.background([first, *order])
    service.start()
    wait(lambda: bool(seen) and seen[-1].finished)
    service.stop()
    assert not service.running
    assert seen[0].transcript == first
    assert seen[-1].describe() == f"all {len(order)} transcripts embedded"
    assert sorted(embedder.seen) == sorted(texts.values()), "every text once, none twice"
    with Project.open(root) as p:
        assert len(assert_cache_is_whole(p)) == len(texts)
    # a second session finds everything cached
    again = Recording()
    seen.clear()
    service = EmbeddingService(root, seen.append, make_embedder=lambda project: again)
    service.start().background(order)
    wait(lambda: bool(seen) and seen[-1].finished)
    service.stop()
    assert again.seen == []


def test_urgent_texts_go_ahead_of_the_background(tmp_path: Path) -> None:
    root = write_many(tmp_path)
    embedder = Recording(pause=0.005)
    service = EmbeddingService(root, make_embedder=lambda project: embedder)
    with Project.open(root) as p:
        service.background(p.transcript_ids())
        total = len(all_hashes(p))
    service.start()
    wait(lambda: len(embedder.seen) > 0)
    vector = service.encode_now(["A fictional sentence nobody said."])
    assert np.allclose(vector, HashingEmbedder(64).encode(["A fictional sentence nobody said."]))
    # it was answered while most of the project still waited
    position = embedder.seen.index("A fictional sentence nobody said.")
    assert position < total // 2, (position, total)
    service.stop(timeout=5.0)
    assert not service.running


def _embed_in_child(root: str) -> None:
    """Child process: embed the project in the background, slowly, until killed."""
    service = EmbeddingService(Path(root), make_embedder=lambda project: Recording(pause=0.01))
    with Project.open(Path(root)) as p:
        service.background(p.transcript_ids())
    service.start()
    time.sleep(120)


def test_kill_9_during_background_embedding_keeps_a_whole_cache(tmp_path: Path) -> None:
    root = write_many(tmp_path, interviews=12)
    with Project.open(root) as p:
        total = len(all_hashes(p))
    child = multiprocessing.get_context("fork").Process(target=_embed_in_child, args=(str(root),))
    child.start()
    try:

        def cached() -> int:
            with Project.open(root) as p:
                return p.store.embedding_count("hashing-64")

        wait(lambda: cached() >= 20)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.join()
    db = next(root.glob(".qualkit/*.db"))
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Project.open(root) as p:
        kept = assert_cache_is_whole(p)
        assert 20 <= len(kept) < total
    # the next session goes on from there
    embedder = Recording()
    service = EmbeddingService(root, make_embedder=lambda project: embedder)
    done = threading.Event()
    service.on_progress = lambda progress: progress.finished and done.set()
    with Project.open(root) as p:
        service.background(p.transcript_ids())
    service.start()
    assert done.wait(60)
    service.stop()
    assert len(embedder.seen) == total - len(kept)
