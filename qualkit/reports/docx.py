"""The quote bank as a Word document (python-docx) with real Heading and Quote styles, so the
report author can restyle it; an appendix table traces every quote.

A project may put ``templates/quotes.docx`` (any Word file: its styles are used, its body is
kept above the quote bank) to match its report's look.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qualkit.errors import ReportError
from qualkit.reports.quotes import QuoteBank, Section
from qualkit.reports.render import TEMPLATES_FOLDER

REFERENCE_DOCX = "quotes.docx"
_MAX_HEADING = 9


def quote_bank_document(bank: QuoteBank, project_root: Path | None = None) -> Any:
    """A python-docx Document holding the quote bank."""
    import docx

    reference = Path(project_root) / TEMPLATES_FOLDER / REFERENCE_DOCX if project_root else None
    try:
        document = (
            docx.Document(str(reference))
            if reference and reference.is_file()
            else (docx.Document())
        )
    except Exception as exc:  # python-docx raises several types for a damaged file
        raise ReportError(f"{reference}: not a readable Word file ({exc})") from None
    styles = {s.name for s in document.styles}
    for needed in ("Title", "Heading 1", "Quote", "Table Grid"):
        if needed not in styles:
            raise ReportError(f"{reference}: the Word template has no '{needed}' style")

    document.add_paragraph("Quote bank", style="Title")
    how_many = (
        "every coded segment" if bank.per_theme == 0 else f"up to {bank.per_theme} quotes per theme"
    )
    about = (
        f"Layer {bank.layer}; {how_many}: starred quotes first, then candidates ranked by "
        f"{bank.ranking}; data as of {bank.date or 'no changes'}."
    )
    document.add_paragraph(about)
    for section in bank.sections:
        _add_section(document, section)

    document.add_paragraph("Appendix: where each quote comes from", style="Heading 1")
    table = document.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, label in zip(
        table.rows[0].cells, ("quote", "transcript", "turn", "segment", "coder"), strict=True
    ):
        cell.text = label
    for q in bank.quotes:
        cells = table.add_row().cells
        for cell, value in zip(
            cells, (f"Q{q.number}", q.transcript, q.turn, q.segment_id, q.coder), strict=True
        ):
            cell.text = str(value)
    return document


def _add_section(document: Any, section: Section) -> None:
    document.add_paragraph(section.name, style=f"Heading {min(section.depth + 1, _MAX_HEADING)}")
    for q in section.quotes:
        paragraph = document.add_paragraph(style="Quote")
        paragraph.add_run(f'"{q.display}"')
        if q.attribution:
            paragraph.add_run(f" {q.attribution}")
        number = paragraph.add_run(f" Q{q.number}")
        number.font.superscript = True
    for child in section.children:
        _add_section(document, child)


def write_quote_bank_docx(bank: QuoteBank, path: Path, project_root: Path | None = None) -> None:
    quote_bank_document(bank, project_root).save(str(path))
