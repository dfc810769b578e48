"""What every transcript parser produces: one normalised text (UTF-8 str, no BOM, "\\n"
line ends) with speaker turns as code-point offsets into it, or one error line naming the file.

Quotes are cut from these offsets later, so the text is never rewritten inside the words: only
line ends, the BOM, front matter, and (for subtitles and bold Word labels) the layout around
the words are normalised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from qualkit.errors import TranscriptError

NO_TURNS = "no speaker turns found; expected lines like 'Name: text'"


@dataclass
class Turn:
    speaker: str  # the label as written ("Jo", "INTERVIEWER", "Parent 2")
    start: int  # code-point offsets into ParsedTranscript.text of the spoken words
    end: int  # (label, timestamps and surrounding whitespace excluded)
    line: int  # 1-based line in the source file where the turn starts (for messages)
    timestamp: str | None = None  # "00:01:23" when the source had one


@dataclass
class ParsedTranscript:
    path: Path
    text: str
    turns: list[Turn]
    metadata: dict = field(default_factory=dict)
    content_hash: str = ""


def display_name(path: Path | str) -> str:
    """The path as the user knows it: relative to cwd when possible, else the bare file name.

    A str is a name the caller already chose (ingest names files from the project root)."""
    if isinstance(path, str):
        return path
    if not path.is_absolute():
        return str(path)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return path.name


def transcript_error(path: Path | str, message: str, line: int | None = None) -> TranscriptError:
    # One line only: the CLI prints the message as is, and a YAML problem can span lines.
    reason = " ".join(message.split())
    return TranscriptError(reason, reason=reason, line=line).located(display_name(path))
