"""Transcript parsers on real files: every format, encoding and bad input the issue names.

Fixture text is fictional (tests/fixtures/transcripts); encoding variants are written to
tmp_path from one fictional string so each variant is checked against the same expected turns.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from pathlib import Path

import pytest

from qualkit.errors import TranscriptError
from qualkit.transcripts import (
    SUPPORTED_SUFFIXES,
    ParsedTranscript,
    Turn,
    decode_bytes,
    read_transcript,
)

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"
SHARED = Path(__file__).parents[1].parent / "shared"


def speech(parsed: ParsedTranscript, turn: Turn) -> str:
    return parsed.text[turn.start : turn.end]


def speakers_and_speech(parsed: ParsedTranscript) -> list[tuple[str, str]]:
    return [(t.speaker, speech(parsed, t)) for t in parsed.turns]


def assert_spans_clean(parsed: ParsedTranscript) -> None:
    for turn in parsed.turns:
        words = speech(parsed, turn)
        assert words, turn
        assert words == words.strip(), turn


def test_supported_suffixes() -> None:
    assert SUPPORTED_SUFFIXES == (".txt", ".md", ".docx", ".vtt", ".srt")


# --------------------------------------------------------------------------- plain text


def test_txt_with_front_matter_timestamps_and_paragraphs() -> None:
    path = FIXTURES / "parent_interview.txt"
    parsed = read_transcript(path)

    assert parsed.path == path
    assert parsed.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert parsed.metadata == {
        "id": "P03",
        "kind": "interview",
        "date": "2024-11-05",
        "speakers": {"Interviewer": None, "Amara": "P03"},
        "service": "parent-infant psychotherapy",
        "duration_minutes": 42,
    }
    assert "---" not in parsed.text and "speakers" not in parsed.text
    assert parsed.text.startswith("FICTIONAL TRANSCRIPT")
    assert_spans_clean(parsed)

    turns = parsed.turns
    # The banner is not a turn; every label form is recognised.
    assert [t.speaker for t in turns] == ["Interviewer", "Amara"] * 3
    assert [t.timestamp for t in turns] == [None, "00:01:23", "00:02:10", None, None, None]
    # Line numbers refer to the original file, front matter included.
    source_lines = path.read_text(encoding="utf-8").split("\n")
    for turn in turns:
        assert source_lines[turn.line - 1].lstrip("[0123456789:] ").startswith(turn.speaker)
    assert [t.line for t in turns] == [13, 15, 17, 19, 25, 27]

    assert speech(parsed, turns[0]).startswith("Thank you for talking")
    assert speech(parsed, turns[1]).startswith("It was the health visitor")
    assert speech(parsed, turns[2]) == "And what was that first appointment like?"

    # A multi-paragraph turn spans its paragraphs and the blank lines between them; a
    # sentence-like "Here's the thing ...:" paragraph is speech, not a new speaker.
    long_turn = speech(parsed, turns[3])
    assert long_turn.startswith("Honestly? I nearly didn't go.")
    assert "\n\nBut the therapist" in long_turn
    assert long_turn.endswith("nobody had ever noticed him noticing me.")
    # Times and URLs at the start of a line are not labels.
    last = speech(parsed, turns[5])
    assert last.startswith("It was.")
    assert last.endswith("https://example.org/families on it.")
    assert "\n10:30 suited me" in last


def test_markdown_focus_group() -> None:
    parsed = read_transcript(FIXTURES / "focus_group.md")
    assert parsed.metadata == {}
    assert_spans_clean(parsed)
    labels = [t.speaker for t in parsed.turns]
    assert labels == [
        "Facilitator",
        "Parent 1",
        "Parent 2",
        "Parent 3",
        "Parent 4",
        "Facilitator",
        "Parent 4",
        "Parent 1",
        "Dr Okafor",
        "Parent 3",
    ]
    assert len(set(labels)) == 6
    # Markdown bold labels: **Parent 2:** and **Parent 1**:
    assert speech(parsed, parsed.turns[2]).startswith("I came because")
    assert speech(parsed, parsed.turns[7]).startswith("Having someone say")
    # Headings never become turns nor part of one.
    assert all("#" not in speech(parsed, t) for t in parsed.turns)
    assert (
        speech(parsed, parsed.turns[4])
        == "I didn't want to come at first. My partner signed us up."
    )
    assert speech(parsed, parsed.turns[-1]) == "It was the other mums, really.\n\nAnd the tea."


def test_label_heuristics(tmp_path: Path) -> None:
    path = tmp_path / "heuristics.txt"
    path.write_text(
        "INTERVIEWER:\nHow did the referral go?\n\n"
        "Health visitor: It went through quickly.\n\n"
        "Initial steps:\nWe phoned first.\n\n"
        "INTERVIEWER:\nAnd then?\n\n"
        "Health visitor: Then a home visit.\n\n"
        "Speaker 3  0:03\nI joined late, sorry.\n",
        encoding="utf-8",
    )
    parsed = read_transcript(path)
    assert speakers_and_speech(parsed) == [
        ("INTERVIEWER", "How did the referral go?"),
        # "Initial steps:" once, alone on its line, reads as a heading inside the turn.
        ("Health visitor", "It went through quickly.\n\nInitial steps:\nWe phoned first."),
        ("INTERVIEWER", "And then?"),
        ("Health visitor", "Then a home visit."),
        ("Speaker 3", "I joined late, sorry."),
    ]
    assert parsed.turns[0].line == 1
    assert parsed.turns[-1].timestamp == "00:00:03"


# --------------------------------------------------------------------------- encodings

SAMPLE = (
    "Fictional interview — written for qualkit's tests.\n"
    "\n"
    "Interviewer: What did “being seen” mean to you?\n"
    "\n"
    "Zoë: That someone noticed us both. It cost £0 and saved me, café visits aside.\n"
    "\n"
    "Still does.\n"
)
EXPECTED = [
    ("Interviewer", "What did “being seen” mean to you?"),
    (
        "Zoë",
        "That someone noticed us both. It cost £0 and saved me, café visits aside.\n\nStill does.",
    ),
]


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda s: s.encode("utf-8"), id="utf-8"),
        pytest.param(lambda s: s.encode("utf-8-sig"), id="utf-8-bom"),
        pytest.param(lambda s: s.encode("utf-16"), id="utf-16-bom-native"),
        pytest.param(lambda s: b"\xff\xfe" + s.encode("utf-16-le"), id="utf-16-le-bom"),
        pytest.param(lambda s: b"\xfe\xff" + s.encode("utf-16-be"), id="utf-16-be-bom"),
        pytest.param(lambda s: s.encode("utf-16-le"), id="utf-16-le-no-bom"),
        pytest.param(lambda s: s.encode("utf-16-be"), id="utf-16-be-no-bom"),
        pytest.param(lambda s: s.encode("cp1252"), id="cp1252"),
        pytest.param(lambda s: s.replace("\n", "\r\n").encode("utf-8"), id="crlf"),
        pytest.param(lambda s: s.replace("\n", "\r").encode("cp1252"), id="cr-cp1252"),
        pytest.param(lambda s: s.replace("\n", "\r\n").encode("utf-8-sig"), id="crlf-utf-8-bom"),
    ],
)
def test_encodings(tmp_path: Path, encode) -> None:
    path = tmp_path / "zoe.txt"
    path.write_bytes(encode(SAMPLE))
    parsed = read_transcript(path)
    assert parsed.text == SAMPLE  # no BOM, "\n" only, code points unchanged
    assert speakers_and_speech(parsed) == EXPECTED
    assert [t.line for t in parsed.turns] == [3, 5]


def test_decode_bytes_keeps_code_points() -> None:
    path = Path("x.txt")
    # Decomposed "é" (e + combining acute) must not be composed: quotes must match the source.
    assert decode_bytes("Cafe\u0301\r\n".encode(), path) == "Cafe\u0301\n"
    # cp1252 leaves 0x81 undefined; it maps to U+0081 like Windows does, the rest stays exact.
    assert decode_bytes(b"caf\xe9 \x93ok\x94 \x81", path) == "café “ok” \x81"
    assert decode_bytes(b"\xef\xbb\xbfA: b\rc", path) == "A: b\nc"
    assert decode_bytes(b"A: old DOS file\r\n\x1a", path) == "A: old DOS file\n\x1a"
    with pytest.raises(TranscriptError, match=r"^x\.txt: binary file"):
        decode_bytes(bytes(range(1, 32)) * 10, path)


# --------------------------------------------------------------------------- Word


def make_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("FICTIONAL TRANSCRIPT — written for qualkit's tests")  # 1
    document.add_paragraph("Interviewer: How are things at home now?")  # 2
    paragraph = document.add_paragraph()  # 3: bold label, no colon
    paragraph.add_run("Maya").bold = True
    paragraph.add_run("\tMuch calmer. We have a bedtime routine.")
    document.add_paragraph("")  # 4: empty paragraphs still count
    document.add_paragraph("He settles on my chest now.")  # 5: continues Maya
    paragraph = document.add_paragraph()  # 6: bold label with colon
    paragraph.add_run("Interviewer:").bold = True
    paragraph.add_run(" What changed?")
    paragraph = document.add_paragraph()  # 7: bold label, bold colon in its own run
    paragraph.add_run("Maya").bold = True
    paragraph.add_run(":").bold = True
    paragraph.add_run(" I stopped ")
    paragraph.add_run("guessing").italic = True
    paragraph.add_run(" what he wanted.")
    table = document.add_table(rows=2, cols=3)  # rows 8 and 9
    for row, values in zip(
        table.rows,
        [("00:12:01", "Interviewer", "Anything else?"), ("00:12:09", "Maya", "Only thank you.")],
        strict=True,
    ):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.save(str(path))


def test_docx(tmp_path: Path) -> None:
    path = tmp_path / "maya.docx"
    make_docx(path)
    parsed = read_transcript(path)
    assert_spans_clean(parsed)
    assert speakers_and_speech(parsed) == [
        ("Interviewer", "How are things at home now?"),
        ("Maya", "Much calmer. We have a bedtime routine.\n\nHe settles on my chest now."),
        ("Interviewer", "What changed?"),
        ("Maya", "I stopped guessing what he wanted."),
        ("Interviewer", "Anything else?"),
        ("Maya", "Only thank you."),
    ]
    assert [t.line for t in parsed.turns] == [2, 3, 6, 7, 8, 9]  # paragraph / table row numbers
    assert [t.timestamp for t in parsed.turns][-2:] == ["00:12:01", "00:12:09"]
    # Layout: non-empty paragraphs joined by one blank line; bold labels get ": ".
    assert parsed.text.split("\n\n")[:3] == [
        "FICTIONAL TRANSCRIPT — written for qualkit's tests",
        "Interviewer: How are things at home now?",
        "Maya: Much calmer. We have a bedtime routine.",
    ]


def test_docx_front_matter(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    for line in ["---", "id: P09", "kind: focus group", "speakers:", "  Parent A: P09", "---"]:
        document.add_paragraph(line)
    document.add_paragraph("Parent A: We met on Thursdays.")
    path = tmp_path / "fg.docx"
    document.save(str(path))
    parsed = read_transcript(path)
    assert parsed.metadata["speakers"] == {"Parent A": "P09"}
    assert parsed.metadata["kind"] == "focus group"
    assert speakers_and_speech(parsed) == [("Parent A", "We met on Thursdays.")]
    assert parsed.turns[0].line == 7


# --------------------------------------------------------------------------- subtitles


def test_teams_vtt_voice_tags() -> None:
    parsed = read_transcript(FIXTURES / "staff_teams.vtt")
    assert speakers_and_speech(parsed) == [
        ("Sam Carter", "Thanks for joining. Can you describe your role in the team?"),
        (
            "Priya Nair",
            "Sure. I'm one of the parent-infant psychotherapists, and I also run the six-week "
            "group with a health visitor & a nursery nurse.",
        ),
        ("Sam Carter", "What gets in the way of referrals?"),
        ("Priya Nair", "Mostly waiting lists <sigh>. And families not knowing we exist."),
    ]
    assert [t.timestamp for t in parsed.turns] == ["00:00:01", "00:00:04", "00:00:14", "00:01:02"]
    assert [t.line for t in parsed.turns] == [7, 11, 19, 23]
    lines = parsed.text.splitlines()
    assert len(lines) == 4
    assert lines[0] == "Sam Carter: Thanks for joining. Can you describe your role in the team?"
    assert_spans_clean(parsed)


def test_zoom_vtt_name_lines() -> None:
    parsed = read_transcript(FIXTURES / "stakeholder_zoom.vtt")
    assert speakers_and_speech(parsed) == [
        ("Sam Carter", "So, from the health visiting side, how do referrals reach the service?"),
        (
            "Lena Brooks (Health Visitor)",
            "Usually after the new birth visit. We use a short form. "
            "It goes to the duty worker the same week.",
        ),
        ("Sam Carter", "And does anything get lost on the way?"),
        ("Lena Brooks (Health Visitor)", "Note: this is just my view."),
    ]
    assert parsed.turns[1].timestamp == "00:00:06"


def test_srt() -> None:
    parsed = read_transcript(FIXTURES / "parent_call.srt")
    assert speakers_and_speech(parsed) == [
        ("Interviewer", "Were you offered the group or one-to-one sessions?"),
        (
            "Jordan",
            "One-to-one first, at home. Then the group in the spring. "
            "I liked that I could bring the pram.",
        ),
        ("Interviewer", "Thank you."),
    ]
    assert [t.timestamp for t in parsed.turns] == ["00:00:01", "00:00:04", "00:00:10"]
    assert [t.line for t in parsed.turns] == [3, 7, 16]


def test_vtt_content_in_txt_file(tmp_path: Path) -> None:
    path = tmp_path / "teams_export.txt"
    path.write_bytes((FIXTURES / "staff_teams.vtt").read_bytes())
    assert len(read_transcript(path).turns) == 4


# --------------------------------------------------------------------------- bad input

ZIP_NOT_DOCX = (
    b"PK\x05\x06" + b"\x00" * 18  # an empty zip archive: valid zip, no Word document inside
)
BAD_INPUTS = [
    ("notes.pdf", b"%PDF-1.7 ...", None, "unsupported file type '.pdf'"),
    ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None, "PNG image"),
    ("blob.txt", b"ab\x00\x00\x01\x02\x00\xff\x00\x10" * 20, None, "binary file"),
    ("empty.txt", b"", None, "empty transcript"),
    ("blank.md", b" \n\n\t\n", None, "empty transcript"),
    ("only_fm.txt", b"---\nid: P1\n---\n\n", None, "empty transcript (only front matter)"),
    ("prose.txt", b"Just some notes.\n\nNo speakers here.\n", None, "no speaker turns found"),
    ("old.docx", b"\xd0\xcf\x11\xe0 an old Word file", None, "not a zip archive"),
    ("emptyzip.docx", ZIP_NOT_DOCX, None, "cannot open as a Word document"),
    ("badtime.vtt", b"WEBVTT\n\n1\n00:00:01 --> 00:00:04.000\nA: hi\n", 4, "malformed cue timing"),
    ("noheader.vtt", b"1\n00:00:01.000 --> 00:00:04.000\nA: hi\n", 1, "WEBVTT"),
    ("notiming.vtt", b"WEBVTT\n\nA: hi\nB: hello\n", 3, "expected a cue timing"),
    ("badtime.srt", b"1\n00:00:01,000 -> 00:00:04,000\nA: hi\n", 1, "expected a cue timing"),
    ("badtime2.srt", b"1\n0:1,000 --> 00:00:04,000\nA: hi\n", 2, "malformed cue timing"),
    ("nocue.srt", b"1\n00:00:01,000 --> 00:00:04,000\n", None, "empty transcript (no cues)"),
    ("nospeaker.vtt", b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhello\n", None, "no speaker"),
    # the line with the unclosed '[', not where YAML noticed it
    ("badyaml.txt", b"---\nid: P1\nspeakers: [a, b\n---\nA: hi\n", 3, "invalid front matter"),
    ("unclosed.txt", b"---\nid: [P1\nkind: interview\n---\nA: hi\n", 2, "starts on this line"),
    ("unclosed.txt", b"---\nid: P1\nA: hi\n", 1, "never closed"),
    ("notmap.txt", b"---\n- a\n- b\n---\nA: hi\n", 2, "front matter must be"),
    ("kind.txt", b"---\nid: P1\nkind: survey\n---\nA: hi\n", 3, "kind must be"),
    ("spk.txt", b"---\nid: P1\nspeakers: [A, B]\n---\nA: hi\n", 3, "speakers must map"),
]


@pytest.mark.parametrize(("name", "data", "line", "fragment"), BAD_INPUTS)
def test_bad_input_names_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, data: bytes, line, fragment: str
) -> None:
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "transcripts" / name).write_bytes(data)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TranscriptError) as caught:
        read_transcript(Path("transcripts") / name)
    message = str(caught.value)
    assert "\n" not in message
    prefix = f"transcripts/{name}: " + (f"line {line}: " if line is not None else "")
    assert message.startswith(prefix), message
    assert fragment in message, message


def test_error_path_display(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "study" / "transcripts"
    folder.mkdir(parents=True)
    (folder / "p03.txt").write_text("no turns\n", encoding="utf-8")
    # An absolute path under cwd is shown relative to it.
    monkeypatch.chdir(tmp_path / "study")
    with pytest.raises(TranscriptError, match=r"^transcripts/p03\.txt: no speaker turns"):
        read_transcript(folder / "p03.txt")
    # Outside cwd only the file name is shown.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with pytest.raises(TranscriptError, match=r"^p03\.txt: no speaker turns"):
        read_transcript(folder / "p03.txt")


def test_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("folder.txt").mkdir()
    with pytest.raises(TranscriptError, match=r"^folder\.txt: cannot read file"):
        read_transcript(Path("folder.txt"))
    with pytest.raises(TranscriptError, match=r"^missing\.txt: cannot read file"):
        read_transcript(Path("missing.txt"))


# --------------------------------------------------------------------------- real corpus

PDPILOT = SHARED / "corpora" / "pdpilot"


@pytest.mark.skipif(not PDPILOT.is_dir(), reason="../shared corpora not available")
def test_pdpilot_turn_counts_match_reference() -> None:
    with (PDPILOT / "transcript_turns.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected = Counter(row["document"] for row in rows)
    files = sorted((PDPILOT / "transcripts_txt").glob("P*.txt"))
    assert len(files) == 7
    counted = Counter()
    for path in files:
        parsed = read_transcript(path)
        counted[path.stem] = len(parsed.turns)
        reference = [row for row in rows if row["document"] == path.stem]
        # Labels as written, including the typo 'Particpant'; the words exactly.
        assert [t.speaker for t in parsed.turns] == [row["speaker"] for row in reference]
        assert [speech(parsed, t) for t in parsed.turns] == [row["text"] for row in reference]
    assert counted == expected
    assert sum(counted.values()) == 826


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty-01.txt", b"", "empty transcript"),
        ("scan.txt", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj", "binary file: this is a PDF file"),
        ("nul.txt", "Ana: hi".encode("utf-32-be"), "binary file"),
    ],
)
def test_ingest_names_a_bad_file_once(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    """`error: transcripts/x.txt: reason`, not `transcripts/x.txt: transcripts/x.txt: reason`."""
    from qualkit.project import Project

    (tmp_path / "transcripts").mkdir()
    (tmp_path / "transcripts" / name).write_bytes(data)
    with Project.open(tmp_path, create=True) as p, pytest.raises(TranscriptError) as caught:
        p.ingest()
    message = str(caught.value)
    assert message.startswith(f"transcripts/{name}: {reason}"), message
    assert message.count(name) == 1, message


def test_an_opening_quote_bracket_or_dash_starts_the_next_sentence() -> None:
    from qualkit.ingest.segmentation import split_turns

    text = (
        "We talked about it from the learners' perspective. 'If I disclose a problem, will "
        "they help?' She said no. (And then she left.) I asked again. — It was late."
    )
    # max_words=1: every sentence is its own segment
    spans = split_turns(text, [(0, len(text))], max_words=1, mode="sentences")[0]
    pieces = [text[s.start : s.end] for s in spans]
    assert pieces == [
        "We talked about it from the learners' perspective.",
        "'If I disclose a problem, will they help?'",
        "She said no.",
        "(And then she left.)",
        "I asked again.",
        "— It was late.",
    ]
    # nothing lost or reordered: the pieces are the text, minus the spaces between them
    assert " ".join(pieces) == text
