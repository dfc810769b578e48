"""Ingest splits long turns with spaCy's rule-based sentencizer without loading torch (which
thinc, under spaCy, imports whenever it is installed: ~1 s and ~250 MB for nothing), and torch
still loads normally afterwards for embedding."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from projects import copy_demo_project

SCRIPT = """
import json, sys
from qualkit.project import Project
with Project.open(sys.argv[1]) as p:
    report = p.ingest()
    units = len(p.segments())
loaded = {name: name in sys.modules for name in ("spacy", "torch")}
from sentence_transformers import SentenceTransformer  # torch must still import after
import torch
print(json.dumps({"loaded": loaded, "units": units, "torch": torch.__version__}))
"""


def test_ingest_splits_long_turns_without_loading_torch(tmp_path: Path) -> None:
    root = copy_demo_project(tmp_path / "demo")
    (root / "qualkit.yaml").write_text("max_words: 12\n", encoding="utf-8")  # forces splitting
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(root)], capture_output=True, text=True, check=True
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["loaded"] == {"spacy": True, "torch": False}
    assert found["units"] > 0 and found["torch"]


def test_a_thread_importing_torch_meanwhile_is_not_refused() -> None:
    """While spaCy loads with torch hidden, a torch import elsewhere waits instead of failing."""
    script = """
import sys, threading
from qualkit.heavy_imports import import_spacy, torch_may_load
errors = []
def load_torch():
    try:
        with torch_may_load():
            import torch
    except Exception as exc:
        errors.append(repr(exc))
t = threading.Thread(target=load_torch)
t.start()
import_spacy()
t.join()
print(errors)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
