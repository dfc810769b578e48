"""The embedding vectors, keyed by model and text hash, in their own file beside the project
database (``.qualkit/cache.db``).

They can always be computed again, so they stay out of ``project.db``: out of its backups (at
50,000 segments the vectors were 230 of its 295 MB, copied into every backup), out of the
change counter that workbench windows watch, and out of its daily backup trigger. A cache
file that cannot be read is set aside and started again; it never blocks the project.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from qualkit.errors import ProjectError
from qualkit.store.base import BUSY_TIMEOUT_MS, chunks, switch_to_wal

CACHE_FILE = "cache.db"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    model_id TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,               -- float32, little endian
    PRIMARY KEY (model_id, text_hash)
) WITHOUT ROWID
"""


class EmbeddingCache:
    """One project's embedding cache; the connection opens on first use."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        # The workbench's embedding thread and its UI share this object.
        self._lock = threading.RLock()

    # -- connection ------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
        )
        try:
            switch_to_wal(conn)
            # A cache: losing the last batch on a power cut costs a re-embedding, not data.
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(_SCHEMA)
            conn.execute("SELECT 1 FROM embeddings LIMIT 1").fetchone()  # a cheap read probe
        except sqlite3.Error:
            conn.close()
            raise
        return conn

    def _set_aside(self) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(OSError):
                Path(f"{self.path}{suffix}").unlink()
        with contextlib.suppress(OSError):
            self.path.rename(self.path.with_name(f"{self.path.name}.unreadable-{stamp}"))

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            try:
                self._conn = self._open()
            except sqlite3.DatabaseError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise ProjectError(f"{self.path}: the cache is locked; try again") from None
                self._set_aside()  # damaged: it only ever holds what can be computed again
                try:
                    self._conn = self._open()
                except sqlite3.Error as again:
                    raise ProjectError(f"{self.path}: cannot open the cache: {again}") from None
        return self._conn

    @contextlib.contextmanager
    def _use(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._connection()
            except sqlite3.Error as exc:
                raise ProjectError(f"{self.path}: embedding cache error: {exc}") from None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- vectors ---------------------------------------------------------------------------

    def get(self, model_id: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._use() as conn:
            for chunk in chunks(list(dict.fromkeys(hashes)), 900):
                marks = ",".join("?" * len(chunk))
                for h, blob in conn.execute(
                    f"SELECT text_hash, vector FROM embeddings WHERE model_id = ? "
                    f"AND text_hash IN ({marks})",
                    (model_id, *chunk),
                ):
                    found[h] = np.frombuffer(blob, dtype="<f4")
        return found

    def put(self, model_id: str, vectors: dict[str, np.ndarray]) -> None:
        self.put_rows(
            (model_id, h, int(v.shape[0]), np.asarray(v, dtype="<f4").tobytes())
            for h, v in vectors.items()
        )

    def put_rows(self, rows: Iterable[tuple[str, str, int, bytes]]) -> None:
        """Store (model_id, text_hash, dim, vector bytes) rows in one transaction."""
        with self._use() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    "INSERT OR REPLACE INTO embeddings(model_id, text_hash, dim, vector) "
                    "VALUES (?,?,?,?)",
                    rows,
                )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def count(self, model_id: str | None = None) -> int:
        with self._use() as conn:
            if model_id is None:
                return int(conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])
            return int(
                conn.execute(
                    "SELECT COUNT(*) FROM embeddings WHERE model_id = ?", (model_id,)
                ).fetchone()[0]
            )

    def coverage(self, hashes: Iterable[str]) -> dict[str, int]:
        """Model id -> how many of ``hashes`` it has a cached vector for."""
        counts: dict[str, int] = {}
        with self._use() as conn:
            for chunk in chunks(list(dict.fromkeys(hashes)), 900):
                marks = ",".join("?" * len(chunk))
                for model_id, n in conn.execute(
                    f"SELECT model_id, COUNT(*) FROM embeddings WHERE text_hash IN ({marks}) "
                    "GROUP BY model_id",
                    chunk,
                ):
                    counts[model_id] = counts.get(model_id, 0) + n
        return counts
