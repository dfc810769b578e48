"""Coding from the shell (code, uncode, review, undo, redo) and opening the workbench."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualkit.cli.app import (
    OptionalCoderOption,
    ProjectOption,
    app,
    open_project,
    pass_options_on,
)
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


def acting_coder(project: object, coder: str | None) -> str:
    """--coder, else the coder the project remembers (said on stderr, so a script sees whose
    layer changed); neither is a one-line error."""
    if coder:
        return coder
    remembered = getattr(project, "remembered_coder", None)
    if not remembered:
        raise QualkitError(
            "no coder: pass --coder NAME (the project remembers the coder who opens the "
            "workbench: 'qualkit --coder NAME --remember')"
        )
    typer.echo(f"coder: {remembered} (remembered; --coder NAME to change)", err=True)
    return remembered


RememberOption = Annotated[
    bool,
    typer.Option("--remember", help="Also make --coder the coder a plain 'qualkit' opens as."),
]


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    coder: WorkbenchCoderOption = None,
    remember: RememberOption = False,
    project: ProjectOption = Path("."),
) -> None:
    """Without a command: open the coding workbench on the project. Before a command, these
    options become that command's defaults (`qualkit -p study status`)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(tui, coder=coder, remember=remember, project=project)
        return
    pass_options_on(ctx)


@app.command()
def tui(
    coder: WorkbenchCoderOption = None,
    remember: RememberOption = False,
    project: ProjectOption = Path("."),
) -> None:
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
    run_app(project, coder, remember)


@app.command()
def code(
    segment_id: SegmentArgument,
    code_id: CodeArgument,
    coder: OptionalCoderOption = None,
    memo: Annotated[
        str | None, typer.Option("--memo", help="A memo on this coding.", metavar="TEXT")
    ] = None,
    project: ProjectOption = Path("."),
) -> None:
    """Apply a code to a segment."""
    p = open_project(project)
    coder = acting_coder(p, coder)
    if code_id not in p.codes_of(segment_id, coder):
        coding_id = p.code(segment_id, code_id, coder, memo=memo)
        typer.echo(f"coded segment {segment_id} as {code_id} ({coder}, coding {coding_id})")
    elif memo is not None:
        # the coding is there already: the memo is what this command changes (undoable)
        p.set_coding_memo(segment_id, code_id, coder, memo)
        typer.echo(f"segment {segment_id} already had {code_id} ({coder}): its memo is set")
    else:
        typer.echo(f"segment {segment_id} already had {code_id} ({coder}): nothing changed")


@app.command()
def uncode(
    segment_id: SegmentArgument,
    code_id: CodeArgument,
    coder: OptionalCoderOption = None,
    project: ProjectOption = Path("."),
) -> None:
    """Remove a code from a segment (undo brings it back)."""
    p = open_project(project)
    coder = acting_coder(p, coder)
    p.uncode(segment_id, code_id, coder)
    typer.echo(f"removed {code_id} from segment {segment_id} ({coder})")


@app.command()
def review(
    segment_id: SegmentArgument,
    coder: OptionalCoderOption = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the mark.")] = False,
    project: ProjectOption = Path("."),
) -> None:
    """Mark a segment reviewed with nothing to code (it then counts towards progress)."""
    p = open_project(project)
    coder = acting_coder(p, coder)
    p.mark_reviewed(segment_id, coder, reviewed=not clear)
    typer.echo(f"segment {segment_id} {'not ' if clear else ''}marked reviewed ({coder})")


@app.command()
def undo(coder: OptionalCoderOption = None, project: ProjectOption = Path(".")) -> None:
    """Undo the coder's latest action, and say what it was."""
    p = open_project(project)
    name = acting_coder(p, coder)
    event = p.undo(name)
    typer.echo(f"undid: {p.describe_event(event)}" if event else f"nothing to undo ({name})")


@app.command()
def redo(coder: OptionalCoderOption = None, project: ProjectOption = Path(".")) -> None:
    """Redo the action the coder undid last, and say what it was."""
    p = open_project(project)
    name = acting_coder(p, coder)
    event = p.redo(name)
    typer.echo(f"redid: {p.describe_event(event)}" if event else f"nothing to redo ({name})")
