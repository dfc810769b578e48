"""Writing another copy's work into this database in one transaction (`qualkit merge`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from qualkit.store.base import now
from qualkit.store.events import CLEARED, EventLog


@dataclass
class MergeWrite:
    """Rows to add, already mapped onto this project's segment and code ids."""

    codings: list[dict[str, Any]] = field(default_factory=list)
    # (kind, target, coder, text)
    memos: list[tuple[str, str, str, str]] = field(default_factory=list)
    reviews: list[tuple[int, str, str]] = field(default_factory=list)  # segment, coder, time
    done: list[tuple[str, str, str]] = field(default_factory=list)  # transcript, coder, time
    events: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)

    def empty(self) -> bool:
        return not (self.codings or self.memos or self.reviews or self.done or self.events)


class MergeTables(EventLog):
    def merged_event_keys(self) -> set[str]:
        """Keys of events already brought in from other copies (merging twice adds nothing)."""
        return {
            r[0]
            for r in self.conn.execute(
                "SELECT json_extract(payload, '$.merged.key') FROM events "
                "WHERE json_extract(payload, '$.merged.key') IS NOT NULL"
            )
        }

    def write_merge(self, write: MergeWrite, actor: str, summary: dict[str, Any]) -> None:
        """Add everything in `write`, and one 'merge' event, in one transaction."""
        with self.transaction() as c:
            for r in write.codings:
                c.execute(
                    "INSERT INTO codings(segment_id, code_id, coder, created, span_start, "
                    "span_end, quote, memo, starred, source) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        r["segment_id"],
                        r["code_id"],
                        r["coder"],
                        r["created"],
                        r.get("span_start"),
                        r.get("span_end"),
                        r.get("quote"),
                        r.get("memo"),
                        int(bool(r.get("starred"))),
                        r.get("source") or "manual",
                    ),
                )
            c.executemany(
                "INSERT OR IGNORE INTO memos(kind, target, coder, text, updated) "
                "VALUES (?,?,?,?,?)",
                [(*m, now()) for m in write.memos],
            )
            c.executemany(
                "INSERT OR IGNORE INTO reviews(segment_id, coder, time) VALUES (?,?,?)",
                [(s, who, t or now()) for s, who, t in write.reviews],
            )
            c.executemany(
                "INSERT OR IGNORE INTO transcript_done(transcript_id, coder, time) VALUES (?,?,?)",
                [(t, who, when or now()) for t, who, when in write.done],
            )
            # Their events keep their time and coder; they cannot be undone here (their ids
            # point into the other database).
            c.executemany(
                "INSERT INTO events(time, coder, action, payload, state) VALUES (?,?,?,?,?)",
                [(t, who, a, json.dumps(p), CLEARED) for t, who, a, p in write.events],
            )
            self._log(c, actor, "merge", summary, state=CLEARED)
