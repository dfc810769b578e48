"""Transcript parsers: plain text / Markdown, Word .docx, WebVTT and SubRip into speaker turns.

Every parser produces one normalised text (UTF-8 str, no BOM, "\\n" line ends) and turns whose
start/end are code-point offsets of the spoken words in that text. Quotes are cut from these
offsets later, so the text is never rewritten inside the words: only line ends, the BOM, front
matter, and (for subtitles and bold Word labels) the layout around the words are normalised.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import html
import io
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualkit.errors import TranscriptError

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".vtt", ".srt")

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


# --------------------------------------------------------------------------- errors


def _display(path: Path | str) -> str:
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


def _error(path: Path | str, message: str, line: int | None = None) -> TranscriptError:
    # One line only: the CLI prints the message as is, and a YAML problem can span lines.
    reason = " ".join(message.split())
    return TranscriptError(reason, reason=reason, line=line).located(_display(path))


# --------------------------------------------------------------------------- decoding

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
            raise _error(path, f"binary file: this is {what}, not a text transcript")
    text: str | None = None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise _error(
                    path, f"not valid {encoding.upper()} despite its BOM ({exc.reason})"
                ) from None
            break
    if text is None:
        if 0 in data:
            encoding = _sniff_utf16(data)
            if encoding is None:
                raise _error(path, "binary file (contains NUL bytes); expected a text transcript")
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                raise _error(
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
        raise _error(path, "binary file (control characters); expected a text transcript")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


# --------------------------------------------------------------------------- speaker labels

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# Up to four words of letters/digits/.'- starting with a letter: "Jo", "Parent 2", "Dr Okafor".
_LABEL = r"[^\W\d_][\w.'’\-]*(?:[ \t]+[\w.'’\-]+){0,3}"
_LABEL_LINE = re.compile(
    rf"""[ \t]*
    (?:[\[(](?P<ts1>{_TIME})[\])][ \t]*|(?P<ts0>{_TIME})[ \t]+)?   # [00:01:23] Jo: / 00:01:23 Jo:
    (?P<md>\*\*|__)?                                                # **Jo:** in Markdown
    (?P<label>{_LABEL})
    (?:[ \t]*[\[(](?P<ts2>{_TIME})[\])])?                           # Jo (00:01:23):
    (?(md)(?:\*\*|__)?)
    [ \t]*:
    (?(md)(?:\*\*|__)?)
    (?:[ \t]+|$)                # a colon then space or line end: never a URL or a time
    """,
    re.X,
)
# Otter-style: the label and a time alone on a line, the words on the following lines.
_LABEL_TIME_LINE = re.compile(rf"[ \t]*(?P<label>{_LABEL})[ \t]+(?P<ts>{_TIME})[ \t]*$")
_LABEL_FULL = re.compile(rf"[ \t]*{_LABEL}[ \t]*")
_TIME_FULL = re.compile(rf"[ \t]*[\[(]?{_TIME}[\])]?[ \t]*")
_HEADING = re.compile(r"[ \t]{0,3}(?:#{1,6}(?:[ \t]|$)|(?:-{3,}|\*{3,}|_{3,}|={3,})[ \t]*$)")
_NAME_CONNECTORS = frozenset(
    "of the and de del della der den di du da dos la le van von al bin ibn mc".split()
)


def _norm_time(raw: str) -> str:
    """'1:23' / '01:02:03,500' / '00:01.000' -> 'HH:MM:SS'."""
    parts = re.split(r"[.,]", raw.strip(), maxsplit=1)[0].split(":")
    if len(parts) == 2:
        parts.insert(0, "0")
    hours, minutes, seconds = (int(p) for p in parts)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}"


def _name_like(label: str) -> bool:
    return all(
        w[0].isupper() or w[0].isdigit() or w.lower() in _NAME_CONNECTORS for w in label.split()
    )


class _LabelJudge:
    """Decides whether a 'Words: ...' line starts a turn or is speech that contains a colon.

    A label counts when it looks like a name ("Dr Okafor", "Parent 2", "INTERVIEWER"), is
    used at least twice in the file, or is in the front matter's speakers map. That keeps
    "Here's my final question: ..." inside the turn it belongs to.
    """

    def __init__(self, labels: Iterable[str], known: Iterable[str] = ()) -> None:
        self.counts = Counter(label.casefold() for label in labels)
        self.known = {k.casefold() for k in known}

    def __call__(self, label: str, bare: bool = False) -> bool:
        # A label alone on its line ("Initial Steps:") is as often a heading inside a turn as
        # a speaker, so looking like a name is not enough there.
        key = label.casefold()
        return key in self.known or self.counts[key] >= 2 or (not bare and _name_like(label))


# --------------------------------------------------------------------------- text / Markdown


def _parse_labelled(
    text: str, source_line: Callable[[int], int], known: Iterable[str] = ()
) -> list[Turn]:
    """Turns of a 'Name: text' transcript; unlabelled paragraphs continue the previous turn."""
    # First pass: classify the non-blank lines (label / heading / plain) with compiled regexes.
    entries: list[tuple[int, int, str, str | None, str | None, int]] = []
    pos = 0
    for index, line in enumerate(text.split("\n")):
        line_start = pos
        pos += len(line) + 1
        if not line or line.isspace():
            continue
        m = _LABEL_LINE.match(line)
        if m is not None:
            ts = m.group("ts1") or m.group("ts0") or m.group("ts2")
            entries.append((index, line_start, line, m.group("label"), ts, m.end()))
            continue
        if _HEADING.match(line):
            entries.append((index, line_start, line, "#", None, 0))
            continue
        m = _LABEL_TIME_LINE.match(line)
        if m is not None:
            entries.append((index, line_start, line, m.group("label"), m.group("ts"), len(line)))
            continue
        entries.append((index, line_start, line, None, None, 0))
    judge = _LabelJudge((e[3] for e in entries if e[3] and e[3] != "#"), known)

    turns: list[Turn] = []
    current: Turn | None = None
    for index, line_start, line, label, ts, content_at in entries:
        if label == "#":  # a heading or rule ends a turn and is never speech
            current = None
            continue
        if label is not None and judge(label, bare=ts is None and not line[content_at:].strip()):
            current = Turn(
                speaker=label.strip(),
                start=-1,
                end=-1,
                line=source_line(index),
                timestamp=_norm_time(ts) if ts else None,
            )
            turns.append(current)
            content = line[content_at:]
            offset = line_start + content_at
        elif current is None:
            continue  # preamble before the first label, e.g. a "FICTIONAL TRANSCRIPT" banner
        else:
            content, offset = line, line_start
        stripped = content.strip()
        if stripped:
            start = offset + len(content) - len(content.lstrip())
            if current.start < 0:
                current.start = start
            current.end = start + len(stripped)
    return [t for t in turns if t.start >= 0]  # a bare label with no words is not a turn


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


def _split_front_matter(
    text: str, path: Path | str, source_line: Callable[[int], int]
) -> tuple[str, dict, int]:
    """(body, metadata, number of text lines the front matter took) for '---' ... '---'."""
    if not _FM_OPEN.match(text):
        return text, {}, 0
    first_end = text.find("\n") + 1
    close = _FM_CLOSE.search(text, first_end) if first_end else None
    if close is None:
        raise _error(path, "front matter opened with '---' is never closed", source_line(0))
    block = text[first_end : close.start()]
    after = text.find("\n", close.end())
    body = "" if after < 0 else text[after + 1 :]
    consumed = text.count("\n", 0, close.start()) + 1

    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="safe", pure=True).load(block)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = source_line(1 + mark.line) if mark is not None else source_line(0)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _error(path, f"invalid front matter: {problem}", line) from None
    if data is None:
        return body, {}, consumed
    if not isinstance(data, dict):
        raise _error(path, "front matter must be 'key: value' lines", source_line(1))

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
            raise _error(
                path,
                f"kind must be 'interview', 'focus group' or 'document', not {metadata['kind']!r}",
                key_line("kind"),
            )
        metadata["kind"] = _KINDS[kind]
    if "speakers" in metadata:
        speakers = metadata["speakers"] or {}
        if not isinstance(speakers, dict):
            raise _error(
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


def _parse_text(raw: str, path: Path | str) -> tuple[str, list[Turn], dict]:
    body, metadata, consumed = _split_front_matter(raw, path, lambda i: i + 1)
    if not body.strip():
        raise _error(path, "empty transcript" + (" (only front matter)" if consumed else ""))
    if metadata.get("kind") == DOCUMENT:
        return body, _parse_paragraphs(body, lambda i: i + 1 + consumed), metadata
    turns = _parse_labelled(
        body, lambda i: i + 1 + consumed, known=metadata.get("speakers", {}).keys()
    )
    return body, turns, metadata


# --------------------------------------------------------------------------- Word .docx


def _docx_blocks(data: bytes, path: Path | str) -> list[tuple[int, str]]:
    """(block number, text) for each paragraph and table row, in document order."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise _error(path, "not a Word .docx file (not a zip archive); save it again as .docx")
    import docx  # imported here: python-docx is slow to import and most studies use .txt
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many types for a broken package
        raise _error(
            path, f"cannot open as a Word document ({type(exc).__name__}: {exc})"
        ) from None

    blocks: list[tuple[int, str]] = []
    number = 0
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                number += 1
                blocks.append((number, _docx_row_text(row)))
            continue
        number += 1
        blocks.append((number, _docx_paragraph_text(item)))
    return blocks


def _docx_paragraph_text(paragraph: Any) -> str:
    """Paragraph text; a bold leading label without a colon ("**Jo** Hello") gets ": "."""
    text = paragraph.text.replace("\r", "\n")
    if _LABEL_LINE.match(text):
        return text
    prefix = ""
    for run in paragraph.runs:
        if run.bold:
            prefix += run.text
        elif not run.text.strip() and prefix == "":
            prefix += run.text
        else:
            break
    label = prefix.strip().rstrip(":").strip()
    rest = text[len(prefix) :]
    if label and text.startswith(prefix) and rest.strip() and _LABEL_FULL.fullmatch(label):
        words = rest.lstrip(" \t:")
        return f"{label}: {words}"
    return text


def _docx_row_text(row: Any) -> str:
    """A transcript table row: [time,] speaker, words -> '[time] Speaker: words'."""
    cells: list[str] = []
    for cell in row.cells:
        value = cell.text.strip()
        if value and (not cells or cells[-1] != value):  # merged cells repeat their text
            cells.append(value)
    timestamp = ""
    if len(cells) >= 3 and _TIME_FULL.fullmatch(cells[0]):
        timestamp = f"[{cells.pop(0).strip('[]() ')}] "
    if len(cells) >= 2 and _LABEL_FULL.fullmatch(cells[0].rstrip(":")):
        return f"{timestamp}{cells[0].rstrip(':').strip()}: {' '.join(cells[1:])}"
    return "\t".join(cells)


def _parse_docx(data: bytes, path: Path | str) -> tuple[str, list[Turn], dict]:
    # Paragraphs joined with a blank line between, like a .txt transcript, so the same
    # parser applies; Turn.line is the paragraph (or table row) number, counting empty ones.
    parts: list[str] = []
    source: list[int] = []
    for number, block in _docx_blocks(data, path):
        if not block.strip():
            continue
        if parts:
            parts.append("")
            source.append(number)
        for line in block.split("\n"):
            parts.append(line)
            source.append(number)
    if not parts:
        raise _error(path, "empty transcript (the document has no text)")
    text = "\n".join(parts)
    body, metadata, consumed = _split_front_matter(text, path, source.__getitem__)
    if not body.strip():
        raise _error(path, "empty transcript (only front matter)")
    turns = _parse_labelled(
        body, lambda i: source[i + consumed], known=metadata.get("speakers", {}).keys()
    )
    return body, turns, metadata


# --------------------------------------------------------------------------- WebVTT / SubRip

_CUE_TIME = r"(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}"
_TIMING = re.compile(
    rf"[ \t]*(?P<start>{_CUE_TIME})[ \t]+-->[ \t]+(?P<end>{_CUE_TIME})(?:[ \t].*)?$"
)
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?[ \t]+([^>]*)>")
_TAG = re.compile(r"</?[^>]*>|\{\\[^}]*\}")  # <c.x>, <i>, <00:00:01.000>, </v>, {\an8}
# Zoom prints the display name, which may hold brackets or more than four words.
_CUE_LABEL = re.compile(r"[ \t]*(?P<label>[^\W\d_][^:<>]{0,59}?)[ \t]*:(?:[ \t]+|$)")


@dataclass
class _Cue:
    line: int  # 1-based line of the cue's first text line
    start: str  # cue start time as written
    lines: list[str]


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Blank-line separated blocks as (0-based index of first line, lines)."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    first = 0
    for index, line in enumerate(text.split("\n")):
        if line.strip():
            if not current:
                first = index
            current.append(line)
        elif current:
            blocks.append((first, current))
            current = []
    if current:
        blocks.append((first, current))
    return blocks


def _cues(text: str, path: Path | str, vtt: bool) -> list[_Cue]:
    example = "00:00:01.000 --> 00:00:04.000" if vtt else "00:00:01,000 --> 00:00:04,000"
    blocks = _blocks(text)
    if vtt:
        if not text.startswith("WEBVTT") or text[6:7] not in ("", " ", "\t", "\n"):
            raise _error(path, "not a WebVTT file: the first line must be 'WEBVTT'", 1)
        blocks = blocks[1:]  # the header block
    cues: list[_Cue] = []
    for first, lines in blocks:
        if vtt and re.match(r"(?:NOTE|STYLE|REGION)(?:[ \t]|$)", lines[0]):
            continue
        if "-->" in lines[0]:
            at = 0
        elif len(lines) > 1 and "-->" in lines[1]:
            at = 1  # cue identifier (VTT) or subtitle number (SRT) first
        else:
            raise _error(path, f"expected a cue timing like '{example}'", first + 1)
        m = _TIMING.match(lines[at])
        if m is None:
            raise _error(
                path,
                f"malformed cue timing {lines[at].strip()!r}; expected '{example}'",
                first + at + 1,
            )
        if len(lines) > at + 1:
            cues.append(_Cue(first + at + 2, m.group("start"), lines[at + 1 :]))
    return cues


def _cue_pieces(cue: _Cue, vtt: bool) -> list[tuple[str | None, bool, str]]:
    """(speaker, from a voice tag?, words) for each part of a cue."""
    pieces: list[tuple[str | None, bool, str]] = []
    voice: str | None = None
    for line in cue.lines:
        found = list(_VOICE.finditer(line)) if vtt else []
        if found:
            if found[0].start() > 0:
                pieces.append((voice, voice is not None, line[: found[0].start()]))
            for i, m in enumerate(found):
                voice = m.group(1).strip()
                stop = found[i + 1].start() if i + 1 < len(found) else len(line)
                pieces.append((voice, True, line[m.end() : stop]))
        else:
            pieces.append((voice, voice is not None, line))
    cleaned = []
    for speaker, tagged, raw in pieces:
        words = _TAG.sub("", raw)
        if vtt:
            words = html.unescape(words)
        words = " ".join(words.split())
        if words or tagged:
            cleaned.append((speaker, tagged, words))
    return cleaned


def _parse_subtitles(raw: str, path: Path | str, vtt: bool) -> tuple[str, list[Turn], dict]:
    cues = _cues(raw, path, vtt)
    if not cues:
        raise _error(path, "empty transcript (no cues)")
    # (cue, speaker candidate, is it a voice tag, words)
    parts: list[tuple[_Cue, str | None, bool, str]] = []
    for cue in cues:
        for speaker, tagged, words in _cue_pieces(cue, vtt):
            if not tagged:
                m = _CUE_LABEL.match(words)
                if m is not None:
                    speaker, words = m.group("label").strip(), words[m.end() :]
            parts.append((cue, speaker, tagged, words))
    judge = _LabelJudge(p[1] for p in parts if p[1] and not p[2])

    # Join consecutive cues of one speaker into a turn: [speaker, line, start time, words].
    merged: list[tuple[str, int, str, list[str]]] = []
    last: str | None = None
    for cue, speaker, tagged, words in parts:
        if speaker is not None and not tagged and not judge(speaker):
            words, speaker = f"{speaker}: {words}", None  # "Note: ..." is speech, not a name
        if speaker is None:
            speaker = last
        if speaker is None:
            continue  # words before anyone is named cannot be attributed
        if speaker != last or not merged:
            merged.append((speaker, cue.line, cue.start, []))
            last = speaker
        if words:
            merged[-1][3].append(words)

    lines: list[str] = []
    turns: list[Turn] = []
    pos = 0
    for speaker, line, start_time, words in merged:
        spoken = " ".join(words)
        if not spoken:
            continue
        prefix = f"{speaker}: "
        turns.append(
            Turn(
                speaker,
                pos + len(prefix),
                pos + len(prefix) + len(spoken),
                line,
                _norm_time(start_time),
            )
        )
        entry = prefix + spoken
        lines.append(entry)
        pos += len(entry) + 1
    return "".join(f"{entry}\n" for entry in lines), turns, {}


# --------------------------------------------------------------------------- entry point


def read_transcript(path: Path) -> ParsedTranscript:
    """Read and parse one transcript file into normalised text and speaker turns.

    Raises TranscriptError (one line naming the file, and the line where relevant) for an
    unsupported suffix, an unreadable, binary or empty file, invalid front matter, malformed
    subtitle timings, or a file without any speaker turns.
    """
    path = Path(path)
    _check_suffix(path, _display(path))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _error(path, f"cannot read file ({exc.strerror or exc})") from None
    return parse_transcript(data, path, _display(path))


def _check_suffix(path: Path, shown: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise _error(
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
        raise _error(shown, "empty transcript")

    if suffix == ".docx":
        text, turns, metadata = _parse_docx(data, shown)
    else:
        raw = decode_bytes(data, shown)
        if not raw.strip():
            raise _error(shown, "empty transcript")
        if suffix == ".vtt" or (suffix == ".txt" and raw.startswith("WEBVTT")):
            text, turns, metadata = _parse_subtitles(raw, shown, vtt=True)
        elif suffix == ".srt":
            text, turns, metadata = _parse_subtitles(raw, shown, vtt=False)
        else:
            text, turns, metadata = _parse_text(raw, shown)
    if not turns:
        raise _error(shown, NO_TURNS)
    return ParsedTranscript(
        path=Path(path), text=text, turns=turns, metadata=metadata, content_hash=content_hash
    )
