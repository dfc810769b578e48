"""`qualkit codebook`: check the codebook and edit it (add, rename, move, merge, delete)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualkit.cli.app import ProjectOption, codebook_app, open_project

CodeArgument = Annotated[str, typer.Argument(help="Code id from codebook.yaml.", metavar="CODE")]
ActorOption = Annotated[
    str, typer.Option("--coder", help="Who makes the change (for the log).", metavar="NAME")
]


@codebook_app.callback(invoke_without_command=True)
def codebook_list(ctx: typer.Context, project: ProjectOption = Path(".")) -> None:
    """Without a sub-command: check codebook.yaml and print the code tree with counts."""
    if ctx.invoked_subcommand is not None:
        return
    p = open_project(project)
    book = p.codebook
    counts = p.code_usage()
    for code in book.codes.values():
        indent = "  " * book.depth(code.id)
        key = f" [{code.key}]" if code.key else ""
        typer.echo(f"{indent}{code.name} ({code.id}){key}: {counts.get(code.id, 0)} coding(s)")
    typer.echo(f"{len(book.codes)} codes in {p.codebook_path.name}: valid")


@codebook_app.command("add")
def codebook_add(
    name: Annotated[str, typer.Argument(help="Name of the new code.", metavar="NAME")],
    parent: Annotated[
        str | None, typer.Option("--parent", help="Parent code id.", metavar="CODE")
    ] = None,
    description: Annotated[
        str | None, typer.Option("--description", help="What the code means.", metavar="TEXT")
    ] = None,
    coder: ActorOption = "cli",
    project: ProjectOption = Path("."),
) -> None:
    """Add a code (its id is a slug of the name and never changes)."""
    fields = {"description": description} if description else {}
    code_id = open_project(project).add_code(name, parent=parent, actor=coder, **fields)
    typer.echo(f"added code {code_id}")


@codebook_app.command("rename")
def codebook_rename(
    code_id: CodeArgument,
    name: Annotated[str, typer.Argument(help="The new name.", metavar="NAME")],
    coder: ActorOption = "cli",
    project: ProjectOption = Path("."),
) -> None:
    """Rename a code; its id (and so every coding) stays."""
    open_project(project).rename_code(code_id, name, actor=coder)
    typer.echo(f"renamed {code_id} to {name!r}")


@codebook_app.command("move")
def codebook_move(
    code_id: CodeArgument,
    parent: Annotated[
        str | None,
        typer.Option("--parent", help="New parent id; omit for the top level.", metavar="CODE"),
    ] = None,
    coder: ActorOption = "cli",
    project: ProjectOption = Path("."),
) -> None:
    """Move a code under another parent (or to the top level)."""
    open_project(project).move_code(code_id, parent, actor=coder)
    typer.echo(f"moved {code_id} under {parent or 'the top level'}")


@codebook_app.command("merge")
def codebook_merge(
    source: Annotated[str, typer.Argument(help="Code id that disappears.", metavar="SOURCE")],
    target: Annotated[
        str, typer.Argument(help="Code id that takes its codings.", metavar="TARGET")
    ],
    coder: ActorOption = "cli",
    project: ProjectOption = Path("."),
) -> None:
    """Merge SOURCE into TARGET: codings of SOURCE move to TARGET; the merge is logged."""
    n = open_project(project).merge_codes(source, target, actor=coder)
    typer.echo(f"merged {source} into {target}; {n} coding(s) re-pointed")


@codebook_app.command("delete")
def codebook_delete(
    code_id: CodeArgument,
    remap_to: Annotated[
        str | None,
        typer.Option("--remap-to", help="Code that takes over its codings.", metavar="CODE"),
    ] = None,
    coder: ActorOption = "cli",
    project: ProjectOption = Path("."),
) -> None:
    """Delete a code; a code with codings needs --remap-to so that none is lost."""
    n = open_project(project).delete_code(code_id, remap_to=remap_to, actor=coder)
    suffix = f"; {n} coding(s) moved to {remap_to}" if remap_to else ""
    typer.echo(f"deleted {code_id}{suffix}")
