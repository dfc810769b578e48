"""A workbench window's session: the scope of its undo, and the watch that picks up what other
windows, the CLI or a merge wrote."""

from __future__ import annotations

import uuid
from typing import Any


def start_session(project: Any) -> str:
    """From now on this Project's undoable actions belong to one window, and its undo and redo
    act only on them (a second window of the same coder cannot undo them by mistake)."""
    project.store.session = uuid.uuid4().hex[:12]
    return project.store.session


class OutsideChanges:
    """Tells a window whether somebody else changed what it shows since it last asked.

    SQLite's data_version is the free first check: it moves when another connection commits.
    It also moves for writes nobody sees, such as the embedding thread filling the cache, so
    a move counts only when the event log grew: every change to codings, marks, memos, the
    codebook or the transcripts is an event.
    """

    def __init__(self, project: Any) -> None:
        self.store = project.store
        self._event = self.store.last_event_id()
        self._version = self.store.data_version()

    def moved(self) -> bool:
        # The event id is read first: a commit from elsewhere after that read moves
        # data_version, so it is caught on the next call rather than lost.
        event = self.store.last_event_id()
        version = self.store.data_version()
        if version == self._version:
            self._event = event  # nobody else committed: any new events are this window's
            return False
        self._version = version
        grew, self._event = event != self._event, event
        return grew
