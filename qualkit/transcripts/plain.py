"""Plain text and Markdown transcripts: YAML front matter (id, kind, speakers, ...), then
"Name: text" turns, or one turn per paragraph for a document without speakers."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qualkit.transcripts.labels import parse_labelled
from qualkit.transcripts.turns import Turn, transcript_error

_FM_OPEN = re.compile(r"---[ \t]*(?:\n|$)")
_FM_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)
_KINDS = {
    "interview": "interview",
    "focus group": "focus group",
    "focusgroup": "focus group",
    "document": "document",
}
DOCUMENT = "document"


def _plain(value: Any) -> Any:
    """YAML dates to ISO strings so metadata stays JSON-serialisable for the store."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def split_front_matter(
    text: str, path: Path | str, source_line: Callable[[int], int]
) -> tuple[str, dict, int]:
    """(body, metadata, number of text lines the front matter took) for '---' ... '---'."""
    if not _FM_OPEN.match(text):
        return text, {}, 0
    first_end = text.find("\n") + 1
    close = _FM_CLOSE.search(text, first_end) if first_end else None
    if close is None:
        raise transcript_error(
            path, "front matter opened with '---' is never closed", source_line(0)
        )
    block = text[first_end : close.start()]
    after = text.find("\n", close.end())
    body = "" if after < 0 else text[after + 1 :]
    consumed = text.count("\n", 0, close.start()) + 1

    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    from qualkit.yaml_guard import ALIAS_PROBLEM, first_alias_line

    alias = first_alias_line(block)
    if alias is not None:
        raise transcript_error(path, f"invalid front matter: {ALIAS_PROBLEM}", source_line(alias))
    try:
        data = YAML(typ="safe", pure=True).load(block)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = source_line(1 + mark.line) if mark is not None else source_line(0)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context, opened = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and opened is not None and mark is not None and opened.line != mark.line:
            # "id: [x" on line 2 is noticed on line 3: name the line where the mistake is
            problem = f"{context} that starts on this line: {problem} (line {line})"
            line = source_line(1 + opened.line)
        raise transcript_error(path, f"invalid front matter: {problem}", line) from None
    if data is None:
        return body, {}, consumed
    if not isinstance(data, dict):
        raise transcript_error(path, "front matter must be 'key: value' lines", source_line(1))

    block_lines = block.split("\n")

    def key_line(key: str) -> int:
        for i, line in enumerate(block_lines):
            if re.match(rf"{re.escape(key)}[ \t]*:", line):
                return source_line(1 + i)
        return source_line(1)

    metadata = _plain(data)
    if "id" in metadata and metadata["id"] is not None:
        metadata["id"] = str(metadata["id"])
    if metadata.get("kind") is not None:
        kind = " ".join(re.split(r"[\s_\-]+", str(metadata["kind"]).strip().lower()))
        if kind not in _KINDS:
            raise transcript_error(
                path,
                f"kind must be 'interview', 'focus group' or 'document', not {metadata['kind']!r}",
                key_line("kind"),
            )
        metadata["kind"] = _KINDS[kind]
    if "speakers" in metadata:
        speakers = metadata["speakers"] or {}
        if not isinstance(speakers, dict):
            raise transcript_error(
                path,
                "speakers must map each label to a participant id, e.g. 'Parent 2: P07'",
                key_line("speakers"),
            )
        metadata["speakers"] = {
            str(label).strip(): (None if pid is None else str(pid))
            for label, pid in speakers.items()
        }
    return body, metadata, consumed


def _parse_paragraphs(text: str, source_line: Callable[[int], int]) -> list[Turn]:
    """Turns of a document without speakers: one per paragraph, none attributed to anyone.

    A paragraph is a run of non-blank lines; a text with no blank line at all (one paragraph
    per line, as Word and most QDA tools write .txt) makes every line a paragraph.
    """
    lines = text.split("\n")
    one_per_line = all(line.strip() for line in text.strip("\n").split("\n"))
    turns: list[Turn] = []
    current: Turn | None = None
    pos = 0
    for index, line in enumerate(lines):
        line_start = pos
        pos += len(line) + 1
        stripped = line.strip()
        if not stripped:
            current = None
            continue
        start = line_start + len(line) - len(line.lstrip())
        if current is None or one_per_line:
            current = Turn(speaker="", start=start, end=-1, line=source_line(index))
            turns.append(current)
        current.end = start + len(stripped)
    return turns


def parse_plain(raw: str, path: Path | str) -> tuple[str, list[Turn], dict]:
    body, metadata, consumed = split_front_matter(raw, path, lambda i: i + 1)
    if not body.strip():
        raise transcript_error(
            path, "empty transcript" + (" (only front matter)" if consumed else "")
        )
    if metadata.get("kind") == DOCUMENT:
        return body, _parse_paragraphs(body, lambda i: i + 1 + consumed), metadata
    turns = parse_labelled(
        body, lambda i: i + 1 + consumed, known=metadata.get("speakers", {}).keys()
    )
    return body, turns, metadata
