"""The SQLite implementation of the project store: one class assembled from the table groups."""

from __future__ import annotations

from qualkit.store.adjudication import AdjudicationTables
from qualkit.store.cache import CacheTables
from qualkit.store.history import HistoryTables
from qualkit.store.merge import MergeTables
from qualkit.store.segments import SegmentTables


class SQLiteStore(SegmentTables, HistoryTables, AdjudicationTables, MergeTables, CacheTables):
    """One project's SQLite database (``.qualkit/project.db``)."""
