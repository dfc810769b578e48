"""The transcript entry point: check the suffix, read the bytes once, hash them and hand them
to the parser for the format."""

from __future__ import annotations

import hashlib
from pathlib import Path

from qualkit.transcripts.decode import decode_bytes
from qualkit.transcripts.docx import parse_docx
from qualkit.transcripts.plain import parse_plain
from qualkit.transcripts.subtitles import parse_subtitles
from qualkit.transcripts.turns import (
    NO_TURNS,
    ParsedTranscript,
    display_name,
    transcript_error,
)

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".vtt", ".srt")


def read_transcript(path: Path) -> ParsedTranscript:
    """Read and parse one transcript file into normalised text and speaker turns.

    Raises TranscriptError (one line naming the file, and the line where relevant) for an
    unsupported suffix, an unreadable, binary or empty file, invalid front matter, malformed
    subtitle timings, or a file without any speaker turns.
    """
    path = Path(path)
    _check_suffix(path, display_name(path))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise transcript_error(path, f"cannot read file ({exc.strerror or exc})") from None
    return parse_transcript(data, path, display_name(path))


def _check_suffix(path: Path, shown: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise transcript_error(
            shown,
            f"unsupported file type {suffix or '(no suffix)'!r}; "
            f"expected one of {', '.join(SUPPORTED_SUFFIXES)}",
        )
    return suffix


def parse_transcript(data: bytes, path: Path, shown: str) -> ParsedTranscript:
    """Parse a transcript's bytes, already read from `path`; errors name the file as `shown`.

    Ingest reads each file once (to hash it) and names it from the project root.
    """
    suffix = _check_suffix(Path(path), shown)
    content_hash = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise transcript_error(shown, "empty transcript")

    if suffix == ".docx":
        text, turns, metadata = parse_docx(data, shown)
    else:
        raw = decode_bytes(data, shown)
        if not raw.strip():
            raise transcript_error(shown, "empty transcript")
        if suffix == ".vtt" or (suffix == ".txt" and raw.startswith("WEBVTT")):
            text, turns, metadata = parse_subtitles(raw, shown, vtt=True)
        elif suffix == ".srt":
            text, turns, metadata = parse_subtitles(raw, shown, vtt=False)
        else:
            text, turns, metadata = parse_plain(raw, shown)
    if not turns:
        raise transcript_error(shown, NO_TURNS)
    return ParsedTranscript(
        path=Path(path), text=text, turns=turns, metadata=metadata, content_hash=content_hash
    )
