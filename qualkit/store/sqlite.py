"""The SQLite implementation of the project store: one class assembled from the table groups."""

from __future__ import annotations

from qualkit.store.cache import CacheTables
from qualkit.store.codings import CodingTables
from qualkit.store.segments import SegmentTables


class SQLiteStore(SegmentTables, CodingTables, CacheTables):
    """One project's SQLite database (``.qualkit/project.db``)."""
