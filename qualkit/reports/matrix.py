"""The theme × group matrix: how widely each code was raised, per participant attribute value.

Rows are codes in codebook order; a theme rolls up its sub-codes, counting a segment or a
participant once however many of its sub-codes apply. Columns are the values of one attribute
(or nested values of two), then the total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from qualkit.errors import ReportError
from qualkit.reports.layers import choose_layer, layer_codings, layer_date

if TYPE_CHECKING:
    import pandas as pd

Measure = Literal["participants", "segments", "percent"]
Level = Literal["code", "theme"]
MEASURES: tuple[str, ...] = ("participants", "segments", "percent")
LEVELS: tuple[str, ...] = ("code", "theme")
BLANK = "(blank)"
TOTAL = "Total"
MEASURE_LABELS = {
    "participants": "participants who raised it",
    "segments": "coded segments",
    "percent": "% of the group's participants who raised it",
}


@dataclass(frozen=True)
class MatrixInfo:
    """What a matrix was made from; stored in ``frame.attrs`` and printed with every export."""

    layer: str
    by: tuple[str, ...]
    measure: str
    level: str
    transcripts: tuple[str, ...]  # transcripts with at least one coding in the layer
    transcripts_total: int
    date: str  # ISO date of the layer's latest change
    denominators: tuple[int, ...]  # participants per column (the last is the total)

    def describe(self) -> str:
        """One line for the foot of a table."""
        coded = len(self.transcripts)
        return (
            f"{MEASURE_LABELS[self.measure]}; layer {self.layer}; "
            f"{coded} of {self.transcripts_total} transcripts coded "
            f"({', '.join(self.transcripts) or 'none'}); data as of {self.date or 'no changes'}"
        )


def attribute_names(participants: dict[str, dict[str, Any]]) -> list[str]:
    return sorted({name for attrs in participants.values() for name in attrs})


def check_attributes(by: Sequence[str], known: list[str]) -> tuple[str, ...]:
    names = tuple(str(b).strip() for b in by)
    if not names:
        raise ReportError("a matrix needs an attribute to split by (e.g. --by group)")
    if len(names) > 2:
        raise ReportError(f"a matrix splits by one or two attributes, not {len(names)}")
    if len(set(names)) != len(names):
        raise ReportError(f"attribute '{names[0]}' is given twice")
    for name in names:
        if name not in known:
            listed = ", ".join(known) or "none: add transcripts/participants.csv"
            raise ReportError(f"unknown attribute '{name}' (participant attributes: {listed})")
    return names


def build_matrix(
    project: Any,
    by: str | Sequence[str] = "group",
    measure: str = "participants",
    layer: str | None = None,
    level: str = "code",
) -> pd.DataFrame:
    """The matrix as a DataFrame indexed by (code, name), with columns per attribute value.

    ``frame.attrs`` holds ``info`` (a :class:`MatrixInfo`, also as plain values under
    ``layer``, ``transcripts``, ``date``, ``denominators``) and ``depth`` (code id -> depth,
    0 for a theme), so every format can say what the table was made from.
    """
    import pandas as pd

    if measure not in MEASURES:
        raise ReportError(f"unknown measure '{measure}' (choose {', '.join(MEASURES)})")
    if level not in LEVELS:
        raise ReportError(f"unknown level '{level}' (choose {', '.join(LEVELS)})")
    people = project.store.participants()
    by_names = check_attributes([by] if isinstance(by, str) else list(by), attribute_names(people))
    layer = choose_layer(project, layer)
    book = project.codebook
    rows = [c for c in book.codes.values() if level == "code" or c.parent is None]
    row_ids = [c.id for c in rows]
    shown = set(row_ids)

    codings = layer_codings(project, layer, with_text=False)
    # Each coding counts for its own code and every ancestor (the roll-up), when shown.
    rolled: dict[str, list[str]] = {}
    for code_id in codings["code"].unique():
        if code_id in book:
            chain = [code_id, *book.ancestors(code_id)]
            rolled[code_id] = [c for c in chain if c in shown]
    counted = codings[codings["code"].isin(rolled.keys())][["segment_id", "code", "participant"]]
    counted = counted.assign(row=counted["code"].map(rolled)).explode("row").dropna(subset="row")

    def column_of(pid: Any) -> tuple[str, ...]:
        attrs = people.get(pid, {}) if isinstance(pid, str) else {}
        return tuple(str(attrs.get(name) or "").strip() or BLANK for name in by_names)

    # Denominators: everyone in participants.csv, and anyone else who speaks in a coded segment.
    everyone = set(people) | {p for p in codings["participant"].dropna().unique()}
    denominators: dict[tuple[str, ...], int] = {}
    for pid in everyone:
        key = column_of(pid)
        denominators[key] = denominators.get(key, 0) + 1
    participant_columns = {pid: column_of(pid) for pid in everyone}
    blank_key = tuple(BLANK for _ in by_names)
    counted["column"] = counted["participant"].map(
        lambda pid: participant_columns.get(pid, blank_key)
    )
    columns = sorted(
        set(denominators) | set(counted["column"].unique()),
        key=lambda key: tuple((value == BLANK, value.casefold()) for value in key),
    )

    count_field = "segment_id" if measure == "segments" else "participant"
    cells = counted.groupby(["row", "column"])[count_field].nunique()
    totals = counted.groupby("row")[count_field].nunique()
    table = pd.DataFrame(0, index=row_ids, columns=range(len(columns) + 1), dtype="int64")
    position = {key: i for i, key in enumerate(columns)}
    for (row, key), n in cells.items():
        table.at[row, position[key]] = int(n)
    for row, n in totals.items():
        table.at[row, len(columns)] = int(n)
    denominator_list = [denominators.get(key, 0) for key in columns] + [len(everyone)]
    if measure == "percent":
        table = table.astype("float64")
        for i, n in enumerate(denominator_list):
            table[i] = table[i] * 100.0 / n if n else float("nan")

    table.index = pd.MultiIndex.from_arrays(
        [row_ids, [c.name for c in rows]], names=["code", "name"]
    )
    if len(by_names) == 1:
        table.columns = pd.Index([key[0] for key in columns] + [TOTAL], name=by_names[0])
    else:
        table.columns = pd.MultiIndex.from_tuples(
            [*columns, (TOTAL, *("" for _ in by_names[1:]))], names=list(by_names)
        )
    coded_transcripts = tuple(sorted(codings["transcript"].unique()))
    info = MatrixInfo(
        layer=layer,
        by=by_names,
        measure=measure,
        level=level,
        transcripts=coded_transcripts,
        transcripts_total=len(project.store.transcript_rows()),
        date=layer_date(project, layer),
        denominators=tuple(denominator_list),
    )
    table.attrs.update(
        info=info,
        layer=layer,
        transcripts=list(coded_transcripts),
        date=info.date,
        denominators=denominator_list,
        depth={c.id: book.depth(c.id) for c in rows},
    )
    return table
