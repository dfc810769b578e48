"""`qualkit restore`: list the project's backups, or bring one back after saving the current
state as a backup. Works when the database is missing, empty or damaged."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualkit.cli.app import ProjectOption, app


@app.command()
def restore(
    backup: Annotated[
        str | None,
        typer.Argument(
            help="Backup to restore: its number in the list (1 = newest), its file name or a "
            "path. Without it: list the backups.",
            metavar="BACKUP",
        ),
    ] = None,
    project: ProjectOption = Path("."),
) -> None:
    """List backups (date, kind, counts) or restore one; the current state is saved first."""
    from qualkit import recovery

    if backup is None:
        found = recovery.list_backups(project)
        if not found:
            typer.echo("no backups yet (qualkit backup makes one)")
            return
        typer.echo("backups, newest first:")
        for n, info in enumerate(found, start=1):
            typer.echo(f"  {n:>3}  {info.describe()}  {info.path.name}")
        typer.echo("restore one with: qualkit restore NUMBER (the current state is saved)")
        return
    done = recovery.restore(project, backup)
    if done.saved is not None:
        typer.echo(f"saved the current database as {done.saved.name}")
    shown = ", ".join(f"{n} {name}" for name, n in done.counts.items())
    typer.echo(f"restored {done.backup.name}: {shown}")
