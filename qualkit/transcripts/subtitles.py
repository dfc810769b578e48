"""WebVTT and SubRip transcripts: cues with voice tags or "Name:" labels, consecutive cues of
one speaker joined into a turn that keeps the first cue's start time."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from qualkit.transcripts.labels import LabelJudge, norm_time
from qualkit.transcripts.turns import Turn, transcript_error

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
            raise transcript_error(path, "not a WebVTT file: the first line must be 'WEBVTT'", 1)
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
            raise transcript_error(path, f"expected a cue timing like '{example}'", first + 1)
        m = _TIMING.match(lines[at])
        if m is None:
            raise transcript_error(
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


def parse_subtitles(raw: str, path: Path | str, vtt: bool) -> tuple[str, list[Turn], dict]:
    cues = _cues(raw, path, vtt)
    if not cues:
        raise transcript_error(path, "empty transcript (no cues)")
    # (cue, speaker candidate, is it a voice tag, words)
    parts: list[tuple[_Cue, str | None, bool, str]] = []
    for cue in cues:
        for speaker, tagged, words in _cue_pieces(cue, vtt):
            if not tagged:
                m = _CUE_LABEL.match(words)
                if m is not None:
                    speaker, words = m.group("label").strip(), words[m.end() :]
            parts.append((cue, speaker, tagged, words))
    judge = LabelJudge(p[1] for p in parts if p[1] and not p[2])

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
                norm_time(start_time),
            )
        )
        entry = prefix + spoken
        lines.append(entry)
        pos += len(entry) + 1
    return "".join(f"{entry}\n" for entry in lines), turns, {}
