"""The report author's commands: `qualkit export matrix|quotes|all` and `qualkit anonymise`.

Every export is pseudonymised with pseudonyms.yaml and refuses to write while `qualkit
anonymise check` finds capitalised words it cannot account for, unless --allow-names is given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from qualkit.cli.app import (
    JsonOption,
    ProjectOption,
    app,
    export_app,
    open_project,
    pass_options_on,
)

anonymise_app = typer.Typer(
    help="Check that exports name nobody (pseudonyms.yaml).", rich_markup_mode=None
)
app.add_typer(anonymise_app, name="anonymise")

LayerOption = Annotated[
    str | None,
    typer.Option(
        "--layer",
        help="Coder layer or 'consensus' (default: consensus, else the only coder).",
        metavar="LAYER",
    ),
]
AllowNamesOption = Annotated[
    bool,
    typer.Option("--allow-names", help="Write even when 'qualkit anonymise check' finds words."),
]
ByOption = Annotated[
    list[str] | None,
    typer.Option(
        "--by",
        help="Participant attribute for the columns; twice for nested columns (default: group).",
        metavar="ATTR",
    ),
]


def _format_and_target(
    project_root: Path, stem: str, fmt: str | None, output: Path | None, default: str
) -> tuple[str, Path]:
    """--format, else the -o file's suffix, else `default`; -o, else exports/STEM.FMT."""
    fmt = fmt or (output.suffix.lstrip(".") if output is not None else default)
    return fmt, output if output is not None else project_root / "exports" / f"{stem}.{fmt}"


@export_app.command("matrix")
def export_matrix(
    by: ByOption = None,
    measure: Annotated[
        str,
        typer.Option("--measure", help="participants, segments or percent.", metavar="MEASURE"),
    ] = "participants",
    layer: LayerOption = None,
    level: Annotated[
        str, typer.Option("--level", help="code (themes roll up) or theme only.", metavar="LEVEL")
    ] = "code",
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", help="csv, xlsx, md or html (default: from -o, else csv).", metavar="FMT"
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="File to write (default: exports/matrix.FMT).", metavar="FILE"
        ),
    ] = None,
    allow_names: AllowNamesOption = False,
    project: ProjectOption = Path("."),
) -> None:
    """Codes (themes rolled up) by participant group: participants, segments or percent."""
    from qualkit.reports.exports import export_matrix as write

    p = open_project(project)
    fmt, target = _format_and_target(p.root, "matrix", fmt, output, default="csv")
    by_names = by or ["group"]
    write(
        p,
        target,
        fmt=fmt,
        by=by_names,
        measure=measure,
        layer=layer,
        level=level,
        allow_names=allow_names,
    )
    typer.echo(f"wrote {target}")


@export_app.command("quotes")
def export_quotes(
    theme: Annotated[
        list[str] | None,
        typer.Option("--theme", help="Only this theme (repeat for more).", metavar="ID"),
    ] = None,
    per_theme: Annotated[
        int,
        typer.Option(
            "--per-theme",
            help="Quotes per theme and sub-theme; 0 = every coded segment.",
            metavar="N",
        ),
    ] = 5,
    layer: LayerOption = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", help="md, html or docx (default: from -o, else md).", metavar="FMT"
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="File to write (default: exports/quotes.FMT).", metavar="FILE"
        ),
    ] = None,
    allow_names: AllowNamesOption = False,
    project: ProjectOption = Path("."),
) -> None:
    """A quote bank: per theme, starred quotes first, then ranked candidates, attributed."""
    from qualkit.reports.exports import export_quotes as write

    p = open_project(project)
    fmt, target = _format_and_target(p.root, "quotes", fmt, output, default="md")
    write(
        p,
        target,
        fmt=fmt,
        themes=theme or None,
        per_theme=per_theme,
        layer=layer,
        allow_names=allow_names,
    )
    typer.echo(f"wrote {target}")


@export_app.command("all")
def export_all(
    by: ByOption = None,
    layer: LayerOption = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Folder to write into (default: exports/).", metavar="DIR"
        ),
    ] = None,
    allow_names: AllowNamesOption = False,
    project: ProjectOption = Path("."),
) -> None:
    """Codings CSV with memos, matrix (HTML, XLSX, CSV), quote bank (HTML, Word, Markdown),
    and the agreement table when two coders can be compared."""
    from qualkit.reports.exports import export_all as write

    p = open_project(project)
    done = write(p, output, by=by or None, layer=layer, allow_names=allow_names)
    for path in done.written:
        typer.echo(f"wrote {path}")
    for note in done.skipped:
        typer.echo(f"skipped {note}")


def _check(project: Path, as_json: bool) -> None:
    from qualkit.reports.anonymise import anonymise_check

    findings = anonymise_check(open_project(project))
    if as_json:
        for f in findings:
            record = {"word": f.word, "count": f.count, "first": f.first_place}
            typer.echo(json.dumps(record, ensure_ascii=False))
        if findings:
            raise typer.Exit(1)
        return
    if not findings:
        typer.echo("no capitalised words outside pseudonyms.yaml: exports may be written")
        return
    typer.echo(
        f"{len(findings)} capitalised word(s) in what exports would print are not in "
        "pseudonyms.yaml nor common English (map each to a [replacement], or to itself to keep "
        "it):"
    )
    width = max(len(f.word) for f in findings)
    for f in findings:
        typer.echo(f"  {f.word:<{width}}  {f.count:>4}  first: {f.first_place}")
    raise typer.Exit(1)  # like a linter: a script can gate an export on the check


@anonymise_app.callback(invoke_without_command=True)
def anonymise(
    ctx: typer.Context, as_json: JsonOption = False, project: ProjectOption = Path(".")
) -> None:
    """Without a sub-command: the same as `qualkit anonymise check`."""
    if ctx.invoked_subcommand is None:
        _check(project, as_json)
    pass_options_on(ctx)


@anonymise_app.command("check")
def anonymise_check(as_json: JsonOption = False, project: ProjectOption = Path(".")) -> None:
    """Capitalised words exports would print that are not in pseudonyms.yaml nor common
    English (a sentence's first word only when it looks like no everyday word), each with its
    count and first place; exit status 1 when there are any."""
    _check(project, as_json)
