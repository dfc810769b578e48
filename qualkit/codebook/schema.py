"""What a codebook entry may hold: its fields, the rules for ids, colours and keys, and the
:class:`Code` the rest of qualkit sees.

The validator (:mod:`qualkit.codebook.parse`) and the editing API
(:class:`~qualkit.codebook.Codebook`) both check values against these rules, so a file read
from disk and an edit made in qualkit are held to the same standard. The file format itself is
described in :mod:`qualkit.codebook`, which re-exports the public names here.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_COLOR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")

# Canonical field order: new fields are inserted where this order puts them.
FIELDS = (
    "id",
    "name",
    "description",
    "include",
    "exclude",
    "examples",
    "color",
    "key",
    "children",
)
TEXT_FIELDS = ("description", "include", "exclude")
UPDATABLE_FIELDS = ("name", "description", "include", "exclude", "examples", "color", "key")

# Tableau 10, so named colours match the palette exports use by default.
NAMED_COLORS = {
    "blue": "#4e79a7",
    "orange": "#f28e2b",
    "red": "#e15759",
    "teal": "#76b7b2",
    "green": "#59a14f",
    "yellow": "#edc948",
    "purple": "#b07aa1",
    "pink": "#ff9da7",
    "brown": "#9c755f",
    "grey": "#bab0ac",
    "gray": "#bab0ac",
}


def slugify(name: str) -> str:
    """A readable id from a name: ASCII lowercase letters, digits and single dashes."""
    # NFKD splits accented letters so "Café" gives "cafe" rather than "caf".
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(slug) > 48:
        # Long names make unwieldy ids; cut at a word boundary where there is one.
        cut = slug[:48]
        slug = cut.rsplit("-", 1)[0] if "-" in cut[16:] else cut
        slug = slug.strip("-")
    # Names in non-Latin scripts leave nothing; "code" (made unique) is still a valid id.
    return slug or "code"


def unique_id(
    base: str, taken: set[str] | dict[str, Any], suffixes: dict[str, int] | None = None
) -> str:
    """`base`, or `base-2`, `base-3`, ... the first not taken. With `suffixes` (the next number
    per base, kept by the caller) many duplicates of one name cost linear, not quadratic, time.
    """
    if base not in taken:
        return base
    n = suffixes.get(base, 2) if suffixes is not None else 2
    while f"{base}-{n}" in taken:
        n += 1
    if suffixes is not None:
        suffixes[base] = n + 1
    return f"{base}-{n}"


def normalise_color(value: str) -> str | None:
    """``#rrggbb`` for a valid colour, None for an invalid one."""
    if value.lower() in NAMED_COLORS:
        return NAMED_COLORS[value.lower()]
    if not _COLOR_RE.match(value):
        return None
    hex_digits = value[1:].lower()
    if len(hex_digits) == 3:
        hex_digits = "".join(c * 2 for c in hex_digits)
    return "#" + hex_digits


def color_problem(value: str) -> str:
    return (
        f"color {value!r} is not #rgb, #rrggbb or a named colour "
        f"({', '.join(sorted(NAMED_COLORS))})"
    )


def key_problem(value: str) -> str | None:
    """Why ``value`` cannot be a shortcut key, or None when it can."""
    if len(value) != 1:
        return f"key {value!r} must be a single character"
    if not value.isprintable() or value.isspace():
        return f"key {value!r} must be a printable character"
    return None


def did_you_mean(word: str, options: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass
class Code:
    """One code as the rest of qualkit sees it (validated and normalised)."""

    id: str
    name: str
    description: str = ""
    include: str = ""
    exclude: str = ""
    examples: list[str] = field(default_factory=list)
    color: str | None = None  # normalised "#rrggbb"
    key: str | None = None
    parent: str | None = None
    children: list[str] = field(default_factory=list)  # child ids in file order
    line: int = 0  # 1-based line of the entry in codebook.yaml
