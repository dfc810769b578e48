"""The segments behind one cell of the theme × group matrix, counted exactly as
:func:`qualkit.reports.matrix.build_matrix` counts them, for the workbench to list and open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from qualkit.reports.layers import layer_rows
from qualkit.reports.matrix import TOTAL, attribute_names, check_attributes, column_key
from qualkit.reports.trim import quote_words


@dataclass(frozen=True)
class CellSegment:
    """One coded segment in a matrix cell, with the quote an export would take from it."""

    segment_id: int
    transcript: str
    turn: int | None
    participant: str | None
    speaker: str | None
    codes: tuple[str, ...]  # the layer's codes on it that roll up into the cell's row
    starred: bool  # any of those codings starred as a quote
    quote: str  # the exact words (trimmed span with /.../ cuts), not pseudonymised


def cell_segments(
    project: Any,
    code: str,
    column: Sequence[str] | str | None,
    by: str | Sequence[str] = "group",
    layer: str = "",
) -> list[CellSegment]:
    """The layer's segments counted in row ``code`` and ``column`` (the attribute values, as
    in the matrix's columns; None or "Total" for the row's total), in transcript order.

    A segment coded with several of the row's sub-codes is listed once, as the matrix counts it.
    """
    book = project.codebook
    book.get(code)  # CodebookError naming the code when it is unknown
    people = project.participant_attributes()
    by_names = check_attributes([by] if isinstance(by, str) else list(by), attribute_names(people))
    wanted: tuple[str, ...] | None = None
    if isinstance(column, str):
        column = None if column == TOTAL else (column,)
    if column is not None:
        wanted = tuple(str(value) for value in column)
    found: dict[int, CellSegment] = {}
    for row in layer_rows(project, layer, with_text=True):
        if row.code not in book or (row.code != code and code not in book.ancestors(row.code)):
            continue
        if wanted is not None and column_key(people, row.participant, by_names) != wanted:
            continue
        seen = found.get(row.segment_id)
        if seen is not None:
            found[row.segment_id] = replace(
                seen,
                codes=(*seen.codes, row.code),
                starred=seen.starred or row.starred,
                quote=_starred_quote(seen, row),
            )
            continue
        found[row.segment_id] = CellSegment(
            segment_id=row.segment_id,
            transcript=row.transcript,
            turn=row.turn,
            participant=row.participant,
            speaker=row.speaker,
            codes=(row.code,),
            starred=row.starred,
            quote=quote_words(row.text or "", row.span_start, row.span_end, row.quote).display,
        )
    return list(found.values())


def _starred_quote(seen: CellSegment, row: Any) -> str:
    """Two codings of the row on one segment: a starred (perhaps trimmed) one gives the quote."""
    if row.starred and not seen.starred:
        return quote_words(row.text or "", row.span_start, row.span_end, row.quote).display
    return seen.quote
