"""Undo and redo, defined on events: each step brings back the state an event changed, never
fails half-way, and an event that can no longer be reversed is dropped from the history with a
reason in words, so the next undo still works.

A coding event means "segment S has code C in coder K's layer" (or no longer has it). Reversing
it asks for that state: a coding that is already in the wanted state, or whose state another
coding already gives (after a codebook merge or a re-ingest merged two codings), is left alone
instead of breaking the one-live-coding-per-segment-code-coder rule.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection
from typing import Any

from qualkit.errors import HistoryError, ProjectError
from qualkit.store.base import now
from qualkit.store.codings import CodingTables
from qualkit.store.events import CLEARED, DONE, UNDONE, Event

_CODING_ACTIONS = ("code", "import", "uncode")
_FIELD_ACTIONS = ("star", "coding-memo", "span")


class _Impossible(Exception):
    """Raised inside a step: the reason, in words, why this event cannot be reversed now."""


def _check_session(row: sqlite3.Row, session: str | None, verb: str) -> None:
    """Refuse to undo (or redo) an action made elsewhere: another window, the CLI, a merge."""
    if session is None:
        return
    if json.loads(row["payload"]).get("session") != session:
        raise ProjectError(
            f"cannot {verb}: your latest action ({row['action']} at {row['time'][11:19] or '?'}) "
            f"was made in another window or from the command line; {verb} it there, or, if "
            f"that window is closed, with 'qualkit {verb} --coder {row['coder']}'"
        )


class HistoryTables(CodingTables):
    def undo(
        self, coder: str, known_codes: Collection[str] | None = None, session: str | None = None
    ) -> Event | None:
        """Reverse the coder's latest action that is still done; None when nothing to undo.

        `known_codes` (the codebook's ids) keeps an undo from bringing back a coding of a code
        that has left codebook.yaml. Raises HistoryError, after dropping the event from the
        history, when the action can no longer be reversed. With `session` (a workbench
        window), only an action that session made (else ProjectError, nothing changes).
        """
        return self._step(coder, undo=True, known_codes=known_codes, session=session)

    def redo(
        self, coder: str, known_codes: Collection[str] | None = None, session: str | None = None
    ) -> Event | None:
        """Re-apply the action the coder undid most recently (see undo)."""
        return self._step(coder, undo=False, known_codes=known_codes, session=session)

    def _next_event(self, c: sqlite3.Connection, coder: str, undo: bool) -> sqlite3.Row | None:
        if undo:
            return c.execute(
                "SELECT * FROM events WHERE coder = ? AND state = ? ORDER BY id DESC LIMIT 1",
                (coder, DONE),
            ).fetchone()
        return c.execute(
            "SELECT e.* FROM events e WHERE e.coder = ? AND e.state = ? ORDER BY "
            "(SELECT MAX(u.id) FROM events u WHERE u.action = 'undo' AND u.coder = e.coder "
            "AND json_extract(u.payload, '$.event') = e.id) DESC, e.id DESC LIMIT 1",
            (coder, UNDONE),
        ).fetchone()

    def _step(
        self,
        coder: str,
        undo: bool,
        known_codes: Collection[str] | None,
        session: str | None = None,
    ) -> Event | None:
        verb = "undo" if undo else "redo"
        failure: str | None = None
        with self.transaction() as c:
            row = self._next_event(c, coder, undo)
            if row is None:
                return None
            _check_session(row, session, verb)
            payload = json.loads(row["payload"])
            what = self._describe(c, row["action"], payload)
            # A savepoint: whatever goes wrong inside the step is rolled back as a whole, and
            # the event's state change below still commits, so the history never sticks.
            c.execute("SAVEPOINT history_step")
            changed: list[int] | None = None
            try:
                changed = self._apply(
                    c, row["action"], payload, undo, known_codes, self._last_changed(c, row)
                )
            except (_Impossible, ProjectError, sqlite3.IntegrityError) as exc:
                c.execute("ROLLBACK TO history_step")
                c.execute("RELEASE history_step")
                failure = (
                    str(exc)
                    if isinstance(exc, _Impossible)
                    else "the project changed since (another coding now holds its place)"
                )
                c.execute("UPDATE events SET state = ? WHERE id = ?", (CLEARED, row["id"]))
                c.execute(
                    "INSERT INTO events(time, coder, action, payload, state) VALUES (?,?,?,?,?)",
                    (
                        now(),
                        coder,
                        f"{verb}-skipped",
                        json.dumps({"event": row["id"], "reason": failure}),
                        CLEARED,
                    ),
                )
            else:
                c.execute("RELEASE history_step")
                step: dict[str, Any] = {"event": row["id"]}
                if changed is not None:
                    step["changed"] = changed
                c.execute(
                    "UPDATE events SET state = ? WHERE id = ?",
                    (UNDONE if undo else DONE, row["id"]),
                )
                c.execute(
                    "INSERT INTO events(time, coder, action, payload, state) VALUES (?,?,?,?,?)",
                    (now(), coder, verb, json.dumps(step), CLEARED),
                )
        if failure is not None:
            further = "undo goes further back" if undo else "redo goes on with the one before"
            raise HistoryError(
                f"cannot {verb} {what}: {failure}; it is dropped from the history, "
                f"so the next {further}"
            )
        return Event(
            row["id"], row["time"], coder, row["action"], payload, UNDONE if undo else DONE
        )

    def _last_changed(self, c: sqlite3.Connection, event: sqlite3.Row) -> list[int] | None:
        """The codings the latest undo or redo of `event` changed (None: never stepped).

        The next step touches only those, so undo then redo is an exact inverse even where a
        step left a coding alone because another coding already said the same.
        """
        found = c.execute(
            "SELECT payload FROM events WHERE coder = ? AND state = ? AND action IN "
            "('undo', 'redo') AND json_extract(payload, '$.event') = ? ORDER BY id DESC LIMIT 1",
            (event["coder"], CLEARED, event["id"]),
        ).fetchone()
        if found is None:
            return None
        return json.loads(found[0]).get("changed")

    def _describe(self, c: sqlite3.Connection, action: str, payload: dict[str, Any]) -> str:
        """The event in words, e.g. "'code' (segment 2: referral-routes)"."""
        ids = list(payload.get("codings") or [])
        if "coding" in payload:
            ids.append(payload["coding"])
        parts = []
        for coding_id in ids[:3]:
            found = c.execute(
                "SELECT segment_id, code_id FROM codings WHERE id = ?", (coding_id,)
            ).fetchone()
            if found is not None:
                parts.append(f"segment {found['segment_id']}: {found['code_id']}")
        if len(ids) > 3:
            parts.append(f"and {len(ids) - 3} more")
        if "segments" in payload:
            shown = ", ".join(str(s) for s in payload["segments"][:3])
            parts.append(f"segment {shown}" + (" ..." if len(payload["segments"]) > 3 else ""))
        if action == "memo":
            parts.append(f"{payload.get('kind')} {payload.get('target')}")
        return f"'{action}'" + (f" ({'; '.join(parts)})" if parts else "")

    def _apply(
        self,
        c: sqlite3.Connection,
        action: str,
        payload: dict[str, Any],
        reverse: bool,
        known_codes: Collection[str] | None,
        last_changed: list[int] | None,
    ) -> list[int] | None:
        """Apply one step; for coding actions, return the ids of the codings it changed."""
        if action in _CODING_ACTIONS:
            # Forward, "uncode" removes codings and the others add them; reversing flips that.
            removed = (action == "uncode") != reverse
            ids = payload["codings"] if last_changed is None else last_changed
            return self._set_coding_state(c, ids, removed=removed, known=known_codes)
        elif action in _FIELD_ACTIONS:
            values = payload["before"] if reverse else payload["after"]
            if c.execute("SELECT 1 FROM codings WHERE id = ?", (payload["coding"],)).fetchone():
                sets = ", ".join(f"{k} = ?" for k in values)
                c.execute(
                    f"UPDATE codings SET {sets} WHERE id = ?",
                    (*values.values(), payload["coding"]),
                )
            else:
                raise _Impossible("the coding no longer exists")
        elif action == "memo":
            text = payload["before"] if reverse else payload["after"]
            self._write_memo(c, payload["kind"], payload["target"], payload["coder"], text)
        elif action == "adjudicate":
            # the consensus codings a decision added go, the ones it removed come back
            self._set_coding_state(c, payload["codings"], removed=reverse, known=known_codes)
            self._set_coding_state(c, payload["removed"], removed=not reverse, known=known_codes)
        elif action in ("review", "unreview"):
            reviewed = (action == "review") != reverse
            wanted = [int(s) for s in payload["segments"]]
            present = {
                r[0]
                for r in c.execute(
                    f"SELECT id FROM segments WHERE id IN ({','.join('?' * len(wanted))})", wanted
                )
            }
            if not present:
                raise _Impossible("its segments left the transcript at a re-ingest")
            kept = [s for s in wanted if s in present]
            self._write_reviews(c, kept, payload["coder"], reviewed)
        else:
            raise _Impossible(f"'{action}' is not an action undo knows")
        return None

    def _set_coding_state(
        self,
        c: sqlite3.Connection,
        coding_ids: list[int],
        removed: bool,
        known: Collection[str] | None,
    ) -> list[int]:
        """Remove codings, or bring them back where their segment does not already have
        the same code by the same coder; returns the ids changed."""
        rows = []
        for coding_id in coding_ids:
            row = c.execute(
                "SELECT id, segment_id, code_id, coder, removed FROM codings WHERE id = ?",
                (coding_id,),
            ).fetchone()
            if row is None:
                raise _Impossible(f"coding {coding_id} no longer exists")
            rows.append(row)
        if removed:
            live = [int(r["id"]) for r in rows if not r["removed"]]
            c.executemany("UPDATE codings SET removed = 1 WHERE id = ?", [(i,) for i in live])
            return live
        if known is not None:
            gone = sorted({r["code_id"] for r in rows if r["code_id"] not in known})
            if gone:
                listed = ", ".join(f"'{g}'" for g in gone)
                raise _Impossible(
                    f"code {listed} is no longer in codebook.yaml (add it back to restore "
                    "its codings)"
                )
        restored = []
        for r in rows:
            if not r["removed"]:
                continue
            holder = c.execute(
                "SELECT 1 FROM codings WHERE segment_id = ? AND code_id = ? AND coder = ? "
                "AND removed = 0",
                (r["segment_id"], r["code_id"], r["coder"]),
            ).fetchone()
            if holder is None:
                c.execute("UPDATE codings SET removed = 0 WHERE id = ?", (r["id"],))
                restored.append(int(r["id"]))
        return restored
