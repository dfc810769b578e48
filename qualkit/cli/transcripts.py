"""`qualkit transcripts`: list the project's transcripts; remove one whose file has gone."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from qualkit.cli.app import JsonOption, ProjectOption, app, open_project, pass_options_on
from qualkit.errors import QualkitError

transcripts_app = typer.Typer(
    help="List the project's transcripts, or remove one whose file has left transcripts/.",
    rich_markup_mode=None,
)
app.add_typer(transcripts_app, name="transcripts")


@transcripts_app.callback(invoke_without_command=True)
def transcripts_list(
    ctx: typer.Context, as_json: JsonOption = False, project: ProjectOption = Path(".")
) -> None:
    """Without a sub-command: each transcript with its file, kind and whether the file is gone."""
    if ctx.invoked_subcommand is not None:
        pass_options_on(ctx)
        return
    frame = open_project(project).transcripts()
    if as_json:
        typer.echo(frame.drop(columns=["metadata"]).to_json(orient="records", force_ascii=False))
        return
    for r in frame.itertuples(index=False):
        gone = "  (file missing: 'qualkit transcripts remove' to drop it)" if r.missing else ""
        typer.echo(f"{r.transcript:<24} {r.kind:<12} {r.file}{gone}")


@transcripts_app.command("remove")
def transcripts_remove(
    transcript: Annotated[str, typer.Argument(help="Transcript id.", metavar="TRANSCRIPT")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask first.")] = False,
    coder: Annotated[
        str, typer.Option("--coder", help="Who removes it (for the log).", metavar="NAME")
    ] = "cli",
    project: ProjectOption = Path("."),
) -> None:
    """Remove a transcript whose file has gone from transcripts/, with its codings.

    A backup is taken first; `qualkit restore` brings everything back.
    """
    p = open_project(project)
    p.check_removable(transcript)
    codings = p.codings()
    mine = codings[codings["transcript"] == transcript]
    what = (
        f"remove transcript '{transcript}' with its {len(mine)} coding(s) by "
        f"{mine['coder'].nunique()} coder(s) (a backup is taken first)"
    )
    if not yes:
        if not sys.stdin.isatty():
            raise QualkitError(f"{what}: add --yes to confirm")
        if not typer.confirm(f"{what.capitalize()}?", default=False):
            raise QualkitError(f"{transcript} not removed")
    done = p.remove_transcript(transcript, actor=coder)
    typer.echo(
        f"removed {done.transcript}: {done.segments} segment(s), {done.codings} coding(s); "
        f"backup: {done.backup}"
    )
