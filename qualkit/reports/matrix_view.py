"""A matrix laid out for people: header rows, the denominators row, shaded body cells and the
line saying what it was made from. Every matrix format (CSV, Markdown, HTML, XLSX) prints this
one layout, pseudonymised, so they never disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from qualkit.reports.matrix import TOTAL, MatrixInfo
from qualkit.reports.pseudonyms import Pseudonyms
from qualkit.reports.shading import shade

DENOMINATOR_LABEL = "participants (n)"


@dataclass(frozen=True)
class HeaderCell:
    label: str
    span: int  # number of value columns it covers


@dataclass(frozen=True)
class Cell:
    value: float | int | None
    text: str
    background: str  # hex without '#'
    foreground: str
    total: bool


@dataclass(frozen=True)
class Row:
    code: str
    name: str
    depth: int
    cells: list[Cell]


@dataclass(frozen=True)
class MatrixView:
    title: str
    by: tuple[str, ...]
    header_rows: list[list[HeaderCell]]  # one per attribute; the total spans every row
    column_labels: list[tuple[str, ...]]  # full label of each value column
    denominators: list[int]
    rows: list[Row]
    measure: str
    note: str

    @property
    def column_names(self) -> list[str]:
        """One flat name per value column ("Parent / Together Time")."""
        return [" / ".join(x for x in label if x) for label in self.column_labels]


def format_value(value: Any, measure: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if measure == "percent":
        return f"{value:.0f}%"
    return str(int(value))


def csv_value(value: Any, measure: str) -> Any:
    """Numbers for a spreadsheet: percent to one decimal, a blank for 'no participants'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return round(float(value), 1) if measure == "percent" else int(value)


def matrix_view(frame: Any, pseudonyms: Pseudonyms | None = None) -> MatrixView:
    pseudonyms = pseudonyms or Pseudonyms()
    info: MatrixInfo = frame.attrs["info"]
    depth: dict[str, int] = frame.attrs["depth"]
    raw_labels = [col if isinstance(col, tuple) else (col,) for col in frame.columns]
    labels = [tuple(pseudonyms.apply(str(x)) for x in label) for label in raw_labels]
    total_index = len(labels) - 1
    values = frame.to_numpy()
    body = values[:, :total_index] if total_index else values[:, :0]
    if info.measure == "percent":
        top = 100.0
    else:
        finite = [float(v) for v in body.ravel() if not _missing(v)]
        top = max(finite, default=0.0) or 1.0
    header_rows: list[list[HeaderCell]] = []
    for level in range(len(info.by)):
        cells: list[HeaderCell] = []
        for i, label in enumerate(labels):
            text = label[level] if i < total_index else (TOTAL if level == 0 else "")
            # merge a run of equal labels under the same parent labels
            if (
                cells
                and i < total_index
                and i - 1 < total_index
                and labels[i - 1][: level + 1] == label[: level + 1]
            ):
                cells[-1] = HeaderCell(cells[-1].label, cells[-1].span + 1)
            else:
                cells.append(HeaderCell(text, 1))
        header_rows.append(cells)
    rows = []
    for (code, name), line in zip(frame.index, values, strict=True):
        cells_out = []
        for i, value in enumerate(line):
            is_total = i == total_index
            background, foreground = (
                ("ffffff", "000000") if is_total else shade(_number(value), top)
            )
            cells_out.append(
                Cell(
                    _number(value),
                    format_value(value, info.measure),
                    background,
                    foreground,
                    is_total,
                )
            )
        rows.append(Row(code, pseudonyms.apply(name), depth.get(code, 0), cells_out))
    by_text = " × ".join(info.by)
    title = f"Codes by {by_text}"
    return MatrixView(
        title=title,
        by=info.by,
        header_rows=header_rows,
        column_labels=labels,
        denominators=list(info.denominators),
        rows=rows,
        measure=info.measure,
        note=pseudonyms.apply(info.describe()),
    )


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(value: Any) -> float | int | None:
    if _missing(value):
        return None
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else as_float
