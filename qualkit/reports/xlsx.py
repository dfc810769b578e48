"""The matrix as an Excel workbook (openpyxl): the same shading as the HTML heatmap, frozen
header rows and code columns, the denominators row and a note of what it was made from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qualkit.reports.matrix_view import DENOMINATOR_LABEL, MatrixView, csv_value

_HEADER_FILL = "EEF2F6"


def _put(sheet: Any, row: int, column: int, value: Any) -> Any:
    """Write ``value`` into a cell: every str as text, numbers as numbers, None as blank.

    openpyxl stores a str beginning with "=" as a formula, so an attribute value or code name
    "=1+1" would show as 2 in Excel (or run whatever the formula asks). Every cell qualkit
    writes goes through here, so text always reaches the sheet exactly as written.
    """
    cell = sheet.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def matrix_workbook(view: MatrixView) -> Any:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "matrix"
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor=_HEADER_FILL)
    first_value_column = 3

    _put(sheet, 1, 1, view.title).font = Font(bold=True, size=13)
    header_top = 2
    for level, header in enumerate(view.header_rows):
        row = header_top + level
        if level == 0:
            _put(sheet, row, 1, "code")
            _put(sheet, row, 2, " × ".join(view.by))
        column = first_value_column
        for cell in header:
            target = _put(sheet, row, column, cell.label or None)
            target.alignment = Alignment(horizontal="center", wrap_text=True)
            if cell.span > 1:
                sheet.merge_cells(
                    start_row=row,
                    start_column=column,
                    end_row=row,
                    end_column=column + cell.span - 1,
                )
            column += cell.span
        for col in range(1, column):
            sheet.cell(row=row, column=col).font = bold
            sheet.cell(row=row, column=col).fill = header_fill
    denominator_row = header_top + len(view.header_rows)
    _put(sheet, denominator_row, 2, DENOMINATOR_LABEL).font = Font(italic=True)
    for i, n in enumerate(view.denominators):
        _put(sheet, denominator_row, first_value_column + i, n).font = Font(italic=True)
    percent = view.measure == "percent"
    for r, line in enumerate(view.rows, start=denominator_row + 1):
        _put(sheet, r, 1, line.code)
        name = _put(sheet, r, 2, line.name)
        name.alignment = Alignment(indent=2 * line.depth)
        if line.depth == 0:
            name.font = bold
        for i, cell in enumerate(line.cells):
            value = csv_value(cell.value, view.measure)
            target = _put(sheet, r, first_value_column + i, None if value == "" else value)
            if percent:
                target.number_format = '0"%"'
            if cell.total:
                target.font = bold
            else:
                target.fill = PatternFill("solid", fgColor=cell.background.upper())
                target.font = Font(color=cell.foreground.upper())
    note_row = denominator_row + len(view.rows) + 2
    _put(sheet, note_row, 1, view.note).font = Font(italic=True, size=9)
    sheet.freeze_panes = sheet.cell(row=denominator_row + 1, column=first_value_column)
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 42
    for i in range(len(view.column_labels)):
        sheet.column_dimensions[get_column_letter(first_value_column + i)].width = 14
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.print_title_rows = f"{header_top}:{denominator_row}"
    return book


def write_matrix_xlsx(view: MatrixView, path: Path) -> None:
    matrix_workbook(view).save(str(path))
