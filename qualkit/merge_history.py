"""What each copy of a project changed since the copies parted, read from its event log: the
codings and memos every event touched, keyed by events that both copies can name. A merge takes
a change made only there, keeps one made only here, and reports one made on both sides."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

MemoKey = tuple[str, str, str]  # (kind, target, coder)


def event_key(event: Any) -> str:
    """An event's name in every copy: its own hash, or the one it was merged in under."""
    merged = event.payload.get("merged")
    if isinstance(merged, dict) and "key" in merged:
        return str(merged["key"])
    identity = [event.time, event.coder, event.action, event.payload]
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:24]


@dataclass
class Changes:
    """Per coding id and per memo of one copy, the keys of the events that changed it."""

    keys: set[str] = field(default_factory=set)  # every event this copy knows
    codings: dict[int, set[str]] = field(default_factory=dict)
    memos: dict[MemoKey, set[str]] = field(default_factory=dict)

    def codings_unknown_to(self, other: Changes) -> dict[int, set[str]]:
        """Codings changed by an event the other copy has never seen (since they parted)."""
        return {i: k for i, k in self.codings.items() if k - other.keys}

    def memos_unknown_to(self, other: Changes) -> dict[MemoKey, set[str]]:
        return {m: k for m, k in self.memos.items() if k - other.keys}


def _touched(action: str, payload: dict[str, Any]) -> tuple[list[int], MemoKey | None]:
    ids = [int(i) for i in payload.get("codings") or []]
    ids += [int(i) for i in payload.get("removed") or []]  # adjudication
    if "coding" in payload:
        ids.append(int(payload["coding"]))
    memo = None
    if action == "memo" and {"kind", "target", "coder"} <= payload.keys():
        memo = (str(payload["kind"]), str(payload["target"]), str(payload["coder"]))
    return ids, memo


def read_changes(project: Any) -> Changes:
    """Walk the whole event log once. Events merged in from another copy name coding ids of
    that copy's database, so they count only through the 'merge' event that applied them,
    which lists the codings and memos it changed here and the events behind each change."""
    events = project.store.events()
    by_id = {e.id: e for e in events}
    changes = Changes()
    for event in events:
        key = event_key(event)
        changes.keys.add(key)
        payload = event.payload
        if "merged" in payload:
            continue
        if event.action == "merge":
            touched = payload.get("touched") or {}
            for coding_id, keys in (touched.get("codings") or {}).items():
                changes.codings.setdefault(int(coding_id), set()).update(keys)
            for kind, target, coder, keys in touched.get("memos") or []:
                changes.memos.setdefault((kind, target, coder), set()).update(keys)
            continue
        if event.action in ("undo", "redo"):
            stepped = by_id.get(payload.get("event"))
            if stepped is None:
                continue
            ids, memo = _touched(stepped.action, stepped.payload)
        else:
            ids, memo = _touched(event.action, payload)
        for coding_id in ids:
            changes.codings.setdefault(coding_id, set()).add(key)
        if memo is not None:
            changes.memos.setdefault(memo, set()).add(key)
    return changes
