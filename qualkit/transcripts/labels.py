"""Speaker labels ("Jo:", "[00:01:23] Parent 2:", "**Dr Okafor:**") and timestamps, and the
"Name: text" turns they start; shared by the plain text, Word and subtitle parsers."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable

from qualkit.transcripts.turns import Turn

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# Up to four words of letters/digits/.'- starting with a letter: "Jo", "Parent 2", "Dr Okafor".
_LABEL = r"[^\W\d_][\w.'’\-]*(?:[ \t]+[\w.'’\-]+){0,3}"
LABEL_LINE = re.compile(
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
LABEL_FULL = re.compile(rf"[ \t]*{_LABEL}[ \t]*")
TIME_FULL = re.compile(rf"[ \t]*[\[(]?{_TIME}[\])]?[ \t]*")
_HEADING = re.compile(r"[ \t]{0,3}(?:#{1,6}(?:[ \t]|$)|(?:-{3,}|\*{3,}|_{3,}|={3,})[ \t]*$)")
_NAME_CONNECTORS = frozenset(
    "of the and de del della der den di du da dos la le van von al bin ibn mc".split()
)


def norm_time(raw: str) -> str:
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


class LabelJudge:
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


def parse_labelled(
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
        m = LABEL_LINE.match(line)
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
    judge = LabelJudge((e[3] for e in entries if e[3] and e[3] != "#"), known)

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
                timestamp=norm_time(ts) if ts else None,
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
