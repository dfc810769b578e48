"""`qualkit codebook`: check the codebook and edit it (add, rename, move, merge, delete)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from qualkit.cli.app import ActorOption, ProjectOption, codebook_app, open_project, pass_options_on
from qualkit.errors import QualkitError

CodeArgument = Annotated[str, typer.Argument(help="Code id from codebook.yaml.", metavar="CODE")]


@codebook_app.callback(invoke_without_command=True)
def codebook_list(ctx: typer.Context, project: ProjectOption = Path(".")) -> None:
    """Without a sub-command: check codebook.yaml and print the code tree with counts."""
    if ctx.invoked_subcommand is not None:
        pass_options_on(ctx)
        return
    p = open_project(project)
    book = p.codebook
    counts = p.code_usage()
    for code in book.codes.values():
        indent = "  " * book.depth(code.id)
        key = f" [{code.key}]" if code.key else ""
        typer.echo(f"{indent}{code.name} ({code.id}){key}: {counts.get(code.id, 0)} coding(s)")
    codebook_verdict(p)


def echo_missing_codes(missing: dict[str, int]) -> None:
    """The codings whose code codebook.yaml no longer has, each with its fix."""
    if not missing:
        return
    typer.echo("codings whose code is not in codebook.yaml (add the code back, or move them):")
    for code, n in missing.items():
        typer.echo(f"  {code}: {n} coding(s); fix: qualkit codebook merge {code} OTHER-CODE")


def codebook_verdict(p: Any) -> None:
    """'valid', or the codings that point to codes codebook.yaml no longer has (exit 1)."""
    missing = p.codes_missing_from_codebook()
    if not missing:
        typer.echo(f"{len(p.codebook.codes)} codes in {p.codebook_path.name}: valid")
        return
    echo_missing_codes(missing)
    raise QualkitError(
        f"{p.codebook_path.name}: {sum(missing.values())} coding(s) point to "
        f"{len(missing)} code(s) it does not have"
    )


@codebook_app.command("check")
def codebook_check(project: ProjectOption = Path(".")) -> None:
    """Check codebook.yaml, and that every coding's code is in it (lists those that are not)."""
    codebook_verdict(open_project(project))


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
