"""The codings CSV as exported: long format (one row per coding, with attributes, the quote
and memos), pseudonymised with pseudonyms.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qualkit.reports.pseudonyms import Pseudonyms

# Identifiers and machine values: never rewritten by pseudonyms.
_KEPT_COLUMNS = {"segment_id", "code", "theme", "coder", "starred", "orphaned", "created"}


def pseudonymised_codings(
    project: Any, coder: str | None = None, pseudonyms: Pseudonyms | None = None
) -> Any:
    pseudonyms = pseudonyms if pseudonyms is not None else Pseudonyms.load(project.root)
    frame = project.codings_long(coder)
    if pseudonyms:
        for column in frame.columns:
            if column not in _KEPT_COLUMNS:
                frame[column] = frame[column].map(
                    lambda v: pseudonyms.apply(v) if isinstance(v, str) else v
                )
    return frame


def write_codings_csv(
    project: Any, path: Path, coder: str | None = None, pseudonyms: Pseudonyms | None = None
) -> int:
    """Write the codings CSV; returns the number of codings written. A coder with no codings
    is an error: an empty file would read as "this coder coded nothing"."""
    from qualkit.reports.files import atomic_output
    from qualkit.reports.layers import choose_layer

    if coder is not None:
        choose_layer(project, coder)  # "unknown layer 'zed' (layers with codings: ...)"
    frame = pseudonymised_codings(project, coder, pseudonyms)
    with atomic_output(path) as temporary:
        # A UTF-8 byte-order mark makes Excel read accents and curly quotes right; pandas,
        # R's readr and SPSS all accept it.
        frame.to_csv(temporary, index=False, encoding="utf-8-sig")
    return len(frame)
