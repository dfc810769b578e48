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
            project.code(seg.segment_id, leaves[(i + 2) % len(leaves)], "ben")
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

    # Every document came in with our words (qc may re-wrap lines, so compare the words).
    corpus = {f.stem: f.read_text(encoding="utf-8") for f in (folder / "corpus").glob("*.txt")}
    assert set(corpus) == set(project.transcript_ids())
    for tid, text in corpus.items():
        assert text.split() == project.transcript_text(tid).split()

    # qc codes whole lines; each (code, coder) we applied is applied there, and nothing else.
    book = project.codebook
    ours = {(book.get(r.code).name, r.coder) for r in project.codings().itertuples()}
    con = sqlite3.connect(folder / "qualitative_coding.sqlite3")
    try:
        # Reading qc's database file is reading its output, not using its code.
        theirs_applied = set(con.execute("SELECT DISTINCT code_id, coder_id FROM coded_line"))
    finally:
        con.close()
    assert theirs_applied == ours
