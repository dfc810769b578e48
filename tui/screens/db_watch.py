"""Pick up codings made elsewhere (another window, the CLI, a merge) within a second or two,
by watching the database change counter and the event log (sessions.OutsideChanges) rather
than re-reading rows."""

from __future__ import annotations

from typing import Any

from qualkit.tui import model

from qualkit.agreement.blinding import open_session
from qualkit.errors import QualkitError
from qualkit.sessions import OutsideChanges

WATCH_SECONDS = 1.0


def start_window(screen: Any) -> None:
    """The coding screen opens: start its session (its undo scope, logged with the blind
    setting), show the one-time blind notice, and watch the database for outside changes."""
    session = screen.guard(lambda: open_session(screen.project, screen.coder))
    if session is not None and session[1]:
        screen.notify(session[1], timeout=8)
    watch_database(screen)


def watch_database(screen: Any, every: float = WATCH_SECONDS) -> None:
    """Check every `every` seconds; reload what the screen shows when somebody changed it."""
    changes = OutsideChanges(screen.project)

    def check() -> None:
        try:
            moved = changes.moved()
        except QualkitError:
            return
        if moved:
            refresh_from_database(screen)

    screen.set_interval(every, check)


def refresh_from_database(screen: Any) -> None:
    """Reload the open transcript (cursor kept), the code counts and the status line."""
    if screen.transcript:
        current = screen.view.current
        screen.open_transcript(screen.transcript, current.segment_id if current else None)
    counts = screen.guard(lambda: model.code_counts(screen.project, screen.coder, screen.blind))
    if counts is not None:
        mine, everyone = counts
        screen.mine, screen.everyone = dict(mine), dict(everyone)
        if screen.book is not None:
            from qualkit.tui.widgets.panels import CodebookTree

            tree = screen.query_one(CodebookTree)
            for code in screen.book.codes.values():
                tree.update_code(code, screen.mine, screen.everyone, screen.blind)
    screen._update_status()
