"""Transcript parsers: one per format, each giving normalised text and speaker turns."""

from qualkit.transcripts.text import (
    SUPPORTED_SUFFIXES,
    ParsedTranscript,
    Turn,
    decode_bytes,
    parse_transcript,
    read_transcript,
)

__all__ = [
    "SUPPORTED_SUFFIXES",
    "ParsedTranscript",
    "Turn",
    "decode_bytes",
    "parse_transcript",
    "read_transcript",
]
