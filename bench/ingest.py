"""Ingest benchmark: the 250 real interviews of ../shared/corpora/interviewer (~373k words).

Prints words per second and peak memory for a first ingest and for a re-ingest of the
unchanged corpus, with a baseline measured in the same run (reading, decoding and
word-splitting the same files: the least work any ingest must do), and the ratio to it.

Goals (issue 2): whole corpus < 5 s, unchanged re-ingest < 1 s on our 2-core machines.

    python bench/ingest.py
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

CHILD = r"""
import resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
from qualkit.project import Project
p = Project.open(sys.argv[1])
report = p.ingest()
first = time.perf_counter() - t0
t1 = time.perf_counter()
again = p.ingest()
second = time.perf_counter() - t1
assert not again.added and not again.updated, again.summary()
segments = len(p.segments(include_interviewer=True))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{first} {second} {peak} {segments} {len(report.added)}")
"""


def baseline(folder: Path) -> tuple[float, int]:
    start = time.perf_counter()
    words = 0
    for path in sorted(folder.glob("*.txt")):
        words += len(path.read_bytes().decode("utf-8").split())
    return time.perf_counter() - start, words


def main() -> None:
    from corpora import build_interviewer_project

    with tempfile.TemporaryDirectory() as tmp:
        root = build_interviewer_project(Path(tmp))
        base_s, words = baseline(root / "transcripts")
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(root)], capture_output=True, text=True, check=True
        ).stdout.split()
        first, second, peak_mb = float(out[0]), float(out[1]), float(out[2])
        segments, transcripts = int(out[3]), int(out[4])
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"corpus: {transcripts} transcripts, {words:,} words, {segments:,} segments")
    print(f"baseline (read + decode + split words): {base_s:.3f} s")
    print(
        f"first ingest (incl. imports): {first:.2f} s = {words / first:,.0f} words/s "
        f"({first / base_s:.0f}x baseline) goal < 5 s: {'PASS' if first < 5 else 'FAIL'}"
    )
    print(
        f"re-ingest, unchanged: {second:.3f} s ({second / base_s:.1f}x baseline) "
        f"goal < 1 s: {'PASS' if second < 1 else 'FAIL'}"
    )
    print(f"peak memory of the ingest process: {peak_mb:.0f} MB (this driver: {self_mb:.0f} MB)")


if __name__ == "__main__":
    main()
