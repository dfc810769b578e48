"""Transcript bytes to text: BOM, UTF-8, UTF-16 and cp1252 decoding with normalised line ends,
and a clear refusal of binary files."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from qualkit.transcripts.turns import transcript_error

# Magic numbers of files people drop into transcripts/ by mistake; naming them beats "binary".
_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF-", "a PDF file; export it as .txt or .docx"),
    (b"PK\x03\x04", "a zip archive (a Word file? name it .docx)"),
    (b"\xd0\xcf\x11\xe0", "an old Word/Office file; save it as .docx"),
    (b"{\\rtf", "an RTF file; save it as .txt or .docx"),
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")


def _cp1252_undefined(exc: UnicodeError) -> tuple[str, int]:
    # Windows maps the five bytes cp1252 leaves undefined to the same-numbered code points;
    # doing the same keeps every other character exact instead of failing the whole file.
    assert isinstance(exc, UnicodeDecodeError)
    return chr(exc.object[exc.start]), exc.start + 1


codecs.register_error("qualkit-cp1252", _cp1252_undefined)


def _sniff_utf16(data: bytes) -> str | None:
    """BOM-less UTF-16: Latin text has a NUL in every other byte; binary has them anywhere."""
    half = len(data) // 2
    if half == 0:
        return None
    even_nuls = data[0::2].count(0)
    odd_nuls = data[1::2].count(0)
    if odd_nuls >= 0.1 * half and even_nuls <= 0.02 * half:
        return "utf-16-le"
    if even_nuls >= 0.1 * half and odd_nuls <= 0.02 * half:
        return "utf-16-be"
    return None


def decode_bytes(data: bytes, path: Path | str) -> str:
    """Decode a transcript's bytes: BOM / UTF-8 / UTF-16 / cp1252, newlines normalised to "\\n".

    Code points are kept exactly as they are (no NFC), so quotes match the source.
    Raises TranscriptError for binary files.
    """
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise transcript_error(path, f"binary file: this is {what}, not a text transcript")
    text: str | None = None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise transcript_error(
                    path, f"not valid {encoding.upper()} despite its BOM ({exc.reason})"
                ) from None
            break
    if text is None:
        if 0 in data:
            encoding = _sniff_utf16(data)
            if encoding is None:
                raise transcript_error(
                    path, "binary file (contains NUL bytes); expected a text transcript"
                )
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                raise transcript_error(
                    path, "binary file (contains NUL bytes); expected a text transcript"
                ) from None
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("cp1252", errors="qualkit-cp1252")
    if text.startswith("\ufeff"):
        text = text[1:]
    # A stray control character (a DOS ^Z, a pasted escape) is tolerated; many of them is binary.
    controls = len(_CONTROL.findall(text, 0, 100_000))
    if "\x00" in text or (controls > 8 and controls > 0.01 * min(len(text), 100_000)):
        raise transcript_error(path, "binary file (control characters); expected a text transcript")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text
