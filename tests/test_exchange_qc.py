"""A real third-party reader: the `qc` program (PyPI `qualitative-coding`, AGPL) imports our
.qdpx of the demo study, and its codes and coded lines match ours.

qc is only ever run as an external program from its own virtual environment (never imported,
never copied). The environment is cached under /tmp per version, so a CI run builds it once;
the test skips cleanly when the package cannot be installed (offline machine).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from projects import copy_demo_project

from qualkit.project import Project

QC_VERSION = os.environ.get("QUALKIT_QC_VERSION", "1.7.8")
QC_VENV = Path(os.environ.get("QUALKIT_QC_VENV", f"/tmp/qualkit-qc-venv-{QC_VERSION}"))

pytestmark = pytest.mark.slow


def _qc_program() -> Path:
    program = QC_VENV / "bin" / "qc"
    if program.exists():
        return program
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", str(QC_VENV)], check=True, capture_output=True
        )
        subprocess.run(
            [str(QC_VENV / "bin" / "pip"), "install", "-q", f"qualitative-coding=={QC_VERSION}"],
            check=True,
            capture_output=True,
            timeout=600,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"qualitative-coding {QC_VERSION} cannot be installed here: {exc}")
    if not program.exists():
        pytest.skip("qualitative-coding installed no 'qc' program")
    return program


def _names(entries: list) -> set[str]:
    """Code names in qc's codebook.yaml: '- Name' or '- Name: [children]'."""
    found: set[str] = set()
    for entry in entries or []:
        if isinstance(entry, dict):
            for name, children in entry.items():
                found.add(str(name))
                found |= _names(children)
        else:
            found.add(str(entry))
    return found


def test_qc_imports_our_export_of_the_demo_study(tmp_path: Path) -> None:
    qc = _qc_program()
    project = Project.open(copy_demo_project(tmp_path / "demo"))
    project.ingest()
    leaves = [c.id for c in project.codebook if not c.children]
    for i, seg in enumerate(project.segments().itertuples()):
        if i % 5 == 0:
            project.code(seg.segment_id, leaves[i % len(leaves)], "ana")
        if i % 9 == 0:
            span = (3, 12) if i % 2 and len(seg.text) > 12 else None  # an exact span
            project.code(seg.segment_id, leaves[(i + 2) % len(leaves)], "ben", span=span)
    project.export_qdpx(tmp_path / "study.qdpx")

    folder = tmp_path / "qc-project"
    folder.mkdir()
    env = {**os.environ, "PYTHONBREAKPOINT": "0"}  # qc 1.7.8 left a breakpoint() in its reader
    run = subprocess.run(
        [str(qc), "init", "--import", str(tmp_path / "study.qdpx")],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]

    theirs = _names(yaml.safe_load((folder / "codebook.yaml").read_text(encoding="utf-8")))
    assert theirs == {c.name for c in project.codebook}

    # Every document came in with exactly our text (qc's "verbatim" importer copies it).
    corpus = {f.stem: f.read_text(encoding="utf-8") for f in (folder / "corpus").glob("*.txt")}
    assert set(corpus) == set(project.transcript_ids())
    for tid, text in corpus.items():
        assert text == project.transcript_text(tid)

    # Ours, per (document, code, coder): the line (0-based, in the document qc keeps) where
    # each coding's exact span starts. qc keeps one coded line per selection's start.
    book = project.codebook
    ours: dict[tuple[str, str, str], set[int]] = {}
    applied: set[tuple[str, str]] = set()  # (code, coder)
    for r in project.codings().itertuples():
        segment = project.store.segment_row(int(r.segment_id))
        offset = 0 if r.span_start is None or r.span_start != r.span_start else int(r.span_start)
        start = segment.start + offset
        line = project.transcript_text(r.transcript).count("\n", 0, start)
        key = (r.transcript, book.get(r.code).name, r.coder)
        ours.setdefault(key, set()).add(line)
        applied.add(key[1:])

    con = sqlite3.connect(folder / "qualitative_coding.sqlite3")
    try:
        # Reading qc's database file is reading its output, not using its code.
        rows = con.execute(
            "SELECT d.document_id, cl.line, cl.code_id, cl.coder_id FROM coded_line cl "
            "JOIN coded_line_location_association a ON a.coded_line_id = cl.id "
            "JOIN location l ON l.id = a.location_id "
            "JOIN document_index d ON d.id = l.document_index_id"
        ).fetchall()
        unplaced = con.execute(
            "SELECT COUNT(*) FROM coded_line WHERE id NOT IN "
            "(SELECT coded_line_id FROM coded_line_location_association)"
        ).fetchone()[0]
    finally:
        con.close()
    assert unplaced == 0
    theirs: dict[tuple[str, str, str], list[int]] = {}
    for document, line, code, coder in rows:
        theirs.setdefault((Path(document).stem, code, coder), []).append(line)
    # Each (document, code, coder) we applied is there, and nothing else.
    assert set(theirs) == set(ours)
    # qc's text for each coded line is a line of our document.
    for (tid, _code, _coder), lines in theirs.items():
        assert all(0 <= line < len(corpus[tid].split("\n")) for line in lines)
    if QC_VERSION == "1.7.8":
        # qc 1.7.8's reader puts every imported selection on line 0 of its document (its
        # get_line_for_position returns the first line for any position) and keeps one coded
        # line per (line, code, coder): per code and coder it reports one line per document.
        for key, lines in theirs.items():
            assert lines == [0], key
        for code, coder in applied:
            documents = {tid for (tid, c, who) in ours if (c, who) == (code, coder)}
            reported = sum(
                len(v) for (_t, c, who), v in theirs.items() if (c, who) == (code, coder)
            )
            assert reported == len(documents)
    else:
        # A qc that counts lines must report the line each of our codings starts on.
        for key, lines in theirs.items():
            assert set(lines) == ours[key], key


def test_the_report_does_not_read_unchecked_names_as_bad_offsets() -> None:
    """QualCoder names a selection "line:12": the report said "0 of 158 match", which reads
    like broken offsets."""
    from qualkit.exchange.qdpx_import import ImportReport

    none = ImportReport("qc.qdpx", "QualCoder", names_checked=158, names_matched=0).summary()
    assert "0 of 158" not in none and "the offsets placed them" in none
    some = ImportReport("x.qdpx", "MAXQDA", names_checked=10, names_matched=9).summary()
    assert "selected text checked against @name: 9 of 10 match" in some
