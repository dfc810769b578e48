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


# Markdown escaping. Quotes are sacred: a participant's words, a code name or an attribute value
# written into a .md file must *render* as exactly those characters (CommonMark, GitHub), not
# as HTML tags (<inaudible>), emphasis (*really*, _meant_), links ([laughs](aside)), entities
# (&amp;), headings, lists or code. Every piece of user text that reaches a .md file goes
# through md_escape (the template filters below all call it), so there is one place to get
# this right. It backslash-escapes only what could change the rendered text, to keep the raw
# file readable: "[team member]" or "[laughs]" alone are never links, so brackets stay as they
# are unless a ']' is followed by '(' '[' or ':' (inline link, reference link, definition).
# Kept as written: '$' and ':emoji:' (GitHub extensions, not CommonMark) and plain URLs.
_MD_INLINE = re.compile(
    r"[\\`*_<~|]"  # escapes, code, emphasis, HTML/autolinks, strikethrough, table cells
    r"|\](?=[(\[:])"  # the ']' that would close a link text or a reference label
    r"|&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]*;)"  # entities
)
# at the start of a line: heading, list item, block quote, setext underline, thematic break
_MD_NUMBERED = re.compile(r"^([ \t]*\d{1,9})([.)])", re.M)
_MD_MARKER = re.compile(r"^([ \t]*)([#+\-=>])", re.M)
# a run of '#' ending a line after a space closes an ATX heading and is dropped from it
_MD_CLOSING_HASHES = re.compile(r"(^|[ \t])(#+[ \t]*)$", re.M)


def md_escape(value: Any) -> str:
    """``value`` as Markdown text that renders exactly as ``value`` (see the note above)."""
    out = _MD_INLINE.sub(lambda m: "\\" + m.group(0), str(value))
    out = _MD_NUMBERED.sub(r"\1\\\2", out)
    out = _MD_MARKER.sub(r"\1\\\2", out)
    return _MD_CLOSING_HASHES.sub(r"\1\\\2", out)


def md_cell(value: Any) -> str:
    """Text for a Markdown table cell: escaped, line breaks as spaces (a cell is one line)."""
    return md_escape(" ".join(str(value).split()))


def md_quote(value: Any) -> str:
    """Already escaped text as the body of a Markdown block quote (every line marked)."""
    return "\n".join(f"> {line}".rstrip() for line in str(value).split("\n"))


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
    env.filters["md"] = md_escape
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
