"""The project database. All SQL in qualkit lives in this package, so that a server-backed
store can replace SQLite later.

:class:`Store` is the protocol the rest of qualkit relies on: it hands out typed rows
(``rows``) and raises qualkit errors, never driver rows or driver errors. :class:`SQLiteStore`
implements it from table groups that each keep one concern:

- ``base``: connection policy, transactions, migrations, backups, meta values
- ``schema``: the schema per version
- ``events``: the append-only event log
- ``segments``: participants, transcripts, turns, segments, and writing an ingest
- ``codings``: coder layers, memos, done marks
- ``history``: undo and redo, defined on events
- ``cache``: the embeddings cache (its own file: ``embedding_cache``) and suggestion feedback
"""

from __future__ import annotations

from qualkit.store.base import BACKUPS_KEPT, BUSY_TIMEOUT_MS, now
from qualkit.store.events import CLEARED, DONE, UNDONE, Event, EventState
from qualkit.store.history import HistoryError
from qualkit.store.protocol import Store
from qualkit.store.rows import (
    Coding,
    CodingRow,
    LayerCoding,
    MemoRow,
    SegmentCoding,
    SegmentRow,
    SuggestionFeedback,
    TranscriptRow,
)
from qualkit.store.schema import MIGRATIONS, SCHEMA_VERSION
from qualkit.store.sqlite import SQLiteStore

__all__ = [
    "BACKUPS_KEPT",
    "BUSY_TIMEOUT_MS",
    "CLEARED",
    "DONE",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "UNDONE",
    "Coding",
    "CodingRow",
    "Event",
    "HistoryError",
    "LayerCoding",
    "EventState",
    "MemoRow",
    "SQLiteStore",
    "SegmentCoding",
    "SegmentRow",
    "Store",
    "SuggestionFeedback",
    "TranscriptRow",
    "now",
]
