"""Adjudication writes: consensus-layer codings added and removed as ONE undoable event,
logged under the adjudicator's own name (not under the layer's)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qualkit.store.base import now
from qualkit.store.events import EventLog

ADJUDICATE = "adjudicate"


class AdjudicationTables(EventLog):
    def adjudicate(
        self,
        actor: str,
        layer: str,
        add: Sequence[dict[str, Any]],
        remove: Sequence[int],
        payload: dict[str, Any],
    ) -> list[int]:
        """Add codings to `layer`, remove coding ids from it, and log one event by `actor`
        (payload gets "layer", "codings" added and "removed"); undo reverses both."""
        ids: list[int] = []
        with self.transaction() as c:
            for r in add:
                cur = c.execute(
                    "INSERT INTO codings(segment_id, code_id, coder, created, memo, source) "
                    "VALUES (?,?,?,?,?,?)",
                    (r["segment_id"], r["code_id"], layer, now(), r.get("memo"), "consensus"),
                )
                ids.append(int(cur.lastrowid))
            c.executemany("UPDATE codings SET removed = 1 WHERE id = ?", [(i,) for i in remove])
            self._log(
                c,
                actor,
                ADJUDICATE,
                {**payload, "layer": layer, "codings": ids, "removed": list(remove)},
            )
        return ids
