"""The demo study's committed exports (exports/) match what the exporters make today."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pytest
from projects import REPO

sys.path.insert(0, str(REPO / "scripts"))
from demo_exports import build_demo_exports  # noqa: E402

STALE = "exports/ is out of date: run `python scripts/demo_exports.py` and commit the result"


def _csv_rows(path: Path, drop: tuple[str, ...] = ()) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8-sig"))))
    keep = [i for i, name in enumerate(rows[0]) if name not in drop]
    return [[row[i] for i in keep] for row in rows]


def _xlsx_cells(path: Path) -> list[list[object]]:
    from openpyxl import load_workbook

    book = load_workbook(path)
    cells: list[list[object]] = []
    for sheet in book:
        cells.append([sheet.title])
        cells.extend(list(row) for row in sheet.iter_rows(values_only=True))
    return cells


def _docx_text(path: Path) -> list[str]:
    from docx import Document

    document = Document(str(path))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return [f"{p.style.name}: {p.text}" for p in document.paragraphs] + cells


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("demo-exports")
    return {p.name: p for p in build_demo_exports(out)}


def test_every_demo_export_is_committed(fresh: dict[str, Path]) -> None:
    committed = {p.name for p in (REPO / "exports").iterdir() if not p.name.startswith(".")}
    assert committed == set(fresh), STALE


@pytest.mark.parametrize("name", ["matrix.csv", "matrix.html", "quotes.md", "quotes.html"])
def test_text_exports_are_byte_identical(fresh: dict[str, Path], name: str) -> None:
    assert (REPO / "exports" / name).read_bytes() == fresh[name].read_bytes(), STALE


def test_codings_csv_matches_but_for_when_codings_were_made(fresh: dict[str, Path]) -> None:
    committed = _csv_rows(REPO / "exports" / "codings.csv", drop=("created",))
    assert committed == _csv_rows(fresh["codings.csv"], drop=("created",)), STALE
    assert len(committed) > 200  # the demo layer is really there


def test_office_files_hold_the_same_content(fresh: dict[str, Path]) -> None:
    # Word and Excel files carry their own creation time; compare what a reader sees.
    assert _xlsx_cells(REPO / "exports" / "matrix.xlsx") == _xlsx_cells(fresh["matrix.xlsx"]), STALE
    assert _docx_text(REPO / "exports" / "quotes.docx") == _docx_text(fresh["quotes.docx"]), STALE
