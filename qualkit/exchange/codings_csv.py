"""The codings CSV: read `segment_id,code[,memo]` rows to import, and lay out codings to export."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qualkit.errors import ProjectError

if TYPE_CHECKING:
    import pandas as pd

    from qualkit.project import Project


def read_codings_csv(text: str, shown: str, raw: bytes) -> list[tuple[int, int, str, str]]:
    """Rows of `segment_id,code[,memo]` as (line, segment_id, code, memo); errors name the line."""
    if b"\x00" in raw and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ProjectError(f"{shown}: not a text CSV file (binary content)")
    from qualkit.ingest.participants import header_dialect, read_csv_rows

    numbered = read_csv_rows(text, shown, header_dialect(text))
    rows = [r for _, r in numbered]
    if not rows or not any(c.strip() for c in rows[0]):
        raise ProjectError(f"{shown}: empty file; expected columns segment_id,code[,memo]")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in ("segment_id", "code") if c not in header]
    if missing:
        raise ProjectError(
            f"{shown}: line 1: missing column(s) {', '.join(missing)} (found: {', '.join(header)})"
        )
    seg_col, code_col = header.index("segment_id"), header.index("code")
    memo_col = header.index("memo") if "memo" in header else None
    parsed = []
    for line, row in numbered[1:]:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ProjectError(f"{shown}: line {line}: {len(row)} values but {len(header)} columns")
        try:
            segment_id = int(row[seg_col].strip())
        except ValueError:
            raise ProjectError(
                f"{shown}: line {line}: segment_id '{row[seg_col]}' is not a whole number"
            ) from None
        code = row[code_col].strip()
        if not code:
            raise ProjectError(f"{shown}: line {line}: empty code")
        memo = row[memo_col].strip() if memo_col is not None else ""
        parsed.append((line, segment_id, code, memo))
    return parsed


def codings_long(project: Project, coder: str | None = None) -> pd.DataFrame:
    """Long format: one row per coding with transcript, participant, attributes, code, the
    quote (trimmed when the coder trimmed it) and memos."""
    import pandas as pd

    from qualkit.reports.trim import quote_words

    frame = project.codings(coder)
    people = project.participant_attributes()
    segment_memos = {
        (m.target, m.coder): m.text for m in project.store.memo_rows() if m.kind == "segment"
    }
    attribute_names = sorted({k for attrs in people.values() for k in attrs})
    book = project.codebook
    records = []
    for r in frame.itertuples(index=False):
        attrs = people.get(r.participant or "", {})
        known = r.code in book
        records.append(
            {
                "transcript": r.transcript,
                "segment_id": r.segment_id,
                "speaker": r.speaker,
                "participant": r.participant,
                **{name: attrs.get(name, "") for name in attribute_names},
                "code": r.code,
                "code_name": book.get(r.code).name if known else "",
                "theme": book.theme_of(r.code) if known else "",
                "coder": r.coder,
                "starred": r.starred,
                "memo": r.memo or "",
                "segment_memo": segment_memos.get((str(r.segment_id), r.coder), ""),
                # the trimmed quote when the coder trimmed one, else the segment's words
                "quote": quote_words(r.text, r.span_start, r.span_end, r.quote).display,
                "text": r.text,
                "orphaned": r.orphaned,
                "created": r.created,
            }
        )
    columns = [
        "transcript",
        "segment_id",
        "speaker",
        "participant",
        *attribute_names,
        "code",
        "code_name",
        "theme",
        "coder",
        "starred",
        "memo",
        "segment_memo",
        "quote",
        "text",
        "orphaned",
        "created",
    ]
    return pd.DataFrame(records, columns=columns)
