"""Text renderings of matrices, quote banks and the agreement report: jinja2 templates for
Markdown and HTML (HTML autoescaped), and the matrix CSV.

A project overrides a template by putting a file of the same name in its ``templates/``
folder (e.g. ``templates/quotes.html.j2``); the bundled ones are the fallback.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from qualkit.errors import ReportError
from qualkit.reports.matrix_view import DENOMINATOR_LABEL, MatrixView, csv_value
from qualkit.reports.quotes import QuoteBank

TEMPLATES_FOLDER = "templates"
_BLANK_RUNS = re.compile(r"\n{3,}")
MATRIX_TEMPLATES = {"md": "matrix.md.j2", "html": "matrix.html.j2"}
QUOTE_TEMPLATES = {"md": "quotes.md.j2", "html": "quotes.html.j2"}


def md_cell(value: Any) -> str:
    """Text safe inside a Markdown table cell: pipes escaped, line breaks as spaces."""
    return " ".join(str(value).split()).replace("|", "\\|")


def md_quote(value: Any) -> str:
    """Text as the body of a Markdown block quote (every line marked)."""
    return "\n".join(f"> {line}".rstrip() for line in str(value).split("\n"))


def md_text(value: Any) -> str:
    """Prose and cells in Markdown: a '|' would end a cell, '\\' '*' '_' '`' restyle."""
    out = str(value)
    for ch in ("\\", "|", "*", "_", "`"):
        out = out.replace(ch, "\\" + ch)
    return out


def environment(project_root: Path | None) -> Any:
    import jinja2

    loaders: list[Any] = []
    if project_root is not None and (Path(project_root) / TEMPLATES_FOLDER).is_dir():
        loaders.append(jinja2.FileSystemLoader(str(Path(project_root) / TEMPLATES_FOLDER)))
    loaders.append(jinja2.PackageLoader("qualkit.reports", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["md_cell"] = md_cell
    env.filters["md_quote"] = md_quote
    env.filters["md"] = md_text
    return env


def render_template(project_root: Path | None, name: str, **context: Any) -> str:
    """Render one template; a broken project template is one error line naming it."""
    import jinja2

    try:
        template = environment(project_root).get_template(name)
        text = template.render(**context)
        # Templates stay readable with blank lines around blocks; the output keeps one.
        return _BLANK_RUNS.sub("\n\n", text) if name.endswith(".md.j2") else text
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name or name
        raise ReportError(f"{where}:{exc.lineno}: template error: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise ReportError(f"template {name}: {exc.message or exc}") from None


def render_matrix(view: MatrixView, fmt: str, project_root: Path | None = None) -> str:
    if fmt == "csv":
        return matrix_csv(view)
    if fmt not in MATRIX_TEMPLATES:
        raise ReportError(f"unknown matrix format '{fmt}' (choose csv, xlsx, md, html)")
    return render_template(project_root, MATRIX_TEMPLATES[fmt], m=view)


def render_quotes(bank: QuoteBank, fmt: str, project_root: Path | None = None) -> str:
    if fmt not in QUOTE_TEMPLATES:
        raise ReportError(f"unknown quote bank format '{fmt}' (choose md, html, docx)")
    return render_template(project_root, QUOTE_TEMPLATES[fmt], bank=bank)


def matrix_csv(view: MatrixView) -> str:
    """First column the code id, second its name; header rows of attribute values; a row of
    denominators; the codes; last, a line saying what the table was made from."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for level, _ in enumerate(view.by):
        first = ["code", "name"] if level == 0 else ["", ""]
        labels = [label[level] if level < len(label) else "" for label in view.column_labels]
        writer.writerow(first + labels)
    writer.writerow(["", DENOMINATOR_LABEL, *view.denominators])
    for row in view.rows:
        writer.writerow(
            [row.code, row.name, *(csv_value(c.value, view.measure) for c in row.cells)]
        )
    writer.writerow([])
    writer.writerow(["#", view.note])
    return out.getvalue()
