"""The append-only event log: who changed what, when. Undo and redo read it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from qualkit.store.base import StoreBase, now


class EventState(IntEnum):
    """An action can be undone (DONE -> UNDONE) and redone (UNDONE -> DONE); a new action by
    the same coder clears that coder's redo stack (UNDONE -> CLEARED). Actions that cannot be
    undone start CLEARED."""

    DONE = 0
    UNDONE = 1
    CLEARED = 2


DONE, UNDONE, CLEARED = EventState.DONE, EventState.UNDONE, EventState.CLEARED


@dataclass(frozen=True)
class Event:
    """One logged action. `segments` are the segments it changed (filled in by the project
    façade from the payload, so no caller decodes payloads itself)."""

    id: int
    time: str
    coder: str
    action: str
    payload: dict[str, Any]
    state: EventState
    segments: frozenset[int] = field(default_factory=frozenset)

    @property
    def undone(self) -> bool:
        """True while the action stands undone (a redo can bring it back)."""
        return self.state == UNDONE


class EventLog(StoreBase):
    # The window (workbench session) this connection writes for: its undoable events carry it,
    # so undo in one window never reverses what another window did.
    session: str | None = None

    def data_version(self) -> int:
        """SQLite's change counter: it moves when another connection commits (not this one)."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def last_event_id(self) -> int:
        """The newest event's id (0 for none): it grows with every change anybody logs."""
        return int(self.conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])

    def _log(
        self, c: sqlite3.Connection, coder: str, action: str, payload: dict, state: int = DONE
    ) -> int:
        if state == DONE and self.session is not None:
            payload = {**payload, "session": self.session}
        if state == DONE:
            # A new undoable action ends the coder's redo stack.
            c.execute(
                "UPDATE events SET state = ? WHERE coder = ? AND state = ?",
                (CLEARED, coder, UNDONE),
            )
        cur = c.execute(
            "INSERT INTO events(time, coder, action, payload, state) VALUES (?,?,?,?,?)",
            (now(), coder, action, json.dumps(payload), state),
        )
        return int(cur.lastrowid)

    def log_event(self, actor: str, action: str, payload: dict[str, Any]) -> int:
        """Record a change that is not undone through the log (e.g. a codebook edit)."""
        with self.transaction() as c:
            return self._log(c, actor, action, payload, state=CLEARED)

    def events(self, coder: str | None = None, limit: int | None = None) -> list[Event]:
        sql = "SELECT * FROM events"
        args: list[Any] = []
        if coder is not None:
            sql += " WHERE coder = ?"
            args.append(coder)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [
            Event(
                r["id"],
                r["time"],
                r["coder"],
                r["action"],
                json.loads(r["payload"]),
                EventState(r["state"]),
            )
            for r in self.conn.execute(sql, args)
        ]

    def latest_event_time(self, coder: str) -> str | None:
        """When the coder last changed anything (ISO time), or None."""
        row = self.conn.execute("SELECT MAX(time) FROM events WHERE coder = ?", (coder,)).fetchone()
        return row[0] if row else None

    def first_event_id(self, actions: Sequence[str], excluding: Sequence[str]) -> int | None:
        """The id of the oldest event with one of ``actions`` by anybody not in ``excluding``
        (None: there is none)."""
        marks = ",".join("?" * len(actions))
        others = ",".join("?" * len(excluding)) or "''"
        row = self.conn.execute(
            f"SELECT MIN(id) FROM events WHERE action IN ({marks}) AND coder NOT IN ({others})",
            (*actions, *excluding),
        ).fetchone()
        return row[0] if row else None

    def latest_action_time(self, action: str) -> str | None:
        """When anybody last logged ``action`` (ISO time), or None."""
        row = self.conn.execute(
            "SELECT MAX(time) FROM events WHERE action = ?", (action,)
        ).fetchone()
        return row[0] if row else None
