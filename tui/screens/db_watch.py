"""Pick up codings made elsewhere (another window, the CLI, a merge) within a second or two,
by watching SQLite's change counter (PRAGMA data_version) rather than re-reading rows."""

from __future__ import annotations

from typing import Any

from qualkit.tui import model

from qualkit.errors import QualkitError

WATCH_SECONDS = 1.0


def watch_database(screen: Any, every: float = WATCH_SECONDS) -> None:
    """Check the counter every `every` seconds; reload what the screen shows when it moved."""
    seen = {"version": screen.project.data_version()}

    def check() -> None:
        try:
            version = screen.project.data_version()
        except QualkitError:
            return
        if version != seen["version"]:
            seen["version"] = version
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
