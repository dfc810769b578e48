"""Cold start in the workbench: the first suggestion comes before the project is embedded, the
rest is embedded in the background with progress shown, and quitting during it leaves a cache
that holds only whole, correct vectors (issue 14)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from qualkit.tui.app import QualkitApp
from qualkit.tui.screens.coding import CodingScreen
from tui_project import make_project

from qualkit.assist import embed_service
from qualkit.assist.embed import HashingEmbedder
from qualkit.assist.suggest import Suggester
from qualkit.project import Project

SIZE = (120, 40)
TOPICS = (
    "the health visitor told us about the group when the baby was small",
    "the waiting list was long and we rang twice to check",
    "I feel closer to him now and I can tell what he needs",
    "my partner came to the sessions on a Saturday morning",
    "the interpreter helped my mother follow what the therapist said",
)


class SlowHashing(HashingEmbedder):
    """The deterministic test embedder, made slow (a fixed pause per text) so background
    embedding takes long enough to watch; its vectors are the plain HashingEmbedder's."""

    def __init__(self, pause: float) -> None:
        super().__init__(64)
        self.pause = pause
        self.texts = 0

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress=None, cancel=None):
        time.sleep(self.pause * len(texts))
        self.texts += len(texts)
        return super().encode(texts, batch_size, progress, cancel)


def bigger_study(root: Path, interviews: int = 10, turns: int = 40) -> Path:
    """The workbench test project plus `interviews` fictional interviews of `turns` answers."""
    make_project(root)
    lines = ["P01", "P02"]
    for n in range(interviews):
        who = lines[n % 2]
        body = [
            "---",
            f"id: extra{n:02d}",
            "kind: interview",
            "speakers:",
            "  Interviewer: interviewer",
            f"  Sam: {who}",
            "---",
        ]
        for t in range(turns):
            body.append(f"Interviewer: Question {t} of interview {n}, could you say more?")
            body.append("")
            body.append(f"Sam: In interview {n}, turn {t}: {TOPICS[(n + t) % len(TOPICS)]}.")
            body.append("")
        (root / "transcripts" / f"extra{n:02d}.txt").write_text("\n".join(body), "utf-8")
    with Project.open(root) as project:
        project.ingest()
    return root


def cached_segments(project: Project) -> int:
    hashes = project.segments(include_interviewer=True)["text_hash"].tolist()
    return len(project.store.get_embeddings("hashing-64", hashes))


async def wait_for(pilot, condition, limit: float = 60.0) -> None:
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < limit, "the workbench never got there"
        await pilot.pause(0.02)


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch) -> SlowHashing:
    embedder = SlowHashing(pause=0.01)
    monkeypatch.setattr(embed_service, "embedder_for", lambda project: embedder)
    return embedder


async def test_first_suggestion_comes_before_the_project_is_embedded(
    tmp_path: Path, slow: SlowHashing
) -> None:
    root = bigger_study(tmp_path / "study")
    project = Project.open(root)
    total = len(set(project.segments(include_interviewer=True)["text_hash"]))
    app = QualkitApp(project, "ana", suggestions=True, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, CodingScreen)
        await wait_for(pilot, lambda: screen._suggested_for is not None)
        at_first = cached_segments(project)
        first = screen.suggestions
        # Only the segment's neighbourhood and the codebook were embedded before it: not the
        # project, not even the whole transcript on screen.
        on_screen = len(project.segments(screen.transcript, include_interviewer=True))
        assert on_screen >= 60, "the open transcript is long enough for this to mean something"
        assert first and at_first < on_screen, (at_first, on_screen, total)
        # the rest follows in the background, with its progress on the status line
        await wait_for(pilot, lambda: "embedding" in str(screen._status_line))
        await wait_for(pilot, lambda: cached_segments(project) == total)
        await wait_for(pilot, lambda: not screen._embed_note)
        # every text embedded once: the window, the codebook, then the rest (no repeats)
        codebook_texts = slow.texts - total
        assert 0 < codebook_texts < 30
        # suggestions from the partial table are those of a table built from everything
        sid = screen._suggested_for
        full = Suggester(project, embedder=HashingEmbedder(64), coder="ana")
        assert [s.code_id for s in full.suggest([sid], top_k=9)[0]] == [s.code_id for s in first]
    project.close()


async def test_quitting_during_background_embedding_leaves_a_usable_cache(
    tmp_path: Path, slow: SlowHashing
) -> None:
    slow.pause = 0.03
    root = bigger_study(tmp_path / "study")
    project = Project.open(root)
    total = len(set(project.segments(include_interviewer=True)["text_hash"]))
    app = QualkitApp(project, "ana", suggestions=True, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen._suggested_for is not None)
        await wait_for(pilot, lambda: cached_segments(project) > 60)
        service = screen.embedding
        assert service is not None and service.running
        await pilot.press("q")
    # quitting did not wait for the background; its thread ends after the batch in hand
    start = time.monotonic()
    while service.running:
        assert time.monotonic() - start < 10.0, "the embedding thread did not stop"
        time.sleep(0.02)
    project.close()

    with Project.open(root) as project:
        segments = project.segments(include_interviewer=True)
        cached = project.store.get_embeddings("hashing-64", segments["text_hash"].tolist())
        assert 60 < len(cached) < total
        # every cached vector is whole and right
        reference = HashingEmbedder(64)
        texts = dict(zip(segments["text_hash"], segments["text"], strict=True))
        for key, vector in cached.items():
            assert np.allclose(vector, reference.encode([texts[key]])[0], atol=1e-6)
        # and the next start embeds only what is missing (the codebook is cached too)
        counting = SlowHashing(pause=0.0)
        Suggester(project, embedder=counting, coder="ana")
        assert counting.texts == total - len(cached)


async def test_esc_pauses_background_embedding_and_f5_resumes_it(
    tmp_path: Path, slow: SlowHashing
) -> None:
    root = bigger_study(tmp_path / "study", interviews=6)
    project = Project.open(root)
    total = len(set(project.segments(include_interviewer=True)["text_hash"]))
    app = QualkitApp(project, "ana", suggestions=True, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen._suggested_for is not None)
        await wait_for(pilot, lambda: "embedding" in screen._status_line)
        await pilot.press("escape")
        assert "embedding paused (F5 resumes)" in screen._status_line
        service = screen.embedding
        assert service is not None and service._order == []  # nothing queued while paused
        paused_at = cached_segments(project)
        assert paused_at < total
        await pilot.press("f5")
        await wait_for(pilot, lambda: cached_segments(project) == total)
        await wait_for(pilot, lambda: "embedding" not in screen._status_line)
    project.close()


def test_run_app_ends_the_process_early_only_after_its_own_embedding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After quitting, the workbench ends the process without torch's slow teardown, but only
    when its own run started the embedding thread: a test (or a caller) that ran one before
    must get control back."""
    import os

    from qualkit.tui import app as app_module

    root = make_project(tmp_path / "study")
    exits: list[int] = []
    monkeypatch.setattr(os, "_exit", exits.append)

    def hashing(project: Project) -> HashingEmbedder:
        return HashingEmbedder(64)

    earlier = embed_service.EmbeddingService(root, make_embedder=hashing).start()
    earlier.stop(timeout=10.0)

    class QuietApp:  # the workbench without a terminal
        def __init__(self, project: Project, coder: str | None, **_: object) -> None:
            self.return_code = 0

        def run(self) -> None:
            pass

    class EmbeddingApp(QuietApp):
        def run(self) -> None:
            embed_service.EmbeddingService(root, make_embedder=hashing).start()

    monkeypatch.setattr(app_module, "QualkitApp", QuietApp)
    app_module.run_app(root, "ana")
    assert exits == []
    monkeypatch.setattr(app_module, "QualkitApp", EmbeddingApp)
    app_module.run_app(root, "ana")
    assert exits == [0]
