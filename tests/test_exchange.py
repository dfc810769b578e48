"""REFI-QDA export and the round trip of the demo study: qualkit -> .qdpx -> qualkit -> .qdpx."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from projects import copy_demo_project

from qualkit.cli.main import main
from qualkit.exchange.refi_file import load_qdpx
from qualkit.exchange.validate import validate_file
from qualkit.project import Project

DOCUMENT = """\
---
id: field-notes
kind: document
---
Field notes, visit one. The room was quiet [team member] arrived late.

Second paragraph: no speaker here, just notes 😀 with an emoji.
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The demo study with codings by two coders (spans, memos), and a document."""
    root = copy_demo_project(tmp_path_factory.mktemp("demo"))
    (root / "transcripts" / "field-notes.txt").write_text(DOCUMENT, encoding="utf-8")
    project = Project.open(root)
    project.ingest()
    segments = project.segments()
    codes = [c.id for c in project.codebook if not c.children]
    theme = next(c.id for c in project.codebook if c.children)
    for i, seg in enumerate(segments.itertuples()):
        if i % 7 == 0:
            project.code(seg.segment_id, codes[i % len(codes)], "ana")
        if i % 11 == 0 and len(seg.text) > 20:
            project.code(seg.segment_id, codes[(i + 3) % len(codes)], "ben", span=(5, 20))
    first = segments.iloc[0].segment_id
    project.code(first, theme, "ana", memo="theme applied directly [team member]")
    project.set_memo("project", "project", "ana", "Why we coded this way.")
    project.set_memo("code", codes[0], "ben", "Boundary with the next code.")
    project.set_memo("transcript", segments.iloc[0].transcript, "ana", "Noisy recording.")
    project.set_memo("segment", int(segments.iloc[3].segment_id), "ben", "Ask about this.")
    # a segment memo on a segment its author coded whole, which ben coded too: it shares their
    # selection in the file, and came back as a memo on both coders' codings
    coded = int(segments.iloc[7].segment_id)
    project.set_memo("segment", coded, "ana", "A memo on the passage, not on a coding.")
    project.code(coded, codes[1], "ben")
    return project


def _text(value: object) -> str:
    return "" if value is None or value != value else str(value)  # None and NaN alike


def signature(project: Project) -> dict[str, object]:
    """What must survive a round trip, in terms independent of ids and GUIDs."""
    book = project.codebook
    name = {c.id: c.name for c in book}
    return {
        "codes": sorted(
            (c.name, name.get(c.parent or ""), c.description, c.include, c.color) for c in book
        ),
        "texts": sorted(project.transcript_text(t) for t in project.transcript_ids()),
        # interview vs focus group is inferred again from who speaks; documents stay documents
        "documents": sorted(project.transcripts().query("kind == 'document'")["transcript"]),
        "codings": sorted(
            (r.text, _text(r.quote), name[r.code], r.coder, _text(r.memo))
            for r in project.codings().itertuples()
        ),
        "memos": sorted((m.kind, m.coder, m.text) for m in project.memos().itertuples()),
        "participants": sorted(
            tuple(sorted((k, _text(v)) for k, v in row.items() if _text(v)))
            for row in project.participants().to_dict(orient="records")
        ),
        "speakers": sorted(
            (s.text, _text(s.participant), bool(s.is_interviewer))
            for s in project.segments(include_interviewer=True).itertuples()
        ),
    }


def test_export_is_valid_deterministic_and_complete(demo: Project, tmp_path: Path) -> None:
    first = demo.export_qdpx(tmp_path / "a.qdpx")
    demo.export_qdpx(tmp_path / "b.qdpx")
    assert (tmp_path / "a.qdpx").read_bytes() == (tmp_path / "b.qdpx").read_bytes()
    assert validate_file(tmp_path / "a.qdpx") == []
    assert first.codings == len(demo.codings())
    with zipfile.ZipFile(tmp_path / "a.qdpx") as archive:
        names = archive.namelist()
        assert "project.qde" in names
        texts = [n for n in names if n.startswith("sources/")]
        assert len(texts) == len(demo.transcript_ids())
        for name in texts:
            assert not archive.read(name).startswith(b"\xef\xbb\xbf")
    model = load_qdpx(tmp_path / "a.qdpx").model
    assert {u.name for u in model.users} == {"ana", "ben"}
    for source in model.sources:
        for sel in source.selections:
            assert sel.name == source.raw_text[sel.start : sel.end]
            assert all(c.user_guid for c in sel.codings)
    theme = next(c for c in model.all_codes() if c.children and c.codable)
    assert theme.name  # a theme applied directly stays codable...
    assert any(c.children and not c.codable for c in model.all_codes())  # ...others do not
    assert len(model.cases) == len(demo.participants())


def test_round_trip_keeps_transcripts_codes_codings_memos_people(
    demo: Project, tmp_path: Path
) -> None:
    demo.export_qdpx(tmp_path / "study.qdpx")
    copy = Project.init(tmp_path / "copy")
    report = copy.import_qdpx(tmp_path / "study.qdpx")
    assert report.names_checked == report.names_matched > 0
    want = signature(demo)
    got = signature(copy)
    for key in want:
        assert got[key] == want[key], key
    copy.export_qdpx(tmp_path / "again.qdpx")
    third = Project.init(tmp_path / "third")
    third.import_qdpx(tmp_path / "again.qdpx")
    assert signature(third) == want


def test_qdc_export_is_valid_and_imports(demo: Project, tmp_path: Path) -> None:
    count = demo.export_qdc(tmp_path / "book.qdc")
    assert count == len(demo.codebook)
    assert validate_file(tmp_path / "book.qdc") == []
    fresh = Project.init(tmp_path / "fresh")
    fresh.import_qdc(tmp_path / "book.qdc")
    assert sorted(c.name for c in fresh.codebook) == sorted(c.name for c in demo.codebook)
    parent_of = {c.name: fresh.codebook.get(c.parent).name for c in fresh.codebook if c.parent}
    assert parent_of == {
        c.name: demo.codebook.get(c.parent).name for c in demo.codebook if c.parent
    }


def test_cli_export_and_import(demo: Project, tmp_path: Path, capsys) -> None:
    out = tmp_path / "cli.qdpx"
    main(["export", "qdpx", "-o", str(out), "--project", str(demo.root)])
    printed = capsys.readouterr()
    assert "valid against the REFI-QDA schema" in printed.out
    # not a report: the user is told that names travel with it
    assert "names included" in printed.err and "pseudonyms.yaml" in printed.err
    with pytest.raises(SystemExit) as exit_info:
        main(["import", "qdpx", str(tmp_path / "missing.qdpx"), "--project", str(tmp_path)])
    assert exit_info.value.code == 1
    assert capsys.readouterr().err.strip().count("\n") == 0
    main(["import", "qdpx", str(out), "--project", str(tmp_path / "new")])
    printed = capsys.readouterr().out
    assert "created project" in printed and "transcript(s) added" in printed


def _guids(path: Path) -> list[str]:
    """Every GUID attribute of a .qdpx's project.qde, in document order."""
    import re

    with zipfile.ZipFile(path) as archive:
        xml = archive.read("project.qde").decode("utf-8")
    return re.findall(r'(?:guid|GUID)="([^"]+)"', xml)


def test_guids_stay_the_same_when_the_project_folder_moves(tmp_path: Path) -> None:
    """The GUIDs come from the project's identity in its database, not its path or machine:
    a project copied elsewhere before its first export exports the same GUIDs as the original."""
    import shutil

    root = copy_demo_project(tmp_path / "here")
    project = Project.open(root)
    project.ingest()
    first_segment = int(project.segments().iloc[0].segment_id)
    code = next(c.id for c in project.codebook if not c.children)
    project.code(first_segment, code, "ana")
    project.close()
    shutil.copytree(root, tmp_path / "elsewhere" / "clone")  # another clone path, same db
    original = Project.open(root)
    moved = Project.open(tmp_path / "elsewhere" / "clone")
    original.export_qdpx(tmp_path / "a.qdpx")
    moved.export_qdpx(tmp_path / "b.qdpx")
    original.export_qdpx(tmp_path / "a-again.qdpx")
    assert original.store.project_uuid == moved.store.project_uuid
    guids = _guids(tmp_path / "a.qdpx")
    assert len(guids) > 10
    assert _guids(tmp_path / "b.qdpx") == guids
    assert _guids(tmp_path / "a-again.qdpx") == guids
    # Another project with the same files is another project: its GUIDs differ.
    other = Project.open(copy_demo_project(tmp_path / "other"))
    other.ingest()
    other.code(first_segment, code, "ana")
    other.export_qdpx(tmp_path / "c.qdpx")
    assert not set(_guids(tmp_path / "c.qdpx")) & set(guids)
    for p in (original, moved, other):
        p.close()


def test_a_project_made_before_it_had_an_identity_gets_one_and_keeps_it(tmp_path: Path) -> None:
    """Databases from before the identity existed get one on their first export, once."""
    import sqlite3

    project = Project.open(copy_demo_project(tmp_path / "old"))
    project.ingest()
    project.close()
    con = sqlite3.connect(tmp_path / "old" / ".qualkit" / "project.db")
    with con:
        con.execute("DELETE FROM meta WHERE key = 'project-uuid'")
    con.close()
    project = Project.open(tmp_path / "old")
    project.export_qdpx(tmp_path / "a.qdpx")
    identity = project.store.project_uuid
    project.export_qdpx(tmp_path / "b.qdpx")
    assert project.store.project_uuid == identity
    assert _guids(tmp_path / "a.qdpx") == _guids(tmp_path / "b.qdpx")
    project.close()
