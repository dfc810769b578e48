"""`qualkit export qdpx|qdc` and `qualkit import qdpx|qdc`: REFI-QDA exchange with NVivo,
ATLAS.ti, MAXQDA, QualCoder, Taguette and qc."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualkit.cli.app import ProjectOption, export_app, import_app, open_project

OutputOption = Annotated[
    Path, typer.Option("--output", "-o", help="File to write.", metavar="FILE")
]


@export_app.command("qdpx")
def export_qdpx(output: OutputOption, project: ProjectOption = Path(".")) -> None:
    """Write the whole project as REFI-QDA .qdpx (sources, codebook, codings, memos, cases)."""
    report = open_project(project).export_qdpx(output)
    typer.echo(report.summary())
    # said every time: pseudonyms.yaml applies to reports, and this file is the project itself
    typer.echo(
        f"note: {output} holds the transcripts as written, names included (pseudonyms.yaml "
        "applies to reports, not to a project moved to another tool)",
        err=True,
    )


@export_app.command("qdc")
def export_qdc(output: OutputOption, project: ProjectOption = Path(".")) -> None:
    """Write the codebook alone as REFI-QDA .qdc."""
    count = open_project(project).export_qdc(output)
    typer.echo(f"{output}: {count} code(s); valid against the REFI-QDA codebook schema")


@import_app.command("qdpx")
def import_qdpx(
    file: Annotated[
        Path,
        typer.Argument(help="A .qdpx (or a bare .qde) from any REFI-QDA tool.", metavar="FILE"),
    ],
    project: ProjectOption = Path("."),
) -> None:
    """Import a REFI-QDA project into this project, or into a new one (a folder that does not
    exist yet, or is empty, becomes a project)."""
    from qualkit.project import Project

    folder = Path(project)
    existed = folder.exists()
    new_project = not existed or (folder.is_dir() and not any(folder.iterdir()))
    if new_project:
        Project.init(folder).close()
    try:
        report = open_project(folder).import_qdpx(file)
    except BaseException:
        # A refused file must not leave a half-made project behind in a folder we created.
        if new_project:
            _remove_new_project(folder, keep_folder=existed)
        raise
    if new_project:
        typer.echo(f"created project {folder}")
    typer.echo(report.summary())


def _remove_new_project(folder: Path, keep_folder: bool) -> None:
    """Undo `Project.init` in `folder`: it held nothing before, so everything in it is ours."""
    import shutil

    if not keep_folder:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


@import_app.command("qdc")
def import_qdc(
    file: Annotated[Path, typer.Argument(help="A REFI-QDA codebook (.qdc).", metavar="FILE")],
    project: ProjectOption = Path("."),
) -> None:
    """Add the codes of a REFI-QDA codebook to codebook.yaml (codes already there are kept)."""
    report = open_project(project).import_qdc(file)
    typer.echo(report.summary())
