"""Transcript parsers: one per format, each giving normalised text and speaker turns."""

from qualkit.transcripts.decode import decode_bytes
from qualkit.transcripts.read import SUPPORTED_SUFFIXES, parse_transcript, read_transcript
from qualkit.transcripts.turns import ParsedTranscript, Turn

__all__ = [
    "SUPPORTED_SUFFIXES",
    "ParsedTranscript",
    "Turn",
    "decode_bytes",
    "parse_transcript",
    "read_transcript",
]
