"""Selection offsets: which counting convention a file used, and conversion to qualkit's.

The standard says 0-based code points; real files differ (PITFALLS.md). NVivo for Windows
counts UTF-16 code units over CRLF text; ATLAS.ti counts CRLF as one; QualCoder and qualkit
count code points over LF text. qualkit stores text with "\\n" line ends and offsets in code
points, so every selection is converted into that space.

The convention of a source is detected from its own selections: where a selection's ``@name``
holds the selected text (ATLAS.ti, QualCoder), the convention under which the names match the
text wins; otherwise the one under which most boundaries fall on line breaks, with the
origin's known convention breaking ties.
"""

from __future__ import annotations

from dataclasses import dataclass

from qualkit.exchange.refi_model import RefiSelection

CODE_POINTS_LF = "code points over LF text"
CODE_POINTS_CRLF = "code points over CRLF text"
UTF16_CRLF = "UTF-16 units over CRLF text"
UTF16_LF = "UTF-16 units over LF text"
CONVENTIONS = (CODE_POINTS_LF, UTF16_CRLF, CODE_POINTS_CRLF, UTF16_LF)

_NAME_MATCH = 10
_OUT_OF_RANGE = -100


def normalise_newlines(raw: str) -> str:
    return raw.replace("\r\n", "\n").replace("\r", "\n")


def origin_convention(origin: str | None) -> str:
    text = (origin or "").lower()
    if "nvivo" in text and "mac" not in text:
        return UTF16_CRLF
    return CODE_POINTS_LF


def _offset_map(raw: str, convention: str) -> list[int] | None:
    """Convention offset -> LF code-point offset (None: the identity)."""
    utf16 = convention in (UTF16_CRLF, UTF16_LF)
    crlf_is_two = convention in (UTF16_CRLF, CODE_POINTS_CRLF)
    has_cr = "\r" in raw
    wide = utf16 and any(ord(ch) > 0xFFFF for ch in raw)
    if not wide and not (has_cr and crlf_is_two):
        return None
    mapping: list[int] = []
    lf_pos = 0
    i = 0
    n = len(raw)
    while i < n:
        ch = raw[i]
        if ch == "\r" and i + 1 < n and raw[i + 1] == "\n":
            mapping.append(lf_pos)
            if crlf_is_two:
                mapping.append(lf_pos)
            lf_pos += 1
            i += 2
            continue
        mapping.append(lf_pos)
        if utf16 and ord(ch) > 0xFFFF:
            mapping.append(lf_pos)  # a position inside a surrogate pair rounds down
        lf_pos += 1
        i += 1
    mapping.append(lf_pos)
    return mapping


@dataclass
class Converter:
    """Converts one source's selection offsets into LF code points."""

    convention: str
    mapping: list[int] | None
    lf_length: int
    name_checked: int = 0
    name_matched: int = 0

    def convert(self, start: int, end: int) -> tuple[int, int] | None:
        if self.mapping is None:
            limit = self.lf_length
            if not (0 <= start <= end <= limit):
                return None
            return start, end
        if not (0 <= start <= end < len(self.mapping)):
            return None
        return self.mapping[start], self.mapping[end]


def _squash(text: str) -> str:
    return " ".join(text.split())


def name_matches(name: str | None, selected: str) -> bool | None:
    """Does `@name` hold the selected text? None when the name is empty or not text-like."""
    if name is None or not name.strip():
        return None
    want = _squash(name)
    got = _squash(selected)
    if want == got:
        return True
    # ATLAS.ti cuts long names with an ellipsis.
    if want.endswith("…") and got.startswith(want[:-1].rstrip()):
        return True
    return False


def _score(raw: str, lf: str, convention: str, selections: list[RefiSelection]) -> tuple:
    mapping = _offset_map(raw, convention)
    conv = Converter(convention, mapping, len(lf))
    names = 0
    aligned = 0
    bad = 0
    for sel in selections:
        span = conv.convert(sel.start, sel.end)
        if span is None:
            bad += 1
            continue
        start, end = span
        match = name_matches(sel.name, lf[start:end])
        if match:
            names += 1
        if start == 0 or lf[start - 1] == "\n":
            aligned += 1
        if end == len(lf) or lf[end : end + 1] == "\n":
            aligned += 1
    return (names * _NAME_MATCH + aligned + bad * _OUT_OF_RANGE, names, conv)


def detect(raw: str, selections: list[RefiSelection], origin: str | None) -> Converter:
    """The converter for one source; qualkit's own files are taken as written (no guessing)."""
    lf = normalise_newlines(raw)
    preferred = origin_convention(origin)
    if (origin or "").lower().startswith("qualkit") or not selections:
        conv = Converter(preferred, _offset_map(raw, preferred), len(lf))
    else:
        candidates = []
        seen_maps: list[list[int] | None] = []
        for convention in (preferred, *[c for c in CONVENTIONS if c != preferred]):
            mapping = _offset_map(raw, convention)
            if any(mapping == m for m in seen_maps):
                continue  # same numbers as a convention already scored (no CR, no emoji)
            seen_maps.append(mapping)
            candidates.append(_score(raw, lf, convention, selections))
        # Highest score wins; the order above makes the origin's convention win ties.
        best = max(candidates, key=lambda c: c[0])
        conv = best[2]
    for sel in selections:
        span = conv.convert(sel.start, sel.end)
        if span is None:
            continue
        match = name_matches(sel.name, lf[span[0] : span[1]])
        if match is not None:
            conv.name_checked += 1
            conv.name_matched += int(match)
    return conv
