"""Property tests (hypothesis) for the REFI-QDA importer: our own export of a small fictional
project, mutated (attributes dropped or altered, bad offsets, wrong GUID references, elements
removed or repeated, random bytes in project.qde, a truncated zip, a .qdc edited the same way),
gives an import or one clear qualkit error. Never a traceback, never past 10 s, never 1 GB more
memory, and a refused import changes nothing already stored."""

from __future__ import annotations

import atexit
import io
import resource
import shutil
import signal
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lxml import etree
from mutation import edit_bytes
from projects import write_tiny_project

from qualkit.errors import QualkitError
from qualkit.project import Project

REFI = settings(
    max_examples=40,
    deadline=None,  # the 10 s limit is an alarm (below): a hang fails, it does not stall
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,  # the same examples on every run: CI never flakes on a new one
)
SECONDS = 10
ONE_GB_KB = 1024 * 1024  # ru_maxrss is in KiB on Linux
CODES = ("access", "referral", "waiting", "impact", "bonding")

_FOLDER = Path(tempfile.mkdtemp(prefix="qk-refi-prop-"))
atexit.register(shutil.rmtree, _FOLDER, ignore_errors=True)


def _build() -> tuple[Path, Path, dict[str, bytes], bytes]:
    """The empty target project (a template), and our export of a coded fictional project:
    the .qdpx's entries and the .qdc's bytes."""
    source = _FOLDER / "source"
    write_tiny_project(source)
    with Project.open(source) as p:
        p.ingest()
        for i, s in enumerate(int(x) for x in p.segments().segment_id):
            p.code(s, CODES[i % 5], "ana")
            if i % 2:
                p.code(s, "waiting", "ben", memo="Fictional [memo] on a coding.")
        p.set_memo("project", "project", "ana", "Why we coded this way (fictional).")
        p.export_qdpx(_FOLDER / "study.qdpx")
        p.export_qdc(_FOLDER / "study.qdc")
    with zipfile.ZipFile(_FOLDER / "study.qdpx") as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    target = _FOLDER / "target-template"
    write_tiny_project(target)
    (target / "transcripts" / "p2.txt").unlink()  # one transcript already coded, one to come
    with Project.open(target) as p:
        p.ingest()
        p.code(int(p.segments().segment_id.iloc[0]), "access", "ana")
    return target, _FOLDER / "study.qdc", entries, (_FOLDER / "study.qdc").read_bytes()


TEMPLATE, QDC_PATH, ENTRIES, QDC = _build()
QDE = ENTRIES["project.qde"]
_COUNTER = iter(range(10**9))


def _fresh_project() -> Path:
    root = _FOLDER / f"p{next(_COUNTER)}"
    shutil.copytree(TEMPLATE, root)
    return root


def stored(root: Path) -> tuple:
    """What a refused import must leave alone: the database's rows and the project's files."""
    conn = sqlite3.connect(root / ".qualkit" / "project.db")
    try:
        counts = tuple(
            conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("transcripts", "segments", "codings", "memos", "events", "participants")
        )
    finally:
        conn.close()
    files = tuple(
        (p.name, p.read_bytes()) for p in sorted((root / "transcripts").iterdir()) if p.is_file()
    )
    return counts, (root / "codebook.yaml").read_bytes(), files


@contextmanager
def bounded() -> Iterator[None]:
    """Fail the example past SECONDS, or when the process's peak memory grew by 1 GB."""

    def too_long(*_: object) -> None:
        raise AssertionError(f"the import ran past {SECONDS} s")

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    previous = signal.signal(signal.SIGALRM, too_long)
    signal.alarm(SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown < ONE_GB_KB, f"peak memory grew by {grown // 1024} MB"


def import_or_refuse(data: bytes, name: str, action: Callable[[Project, Path], object]) -> None:
    root = _fresh_project()
    path = _FOLDER / f"{root.name}-{name}"
    path.write_bytes(data)
    before = stored(root)
    with Project.open(root) as project, bounded():
        try:
            action(project, path)
            event("imported")
        except QualkitError as exc:
            event("refused")
            message = str(exc)
            assert message.strip() and "\n" not in message.strip(), message
            assert "Traceback" not in message
            assert stored(root) == before, "a refused import changed what was stored"
    # whatever came in, the project still opens and reads
    with Project.open(root) as project:
        project.status()
    shutil.rmtree(root)
    path.unlink()


# -- mutations -----------------------------------------------------------------------------------

ATTRIBUTE_VALUES = st.sampled_from(
    [
        "",
        "-1",
        "0",
        "999999999",
        "1.5",
        "not-a-guid",
        "00000000-0000-0000-0000-000000000000",
        "internal://missing.txt",
        "internal://../../etc/passwd",
        "absolute:///etc/passwd",
        "x" * 5000,
        "[team member]",
        "\u202e",
        "true",
        "false",
    ]
)


@st.composite
def mutated_xml(draw: st.DrawFn, seed: bytes) -> bytes:
    """project.qde (or a .qdc) with a few structural edits: attributes dropped, altered, set to
    another element's GUID; offsets out of range or reversed; elements dropped or repeated."""
    tree = etree.fromstring(seed)
    elements = list(tree.iter())
    guids = [e.get("guid") for e in elements if e.get("guid")]
    for _ in range(draw(st.integers(1, 6))):
        element = draw(st.sampled_from(elements))
        if element.getparent() is None and draw(st.booleans()):
            continue  # the root: edit it less often
        what = draw(
            st.sampled_from(["drop", "alter", "guid", "offsets", "remove", "repeat", "text"])
        )
        names = sorted(element.attrib)
        if what == "drop" and names:
            del element.attrib[draw(st.sampled_from(names))]
        elif what == "alter" and names:
            element.set(draw(st.sampled_from(names)), draw(ATTRIBUTE_VALUES))
        elif what == "guid" and names:
            element.set(draw(st.sampled_from(names)), draw(st.sampled_from(guids)))
        elif what == "offsets":
            start = draw(st.integers(-10, 10**7))
            element.set("startPosition", str(start))
            element.set("endPosition", str(draw(st.sampled_from([start - 1, start, 10**9]))))
        elif what == "remove" and element.getparent() is not None:
            element.getparent().remove(element)
            elements = list(tree.iter())
        elif what == "repeat" and element.getparent() is not None:
            element.addnext(etree.fromstring(etree.tostring(element)))
            elements = list(tree.iter())
        elif what == "text":
            # any text XML allows (control characters cannot be written into XML at all)
            element.text = draw(
                st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=30)
            )
    return etree.tostring(tree, xml_declaration=True, encoding="utf-8")


@st.composite
def byte_mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """`seed` with a few bytes replaced, inserted or deleted."""
    return edit_bytes(draw, seed, b"\x00<>&\"'/=:;\n\xff\xfe\xe2\x80\xae0123456789-")


def qdpx_bytes(qde: bytes, drop_sources: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", qde)
        for name, data in ENTRIES.items():
            if name != "project.qde" and not drop_sources:
                archive.writestr(name, data)
    return out.getvalue()


WHOLE = qdpx_bytes(QDE)


@st.composite
def mutated_qdpx(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["structure", "bytes", "truncated", "random", "no-sources"]))
    if kind == "structure":
        return qdpx_bytes(draw(mutated_xml(QDE)))
    if kind == "bytes":
        return qdpx_bytes(draw(byte_mutated(QDE)))
    if kind == "truncated":
        return WHOLE[: draw(st.integers(0, len(WHOLE) - 1))]
    if kind == "no-sources":
        return qdpx_bytes(QDE, drop_sources=True)
    return draw(st.binary(max_size=2000))


def _import_qdpx(project: Project, path: Path) -> object:
    return project.import_qdpx(path)


def _import_qdc(project: Project, path: Path) -> object:
    return project.import_qdc(path)


def test_our_own_export_imports() -> None:
    """The unmutated file imports (so the mutations start from a file that works)."""
    root = _fresh_project()
    path = _FOLDER / "whole.qdpx"
    path.write_bytes(WHOLE)
    with Project.open(root) as project:
        report = project.import_qdpx(path)
        assert report.codings_added > 0
        assert len(project.transcript_ids()) == 2


@REFI
@given(mutated_qdpx())
def test_mutated_qdpx_imports_or_gives_one_clear_error(data: bytes) -> None:
    import_or_refuse(data, "study.qdpx", _import_qdpx)


@REFI
@given(st.one_of(mutated_xml(QDE), byte_mutated(QDE)))
def test_a_mutated_bare_qde_imports_or_gives_one_clear_error(data: bytes) -> None:
    import_or_refuse(data, "project.qde", _import_qdpx)


@REFI
@given(
    st.one_of(
        mutated_xml(QDC),
        byte_mutated(QDC),
        st.binary(max_size=1000),
        st.integers(0, len(QDC) - 1).map(lambda n: QDC[:n]),
    )
)
def test_a_mutated_qdc_imports_or_gives_one_clear_error(data: bytes) -> None:
    import_or_refuse(data, "study.qdc", _import_qdc)


@pytest.mark.slow
@settings(REFI, max_examples=150)
@given(st.one_of(mutated_qdpx(), mutated_xml(QDE)))
def test_many_more_mutated_refi_files_import_or_give_one_clear_error(data: bytes) -> None:
    """The same property over about four times the examples (`pytest -m slow`)."""
    import_or_refuse(data, "study.qdpx", _import_qdpx)
