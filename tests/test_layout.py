"""Layering and packaging rules that a refactor could silently break."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from projects import REPO

CORE_MODULES = [
    "qualkit",
    "qualkit.project",
    "qualkit.cli",
    "qualkit.store",
    "qualkit.ingest.plan",
    "qualkit.codebook",
    "qualkit.transcripts",
    "qualkit.assist.suggest",
    "qualkit.assist.embed",
    "qualkit.assist.topics",
    "qualkit.assist.evaluate",
    "qualkit.agreement.stats",
    "qualkit.agreement.tables",
    "qualkit.reports",
    "qualkit.reports.exports",
    "qualkit.reports.docx",
    "qualkit.reports.xlsx",
]
HEAVY = [
    "textual",
    "torch",
    "sentence_transformers",
    "bertopic",
    "spacy",
    "umap",
    "docx",
    "openpyxl",
    "jinja2",
]


def test_core_never_imports_textual_or_heavy_libraries_at_import_time() -> None:
    code = (
        "import importlib, json, sys\n"
        f"for name in {CORE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout
    assert json.loads(out) == []


def test_every_package_folder_is_packaged() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    packaged = set(config["packages"])
    found = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "qualkit").rglob("__init__.py")
    } | {
        "qualkit.tui" + "".join("." + part for part in init.parent.relative_to(REPO / "tui").parts)
        for init in (REPO / "tui").rglob("__init__.py")
    }
    assert found == packaged, f"pyproject packages {sorted(packaged)} != folders {sorted(found)}"


def test_ruff_lint_and_format_are_clean() -> None:
    ruff = Path(sys.executable).parent / "ruff"
    if not ruff.exists():
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    for args in (["check", "."], ["format", "--check", "."]):
        proc = subprocess.run([str(ruff), *args], capture_output=True, text=True, cwd=REPO)
        assert proc.returncode == 0, proc.stdout + proc.stderr
