"""Commands on the project as a whole: init, ingest, status, segments, log, backup."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from qualkit.cli.app import JsonOption, ProjectOption, app, open_project, progress_bar
from qualkit.cli.codebook import echo_missing_codes
from qualkit.errors import CodebookError


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
    p = open_project(project)
    with progress_bar("ingesting") as progress:
        report = p.ingest(progress)
    typer.echo(report.summary())


@app.command()
def status(as_json: JsonOption = False, project: ProjectOption = Path(".")) -> None:
    """Transcripts, participants per attribute, segments, codings per coder, progress."""
    p = open_project(project)
    info = p.status()
    book = info["codebook"]
    if as_json:
        typer.echo(json.dumps(info, indent=2, default=str))
        if book["error"] is not None:
            raise CodebookError(book["error"])
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
    if book["error"] is None:
        typer.echo(f"codebook: {book['themes']} themes, {book['codes']} codes in all")
    else:
        typer.echo("codebook: cannot be read (the error is below)")
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
    echo_missing_codes(info["codes_missing_from_codebook"])
    if book["error"] is not None:
        raise CodebookError(book["error"])


@app.command()
def segments(
    transcript: Annotated[
        str | None, typer.Option("--transcript", help="Only this transcript id.", metavar="ID")
    ] = None,
    interviewer: Annotated[
        bool, typer.Option("--interviewer", help="Include the interviewer's turns.")
    ] = False,
    as_json: JsonOption = False,
    project: ProjectOption = Path("."),
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
            flat = " ".join(r.text.split())  # one line per segment, paragraphs or not
            snippet = flat if len(flat) <= 90 else flat[:87] + "..."
            out.write(f"{r.segment_id:>6}  {r.transcript:<20} {r.speaker:<14} {snippet}\n")


@app.command()
def log(
    coder: Annotated[
        str | None, typer.Option("--coder", help="Only this coder's events.", metavar="NAME")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", help="How many events, newest first.", metavar="N")
    ] = 50,
    as_json: JsonOption = False,
    project: ProjectOption = Path("."),
) -> None:
    """The audit trail: every change, who made it and when (newest first)."""
    p = open_project(project)
    for event in p.events(coder, limit):
        if as_json:
            record = {
                "id": event.id,
                "time": event.time,
                "coder": event.coder,
                "action": event.action,
                "payload": event.payload,
                "undone": event.undone,
            }
            typer.echo(json.dumps(record))
        else:
            detail = p.describe_event(event, what_only=True)
            undone = "  (undone)" if event.undone else ""
            typer.echo(
                f"{event.id:>6} {event.time} {event.coder:<12} {event.action:<12} {detail}{undone}"
            )


@app.command()
def backup(
    keep: Annotated[
        int, typer.Option("--keep", help="How many on-demand backups to keep.", metavar="N")
    ] = 10,
    project: ProjectOption = Path("."),
) -> None:
    """Back up the project database (SQLite backup API) into .qualkit/backups/."""
    path = open_project(project).backup(keep=keep)
    typer.echo(f"backup written: {path}")
