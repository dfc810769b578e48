"""A cheap fingerprint of what an ingest reads (each transcript file's name, size and modified
time, participants.csv and qualkit.yaml), so the workbench can skip its start-up ingest check
when nothing changed instead of reading and hashing every file of a large project."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from qualkit.transcripts.read import SUPPORTED_SUFFIXES

SIGNATURE_KEY = "ingest.folder_signature"


def folder_signature(root: Path) -> str:
    """Changes whenever a file an ingest reads is added, removed, renamed or written."""
    digest = hashlib.sha256()
    folder = root / "transcripts"
    entries: list[tuple[str, int, int]] = []
    for directory, subdirs, names in os.walk(folder):
        # hidden folders and files are never ingested (plan_ingest skips them too)
        subdirs[:] = [d for d in subdirs if not d.startswith(".")]
        for name in names:
            if name.startswith("."):
                continue
            if not name.lower().endswith((*SUPPORTED_SUFFIXES, ".csv")):
                continue
            path = os.path.join(directory, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            entries.append((os.path.relpath(path, folder), st.st_size, st.st_mtime_ns))
    for extra in (root / "qualkit.yaml",):
        try:
            st = extra.stat()
            entries.append((extra.name, st.st_size, st.st_mtime_ns))
        except OSError:
            entries.append((extra.name, -1, -1))
    for rel, size, mtime in sorted(entries):
        digest.update(f"{rel}\0{size}\0{mtime}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()
