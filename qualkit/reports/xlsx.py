"""The matrix as an Excel workbook (openpyxl): the same shading as the HTML heatmap, frozen
header rows and code columns, the denominators row and a note of what it was made from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qualkit.reports.matrix_view import DENOMINATOR_LABEL, MatrixView, csv_value

_HEADER_FILL = "EEF2F6"


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

    sheet.cell(row=1, column=1, value=view.title).font = Font(bold=True, size=13)
    header_top = 2
    for level, header in enumerate(view.header_rows):
        row = header_top + level
        if level == 0:
            sheet.cell(row=row, column=1, value="code")
            sheet.cell(row=row, column=2, value=" × ".join(view.by))
        column = first_value_column
        for cell in header:
            target = sheet.cell(row=row, column=column, value=cell.label or None)
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
    sheet.cell(row=denominator_row, column=2, value=DENOMINATOR_LABEL).font = Font(italic=True)
    for i, n in enumerate(view.denominators):
        sheet.cell(row=denominator_row, column=first_value_column + i, value=n).font = Font(
            italic=True
        )
    percent = view.measure == "percent"
    for r, line in enumerate(view.rows, start=denominator_row + 1):
        sheet.cell(row=r, column=1, value=line.code)
        name = sheet.cell(row=r, column=2, value=line.name)
        name.alignment = Alignment(indent=2 * line.depth)
        if line.depth == 0:
            name.font = bold
        for i, cell in enumerate(line.cells):
            value = csv_value(cell.value, view.measure)
            target = sheet.cell(
                row=r, column=first_value_column + i, value=None if value == "" else value
            )
            if percent:
                target.number_format = '0"%"'
            if cell.total:
                target.font = bold
            else:
                target.fill = PatternFill("solid", fgColor=cell.background.upper())
                target.font = Font(color=cell.foreground.upper())
    note_row = denominator_row + len(view.rows) + 2
    sheet.cell(row=note_row, column=1, value=view.note).font = Font(italic=True, size=9)
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
