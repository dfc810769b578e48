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
        str | None,
        typer.Option(
            "--coder",
            help="Only this coder's codings (default: the consensus layer once it exists).",
            metavar="NAME",
        ),
    ] = None,
    all_coders: Annotated[
        bool, typer.Option("--all-coders", help="Every coder's codings, consensus or not.")
    ] = False,
    allow_names: Annotated[
        bool,
        typer.Option(
            "--allow-names", help="Write even when 'qualkit anonymise check' finds words."
        ),
    ] = False,
    project: ProjectOption = Path("."),
) -> None:
    """Write codings in long format (one row per coding, with attributes, quote and memos),
    pseudonymised: for R, SPSS, Excel. Once a consensus layer exists it is the default."""
    from qualkit.agreement.consensus import default_layer
    from qualkit.reports.exports import export_codings as write

    p = open_project(project)
    layer = coder or (None if all_coders else default_layer(p))
    n = write(p, output, layer, allow_names=allow_names)
    which = f" ({layer} layer)" if layer else ""
    typer.echo(f"wrote {n} coding(s){which} to {output}")
