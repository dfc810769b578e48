"""How a failure reads to the user: one line, never a traceback."""

from __future__ import annotations

import sqlite3

from qualkit.errors import QualkitError


def problem_text(exc: BaseException) -> str:
    """The one line a user sees for a failure."""
    if isinstance(exc, QualkitError):
        return str(exc)
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return "the project database is locked by another program; try again"
    if isinstance(exc, sqlite3.Error | OSError):
        return f"{type(exc).__name__}: {exc}"
    return f"unexpected {type(exc).__name__}: {exc}"
