"""How a failure reads to the user: one line, never a traceback."""

from __future__ import annotations

from qualkit.errors import QualkitError


def problem_text(exc: BaseException) -> str:
    """The one line a user sees for a failure (the core raises qualkit errors, store ones too)."""
    if isinstance(exc, QualkitError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{type(exc).__name__}: {exc}"
    return f"unexpected {type(exc).__name__}: {exc}"
