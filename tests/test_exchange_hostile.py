"""Hostile or broken exchange files are refused with one clear line, and nothing changes."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from projects import snapshot, write_tiny_project

from qualkit.exchange.safe_archive import ExchangeError
from qualkit.project import Project

MINIMAL_QDE = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="t" origin="test">
<Users><User guid="11111111-1111-1111-1111-111111111111" name="ana"/></Users>
<CodeBook><Codes><Code guid="22222222-2222-2222-2222-222222222222" name="Hope"
 isCodable="true"/></Codes></CodeBook>
<Sources><TextSource guid="33333333-3333-3333-3333-333333333333" name="notes"
 plainTextPath="internal://33333333-3333-3333-3333-333333333333.txt">
<PlainTextSelection guid="44444444-4444-4444-4444-444444444444" startPosition="0"
 endPosition="9" name="Fictional"><Coding guid="55555555-5555-5555-5555-555555555555"
 creatingUser="11111111-1111-1111-1111-111111111111"><CodeRef
 targetGUID="22222222-2222-2222-2222-222222222222"/></Coding></PlainTextSelection>
</TextSource></Sources></Project>
"""
TEXT = "Fictional field notes.\n\nA second paragraph.\n"


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = write_tiny_project(tmp_path / "p")
    project = Project.open(root)
    project.ingest()
    return project


def _refused(project: Project, archive: Path, words: str) -> None:
    before = snapshot(project.root)
    with pytest.raises(ExchangeError) as info:
        project.import_qdpx(archive)
    message = str(info.value)
    assert "\n" not in message and words in message, message
    assert snapshot(project.root) == before


def test_a_well_formed_minimal_file_imports(project: Project, tmp_path: Path) -> None:
    source = "sources/33333333-3333-3333-3333-333333333333.txt"
    archive = _zip(tmp_path / "ok.qdpx", {"project.qde": MINIMAL_QDE, source: TEXT})
    report = project.import_qdpx(archive)
    assert report.codings_carried == 1
    assert report.documents == ["notes"]
    coding = project.codings(coder="ana").iloc[0]
    assert coding.quote == "Fictional"


@pytest.mark.parametrize(
    "entry, words",
    [
        ("../evil.txt", "climbs out"),
        ("sources/../../evil.txt", "climbs out"),
        ("/etc/evil.txt", "absolute path"),
        ("C:/Windows/evil.txt", "absolute path"),
    ],
)
def test_zip_entries_escaping_the_folder_are_refused(
    project: Project, tmp_path: Path, entry: str, words: str
) -> None:
    archive = _zip(tmp_path / "bad.qdpx", {"project.qde": MINIMAL_QDE, entry: b"x"})
    _refused(project, archive, words)


def test_external_entities_are_refused(project: Project, tmp_path: Path) -> None:
    qde = MINIMAL_QDE.replace(
        '<?xml version="1.0" encoding="utf-8"?>',
        '<?xml version="1.0"?>\n<!DOCTYPE Project [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    ).replace('name="Hope"', 'name="&x;"')
    _refused(project, _zip(tmp_path / "xxe.qdpx", {"project.qde": qde}), "DOCTYPE")


def test_entity_expansion_bombs_are_refused(project: Project, tmp_path: Path) -> None:
    lol = "".join(f'<!ENTITY l{i} "{"&l" + str(i - 1) + ";" * 10}">' for i in range(1, 10))
    qde = MINIMAL_QDE.replace(
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY l0 "lol">{lol}]>',
    ).replace('name="Hope"', 'name="&l9;"')
    _refused(project, _zip(tmp_path / "lol.qdpx", {"project.qde": qde}), "entit")


def test_archives_expanding_like_a_bomb_are_refused(project: Project, tmp_path: Path) -> None:
    archive = _zip(
        tmp_path / "bomb.qdpx",
        {"project.qde": MINIMAL_QDE, "sources/zeros.txt": b"\0" * (64 * 1024 * 1024)},
    )
    _refused(project, archive, "zip bomb")


@pytest.mark.parametrize(
    "entries, words",
    [
        ({"readme.txt": b"hi"}, "exactly one .qde"),
        ({"a.qde": MINIMAL_QDE, "b.qde": MINIMAL_QDE}, "exactly one .qde"),
        ({"project.qde": "<Project"}, "not well-formed"),
        ({"project.qde": "<CodeBook/>"}, "not a REFI-QDA project"),
    ],
)
def test_broken_archives_are_refused(
    project: Project, tmp_path: Path, entries: dict, words: str
) -> None:
    _refused(project, _zip(tmp_path / "broken.qdpx", entries), words)


def test_a_file_that_is_not_a_zip_is_refused(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "fake.qdpx"
    path.write_text("not a zip", encoding="utf-8")
    _refused(project, path, "not a zip archive")


def test_qualkit_files_are_held_to_the_schema(project: Project, tmp_path: Path) -> None:
    project.export_qdpx(tmp_path / "ours.qdpx")
    with zipfile.ZipFile(tmp_path / "ours.qdpx") as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    # A source text missing from the archive: lenient for other tools, refused in our own.
    del entries[next(name for name in entries if name.startswith("sources/"))]
    _refused(project, _zip(tmp_path / "tampered.qdpx", entries), "written by qualkit but invalid")


@pytest.mark.parametrize("offset", [70_000, 65_536 - 5])  # far in, and near a read boundary
def test_a_doctype_anywhere_in_a_streamed_file_is_refused(
    project: Project, tmp_path: Path, offset: int
) -> None:
    """The .qde is parsed as a stream: a declaration far into it (or split across two reads
    of the stream) is refused like one at the top."""
    head = '<?xml version="1.0" encoding="utf-8"?>\n<!-- '
    filler = "x" * (offset - len(head))
    qde = head + filler + ' --><!DOCTYPE p [<!ENTITY e "boom">]>' + MINIMAL_QDE.split("?>", 1)[1]
    archive = _zip(tmp_path / "late.qdpx", {"project.qde": qde.encode("utf-8")})
    _refused(project, archive, "DOCTYPE")


def test_a_guid_used_twice_in_our_own_file_is_refused_by_name(
    project: Project, tmp_path: Path
) -> None:
    """qualkit's files are checked as they stream (8 bytes kept per GUID); a GUID used twice
    is still named in the message."""
    project.code(int(project.segments().iloc[0].segment_id), "referral", "ana")
    project.code(int(project.segments().iloc[1].segment_id), "referral", "ana")
    project.export_qdpx(tmp_path / "ours.qdpx")
    with zipfile.ZipFile(tmp_path / "ours.qdpx") as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    import re

    qde = entries["project.qde"].decode("utf-8")
    codings = re.findall(r'<Coding guid="([^"]+)"', qde)
    assert len(codings) == 2
    entries["project.qde"] = qde.replace(codings[1], codings[0]).encode("utf-8")
    _refused(project, _zip(tmp_path / "twice.qdpx", entries), f"GUID {codings[0]} is used more")


@pytest.mark.parametrize("folder_exists", [False, True])
def test_a_refused_import_into_a_new_project_leaves_no_project_behind(
    tmp_path: Path, folder_exists: bool
) -> None:
    import os
    import subprocess
    import sys

    qde = MINIMAL_QDE.replace(
        '<?xml version="1.0" encoding="utf-8"?>',
        '<?xml version="1.0"?>\n<!DOCTYPE Project [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    )
    archive = _zip(tmp_path / "xxe.qdpx", {"project.qde": qde})
    target = tmp_path / "new-study"
    if folder_exists:
        target.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "qualkit.cli", "import", "qdpx", str(archive), "-p", str(target)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert done.returncode == 1
    assert "DOCTYPE" in done.stderr and "Traceback" not in done.stderr
    assert "created project" not in done.stdout
    if folder_exists:
        assert target.is_dir() and list(target.iterdir()) == []  # the user's folder stays
    else:
        assert not target.exists()
