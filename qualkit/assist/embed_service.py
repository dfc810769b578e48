"""One thread that owns the embedding model: it loads it early, answers urgent requests (the
segment on screen) first, and embeds the rest of the project in the background, transcript by
transcript, into the project's embedding cache.

Why one thread: on two cores, two encodes at once only slow each other down, so urgent work
waits for at most one small background batch instead of sharing the cores with it. Every batch
is written in its own short transaction (``embed_texts_cached``), so stopping, Esc or a kill -9
keeps every batch already written and never leaves a half-written vector.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qualkit.assist.embed import (
    Cancel,
    Cancelled,
    Embedder,
    Progress,
    SentenceTransformerEmbedder,
    WrappingEmbedder,
    embed_texts_cached,
    embedder_for,
    is_cancelled,
)
from qualkit.errors import QualkitError
from qualkit.heavy_imports import torch_may_load

# Texts per background batch: small enough that an urgent request waits well under a second on
# two cores, large enough that the model still runs near its full throughput.
BACKGROUND_BATCH = 16
# How often a waiting caller looks at its cancel flag (seconds).
POLL_S = 0.05


# Every service started in this process, so the program can stop them all before it exits.
_STARTED: weakref.WeakSet[EmbeddingService] = weakref.WeakSet()
_STARTS: list[int] = [0]  # services started in this process so far (they may be collected)


def starts() -> int:
    """How many embedding services this process has started: a caller compares the count
    before and after a piece of work to know whether that work loaded the model."""
    return _STARTS[0]


def stop_all(timeout: float = 2.0) -> bool:
    """Stop every embedding service; True when all their threads ended within ``timeout``.

    A thread still running at interpreter exit may be inside the model's native code, whose
    teardown aborts the process: the caller then ends the process with ``os._exit``, which is
    as safe for the cache as a kill (each batch is its own transaction).
    """
    services = list(_STARTED)
    for service in services:
        service.stop(timeout=0)
    deadline = time.monotonic() + timeout
    for service in services:
        if service._thread is not None:
            service._thread.join(max(0.0, deadline - time.monotonic()))
    return not any(service.running for service in services)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _limit_blas(threads: int) -> Any | None:
    """Limit numpy's BLAS to `threads` (process-wide); the limiter, to restore, or None."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return None
    return threadpool_limits(limits=threads, user_api="blas")


def _leave_a_core(torch_too: bool = True) -> None:
    """Run the model on all cores but one, so the workbench stays responsive (numpy's BLAS
    threads always; torch's too when it runs the model: importing it costs seconds).

    Measured on the 2-core machine while other work ran (load 5-6): one torch thread embedded
    the demo codebook in 2.8-2.9 s, two threads in 4.9-6.7 s (threads that wait on each other
    lose most when the cores are shared). The setting is the process's; only the workbench
    starts this service.
    """
    threads = max(1, _cores() - 1)
    _limit_blas(threads)
    if torch_too:
        with torch_may_load():
            import torch

        torch.set_num_threads(threads)


@contextmanager
def _all_cores() -> Iterator[None]:
    """numpy's BLAS on every core while a coder waits for an answer; background work then goes
    back to the limit `_leave_a_core` set."""
    limiter = _limit_blas(_cores())
    try:
        yield
    finally:
        if limiter is not None:
            limiter.restore_original_limits()


@dataclass
class BackgroundProgress:
    """Where the background embedding is: whole transcripts done, and the one in hand."""

    transcripts_done: int
    transcripts_total: int
    transcript: str | None  # the transcript being embedded now (None when finished)
    segments_done: int  # segments of that transcript with a vector
    segments_total: int
    embedded: int  # texts this service has embedded so far (not read from the cache)

    @property
    def finished(self) -> bool:
        return self.transcript is None and self.transcripts_done >= self.transcripts_total

    def describe(self) -> str:
        if self.finished:
            return f"all {self.transcripts_total} transcripts embedded"
        if self.transcript is None:
            return f"embedding ({self.transcripts_done}/{self.transcripts_total} transcripts done)"
        return (
            f"embedding {self.transcript} {self.segments_done}/{self.segments_total} "
            f"({self.transcripts_done}/{self.transcripts_total} transcripts done)"
        )


@dataclass
class _Request:
    texts: list[str]
    done: threading.Event
    result: np.ndarray | None = None
    error: BaseException | None = None


class EmbeddingService:
    """The project's embedding model in one daemon thread (see the module docstring).

    ``start()`` loads the model at once; ``encode_now`` embeds texts ahead of everything else;
    ``background(order)`` sets the transcripts to embed, first the one on screen; ``stop()``
    asks the thread to finish its current batch and returns within ``timeout``.
    ``open_project`` and ``make_embedder`` are there so tests can inject their own.
    """

    def __init__(
        self,
        root: Path,
        on_progress: Callable[[BackgroundProgress], Any] | None = None,
        make_embedder: Callable[[Any], Embedder] | None = None,
    ) -> None:
        self.root = Path(root)
        self.on_progress = on_progress
        self._make_embedder = make_embedder or embedder_for
        self._lock = threading.Condition()
        self._urgent: list[_Request] = []
        self._order: list[str] = []  # transcripts still to embed, next first
        self._order_known = False
        self._total = 0
        self._done_transcripts: set[str] = set()
        self._holds = 0  # callers building something from urgent requests: background waits
        self._stop = threading.Event()
        self._known = threading.Event()  # the embedder exists: its model id and size are known
        self._ready = threading.Event()  # its model is loaded
        self.error: BaseException | None = None
        self.embedder: Embedder | None = None
        self.embedded = 0
        self._thread: threading.Thread | None = None

    # -- control (any thread) ------------------------------------------------------------
    def start(self) -> EmbeddingService:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="qualkit-embedder", daemon=True)
            self._thread.start()
            _STARTED.add(self)
            _STARTS[0] += 1
        return self

    def stop(self, timeout: float = 1.0) -> None:
        """Stop after the batch in hand (written to the cache first); wait up to ``timeout``."""
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        if (
            timeout > 0
            and self._thread is not None
            and self._thread is not threading.current_thread()
        ):
            self._thread.join(timeout)

    @property
    def ready(self) -> bool:
        """Whether the model is loaded (or failed to load: ``error`` says why)."""
        return self._ready.is_set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def background(self, order: Sequence[str]) -> None:
        """Embed these transcripts, in this order, whenever nothing urgent is waiting.

        Called again (another transcript opened), it puts the new first transcript ahead of the
        rest; transcripts already finished are not visited again.
        """
        with self._lock:
            self._order = [t for t in dict.fromkeys(order) if t not in self._done_transcripts]
            self._total = len(set(order) | self._done_transcripts)
            self._order_known = True
            self._lock.notify_all()

    @contextmanager
    def priority(self) -> Iterator[None]:
        """Hold background work for a while (between several urgent requests that make one
        answer, such as the segments and then the codebook of a first suggestion)."""
        with self._lock:
            self._holds += 1
        try:
            yield
        finally:
            with self._lock:
                self._holds -= 1
                self._lock.notify_all()

    def wait_ready(self, cancel: Cancel = None) -> Embedder:
        """The embedder, as soon as its model id is known (its model may still be loading:
        what the cache holds needs no model); waits, watching ``cancel``."""
        while not self._known.wait(POLL_S):
            if is_cancelled(cancel) or self._stop.is_set():
                raise Cancelled("embedding cancelled")
            if self._thread is not None and not self.running and not self._known.is_set():
                raise QualkitError("the embedding service is not running")
        if self.error is not None:
            raise self.error
        assert self.embedder is not None
        return self.embedder

    def encode_now(self, texts: Sequence[str], cancel: Cancel = None) -> np.ndarray:
        """Embed ``texts`` before any background work; waits, watching ``cancel``."""
        embedder = self.wait_ready(cancel)
        if not texts:
            return np.zeros((0, embedder.dim), dtype=np.float32)
        request = _Request(list(texts), threading.Event())
        with self._lock:
            self._urgent.append(request)
            self._lock.notify_all()
        while not request.done.wait(POLL_S):
            if is_cancelled(cancel) or self._stop.is_set():
                with self._lock:
                    if request in self._urgent:
                        self._urgent.remove(request)
                raise Cancelled("embedding cancelled")
        if request.error is not None:
            raise request.error
        assert request.result is not None
        return request.result

    # -- the thread ------------------------------------------------------------------------
    def _run(self) -> None:
        from qualkit.project import Project

        try:
            with Project.open(self.root) as project:
                self._load(project)
                if self.error is None:
                    self._loop(project)
        except QualkitError as exc:  # e.g. the project cannot be opened
            if self.error is None:
                self.error = exc
        except Exception as exc:  # never a traceback from a background thread
            if self.error is None:
                self.error = QualkitError(f"background embedding stopped: {exc}")
        finally:
            self._known.set()
            self._ready.set()
            with self._lock:
                for request in self._urgent:
                    request.error = self.error or Cancelled("embedding stopped")
                    request.done.set()
                self._urgent.clear()

    def _load(self, project: Any) -> None:
        try:
            embedder = self._make_embedder(project)
            self.embedder = embedder
            self._known.set()
            if isinstance(embedder, SentenceTransformerEmbedder):
                # Everything this thread embeds goes through numpy where the model allows:
                # ready in about a second, where torch takes about 8 s just to import.
                embedder.prefer_fast = True
                if embedder.fast_model is not None:
                    _leave_a_core(torch_too=False)
                else:
                    _leave_a_core()
                    # it loads lazily: here, off the UI thread, before anything needs it
                    getattr(embedder, "model", None)
        except QualkitError as exc:
            self.error = exc
        except Exception as exc:
            self.error = QualkitError(f"cannot load the embedding model: {exc}")
        self._known.set()
        self._ready.set()

    def _urgent_waiting(self) -> bool:
        return bool(self._urgent) or self._holds > 0 or self._stop.is_set()

    def _loop(self, project: Any) -> None:
        assert self.embedder is not None
        while not self._stop.is_set():
            with self._lock:
                request = self._urgent.pop(0) if self._urgent else None
                transcript = self._order[0] if self._order and not self._holds else None
                if request is None and transcript is None:
                    self._lock.wait(0.5)
                    continue
            if request is not None:
                self._answer(request)
                continue
            assert transcript is not None
            if self._embed_transcript(project, transcript):
                with self._lock:
                    self._done_transcripts.add(transcript)
                    if transcript in self._order:
                        self._order.remove(transcript)
                self._report(None, 0, 0)

    def _answer(self, request: _Request) -> None:
        assert self.embedder is not None
        try:
            with _all_cores():  # the coder is waiting for this one
                request.result = self.embedder.encode(request.texts)
            self.embedded += len(request.texts)
        except Exception as exc:
            request.error = (
                exc if isinstance(exc, QualkitError) else QualkitError(f"embedding failed: {exc}")
            )
        request.done.set()

    def _embed_transcript(self, project: Any, transcript: str) -> bool:
        """Embed what the cache lacks of one transcript, one small batch at a time; False when
        interrupted by urgent work or stop (it is picked up again where it was)."""
        assert self.embedder is not None
        segments = project.segments(transcript, include_interviewer=True)
        texts = segments["text"].tolist()
        hashes = segments["text_hash"].tolist()
        total = len(set(hashes))

        def progress(done: int, missing: int) -> None:
            self._report(transcript, total - missing + done, total)

        try:
            embed_texts_cached(
                project.store,
                _Counting(self.embedder, self),
                texts,
                hashes,
                progress=progress,
                cancel=self._urgent_waiting,
                batch=BACKGROUND_BATCH,
            )
        except Cancelled:
            return False
        return True

    def _report(self, transcript: str | None, done: int, total: int) -> None:
        if self.on_progress is None:
            return
        with self._lock:
            done_transcripts = len(self._done_transcripts)
            all_transcripts = self._total
        try:
            self.on_progress(
                BackgroundProgress(
                    done_transcripts, all_transcripts, transcript, done, total, self.embedded
                )
            )
        except Exception:  # a listener's problem must not stop the embedding
            pass


class _Counting(WrappingEmbedder):
    """Passes encodes through and counts the texts the service embedded itself."""

    def __init__(self, inner: Embedder, service: EmbeddingService) -> None:
        super().__init__(inner)
        self.service = service

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        progress: Progress | None = None,
        cancel: Cancel = None,
    ) -> np.ndarray:
        out = self.inner.encode(texts, batch_size)
        self.service.embedded += len(texts)
        return out


class ServiceEmbedder(Embedder):
    """An Embedder whose encodes go to the service as urgent requests (for the Suggester).

    ``cancel`` is the caller's: Esc stops the wait at once, while the service finishes (and
    caches) the batch in hand.
    """

    def __init__(self, service: EmbeddingService, cancel: Cancel = None) -> None:
        self.service = service
        self.cancel = cancel
        inner = service.wait_ready(cancel)
        self.model_id = inner.model_id
        self.dim = inner.dim

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        progress: Progress | None = None,
        cancel: Cancel = None,
    ) -> np.ndarray:
        either = cancel if cancel is not None else self.cancel
        out = self.service.encode_now(texts, either)
        if progress:
            progress(len(texts), len(texts))
        return out
