"""The export entry points the CLI calls: each checks names (unless allowed), pseudonymises,
renders and writes one file atomically; ``export_all`` writes the whole set into exports/."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualkit.errors import QualkitError, ReportError
from qualkit.reports.anonymise import ensure_anonymised
from qualkit.reports.codings import write_codings_csv
from qualkit.reports.files import atomic_output, write_text
from qualkit.reports.layers import choose_layer
from qualkit.reports.matrix import build_matrix
from qualkit.reports.matrix_view import matrix_view
from qualkit.reports.pseudonyms import Pseudonyms
from qualkit.reports.quotes import DEFAULT_PER_THEME, build_quote_bank
from qualkit.reports.render import render_matrix, render_quotes

MATRIX_FORMATS = ("csv", "xlsx", "md", "html")
QUOTE_FORMATS = ("md", "html", "docx")
EXPORTS_FOLDER = "exports"


def format_of(path: Path, fmt: str | None, allowed: Sequence[str], what: str) -> str:
    """The format asked for, or the one the file name ends with."""
    chosen = (fmt or Path(path).suffix.lstrip(".")).lower()
    if chosen == "markdown":
        chosen = "md"
    if chosen not in allowed:
        named = f"'{chosen}'" if chosen else f"none (from {Path(path).name})"
        raise ReportError(f"unknown {what} format {named} (choose {', '.join(allowed)})")
    return chosen


def export_matrix(
    project: Any,
    path: Path,
    fmt: str | None = None,
    by: str | Sequence[str] = "group",
    measure: str = "participants",
    layer: str | None = None,
    level: str = "code",
    allow_names: bool = False,
    pseudonyms: Pseudonyms | None = None,
) -> Path:
    fmt = format_of(path, fmt, MATRIX_FORMATS, "matrix")
    frame = build_matrix(project, by=by, measure=measure, layer=layer, level=level)
    pseudonyms = pseudonyms if pseudonyms is not None else Pseudonyms.load(project.root)
    ensure_anonymised(project, pseudonyms, allow_names)
    view = matrix_view(frame, pseudonyms)
    if fmt == "xlsx":
        from qualkit.reports.xlsx import write_matrix_xlsx

        with atomic_output(path) as temporary:
            write_matrix_xlsx(view, temporary)
    else:
        text = render_matrix(view, fmt, project.root)
        write_text(path, text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
    return Path(path)


def export_quotes(
    project: Any,
    path: Path,
    fmt: str | None = None,
    themes: Sequence[str] | None = None,
    per_theme: int = DEFAULT_PER_THEME,
    layer: str | None = None,
    allow_names: bool = False,
    pseudonyms: Pseudonyms | None = None,
) -> Path:
    fmt = format_of(path, fmt, QUOTE_FORMATS, "quote bank")
    pseudonyms = pseudonyms if pseudonyms is not None else Pseudonyms.load(project.root)
    bank = build_quote_bank(project, themes, per_theme, layer, pseudonyms)
    ensure_anonymised(project, pseudonyms, allow_names)
    if fmt == "docx":
        from qualkit.reports.docx import write_quote_bank_docx

        with atomic_output(path) as temporary:
            write_quote_bank_docx(bank, temporary, project.root)
    else:
        write_text(path, render_quotes(bank, fmt, project.root))
    return Path(path)


def export_codings(
    project: Any,
    path: Path,
    coder: str | None = None,
    allow_names: bool = False,
    pseudonyms: Pseudonyms | None = None,
) -> int:
    if coder is not None:
        choose_layer(project, coder)  # a wrong name is the first thing to say
    pseudonyms = pseudonyms if pseudonyms is not None else Pseudonyms.load(project.root)
    ensure_anonymised(project, pseudonyms, allow_names)
    return write_codings_csv(project, path, coder, pseudonyms)


@dataclass
class ExportSet:
    """What ``export_all`` wrote, and what it left out and why."""

    written: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def default_attribute(project: Any) -> str:
    names = sorted({n for attrs in project.store.participants().values() for n in attrs})
    if not names:
        raise ReportError("no participant attributes: add transcripts/participants.csv")
    return "group" if "group" in names else names[0]


def export_all(
    project: Any,
    folder: Path | None = None,
    by: Sequence[str] | None = None,
    layer: str | None = None,
    allow_names: bool = False,
) -> ExportSet:
    """The codings CSV with memos, the matrix (HTML, XLSX, CSV), the quote bank (HTML, Word,
    Markdown) and, when two coders can be compared, the agreement table (CSV)."""
    folder = Path(folder) if folder is not None else Path(project.root) / EXPORTS_FOLDER
    pseudonyms = Pseudonyms.load(project.root)
    ensure_anonymised(project, pseudonyms, allow_names)
    by = list(by) if by else [default_attribute(project)]
    done = ExportSet()
    # Build everything first: a bad layer or attribute stops the export before any file.
    frame = build_matrix(project, by=by, layer=layer)
    bank = build_quote_bank(project, layer=layer, pseudonyms=pseudonyms)
    view = matrix_view(frame, pseudonyms)

    path = folder / "codings.csv"
    write_codings_csv(project, path, None, pseudonyms)
    done.written.append(path)
    for fmt in ("html", "csv"):
        path = folder / f"matrix.{fmt}"
        write_text(
            path,
            render_matrix(view, fmt, project.root),
            encoding="utf-8-sig" if fmt == "csv" else "utf-8",
        )
        done.written.append(path)
    from qualkit.reports.docx import write_quote_bank_docx
    from qualkit.reports.xlsx import write_matrix_xlsx

    path = folder / "matrix.xlsx"
    with atomic_output(path) as temporary:
        write_matrix_xlsx(view, temporary)
    done.written.append(path)
    for fmt in ("html", "md"):
        path = folder / f"quotes.{fmt}"
        write_text(path, render_quotes(bank, fmt, project.root))
        done.written.append(path)
    path = folder / "quotes.docx"
    with atomic_output(path) as temporary:
        write_quote_bank_docx(bank, temporary, project.root)
    done.written.append(path)
    _export_agreement(project, folder, done)
    return done


def _export_agreement(project: Any, folder: Path, done: ExportSet) -> None:
    from qualkit.reports.layers import CONSENSUS

    coders = [c for c in project.coders() if c != CONSENSUS]
    if len(coders) < 2:
        done.skipped.append("agreement table: fewer than two coders")
        return
    from qualkit.agreement.tables import agreement_table

    try:
        table = agreement_table(project, coders)
    except QualkitError as exc:
        done.skipped.append(f"agreement table: {exc}")
        return
    path = folder / "agreement.csv"
    with atomic_output(path) as temporary:
        table.to_csv(temporary, index=False, encoding="utf-8-sig")
    done.written.append(path)
