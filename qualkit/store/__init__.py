"""The project database (SQLite). All SQL in qualkit lives in this package, so that a
server-backed store can replace it later.

One class, :class:`Store`, assembled from table groups that each keep one concern:

- ``base``: connection policy, transactions, migrations, backups, meta values
- ``schema``: the schema per version
- ``events``: the append-only event log
- ``segments``: participants, transcripts, turns, segments, and writing an ingest
- ``codings``: coder layers, memos, done marks
- ``history``: undo and redo, defined on events
- ``cache``: embeddings cache and suggestion feedback
"""

from __future__ import annotations

from qualkit.store.base import BACKUPS_KEPT, BUSY_TIMEOUT_MS, now
from qualkit.store.cache import CacheTables
from qualkit.store.events import CLEARED, DONE, UNDONE, Event
from qualkit.store.history import HistoryError, HistoryTables
from qualkit.store.schema import MIGRATIONS, SCHEMA_VERSION
from qualkit.store.segments import (
    IngestPlan,
    PlannedSegment,
    PlannedTranscript,
    SegmentTables,
)

__all__ = [
    "BACKUPS_KEPT",
    "BUSY_TIMEOUT_MS",
    "CLEARED",
    "DONE",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "UNDONE",
    "Event",
    "HistoryError",
    "IngestPlan",
    "PlannedSegment",
    "PlannedTranscript",
    "Store",
    "now",
]


class Store(SegmentTables, HistoryTables, CacheTables):
    """One project's SQLite database."""
