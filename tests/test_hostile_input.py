"""Hostile or unlucky input: alias bombs, zip bombs, enormous turns, broken CSVs, links out of
the project and control characters in file names all give one clear line, and nothing stored
changes."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from projects import INTERVIEW_1, snapshot, write_tiny_project

from qualkit.codebook import Codebook
from qualkit.codebook.schema import unique_id
from qualkit.errors import CodebookError, QualkitError
from qualkit.project import Project
from qualkit.transcripts import read_transcript

ALIAS_BOMB = """\
codes:
  - name: a
    children: &a [{name: x}, {name: y}]
  - name: b
    children: [*a, *a, *a, *a, *a, *a, *a, *a]
"""


def ingested(root: Path) -> Project:
    write_tiny_project(root)
    p = Project.open(root)
    p.ingest()
    return p


def assert_refused(p: Project, *fragments: str) -> None:
    before = snapshot(p.root)
    with pytest.raises(QualkitError) as info:
        p.ingest()
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
    assert snapshot(p.root) == before


def test_codebook_yaml_aliases_are_refused_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "codebook.yaml"
    path.write_text(ALIAS_BOMB, encoding="utf-8")
    with pytest.raises(CodebookError, match=r"codebook.yaml:5: YAML aliases"):
        Codebook.load(path)


def test_front_matter_and_settings_aliases_are_refused(tmp_path: Path) -> None:
    p = ingested(tmp_path)
    bomb = "---\nid: p3\nx: &x [1, 2]\ny: [*x, *x]\n---\nMaya: Hello there.\n"
    (tmp_path / "transcripts" / "p3.txt").write_text(bomb, encoding="utf-8")
    assert_refused(p, "transcripts/p3.txt", "line 4", "YAML aliases")
    (tmp_path / "transcripts" / "p3.txt").unlink()
    (tmp_path / "qualkit.yaml").write_text("a: &a [1]\nb: *a\n", encoding="utf-8")
    with pytest.raises(QualkitError, match=r"qualkit.yaml:2: YAML aliases"):
        Project.open(tmp_path)
    p.close()


def test_unique_ids_for_many_duplicate_names_take_linear_steps() -> None:
    class CountingSet(set):
        lookups = 0

        def __contains__(self, item: object) -> bool:
            CountingSet.lookups += 1
            return super().__contains__(item)

    taken, suffixes = CountingSet(), {}
    for _ in range(3000):
        taken.add(unique_id("same", taken, suffixes))
    assert "same-3000" in taken and len(taken) == 3000
    assert CountingSet.lookups < 4 * 3000


def _docx_with(document_xml: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", document_xml)
    return buffer.getvalue()


def test_a_docx_zip_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    path.write_bytes(_docx_with(b"<w:p/>" * 9_000_000))  # 54 MB of XML in a small file
    assert path.stat().st_size < 2_000_000
    with pytest.raises(QualkitError, match=r"bomb.docx: .*more than 50 MB") as info:
        read_transcript(path)
    assert "\n" not in str(info.value)


def test_a_turn_longer_than_spacy_accepts_is_split_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qualkit.ingest import segmentation

    # Small limits stand in for spaCy's million characters, so the test stays fast.
    monkeypatch.setattr(segmentation, "PIECE_CHARS", 3_000)
    monkeypatch.setattr(segmentation._sentencizer(), "max_length", 5_000)
    p = ingested(tmp_path)
    sentence = "The wait felt long and I rang the service again. "
    long_turn = INTERVIEW_1.replace("I notice when she is tired.", sentence * 400)
    (tmp_path / "transcripts" / "p1.txt").write_text(long_turn, encoding="utf-8")
    p.ingest()
    frame = p.segments(transcript="p1")
    text = p.transcript_text("p1")
    assert len(frame) > 10
    for r in frame.itertuples():
        assert text[r.start : r.end] == r.text
    assert sum(r.text.count("rang the service") for r in frame.itertuples()) == 400
    p.close()


def test_participants_csv_with_an_unclosed_quote_names_the_line(tmp_path: Path) -> None:
    p = ingested(tmp_path)
    csv = tmp_path / "transcripts" / "participants.csv"
    csv.write_text(
        csv.read_text(encoding="utf-8") + 'P99,"Parent,group programme\nP98,Parent,x\n',
        encoding="utf-8",
    )
    assert_refused(p, "transcripts/participants.csv: line 5", "unclosed quote")
    p.close()


def test_links_out_of_the_project_are_refused_with_the_file_named(tmp_path: Path) -> None:
    project_root = tmp_path / "study"
    p = ingested(project_root)
    outside = tmp_path / "secret.txt"
    outside.write_text("Maya: Words that belong elsewhere.\n", encoding="utf-8")
    link = project_root / "transcripts" / "linked.txt"
    link.symlink_to(outside)
    assert_refused(p, "transcripts/linked.txt", "outside the project")
    link.unlink()
    inside = project_root / "transcripts" / "p1-again.md"
    inside.symlink_to(project_root / "transcripts" / "p1.txt")
    # A link within the project is its own file: the duplicate id is the problem named.
    assert_refused(p, "transcripts/p1-again.md", "already used")
    p.close()


@pytest.mark.parametrize("name", ["new\nline.txt", "evil\u202etxt.md", "tab\tname.txt"])
def test_control_and_direction_characters_in_file_names_are_refused(
    tmp_path: Path, name: str
) -> None:
    p = ingested(tmp_path)
    (tmp_path / "transcripts" / name).write_text("Maya: A fictional line.\n", encoding="utf-8")
    assert_refused(p, "the file name holds control or text-direction characters", "U+")
    p.close()


def test_codings_of_a_code_removed_by_hand_are_listed_with_the_fix(tmp_path: Path) -> None:
    import subprocess
    import sys

    p = ingested(tmp_path)
    segment = int(p.segments().segment_id.iloc[0])
    p.code(segment, "bonding", "ana")
    text = p.codebook_path.read_text(encoding="utf-8")
    p.codebook_path.write_text(text[: text.index("    children:\n      - id: bonding")])
    assert p.status()["codes_missing_from_codebook"] == {"bonding": 1}
    check = subprocess.run(
        [sys.executable, "-m", "qualkit.cli", "codebook", "check", "--project", tmp_path],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 1 and "Traceback" not in check.stderr
    assert "bonding: 1 coding(s); fix: qualkit codebook merge bonding" in check.stdout
    assert p.merge_codes("bonding", "impact", actor="ana") == 1  # the fix works
    assert p.status()["codes_missing_from_codebook"] == {}
    assert p.codes_of(segment, "ana") == ["impact"]
    p.close()
