"""`qualkit done`: mark a transcript done (or not done) for a coder, confirming when early."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from qualkit.cli.app import OptionalCoderOption, ProjectOption, app, open_project, resolve_coder
from qualkit.errors import QualkitError


@app.command()
def done(
    transcript: Annotated[str, typer.Argument(help="Transcript id.", metavar="TRANSCRIPT")],
    coder: OptionalCoderOption = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Mark it done even if under 90% is coded or reviewed.")
    ] = False,
    undo: Annotated[bool, typer.Option("--not-done", help="Clear the done mark instead.")] = False,
    project: ProjectOption = Path("."),
) -> None:
    """Mark a transcript done for a coder (agreement is computed over done transcripts)."""
    from qualkit.done_marks import done_shortfall

    p = open_project(project)
    who = resolve_coder(p, coder)
    if not who:
        raise QualkitError("a coder name is required (e.g. --coder ana)")
    if not undo:
        problem = done_shortfall(p, transcript, who)
        if problem and not yes:
            if not sys.stdin.isatty():
                raise QualkitError(f"{problem} (add --yes to mark it done anyway)")
            if not typer.confirm(f"{problem}. Mark it done anyway?", default=False):
                raise QualkitError(f"{transcript} not marked done")
    p.mark_done(transcript, who, not undo)
    typer.echo(f"{transcript} marked {'not done' if undo else 'done'} for {who}")
