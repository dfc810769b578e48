"""Word .docx transcripts: paragraphs and table rows become "Name: text" lines (bold labels
and [time, speaker, words] rows included), then parsed like a text transcript."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from qualkit.transcripts.labels import LABEL_FULL, LABEL_LINE, TIME_FULL, parse_labelled
from qualkit.transcripts.plain import split_front_matter
from qualkit.transcripts.turns import Turn, transcript_error


def _docx_blocks(data: bytes, path: Path | str) -> list[tuple[int, str]]:
    """(block number, text) for each paragraph and table row, in document order."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise transcript_error(
            path, "not a Word .docx file (not a zip archive); save it again as .docx"
        )
    from qualkit.transcripts.docx_guard import check_docx_size

    check_docx_size(data, path, transcript_error)
    import docx  # imported here: python-docx is slow to import and most studies use .txt
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many types for a broken package
        raise transcript_error(
            path, f"cannot open as a Word document ({type(exc).__name__}: {exc})"
        ) from None

    blocks: list[tuple[int, str]] = []
    number = 0
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                number += 1
                blocks.append((number, _docx_row_text(row)))
            continue
        number += 1
        blocks.append((number, _docx_paragraph_text(item)))
    return blocks


def _docx_paragraph_text(paragraph: Any) -> str:
    """Paragraph text; a bold leading label without a colon ("**Jo** Hello") gets ": "."""
    text = paragraph.text.replace("\r", "\n")
    if LABEL_LINE.match(text):
        return text
    prefix = ""
    for run in paragraph.runs:
        if run.bold:
            prefix += run.text
        elif not run.text.strip() and prefix == "":
            prefix += run.text
        else:
            break
    label = prefix.strip().rstrip(":").strip()
    rest = text[len(prefix) :]
    if label and text.startswith(prefix) and rest.strip() and LABEL_FULL.fullmatch(label):
        words = rest.lstrip(" \t:")
        return f"{label}: {words}"
    return text


def _docx_row_text(row: Any) -> str:
    """A transcript table row: [time,] speaker, words -> '[time] Speaker: words'."""
    cells: list[str] = []
    for cell in row.cells:
        value = cell.text.strip()
        if value and (not cells or cells[-1] != value):  # merged cells repeat their text
            cells.append(value)
    timestamp = ""
    if len(cells) >= 3 and TIME_FULL.fullmatch(cells[0]):
        timestamp = f"[{cells.pop(0).strip('[]() ')}] "
    if len(cells) >= 2 and LABEL_FULL.fullmatch(cells[0].rstrip(":")):
        return f"{timestamp}{cells[0].rstrip(':').strip()}: {' '.join(cells[1:])}"
    return "\t".join(cells)


def parse_docx(data: bytes, path: Path | str) -> tuple[str, list[Turn], dict]:
    # Paragraphs joined with a blank line between, like a .txt transcript, so the same
    # parser applies; Turn.line is the paragraph (or table row) number, counting empty ones.
    parts: list[str] = []
    source: list[int] = []
    for number, block in _docx_blocks(data, path):
        if not block.strip():
            continue
        if parts:
            parts.append("")
            source.append(number)
        for line in block.split("\n"):
            parts.append(line)
            source.append(number)
    if not parts:
        raise transcript_error(path, "empty transcript (the document has no text)")
    text = "\n".join(parts)
    body, metadata, consumed = split_front_matter(text, path, source.__getitem__)
    if not body.strip():
        raise transcript_error(path, "empty transcript (only front matter)")
    turns = parse_labelled(
        body, lambda i: source[i + consumed], known=metadata.get("speakers", {}).keys()
    )
    return body, turns, metadata
