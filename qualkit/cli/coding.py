"""Coding from the shell (code, uncode, review, undo, redo) and opening the workbench."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualkit.cli.app import CoderOption, ProjectOption, app, open_project
from qualkit.errors import QualkitError

SegmentArgument = Annotated[
    int, typer.Argument(help="Segment id (see 'qualkit segments').", metavar="SEGMENT")
]
CodeArgument = Annotated[str, typer.Argument(help="Code id from codebook.yaml.", metavar="CODE")]
WorkbenchCoderOption = Annotated[
    str | None,
    typer.Option(
        "--coder", help="Coder name (default: the coder the project remembers).", metavar="NAME"
    ),
]


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    coder: WorkbenchCoderOption = None,
    project: ProjectOption = Path("."),
) -> None:
    """Without a command: open the coding workbench on the project."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(tui, coder=coder, project=project)


@app.command()
def tui(coder: WorkbenchCoderOption = None, project: ProjectOption = Path(".")) -> None:
    """Open the coding workbench (a terminal UI)."""
    # Read new or edited transcripts first (instant when nothing changed), so a bad file is
    # reported here as one line rather than inside the full-screen app.
    p = open_project(project)
    p.ingest()
    p.daily_backup()
    p.close()
    try:
        from qualkit.tui.app import run_app
    except ImportError as exc:  # pragma: no cover - the TUI ships with qualkit
        raise QualkitError(f"the workbench is not available: {exc}") from None
    run_app(project, coder)


@app.command()
def code(
    segment_id: SegmentArgument,
    code_id: CodeArgument,
    coder: CoderOption,
    memo: Annotated[
        str | None, typer.Option("--memo", help="A memo on this coding.", metavar="TEXT")
    ] = None,
    project: ProjectOption = Path("."),
) -> None:
    """Apply a code to a segment."""
    p = open_project(project)
    coding_id = p.code(segment_id, code_id, coder, memo=memo)
    typer.echo(f"coded segment {segment_id} as {code_id} ({coder}, coding {coding_id})")


@app.command()
def uncode(
    segment_id: SegmentArgument,
    code_id: CodeArgument,
    coder: CoderOption,
    project: ProjectOption = Path("."),
) -> None:
    """Remove a code from a segment (undo brings it back)."""
    open_project(project).uncode(segment_id, code_id, coder)
    typer.echo(f"removed {code_id} from segment {segment_id} ({coder})")


@app.command()
def review(
    segment_id: SegmentArgument,
    coder: CoderOption,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the mark.")] = False,
    project: ProjectOption = Path("."),
) -> None:
    """Mark a segment reviewed with nothing to code (it then counts towards progress)."""
    open_project(project).mark_reviewed(segment_id, coder, reviewed=not clear)
    typer.echo(f"segment {segment_id} {'not ' if clear else ''}marked reviewed ({coder})")


@app.command()
def undo(coder: CoderOption, project: ProjectOption = Path(".")) -> None:
    """Undo the coder's latest action."""
    event = open_project(project).undo(coder)
    typer.echo(f"undid {event.action} ({event.time})" if event else "nothing to undo")


@app.command()
def redo(coder: CoderOption, project: ProjectOption = Path(".")) -> None:
    """Redo the action the coder undid last."""
    event = open_project(project).redo(coder)
    typer.echo(f"redid {event.action}" if event else "nothing to redo")
