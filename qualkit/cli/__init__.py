"""The `qualkit` command line: the app and shared options (app.py), one module per command
group, and the entry point that turns every failure into one line (main.py)."""

from qualkit.cli.main import main

__all__ = ["main"]
