"""Derived data: the embeddings cache (kept in its own file) and the suggestion feedback log."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from qualkit.store.base import StoreBase, now
from qualkit.store.embedding_cache import CACHE_FILE, EmbeddingCache
from qualkit.store.rows import SuggestionFeedback


class CacheTables(StoreBase):
    """The embedding cache (its own file, see embedding_cache) and the suggestion log."""

    _embedding_cache: EmbeddingCache | None = None

    @property
    def embedding_cache(self) -> EmbeddingCache:
        if self._embedding_cache is None:
            self._embedding_cache = EmbeddingCache(self.path.with_name(CACHE_FILE))
        return self._embedding_cache

    def close(self) -> None:
        if self._embedding_cache is not None:
            self._embedding_cache.close()
        super().close()

    def _before_migration(self, target: int, c: Any) -> None:
        if target == 3:
            # Schema 3 drops the vectors from project.db: carry them over to the cache first
            # (in batches, so a large cache is never all in memory).
            cursor = c.execute("SELECT model_id, text_hash, dim, vector FROM embeddings")
            while rows := cursor.fetchmany(2000):
                self.embedding_cache.put_rows([tuple(r) for r in rows])

    def get_embeddings(self, model_id: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        return self.embedding_cache.get(model_id, hashes)

    def put_embeddings(self, model_id: str, vectors: dict[str, np.ndarray]) -> None:
        self.embedding_cache.put(model_id, vectors)

    def embedding_count(self, model_id: str | None = None) -> int:
        return self.embedding_cache.count(model_id)

    def embedding_coverage(self, hashes: Iterable[str]) -> dict[str, int]:
        """Model id -> how many of ``hashes`` it has a cached vector for."""
        return self.embedding_cache.coverage(hashes)

    def record_suggestion(
        self,
        coder: str,
        segment_id: int,
        code_id: str,
        score: float | None,
        rank: int | None,
        accepted: bool,
    ) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT INTO suggestion_log(time, coder, segment_id, code_id, score, rank, "
                "accepted) VALUES (?,?,?,?,?,?,?)",
                (now(), coder, segment_id, code_id, score, rank, int(accepted)),
            )

    def suggestion_rows(self) -> list[SuggestionFeedback]:
        return [
            SuggestionFeedback(*r[:6], accepted=bool(r[6]))
            for r in self.conn.execute(
                "SELECT time, coder, segment_id, code_id, score, rank, accepted "
                "FROM suggestion_log ORDER BY id"
            )
        ]
