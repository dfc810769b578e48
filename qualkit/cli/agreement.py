"""`qualkit agreement` and `qualkit disagreements`: inter-coder agreement per code or theme."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from qualkit.cli.app import (
    CodersOption,
    JsonOption,
    LevelOption,
    OptionalCoderOption,
    ProjectOption,
    app,
    check_level,
    open_project,
    resolve_coder,
)
from qualkit.errors import QualkitError

TWO_CODER_FORMULAS = [
    "Units: segments; for each code every coder says yes/no on every unit (2×2 table: "
    "both, only A, only B, neither; N units).",
    "Percent agreement  Po = (both + neither) / N",
    "Cohen's kappa      κ = (Po − Pe) / (1 − Pe),  Pe = pA·pB + (1 − pA)(1 − pB)  "
    "(pA, pB: share of units each coder coded yes)",
    "Krippendorff alpha α = 1 − Do/De (nominal),  Do = Σ_{c≠k} o_ck / n,  "
    "De = Σ_{c≠k} n_c n_k / (n(n − 1));  o = coincidence matrix (T + Tᵀ), n = 2N values",
    "Gwet's AC1         AC1 = (Po − Pe) / (1 − Pe),  Pe = 2π(1 − π),  π = (pA + pB) / 2",
    "A coefficient shown as – is undefined (e.g. Pe = 1 or De = 0: no variation); see note.",
]

MULTI_CODER_FORMULAS = [
    "Units: segments; for each code every coder says yes/no on every unit; r_uk = coders "
    "putting unit u in category k (yes/no), m coders.",
    "Percent agreement  Po = mean_u Σ_k r_uk (r_uk − 1) / (m(m − 1))",
    "Krippendorff alpha α = 1 − Do/De (nominal),  o_ck = Σ_u r_uc (r_uk − [c=k]) / (m − 1),  "
    "Do = Σ_{c≠k} o_ck / n,  De = Σ_{c≠k} n_c n_k / (n(n − 1))",
    "Fleiss' kappa      κ = (Po − Pe) / (1 − Pe),  Pe = Σ_k π_k²,  π_k = mean_u r_uk / m",
    "Gwet's AC1         AC1 = (Po − Pe) / (1 − Pe),  Pe = Σ_k π_k (1 − π_k) / (q − 1),  q = 2",
    "A coefficient shown as – is undefined (e.g. Pe = 1 or De = 0: no variation); see note.",
]


def _coders(value: str) -> list[str]:
    names = [c.strip() for c in (value or "").split(",") if c.strip()]
    if len(names) < 2:
        raise QualkitError("--coders needs at least two names separated by commas, e.g. ana,ben")
    return names


def _fmt(x: Any, digits: int = 3) -> str:
    from qualkit.agreement.methods import num

    if isinstance(x, float):
        return "–" if math.isnan(x) else num(x, digits)
    return str(x)


def _json_value(v: Any) -> Any:
    """NaN (an undefined coefficient) as null, numpy scalars as plain Python values."""
    if isinstance(v, float) and math.isnan(v):
        return None
    return v.item() if hasattr(v, "item") else v


def _records(frame: Any) -> list[dict[str, Any]]:
    return [{k: _json_value(v) for k, v in rec.items()} for rec in frame.to_dict(orient="records")]


def _echo_json(names: list[str], level: str, frame: Any, **extra: Any) -> None:
    """The JSON both commands print: who, what level, the unit basis, the rows."""
    payload = {
        "coders": names,
        "level": level,
        "basis": frame.attrs["basis"],
        "units_note": frame.attrs["note"],
        **extra,
        "rows": _records(frame),
    }
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))


@app.command()
def agreement(
    coders: CodersOption,
    level: LevelOption = "code",
    fmt: Annotated[
        str,
        typer.Option(
            "--format", help="text (80 columns), md, html, json (code ids) or csv.", metavar="FMT"
        ),
    ] = "text",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report to FILE.", metavar="FILE"),
    ] = None,
    all_codes: Annotated[
        bool, typer.Option("--all-codes", help="List every code, not only the codes used.")
    ] = False,
    transcripts: Annotated[
        str | None,
        typer.Option(
            "--transcripts",
            help="Comma-separated transcript ids (default: those every coder marked done).",
            metavar="IDS",
        ),
    ] = None,
    resamples: Annotated[
        int, typer.Option("--resamples", help="Bootstrap resamples of units.", metavar="N")
    ] = 1000,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the bootstrap (same seed, same CIs).")
    ] = 20240607,
    as_json: JsonOption = False,
    project: ProjectOption = Path("."),
) -> None:
    """Inter-coder agreement per code (or theme): 2×2 counts, Po, κ, α, AC1 with 95% CIs,
    pooled figures and a methods paragraph."""
    from qualkit.agreement.render import FORMATS, render
    from qualkit.agreement.report import agreement_report

    names = _coders(coders)
    check_level(level)
    fmt = "json" if as_json else fmt
    if fmt not in FORMATS:
        raise QualkitError(f"--format must be one of {', '.join(FORMATS)}, not '{fmt}'")
    p = open_project(project)
    wanted = None
    if transcripts:
        wanted = [t.strip() for t in transcripts.split(",") if t.strip()]
    if len(names) != 2:
        _many_coders(p, names, level, wanted, fmt, output, all_codes)
        return
    report = agreement_report(
        p, names, level, wanted, all_codes=all_codes, resamples=resamples, seed=seed
    )
    _write(render(report, fmt), output, fmt)


def _write(text: str, output: Path | None, fmt: str) -> None:
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        # A byte-order mark makes Excel read a UTF-8 CSV right.
        output.write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
    except OSError as exc:
        raise QualkitError(f"cannot write {output}: {exc.strerror or exc}") from None
    typer.echo(f"wrote {output}", err=True)


def _many_coders(
    p: Any,
    names: list[str],
    level: str,
    wanted: list[str] | None,
    fmt: str,
    output: Path | None,
    all_codes: bool = False,
) -> None:
    """Three or more coders: the multi-coder table (α, Fleiss' κ, AC1), as text or JSON;
    like the two-coder report, only the codes somebody applied unless ``all_codes``."""
    from qualkit.agreement.tables import agreement_table

    if fmt not in ("text", "json") or output is not None:
        raise QualkitError("with more than two coders the report is text or --json on screen")
    frame = agreement_table(p, names, transcripts=wanted, level=level)  # type: ignore[arg-type]
    if not all_codes:
        used = frame[(frame["all_yes"] + frame["mixed"]) > 0]
        used.attrs = frame.attrs
        frame = used
    if fmt == "json":
        _echo_json(
            names,
            level,
            frame,
            transcripts=frame.attrs["transcripts"],
            n_units=frame.attrs["n_units"],
            formulas=MULTI_CODER_FORMULAS,
        )
        return
    _print_table(frame, names, level, MULTI_CODER_FORMULAS)


@app.command()
def disagreements(
    coders: CodersOption,
    code: Annotated[
        str | None, typer.Option("--code", help="Only this code id.", metavar="CODE")
    ] = None,
    level: LevelOption = "code",
    as_json: JsonOption = False,
    project: ProjectOption = Path("."),
) -> None:
    """Segments where two coders differ on a code, for adjudication."""
    from qualkit.agreement.tables import disagreements as list_disagreements

    names = _coders(coders)
    if len(names) != 2:
        raise QualkitError("disagreements compares exactly two coders, e.g. --coders ana,ben")
    check_level(level)
    p = open_project(project)
    frame = list_disagreements(p, names[0], names[1], code=code, level=level)  # type: ignore[arg-type]
    # The person at this machine (the remembered coder) now sees the other coder's layer:
    # the agreement report's blinding record must know.
    from qualkit.agreement.blinding import log_layer_view

    log_layer_view(p, p.remembered_coder, names, "disagreements")
    if as_json:
        _echo_json(names, level, frame)
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    from rich import box

    table = Table(
        title=f"Disagreements: {names[0]} vs {names[1]}",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
    )
    # Ids have no spaces: kept whole on one line (folding them, or a min_width, makes Rich
    # fold ids letter by letter or drop letters of the text); the words wrap in their column.
    for col in ("segment", "transcript", "code", names[0], names[1]):
        table.add_column(col, no_wrap=True)
    table.add_column("text")
    for r in frame.itertuples(index=False):
        # escape: "[team member]" is the participant's words, not Rich markup
        table.add_row(
            str(r.segment_id),
            escape(r.transcript),
            escape(r.code),
            "yes" if r.coder_a_has else "–",
            "yes" if r.coder_b_has else "–",
            escape(r.text),
        )
    console.print(table)
    console.print(f"{len(frame)} disagreement(s). {frame.attrs['note'].capitalize()}.")


def _print_table(frame: Any, names: list[str], level: str, formulas: list[str]) -> None:
    """The multi-coder table, readable at 80 columns: compact borders, and each row's note
    (why a figure is undefined) numbered below the table instead of folded into a column."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    title = f"Agreement per {level}: {', '.join(names)} ({frame.attrs['n_units']} units)"
    table = Table(title=title, box=box.SIMPLE_HEAD, padding=(0, 1), collapse_padding=True)
    cols = [
        ("N", "n_units"),
        ("all yes", "all_yes"),
        ("all no", "all_no"),
        ("mixed", "mixed"),
        ("Po", "percent_agreement"),
        ("α", "alpha"),
        ("Fleiss κ", "fleiss_kappa"),
        ("AC1", "ac1"),
    ]
    table.add_column(level, overflow="fold", ratio=1, min_width=12)
    for header, _ in cols:
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)  # the note's number
    notes: list[str] = []
    for rec in frame.to_dict(orient="records"):
        note = rec.get("note") or ""
        if note and note not in notes:
            notes.append(note)
        mark = f"({notes.index(note) + 1})" if note else ""
        table.add_row(Text(str(rec["code"])), *[_fmt(rec[key]) for _, key in cols], mark)
    if frame.empty:
        console.print(f"No code was applied by any of {', '.join(names)} on these units.")
    else:
        console.print(table)
    for number, note in enumerate(notes, 1):
        console.print(Text(f"({number}) {note}"))
    transcripts = ", ".join(frame.attrs["transcripts"])
    console.print(f"Transcripts: {transcripts}. {frame.attrs['note'].capitalize()}.")
    console.print("Formulas:", style="bold")
    for line in formulas:
        console.print("  " + line, markup=False, highlight=False)


@app.command()
def adjudicate(
    coders: CodersOption,
    accept_agreed: Annotated[
        bool,
        typer.Option("--accept-agreed", help="Put every code both coders applied into consensus."),
    ] = False,
    segment: Annotated[
        int | None, typer.Option("--segment", help="Decide on this segment.", metavar="ID")
    ] = None,
    code: Annotated[
        str | None, typer.Option("--code", help="Decide on this code id.", metavar="CODE")
    ] = None,
    decision: Annotated[
        str | None,
        typer.Option(
            "--decision", help="a (take A's), b (take B's), both or neither.", metavar="D"
        ),
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", help="Why: kept with the decision.", metavar="TEXT")
    ] = None,
    coder: OptionalCoderOption = None,
    project: ProjectOption = Path("."),
) -> None:
    """Settle two coders' disagreements into the consensus layer (each decision undoable by
    the adjudicator, `qualkit undo --coder NAME`); the workbench has a screen for it."""
    from qualkit.agreement.consensus import accept_agreed as seed
    from qualkit.agreement.consensus import decide

    names = _coders(coders)
    if len(names) != 2:
        raise QualkitError("adjudicate compares exactly two coders, e.g. --coders ana,ben")
    p = open_project(project)
    actor = resolve_coder(p, coder)
    if not actor:
        raise QualkitError("adjudicating needs your name (e.g. --coder cat)")
    if not accept_agreed and (segment is None or code is None or decision is None):
        raise QualkitError("give --accept-agreed, or --segment, --code and --decision")
    if accept_agreed:
        n = seed(p, names[0], names[1], actor)
        typer.echo(f"consensus: added {n} coding(s) both {names[0]} and {names[1]} applied")
    if segment is not None and code is not None and decision is not None:
        kept = decide(p, segment, code, decision, names[0], names[1], actor, note)
        typer.echo(f"segment {segment}, {code}: {'in' if kept else 'not in'} consensus")
