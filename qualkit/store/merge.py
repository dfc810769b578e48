"""Writing another copy's work into this database in one transaction (`qualkit merge`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from qualkit.store.base import now
from qualkit.store.codings import CodingTables
from qualkit.store.events import CLEARED


@dataclass
class MergeWrite:
    """Rows to add, already mapped onto this project's segment and code ids."""

    # new codings; "origin" lists the keys of the events behind each (in the other copy)
    codings: list[dict[str, Any]] = field(default_factory=list)
    # codings both copies have: (coding id here, columns to set, origin event keys)
    changes: list[tuple[int, dict[str, Any], list[str]]] = field(default_factory=list)
    # (kind, target, coder, text or None to delete, origin event keys)
    memos: list[tuple[str, str, str, str | None, list[str]]] = field(default_factory=list)
    reviews: list[tuple[int, str, str]] = field(default_factory=list)  # segment, coder, time
    unreviews: list[tuple[int, str, str]] = field(default_factory=list)  # marks to clear
    done: list[tuple[str, str, str]] = field(default_factory=list)  # transcript, coder, time
    undone: list[tuple[str, str, str]] = field(default_factory=list)  # marks to clear
    # the marks set or cleared, with the keys of the events behind each (in the other copy)
    marks_touched: dict[str, list[list[Any]]] = field(
        default_factory=lambda: {"reviews": [], "done": []}
    )
    events: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)
    # their coding id -> ours for codings both copies have; with the ids of the codings
    # inserted here, the events' coding ids are put into ours (ids of codings that did not
    # come across are dropped), so the log never names a coding of the other database
    coding_ids: dict[int, int] = field(default_factory=dict)

    def empty(self) -> bool:
        return not (
            self.codings
            or self.changes
            or self.memos
            or self.reviews
            or self.unreviews
            or self.done
            or self.undone
            or self.events
        )


def _codings_here(payload: dict[str, Any], ours: dict[int, int]) -> dict[str, Any]:
    out = dict(payload)
    for key in ("codings", "removed", "changed"):
        if isinstance(out.get(key), list):
            out[key] = [ours[int(i)] for i in out[key] if int(i) in ours]
    if "coding" in out:
        mapped = ours.get(int(out["coding"]))
        if mapped is None:
            del out["coding"]
        else:
            out["coding"] = mapped
    return out


class MergeTables(CodingTables):
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
        """Add and change everything in `write`, and log one 'merge' event, in one transaction.

        The merge event lists every coding and memo it changed here with the keys of the
        events behind each change (in the other copy), so a later merge knows that those
        changes were not made here (see qualkit.merge_history)."""
        touched_codings: dict[str, list[str]] = {}
        touched_memos: list[list[Any]] = []
        ours = dict(write.coding_ids)
        with self.transaction() as c:
            for r in write.codings:
                cur = c.execute(
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
                touched_codings[str(cur.lastrowid)] = list(r.get("origin") or [])
                if r.get("their_id") is not None:
                    ours[int(r["their_id"])] = int(cur.lastrowid)
            for coding_id, columns, origin in write.changes:
                sets = ", ".join(f"{k} = ?" for k in columns)
                c.execute(f"UPDATE codings SET {sets} WHERE id = ?", (*columns.values(), coding_id))
                touched_codings[str(coding_id)] = list(origin)
            for kind, target, coder, text, origin in write.memos:
                self._write_memo(c, kind, target, coder, text)
                touched_memos.append([kind, target, coder, list(origin)])
            c.executemany(
                "INSERT OR IGNORE INTO reviews(segment_id, coder, time) VALUES (?,?,?)",
                [(s, who, t or now()) for s, who, t in write.reviews],
            )
            c.executemany(
                "INSERT OR IGNORE INTO transcript_done(transcript_id, coder, time) VALUES (?,?,?)",
                [(t, who, when or now()) for t, who, when in write.done],
            )
            c.executemany(
                "DELETE FROM reviews WHERE segment_id = ? AND coder = ?",
                [(s, who) for s, who, _ in write.unreviews],
            )
            c.executemany(
                "DELETE FROM transcript_done WHERE transcript_id = ? AND coder = ?",
                [(t, who) for t, who, _ in write.undone],
            )
            # Their events keep their time and coder; they cannot be undone here (their ids
            # point into the other database).
            c.executemany(
                "INSERT INTO events(time, coder, action, payload, state) VALUES (?,?,?,?,?)",
                [
                    (t, who, a, json.dumps(_codings_here(p, ours)), CLEARED)
                    for t, who, a, p in write.events
                ],
            )
            touched = {
                "codings": touched_codings,
                "memos": touched_memos,
                **write.marks_touched,
            }
            self._log(c, actor, "merge", {**summary, "touched": touched}, state=CLEARED)
