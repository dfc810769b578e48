"""The workbench application: `qualkit` (or `qualkit tui`) opens it on a project.

The app asks for a coder name once, then opens the coding screen (coding_screen.py).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from qualkit.tui.bindings import APP_ACTIONS, bindings, load_keymap
from qualkit.tui.problems import problem_text
from qualkit.tui.screens.coding import CodingScreen
from qualkit.tui.widgets.dialogs import CoderNameScreen, HelpScreen
from textual.app import App

from qualkit.errors import QualkitError
from qualkit.project import Project


class QualkitApp(App):
    """The workbench application."""

    CSS_PATH = "qualkit.tcss"
    TITLE = "qualkit"
    BINDINGS = bindings(APP_ACTIONS)

    def __init__(
        self,
        project: Project,
        coder: str | None = None,
        suggestions: bool = True,
        keymap: dict[str, str] | None = None,
        cursor_blink: bool = True,
    ) -> None:
        super().__init__()
        self.cursor_blink = cursor_blink
        self.project = project
        self.coder = coder or project.remembered_coder
        self.suggestions_enabled = suggestions
        self.user_keymap = keymap or {}
        self._help_key: tuple | None = None  # what the installed help screen was built from
        from qualkit.tui.commands import WorkbenchCommands

        self.COMMANDS = self.COMMANDS | {WorkbenchCommands}

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every message is plain text, whatever ``markup`` says: messages carry code names,
        quotes and errors, where "[laughs]" is data. (Textual's ``Screen.notify`` passes
        ``markup=True`` by default, so honouring it would bring the bug back.)"""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def on_mount(self) -> None:
        if self.user_keymap:
            self.set_keymap(self.user_keymap)
        if self.coder:
            self._start(self.coder)
        else:
            self.push_screen(CoderNameScreen(), self._named)

    def on_descendant_focus(self, event: Any) -> None:
        # Snapshot tests switch blinking off so screenshots are stable.
        widget = event.widget
        if not self.cursor_blink and hasattr(widget, "cursor_blink"):
            widget.cursor_blink = False

    def _named(self, name: str | None) -> None:
        if not name:
            self.exit(return_code=1, message="no coder name given")
            return
        try:
            self.project.remember_coder(name)
        except QualkitError as exc:
            self.notify(problem_text(exc), severity="error")
        self.coder = name
        self._start(name)

    def _start(self, coder: str) -> None:
        self.push_screen(CodingScreen(self.project, coder, self.suggestions_enabled))

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        keymap = dict(self._keymap) if hasattr(self, "_keymap") else {}
        code_keys: list[tuple[str, str]] = []
        screen = self.screen
        book = getattr(screen, "book", None)
        if book is not None:
            code_keys = [(c.key, c.name) for c in book.codes.values() if c.key]
        # Built once and kept (installed): opening help again only shows it. A new keymap or
        # new code keys build it again.
        key = (tuple(sorted(keymap.items())), tuple(code_keys))
        if self._help_key != key:
            if self._help_key is not None:
                self.uninstall_screen("help")
            self.install_screen(HelpScreen(keymap, code_keys), "help")
            self._help_key = key
        self.push_screen("help")


def _leave_embedding_threads(return_code: int, starts_before: int) -> None:
    """Stop the background embedding this workbench started and end the process at once.

    Once the model is loaded, an ordinary interpreter exit spends seconds tearing torch down
    (2.3 s measured on the 2-core machine), and a thread still inside the model can make that
    teardown abort. Everything is saved by now (each batch is its own transaction, the project
    is closed), so the process ends as a kill would, after a second for the batch in hand.
    Nothing happens when this run started no embedding (suggestions off, or a test's app).
    """
    import os

    from qualkit.assist.embed_service import starts, stop_all

    if starts() == starts_before:
        return
    stop_all(timeout=1.0)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(return_code)


def run_app(project_path: Path, coder: str | None, remember: bool = False) -> None:
    """Open the workbench; a problem opening the project is one line and exit status 1.

    `coder` opens it for that coder this time; only with `remember` does a plain `qualkit`
    open as them later (a colleague at your desk must not become the default).
    """
    try:
        project = Project.open(project_path)
        keymap = load_keymap(project.root)
        if coder and remember:
            project.remember_coder(coder)
    except QualkitError as exc:
        print(f"error: {problem_text(exc)}", file=sys.stderr)
        raise SystemExit(1) from None
    for warning in project.storage_warnings():
        print(f"warning: {warning}", file=sys.stderr)
    from qualkit.assist.embed_service import starts

    starts_before = starts()
    app = QualkitApp(project, coder, keymap=keymap)
    try:
        app.run()
    finally:
        project.close()
    _leave_embedding_threads(app.return_code or 0, starts_before)
    if app.return_code:
        raise SystemExit(app.return_code)
