"""The heatmap colours shared by the HTML and XLSX matrices, so both shade a cell alike."""

from __future__ import annotations

import math

# Light to dark blue (ColorBrewer "Blues", 9 classes): prints legibly in greyscale too.
_RAMP = (
    "f7fbff",
    "deebf7",
    "c6dbef",
    "9ecae1",
    "6baed6",
    "4292c6",
    "2171b5",
    "08519c",
    "08306b",
)
# From this class on, black text is hard to read on the fill.
_FIRST_DARK = 6


def shade(value: float | None, top: float) -> tuple[str, str]:
    """(background, text) colours as hex without '#', for ``value`` on a 0..``top`` scale."""
    if value is None or top <= 0 or (isinstance(value, float) and math.isnan(value)):
        return "ffffff", "000000"
    share = min(max(value / top, 0.0), 1.0)
    index = 0 if value <= 0 else 1 + round(share * (len(_RAMP) - 2))
    return _RAMP[index], "ffffff" if index >= _FIRST_DARK else "000000"
