"""The `qualkit` command. Every command takes --project DIR (default: the current folder).

Any QualkitError becomes one line on stderr and exit status 1: no traceback for bad input.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from qualkit.errors import QualkitError

app = typer.Typer(
    name="qualkit",
    help="Qualitative interview analysis workbench: code transcripts, check agreement, export.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)
import_app = typer.Typer(help="Bring data into a project.", no_args_is_help=True)
export_app = typer.Typer(help="Write data out of a project.", no_args_is_help=True)
app.add_typer(import_app, name="import")
codebook_app = typer.Typer(help="Read and edit codebook.yaml (comments are kept).")
app.add_typer(export_app, name="export")
app.add_typer(codebook_app, name="codebook")

ProjectOption = Annotated[
    Path, typer.Option("--project", "-p", help="Project folder.", show_default="current folder")
]
CoderOption = Annotated[str, typer.Option("--coder", help="Coder name (your coding layer).")]


def _err(message: str) -> None:
    typer.echo(f"error: {message}", err=True)


def open_project(path: Path) -> Any:
    from qualkit.project import Project

    project = Project.open(path)
    for warning in project.storage_warnings():
        typer.echo(f"warning: {warning}", err=True)
    return project


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    project: ProjectOption = Path("."),
    coder: Annotated[str | None, typer.Option("--coder", help="Coder name.")] = None,
) -> None:
    """Without a command: open the coding workbench on the project."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(tui, project=project, coder=coder)


@app.command()
def tui(
    project: ProjectOption = Path("."),
    coder: Annotated[str | None, typer.Option("--coder", help="Coder name.")] = None,
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
    run_app(project, coder)


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="Folder to make a project.")] = Path("."),
) -> None:
    """Create a project: codebook.yaml, qualkit.yaml, transcripts/, exports/, .qualkit/."""
    from qualkit.project import Project

    p = Project.init(folder)
    typer.echo(f"created project in {p.root}")
    typer.echo("next: copy transcripts (and participants.csv) into transcripts/, then")
    typer.echo(f"      qualkit ingest --project {p.root}")


@app.command()
def ingest(project: ProjectOption = Path(".")) -> None:
    """Read transcripts/ (and transcripts/participants.csv) into the project."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    p = open_project(project)
    with Progress(
        TextColumn("ingesting"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        transient=True,
        disable=not sys.stderr.isatty(),
        console=_stderr_console(),
    ) as bar:
        task = bar.add_task("", total=None)

        def progress(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, total=total, description=name)

        report = p.ingest(progress)
    typer.echo(report.summary())


@app.command()
def status(
    project: ProjectOption = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Transcripts, participants per attribute, segments, codings per coder, progress."""
    p = open_project(project)
    info = p.status()
    if as_json:
        typer.echo(json.dumps(info, indent=2, default=str))
        return
    typer.echo(f"project: {info['project']}")
    typer.echo(f"transcripts: {info['transcripts']}")
    for missing in info["missing_transcripts"]:
        typer.echo(f"  missing file (kept in the project): {missing}")
    typer.echo(f"participants: {info['participants']}")
    for name, values in info["participants_by_attribute"].items():
        if len(values) > 12:
            typer.echo(f"  {name}: {len(values)} distinct values")
            continue
        counts = ", ".join(f"{v} {n}" for v, n in sorted(values.items()))
        typer.echo(f"  {name}: {counts}")
    typer.echo(
        f"segments: {info['segments']} coding units "
        f"(+ {info['interviewer_segments']} interviewer turns as context)"
    )
    if info["codings_by_coder"]:
        typer.echo("codings:")
        for coder, n in sorted(info["codings_by_coder"].items()):
            typer.echo(f"  {coder}: {n}")
    else:
        typer.echo("codings: none yet")
    progress = [r for r in info["progress"] if r["coded_or_reviewed"] or r["done"]]
    if progress:
        typer.echo("progress (transcript, coder, % of segments coded or reviewed):")
        for r in progress:
            mark = "  done" if r["done"] else ""
            typer.echo(
                f"  {r['transcript']:<24} {r['coder']:<12} {r['percent']:5.1f}% "
                f"({r['coded_or_reviewed']}/{r['segments']}; {r['coded']} coded){mark}"
            )
    if info["orphaned_segments"]:
        typer.echo(
            f"orphaned coded segments (text gone; codings kept): {len(info['orphaned_segments'])}"
        )
        for o in info["orphaned_segments"]:
            typer.echo(f"  #{o['segment_id']} {o['transcript']}: {o['text']!r}")


@app.command()
def segments(
    project: ProjectOption = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    transcript: Annotated[str | None, typer.Option(help="Only this transcript.")] = None,
    interviewer: Annotated[
        bool, typer.Option("--interviewer", help="Include the interviewer's turns.")
    ] = False,
) -> None:
    """List coding units (segments)."""
    p = open_project(project)
    frame = p.segments(transcript=transcript, include_interviewer=interviewer)
    out = sys.stdout
    for r in frame.itertuples(index=False):
        if as_json:
            record = {
                "segment_id": int(r.segment_id),
                "transcript": r.transcript,
                "turn": int(r.turn),
                "speaker": r.speaker,
                "participant": r.participant,
                "attributes": r.attributes,
                "start": int(r.start),
                "end": int(r.end),
                "text": r.text,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            snippet = r.text if len(r.text) <= 90 else r.text[:87] + "..."
            out.write(f"{r.segment_id:>6}  {r.transcript:<20} {r.speaker:<14} {snippet}\n")


@app.command()
def code(
    segment_id: Annotated[int, typer.Argument(help="Segment id (see 'qualkit segments').")],
    code_id: Annotated[str, typer.Argument(help="Code id from codebook.yaml.")],
    coder: CoderOption,
    project: ProjectOption = Path("."),
    memo: Annotated[str | None, typer.Option(help="A memo on this coding.")] = None,
) -> None:
    """Apply a code to a segment."""
    p = open_project(project)
    coding_id = p.code(segment_id, code_id, coder, memo=memo)
    typer.echo(f"coded segment {segment_id} as {code_id} ({coder}, coding {coding_id})")


@app.command()
def uncode(
    segment_id: int, code_id: str, coder: CoderOption, project: ProjectOption = Path(".")
) -> None:
    """Remove a code from a segment (undo brings it back)."""
    p = open_project(project)
    p.uncode(segment_id, code_id, coder)
    typer.echo(f"removed {code_id} from segment {segment_id} ({coder})")


@app.command()
def review(
    segment_id: Annotated[int, typer.Argument(help="Segment id.")],
    coder: CoderOption,
    project: ProjectOption = Path("."),
    clear: Annotated[bool, typer.Option("--clear", help="Remove the mark.")] = False,
) -> None:
    """Mark a segment reviewed with nothing to code (it then counts towards progress)."""
    open_project(project).mark_reviewed(segment_id, coder, reviewed=not clear)
    typer.echo(f"segment {segment_id} {'not ' if clear else ''}marked reviewed ({coder})")


@app.command()
def undo(coder: CoderOption, project: ProjectOption = Path(".")) -> None:
    """Undo the coder's latest action."""
    event = open_project(project).undo(coder)
    typer.echo(f"undid {event.action} ({event.time})" if event else "nothing to undo")


@app.command()
def redo(coder: CoderOption, project: ProjectOption = Path(".")) -> None:
    """Redo the action the coder undid last."""
    event = open_project(project).redo(coder)
    typer.echo(f"redid {event.action}" if event else "nothing to redo")


@app.command()
def backup(
    project: ProjectOption = Path("."),
    keep: Annotated[int, typer.Option(help="How many backups to keep.")] = 10,
) -> None:
    """Back up the project database (SQLite backup API) into .qualkit/backups/."""
    path = open_project(project).backup(keep=keep)
    typer.echo(f"backup written: {path}")


@import_app.command("codings")
def import_codings(
    file: Annotated[Path, typer.Argument(help="CSV with columns segment_id,code[,memo].")],
    coder: CoderOption,
    project: ProjectOption = Path("."),
) -> None:
    """Import codings from a CSV into a coder's layer (all rows valid, or nothing changes)."""
    n = open_project(project).import_codings(file, coder)
    typer.echo(f"imported {n} coding(s) for {coder}")


@export_app.command("codings")
def export_codings(
    output: Annotated[Path, typer.Option("-o", "--output", help="CSV file to write.")],
    coder: Annotated[str | None, typer.Option("--coder", help="Only this coder.")] = None,
    project: ProjectOption = Path("."),
) -> None:
    """Write codings in long format (one row per coding, with attributes): for R, SPSS, Excel."""
    p = open_project(project)
    n = p.export_codings(output, coder)
    typer.echo(f"wrote {n} coding(s) to {output}")


@app.command()
def log(
    project: ProjectOption = Path("."),
    coder: Annotated[str | None, typer.Option("--coder", help="Only this coder.")] = None,
    limit: Annotated[int, typer.Option(help="How many events, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """The audit trail: every change, who made it and when (newest first)."""
    states = {0: "", 1: "  (undone)", 2: ""}
    for event in open_project(project).events(coder, limit):
        if as_json:
            record = {
                "id": event.id,
                "time": event.time,
                "coder": event.coder,
                "action": event.action,
                "payload": event.payload,
                "undone": event.state == 1,
            }
            typer.echo(json.dumps(record))
        else:
            detail = json.dumps(event.payload)
            detail = detail if len(detail) <= 80 else detail[:77] + "..."
            typer.echo(
                f"{event.id:>6} {event.time} {event.coder:<12} {event.action:<12} "
                f"{detail}{states.get(event.state, '')}"
            )


@codebook_app.callback(invoke_without_command=True)
def codebook_list(
    ctx: typer.Context,
    project: ProjectOption = Path("."),
) -> None:
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
    name: str,
    project: ProjectOption = Path("."),
    parent: Annotated[str | None, typer.Option(help="Parent code id.")] = None,
    description: Annotated[str | None, typer.Option(help="What the code means.")] = None,
) -> None:
    """Add a code (its id is a slug of the name and never changes)."""
    fields = {"description": description} if description else {}
    code_id = open_project(project).add_code(name, parent=parent, actor="cli", **fields)
    typer.echo(f"added code {code_id}")


@codebook_app.command("rename")
def codebook_rename(code_id: str, name: str, project: ProjectOption = Path(".")) -> None:
    """Rename a code; its id (and so every coding) stays."""
    open_project(project).rename_code(code_id, name, actor="cli")
    typer.echo(f"renamed {code_id} to {name!r}")


@codebook_app.command("move")
def codebook_move(
    code_id: str,
    project: ProjectOption = Path("."),
    parent: Annotated[str | None, typer.Option(help="New parent id; omit for top level.")] = None,
) -> None:
    """Move a code under another parent (or to the top level)."""
    open_project(project).move_code(code_id, parent, actor="cli")
    typer.echo(f"moved {code_id} under {parent or 'the top level'}")


@codebook_app.command("merge")
def codebook_merge(
    source: str,
    target: str,
    project: ProjectOption = Path("."),
    coder: Annotated[str, typer.Option("--coder", help="Who merges (for the log).")] = "cli",
) -> None:
    """Merge SOURCE into TARGET: codings of SOURCE move to TARGET; the merge is logged."""
    n = open_project(project).merge_codes(source, target, actor=coder)
    typer.echo(f"merged {source} into {target}; {n} coding(s) re-pointed")


@codebook_app.command("delete")
def codebook_delete(
    code_id: str,
    project: ProjectOption = Path("."),
    remap_to: Annotated[
        str | None, typer.Option("--remap-to", help="Code that takes over its codings.")
    ] = None,
    coder: Annotated[str, typer.Option("--coder", help="Who deletes (for the log).")] = "cli",
) -> None:
    """Delete a code; a code with codings needs --remap-to so that none is lost."""
    n = open_project(project).delete_code(code_id, remap_to=remap_to, actor=coder)
    suffix = f"; {n} coding(s) moved to {remap_to}" if remap_to else ""
    typer.echo(f"deleted {code_id}{suffix}")


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def _register_optional_commands() -> None:
    """Commands that live in their own modules (suggestions, topics, ...)."""
    import importlib

    for module in ("qualkit.cli_ai", "qualkit.cli_agreement"):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        mod.register(app)


_register_optional_commands()


def main() -> None:
    try:
        app(standalone_mode=False)
    except QualkitError as exc:
        _err(str(exc))
        sys.exit(1)
    except KeyboardInterrupt:
        _err("interrupted; work already acknowledged is saved")
        sys.exit(130)
    except (typer.Abort, typer.Exit) as exc:
        sys.exit(getattr(exc, "exit_code", 1))
    except Exception as exc:  # click usage errors arrive here in standalone_mode=False
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
