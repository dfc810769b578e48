"""The agreement report written out: an 80-column text table, Markdown and HTML (jinja2
templates), JSON (code ids) and CSV. Names reach every format exactly as written."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from qualkit.agreement.methods import (
    LABELS,
    REFERENCES,
    methods_paragraph,
    num,
    paradox_explanation,
    pooled_summary,
)
from qualkit.agreement.report import COEFFICIENTS, AgreementReport, CodeAgreement, Estimate
from qualkit.reports.render import render_template

FORMATS = ("text", "md", "html", "json", "csv")
TEXT_WIDTH = 80


def _ci(e: Estimate) -> str:
    if math.isnan(e.low):
        return "–"
    return f"{num(e.low)}–{num(e.high)}"


def _value(e: Estimate) -> str:
    return "–" if math.isnan(e.value) else num(e.value, 3)


def render(report: AgreementReport, fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    return {
        "text": render_text,
        "md": render_markdown,
        "html": render_html,
        "json": render_json,
        "csv": render_csv,
    }[fmt](report)


# -- text --------------------------------------------------------------------------------------


def render_text(report: AgreementReport, width: int = TEXT_WIDTH) -> str:
    """A table that fits `width` columns: names wrap at spaces within their column; each
    coefficient shows its value with the 95% interval on the line below."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    a, b = report.coders
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 0), show_edge=False)
    rows = [
        (r.name or r.code, (r.both, r.only_a, r.only_b, r.neither), r.estimates)
        for r in report.rows
    ]
    if report.pooled:
        rows.append(("Pooled (codes used)", report.pooled_table, report.pooled))
    counts_width = max((len(_counts(cells)) for _, cells, _ in rows), default=3)
    value_width = max((len(_ci(e[k])) for _, _, e in rows for k in COEFFICIENTS), default=5)
    # Columns are set apart by the box's one-space divider, and each number column is one
    # wider than its widest value, so numbers stand two spaces apart. The name column gets
    # what is left, so names wrap at spaces within it ("Sustainability" fits whole at 80
    # columns) and nothing is cropped on the right.
    dividers = 1 + len(COEFFICIENTS)
    room = width - (counts_width + 1) - len(COEFFICIENTS) * (value_width + 1) - dividers
    table.add_column(report.level.capitalize(), overflow="fold", width=max(8, room))
    table.add_column("2×2", no_wrap=True, justify="right", width=counts_width + 1)
    for name in COEFFICIENTS:
        table.add_column(LABELS[name], no_wrap=True, justify="right", width=value_width + 1)

    for i, (label, cells, estimates) in enumerate(rows):
        if report.pooled and i == len(rows) - 1:
            table.add_section()
        table.add_row(
            Text(label),  # Text, not a str: "[team member]" is a name, not Rich markup
            Text(_counts(cells)),
            *[Text(f"{_value(estimates[k])}\n{_ci(estimates[k])}") for k in COEFFICIENTS],
        )
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, highlight=False, soft_wrap=False)
    console.print(
        Text(f"Inter-coder agreement: {a} and {b}, {report.n_units} units ({report.level} level)")
    )
    console.print(table)
    console.print(
        Text(
            f"2×2 = both / only {a} / only {b} / neither. Below each value: 95% bootstrap "
            f"interval ({report.resamples} resamples of units, seed {report.seed}). "
            "– = undefined (no variation)."
        )
    )
    for paragraph in (pooled_summary(report), paradox_explanation(report)):
        if paragraph:
            console.print()
            console.print(Text(paragraph))
    console.print()
    console.print(Text("Methods", style="bold"))
    console.print(Text(methods_paragraph(report)))
    console.print()
    console.print(Text("References"))
    for ref in REFERENCES:
        console.print(Text("- " + ref))
    # Rich pads wrapped lines to the width; trailing blanks only get in the way in a file.
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines()) + "\n"


def _counts(cells: tuple[int, int, int, int]) -> str:
    return "/".join(str(x) for x in cells)


# -- Markdown and HTML: the exports' jinja2 templates (a project's templates/ overrides them) --


def _row_context(label: str, cells: tuple[int, ...], estimates: dict[str, Estimate]) -> dict:
    both, only_a, only_b, neither = cells
    row: dict[str, Any] = {
        "name": label,
        "both": both,
        "only_a": only_a,
        "only_b": only_b,
        "neither": neither,
        "value_of": {k: _value(estimates[k]) for k in COEFFICIENTS},
        "ci_of": {k: _ci(estimates[k]) for k in COEFFICIENTS},
    }
    for k in COEFFICIENTS:
        ci = row["ci_of"][k]
        row[k] = row["value_of"][k] + ("" if ci == "–" else f" [{ci}]")
    return row


def _context(report: AgreementReport) -> dict[str, Any]:
    a, b = report.coders
    rows = [
        _row_context(r.name or r.code, (r.both, r.only_a, r.only_b, r.neither), r.estimates)
        for r in report.rows
    ]
    pooled = _row_context("Pooled", report.pooled_table, report.pooled) if report.pooled else None
    return {
        "a": a,
        "b": b,
        "level": report.level,
        "n_units": report.n_units,
        "transcripts": ", ".join(report.transcripts),
        "rows": rows,
        "pooled": pooled,
        "coefficients": COEFFICIENTS,
        "summary": pooled_summary(report),
        "paradox": paradox_explanation(report),
        "methods": methods_paragraph(report),
        "references": REFERENCES,
    }


def render_markdown(report: AgreementReport) -> str:
    return render_template(report.project_root, "agreement.md.j2", **_context(report))


def render_html(report: AgreementReport) -> str:
    return render_template(report.project_root, "agreement.html.j2", **_context(report))


# -- JSON and CSV ------------------------------------------------------------------------------


def _row_json(r: CodeAgreement) -> dict[str, Any]:
    return {
        "code": r.code,
        "name": r.name,
        "both": r.both,
        "only_a": r.only_a,
        "only_b": r.only_b,
        "neither": r.neither,
        **{k: r.estimates[k].as_dict() for k in COEFFICIENTS},
        "note": r.note,
    }


def render_json(report: AgreementReport) -> str:
    payload = {
        "coders": report.coders,
        "level": report.level,
        "transcripts": report.transcripts,
        "basis": report.basis,
        "n_units": report.n_units,
        "all_codes": report.all_codes,
        "bootstrap": {"resamples": report.resamples, "seed": report.seed, "interval": 0.95},
        "rows": [_row_json(r) for r in report.rows],
        "pooled": {
            "codes": [r.code for r in report.used_rows],
            "table": dict(
                zip(("both", "only_a", "only_b", "neither"), report.pooled_table, strict=True)
            ),
            **{k: e.as_dict() for k, e in report.pooled.items()},
        },
        "over_codes_used": {
            k: {"mean": s.mean, "min": s.low, "max": s.high, "codes": s.n_codes}
            for k, s in report.spread.items()
        },
        "prevalence_paradox": [r.code for r in report.paradox],
        "consensus": None
        if report.consensus is None
        else {
            "transcripts": report.consensus.transcripts,
            "decisions": report.consensus.decisions,
            "adjudicators": report.consensus.adjudicators,
            "pairs": [list(pair) for pair in report.consensus.pairs],
        },
        "blind": {
            r.coder: {
                "blind": r.blind,
                "sessions_blind": r.sessions_blind,
                "sessions_open": r.sessions_open,
                "sessions_alone": r.sessions_alone,
                "settings": list(r.settings),
                "first_view_of_other_layer": r.first_view,
                "codings_not_blind": r.codings_not_blind,
                "codings_outside_workbench": r.codings_outside,
            }
            for r in report.blinding
        },
        "summary": pooled_summary(report),
        "paradox_explanation": paradox_explanation(report),
        "methods": methods_paragraph(report),
        "references": REFERENCES,
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def render_csv(report: AgreementReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["code", "name", "both", "only_a", "only_b", "neither"]
    for k in COEFFICIENTS:
        header += [k, f"{k}_low", f"{k}_high"]
    writer.writerow(header)

    def cells(e: Estimate) -> list[str]:
        return ["" if math.isnan(x) else repr(float(x)) for x in (e.value, e.low, e.high)]

    for r in report.rows:
        line: list[Any] = [r.code, r.name, r.both, r.only_a, r.only_b, r.neither]
        for k in COEFFICIENTS:
            line += cells(r.estimates[k])
        writer.writerow(line)
    if report.pooled:
        line = ["(pooled)", "Pooled over the codes used", *report.pooled_table]
        for k in COEFFICIENTS:
            line += cells(report.pooled[k])
        writer.writerow(line)
    return out.getvalue()
