"""`qualkit import codings` and `qualkit export codings`: codings as CSV, for R, SPSS or Excel."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualkit.cli.app import CoderOption, ProjectOption, export_app, import_app, open_project


@import_app.command("codings")
def import_codings(
    file: Annotated[
        Path, typer.Argument(help="CSV with columns segment_id,code[,memo].", metavar="FILE")
    ],
    coder: CoderOption,
    project: ProjectOption = Path("."),
) -> None:
    """Import codings from a CSV into a coder's layer (all rows valid, or nothing changes)."""
    n = open_project(project).import_codings(file, coder)
    typer.echo(f"imported {n} coding(s) for {coder}")


@export_app.command("codings")
def export_codings(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="CSV file to write.", metavar="FILE")
    ],
    coder: Annotated[
        str | None, typer.Option("--coder", help="Only this coder's codings.", metavar="NAME")
    ] = None,
    allow_names: Annotated[
        bool,
        typer.Option(
            "--allow-names", help="Write even when 'qualkit anonymise check' finds words."
        ),
    ] = False,
    project: ProjectOption = Path("."),
) -> None:
    """Write codings in long format (one row per coding, with attributes, quote and memos),
    pseudonymised: for R, SPSS, Excel."""
    from qualkit.reports.exports import export_codings as write

    n = write(open_project(project), output, coder, allow_names=allow_names)
    typer.echo(f"wrote {n} coding(s) to {output}")
