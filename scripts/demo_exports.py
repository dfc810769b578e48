"""Regenerate the demo study's committed exports in exports/: `python scripts/demo_exports.py`.

The demo (codebook.yaml, qualkit.yaml, pseudonyms.yaml, transcripts/) is copied to a temporary
project, the fictional coding layer in scripts/demo/codings-ana.csv is imported as coder "ana",
and `export all` writes into exports/. The date printed in the exports is fixed (see
DEMO_DATE), so the files only change when the demo or the exporters do; tests/test_demo_exports.py
fails when the committed files are out of date.

The coding layer is qualkit's own top suggestion (codebook only, before any coding) for every
participant segment of six words or more: a demonstration of the exports, not an analysis.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO_FILES = ("codebook.yaml", "qualkit.yaml", "pseudonyms.yaml")
CODINGS = REPO / "scripts" / "demo" / "codings-ana.csv"
DEMO_DATE = "1764460800"  # 2025-11-30, as SOURCE_DATE_EPOCH


def build_demo_exports(out: Path) -> list[Path]:
    """Write the demo study's exports into `out`; return the files written."""
    from qualkit.project import Project
    from qualkit.reports.exports import export_all

    os.environ["SOURCE_DATE_EPOCH"] = DEMO_DATE
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "demo"
        root.mkdir()
        for name in DEMO_FILES:
            shutil.copy(REPO / name, root / name)
        shutil.copytree(REPO / "transcripts", root / "transcripts")
        with Project.open(root, create=True) as project:
            project.ingest()
            project.import_codings(CODINGS, "ana")
            done = export_all(project, folder=out)
    return list(done.written)


if __name__ == "__main__":
    written = build_demo_exports(REPO / "exports")
    for path in written:
        print(f"wrote {path.relative_to(REPO)}")
    sys.exit(0)
