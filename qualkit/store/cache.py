"""Derived data kept to save work: the embeddings cache and the suggestion feedback log."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from qualkit.store.base import StoreBase, chunks, now
from qualkit.store.rows import SuggestionFeedback


class CacheTables(StoreBase):
    def get_embeddings(self, model_id: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for chunk in chunks(list(dict.fromkeys(hashes)), 900):
            marks = ",".join("?" * len(chunk))
            for r in self.conn.execute(
                f"SELECT text_hash, vector FROM embeddings WHERE model_id = ? "
                f"AND text_hash IN ({marks})",
                (model_id, *chunk),
            ):
                found[r[0]] = np.frombuffer(r[1], dtype="<f4")
        return found

    def put_embeddings(self, model_id: str, vectors: dict[str, np.ndarray]) -> None:
        with self.transaction() as c:
            c.executemany(
                "INSERT OR REPLACE INTO embeddings(model_id, text_hash, dim, vector) "
                "VALUES (?,?,?,?)",
                [
                    (model_id, h, int(v.shape[0]), np.asarray(v, dtype="<f4").tobytes())
                    for h, v in vectors.items()
                ],
            )

    def embedding_count(self, model_id: str | None = None) -> int:
        if model_id is None:
            return self.conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
        return self.conn.execute(
            "SELECT COUNT(*) FROM embeddings WHERE model_id = ?", (model_id,)
        ).fetchone()[0]

    def embedding_coverage(self, hashes: Iterable[str]) -> dict[str, int]:
        """Model id -> how many of ``hashes`` it has a cached vector for."""
        counts: dict[str, int] = {}
        for chunk in chunks(list(dict.fromkeys(hashes)), 900):
            marks = ",".join("?" * len(chunk))
            for model_id, n in self.conn.execute(
                f"SELECT model_id, COUNT(*) FROM embeddings WHERE text_hash IN ({marks}) "
                "GROUP BY model_id",
                chunk,
            ):
                counts[model_id] = counts.get(model_id, 0) + n
        return counts

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
