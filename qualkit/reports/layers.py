"""Which coding layer an export reads: a coder's, or ``consensus``, and the rule for the default.

The default is ``consensus`` once it exists, otherwise the only coder; with several coders and
no consensus the author must choose, because a report mixing coders would count nothing real.
"""

from __future__ import annotations

from typing import Any

from qualkit.errors import ReportError

CONSENSUS = "consensus"


def choose_layer(project: Any, layer: str | None = None) -> str:
    """The layer to export: ``layer`` when it holds codings, else the default rule above."""
    coders = list(project.coders())
    listed = ", ".join(coders) or "none yet"
    if layer is not None:
        name = layer.strip()
        if name not in coders:
            raise ReportError(f"unknown layer '{name}' (layers with codings: {listed})")
        return name
    if CONSENSUS in coders:
        return CONSENSUS
    if len(coders) == 1:
        return coders[0]
    if not coders:
        raise ReportError("the project has no codings yet: nothing to export")
    raise ReportError(f"several coders ({listed}) and no consensus layer: choose one with --layer")


LAYER_COLUMNS = [
    "coding_id",
    "segment_id",
    "code",
    "starred",
    "memo",
    "span_start",
    "span_end",
    "quote",
    "transcript",
    "turn",
    "position",
    "text",
    "text_hash",
    "orphaned",
    "participant",
    "speaker",
]


def layer_rows(project: Any, layer: str, with_text: bool = True) -> list[Any]:
    """The layer's live codings on live segments, in transcript order (rows by column name).

    Orphaned segments are left out: their words have gone from the transcript, so no export
    can quote or attribute them (``qualkit status`` lists them).
    """
    return [r for r in project.store.layer_codings(layer, with_text) if not r["orphaned"]]


def layer_codings(project: Any, layer: str, with_text: bool = True) -> Any:
    """:func:`layer_rows` as a DataFrame with the columns of ``LAYER_COLUMNS``."""
    import pandas as pd

    rows = layer_rows(project, layer, with_text)
    frame = pd.DataFrame.from_records([tuple(r) for r in rows], columns=LAYER_COLUMNS)
    frame["starred"] = frame["starred"].astype(bool)
    return frame
