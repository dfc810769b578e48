"""A workbench window's session: the scope of its undo, and the database change counter it
watches to pick up what other windows, the CLI or a merge wrote."""

from __future__ import annotations

import uuid
from typing import Any


def start_session(project: Any) -> str:
    """From now on this Project's undoable actions belong to one window, and its undo and redo
    act only on them (a second window of the same coder cannot undo them by mistake)."""
    project.store.session = uuid.uuid4().hex[:12]
    return project.store.session


def data_version(project: Any) -> int:
    """Moves whenever another connection (window, CLI, merge) commits to the database."""
    return project.store.data_version()
