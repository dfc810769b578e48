"""Command palette (ctrl+p): every workbench action, every code and every transcript.

Commands follow the current screen (the Posting pattern): on the coding screen they are the
coding actions from the one registry in actions.py, plus "Apply code …" and "Open transcript …".
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from qualkit.tui.bindings import APP_ACTIONS, CODING_ACTIONS
from qualkit.tui.widgets.dialogs import describe_keys, plain_highlight
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content


class WorkbenchCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, str, object]]:
        from qualkit.tui.screens.coding import CodingScreen

        screen = self.screen
        app = self.app
        keymap = dict(getattr(app, "_keymap", {}))
        for action in APP_ACTIONS:
            keys = describe_keys(keymap.get(action.id, action.keys))
            yield action.description, keys, partial(app.call_later, app.run_action, action.action)
        if not isinstance(screen, CodingScreen):
            return
        for action in CODING_ACTIONS:
            keys = describe_keys(keymap.get(action.id, action.keys))
            yield (
                action.description,
                keys,
                partial(app.call_later, screen.run_action, action.action),
            )
        if screen.book is not None:
            for code in screen.book.codes.values():
                keys = code.key or ""
                yield f"Apply code: {code.name}", keys, partial(screen.apply_code, code.id)
                yield (
                    f"Memo on code: {code.name}",
                    "",
                    partial(screen.edit_memo, "code", code.id, f"Memo on code {code.name}"),
                )
        for attribute in screen.group_attributes:
            yield (
                f"Group transcripts by: {attribute}",
                "",
                partial(screen.group_transcripts_by, attribute),
            )
        for entry in screen.entries:
            yield (
                f"Open transcript: {entry.transcript}",
                f"{entry.percent:.0f}%" if entry.counted else "",
                partial(screen.open_transcript, entry.transcript),
            )

    async def discover(self) -> Hits:
        for title, keys, command in self._commands():
            if title.startswith(("Apply code", "Open transcript", "Memo on code")):
                continue
            yield DiscoveryHit(Content(title), command, text=title, help=keys or None)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, keys, command in self._commands():
            score = matcher.match(title)
            if score > 0:
                shown = plain_highlight(matcher, title)
                yield Hit(score, shown, command, text=title, help=keys or None)
