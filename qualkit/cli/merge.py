"""`qualkit merge OTHER_PROJECT_DIR`: bring another copy's coders into this project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualkit.cli.app import OptionalCoderOption, ProjectOption, app, open_project, resolve_coder


@app.command()
def merge(
    other: Annotated[
        Path, typer.Argument(help="The other copy's project folder.", metavar="OTHER_PROJECT_DIR")
    ],
    coder: OptionalCoderOption = None,
    project: ProjectOption = Path("."),
) -> None:
    """Merge another copy's codings, memos, marks and events (backup first; idempotent)."""
    from qualkit.merging import merge_project

    p = open_project(project)
    report = merge_project(p, other, actor=resolve_coder(p, coder) or "merge")
    for line in report.lines():
        typer.echo(line)
