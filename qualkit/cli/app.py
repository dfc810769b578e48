"""The `qualkit` Typer app, its command groups, and the options every command shares.

Command modules (one per group) add their commands to these objects when qualkit.cli.main
imports them; keeping the shared pieces here means no module needs another's internals.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qualkit.errors import QualkitError

if TYPE_CHECKING:
    from rich.console import Console

    from qualkit.project import Project

# rich_markup_mode=None: plain click-style help. Typer's rich help shows a type column that
# newer releases fill with placeholders such as `<bool>` after every flag.
_GROUP = {"rich_markup_mode": None, "no_args_is_help": True}

app = typer.Typer(
    name="qualkit",
    help="Qualitative interview analysis workbench: code transcripts, check agreement, export.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
import_app = typer.Typer(help="Bring data into a project.", **_GROUP)
export_app = typer.Typer(help="Write data out of a project.", **_GROUP)
codebook_app = typer.Typer(
    help="Read and edit codebook.yaml (comments are kept).", rich_markup_mode=None
)
eval_app = typer.Typer(help="Measure how good qualkit's helpers are on your own coding.", **_GROUP)
topics_app = typer.Typer(
    help="Topic clusters over the segments (BERTopic-style: PCA, HDBSCAN, c-TF-IDF; offline).",
    rich_markup_mode=None,
)
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(codebook_app, name="codebook")
app.add_typer(eval_app, name="eval")
app.add_typer(topics_app, name="topics")

# Every command takes --project as its last option, so `--help` lists it in the same place.
ProjectOption = Annotated[
    Path,
    typer.Option(
        "--project", "-p", help="Project folder.", show_default="current folder", metavar="DIR"
    ),
]
CoderOption = Annotated[
    str, typer.Option("--coder", help="Coder name (your coding layer).", metavar="NAME")
]
OptionalCoderOption = Annotated[
    str | None,
    typer.Option(
        "--coder", help="Coder name (default: the coder the project remembers).", metavar="NAME"
    ),
]
ActorOption = Annotated[
    str, typer.Option("--coder", help="Who makes the change (for the log).", metavar="NAME")
]
CodersOption = Annotated[
    str,
    typer.Option("--coders", help="Comma-separated coder names, e.g. ana,ben.", metavar="A,B"),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON instead of text (fields in the README).")
]
LevelOption = Annotated[
    str,
    typer.Option(
        "--level", help="code, or theme (codes rolled up to their theme).", metavar="LEVEL"
    ),
]


def err(message: str) -> None:
    """One line on stderr: how every failure reaches the user."""
    typer.echo(f"error: {message}", err=True)


def open_project(path: Path) -> Project:
    """Open the project at PATH, printing its storage warnings (cloud or network folder)."""
    from qualkit.project import Project

    project = Project.open(path)
    for warning in project.storage_warnings():
        typer.echo(f"warning: {warning}", err=True)
    return project


def resolve_coder(project: Project, coder: str | None) -> str | None:
    """The coder named on the command line, else the one the project remembers (or None)."""
    return coder or project.remembered_coder


def check_level(level: str) -> None:
    if level not in ("code", "theme"):
        raise QualkitError(f"--level must be 'code' or 'theme', not '{level}'")


def stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True)


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[..., None]]:
    """A progress bar on stderr (on a terminal only); yields a (done, total[, what]) callback."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.description}"),
        transient=True,
        disable=not sys.stderr.isatty(),
        console=stderr_console(),
    ) as bar:
        task = bar.add_task("", total=None)

        def progress(done: int, total: int, what: str = "") -> None:
            bar.update(task, completed=done, total=total, description=what)

        yield progress
