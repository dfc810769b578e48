"""The `qualkit` Typer app, its command groups, and the options every command shares.

Command modules (one per group) add their commands to these objects when qualkit.cli.main
imports them; keeping the shared pieces here means no module needs another's internals.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
LevelOption = Annotated[
    str,
    typer.Option(
        "--level", help="code, or theme (codes rolled up to their theme).", metavar="LEVEL"
    ),
]


def err(message: str) -> None:
    """One line on stderr: how every failure reaches the user."""
    typer.echo(f"error: {message}", err=True)


def pass_options_on(ctx: Any) -> None:
    """A group's options given before its command (`qualkit -p study status`, `qualkit
    anonymise -p study check`) become that command's defaults, for it and, if it is a group,
    every command under it; an option given after the command still wins. One the command
    cannot take is an error: ignoring `-p` once meant writing into another project."""
    if ctx.invoked_subcommand is None:
        return
    given = {
        name: value
        for name, value in ctx.params.items()
        if getattr(ctx.get_parameter_source(name), "name", "DEFAULT") != "DEFAULT"
    }
    if not given:
        return
    name = ctx.invoked_subcommand
    command = ctx.command.get_command(ctx, name)
    if command is None:
        return  # click reports the unknown command

    def walk(cmd: Any) -> tuple[dict[str, Any], set[str]]:
        taken = {p.name for p in cmd.params if p.name in given}
        defaults: dict[str, Any] = {p: given[p] for p in taken}
        for sub_name in getattr(cmd, "list_commands", lambda _ctx: [])(ctx):  # a group
            sub_defaults, sub_taken = walk(cmd.get_command(ctx, sub_name))
            taken |= sub_taken
            if sub_defaults:
                defaults[sub_name] = sub_defaults
        return defaults, taken

    defaults, taken = walk(command)
    for option in sorted(given.keys() - taken):
        flag = option.replace("as_json", "json").replace("_", "-")
        raise QualkitError(
            f"'{ctx.command_path} {name}' takes no --{flag}: give it only without a command"
        )
    if defaults:
        ctx.default_map = {**(ctx.default_map or {}), name: defaults}


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
