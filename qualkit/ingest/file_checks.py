"""What ingest refuses before reading a file: links that lead out of the project, and file
names or ids holding control or text-direction characters (they break every listing)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from qualkit.errors import ProjectError


def unsafe_characters(text: str) -> list[str]:
    """Control characters (newlines, tabs, ...) and invisible format characters such as the
    right-to-left override (U+202E), as U+XXXX codes."""
    return sorted(
        {f"U+{ord(ch):04X}" for ch in text if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")}
    )


def shown_name(text: str) -> str:
    """`text` with unsafe characters written as escapes, so a message stays one clean line."""
    return "".join(
        f"\\u{ord(ch):04x}" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
        for ch in text
    )


def check_transcript_file(path: Path, root: Path) -> None:
    """Refuse a file whose name has unsafe characters, or a link to a file outside `root`."""
    rel = path.relative_to(root).as_posix()
    bad = unsafe_characters(rel)
    if bad:
        raise ProjectError(
            f"{shown_name(rel)}: the file name holds control or text-direction characters "
            f"({', '.join(bad)}); rename the file"
        )
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise ProjectError(
            f"{rel}: a link to {shown_name(str(resolved))}, outside the project; copy the "
            "file into transcripts/ instead of linking to it"
        )


def check_transcript_id(transcript_id: str, rel: str) -> None:
    bad = unsafe_characters(transcript_id)
    if bad:
        raise ProjectError(
            f"{shown_name(rel)}: transcript id '{shown_name(transcript_id)}' holds control or "
            f"text-direction characters ({', '.join(bad)}); set a plain 'id:' in its front matter"
        )
