"""What each copy of a project changed since the copies parted, read from its event log: the
codings and memos every event touched, keyed by events that both copies can name. A merge takes
a change made only there, keeps one made only here, and reports one made on both sides."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

MemoKey = tuple[str, str, str]  # (kind, target, coder)
MarkKey = tuple[str, str]  # (segment id or transcript id, coder): a reviewed or done mark


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
    reviews: dict[MarkKey, set[str]] = field(default_factory=dict)
    done: dict[MarkKey, set[str]] = field(default_factory=dict)

    def codings_unknown_to(self, other: Changes) -> dict[int, set[str]]:
        """Codings changed by an event the other copy has never seen (since they parted)."""
        return {i: k for i, k in self.codings.items() if k - other.keys}

    def memos_unknown_to(self, other: Changes) -> dict[MemoKey, set[str]]:
        return {m: k for m, k in self.memos.items() if k - other.keys}

    def marks_unknown_to(self, other: Changes, kind: str) -> dict[MarkKey, set[str]]:
        """Reviewed ('reviews') or done ('done') marks changed since the copies parted."""
        marks = self.reviews if kind == "reviews" else self.done
        return {m: k for m, k in marks.items() if k - other.keys}


def _touched(action: str, payload: dict[str, Any]) -> tuple[list[int], MemoKey | None]:
    ids = [int(i) for i in payload.get("codings") or []]
    ids += [int(i) for i in payload.get("removed") or []]  # adjudication
    if "coding" in payload:
        ids.append(int(payload["coding"]))
    memo = None
    if action == "memo" and {"kind", "target", "coder"} <= payload.keys():
        memo = (str(payload["kind"]), str(payload["target"]), str(payload["coder"]))
    return ids, memo


def _marks(action: str, payload: dict[str, Any], coder: str) -> tuple[str, list[MarkKey]]:
    """The reviewed or done marks an event set or cleared: ('reviews' | 'done', keys)."""
    if action in ("review", "unreview"):
        who = str(payload.get("coder") or coder)
        return "reviews", [(str(s), who) for s in payload.get("segments") or []]
    if action in ("done", "not-done") and payload.get("transcript") is not None:
        return "done", [(str(payload["transcript"]), coder)]
    return "", []


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
            for kind in ("reviews", "done"):
                marks = changes.reviews if kind == "reviews" else changes.done
                for target, coder, keys in touched.get(kind) or []:
                    marks.setdefault((str(target), coder), set()).update(keys)
            continue
        stepped = event
        if event.action in ("undo", "redo"):
            found = by_id.get(payload.get("event"))
            if found is None:
                continue
            stepped = found
        ids, memo = _touched(stepped.action, stepped.payload)
        kind, marks = _marks(stepped.action, stepped.payload, stepped.coder)
        for mark in marks:
            (changes.reviews if kind == "reviews" else changes.done).setdefault(mark, set()).add(
                key
            )
        for coding_id in ids:
            changes.codings.setdefault(coding_id, set()).add(key)
        if memo is not None:
            changes.memos.setdefault(memo, set()).add(key)
    return changes
