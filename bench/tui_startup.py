"""Workbench start-up to first paint on the 250-interview corpus (goal: under 1.5 s).

    python bench/tui_startup.py [--runs 5] [--workdir /tmp/qualkit-bench-tui]

The project is built once from ../shared/corpora/interviewer (outside the repository) and
ingested; each run is a fresh interpreter that imports qualkit, opens the project and runs the
real app headless until its first frame of the coding screen is composed. The baseline, measured
in the same run the same way, is a bare Textual app with one Static.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD_QUALKIT = r"""
import time
t0 = time.perf_counter()
import sys
from pathlib import Path
from qualkit.project import Project
from qualkit.tui.app import CodingScreen, QualkitApp

project = Project.open(Path(sys.argv[1]))
app = QualkitApp(project, "bench")
original = app._display
done = []

def display(screen, renderable):
    original(screen, renderable)
    if isinstance(screen, CodingScreen) and renderable is not None and not done:
        done.append(1)
        print(f"{time.perf_counter() - t0:.4f}", flush=True)
        app.exit()

app._display = display
app.run(headless=True, size=(120, 40))
"""

CHILD_BASELINE = r"""
import time
t0 = time.perf_counter()
from textual.app import App
from textual.widgets import Footer, Header, Static

class Bare(App):
    def compose(self):
        yield Header()
        yield Static("hello")
        yield Footer()

app = Bare()
original = app._display
done = []

def display(screen, renderable):
    original(screen, renderable)
    if renderable is not None and not done:
        done.append(1)
        print(f"{time.perf_counter() - t0:.4f}", flush=True)
        app.exit()

app._display = display
app.run(headless=True, size=(120, 40))
"""


def build(workdir: Path) -> Path:
    root = workdir / "interviewer"
    if (root / ".qualkit" / "project.db").exists():
        return root
    sys.path.insert(0, str(HERE))
    from corpora import build_interviewer_project  # noqa: E402  (bench/ helper)

    from qualkit.project import Project

    build_interviewer_project(root)
    started = time.perf_counter()
    with Project.open(root, create=True) as project:
        report = project.ingest()
    print(f"built and ingested in {time.perf_counter() - started:.1f} s: {report.summary()}")
    return root


def run_child(code: str, *args: str) -> tuple[float, float]:
    """(seconds to first paint inside the child, wall seconds seen from here)."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )
    wall = time.perf_counter() - started
    lines = [ln for ln in out.stdout.splitlines() if ln.strip()]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"child failed ({out.returncode}): {out.stderr[-2000:]}")
    return float(lines[-1]), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "qk-bench-tui"
    )
    args = parser.parse_args()
    root = build(args.workdir)

    from qualkit.project import Project

    with Project.open(root) as project:
        status = project.status()
    print(
        f"project: {status['transcripts']} transcripts, {status['segments']} participant "
        f"segments, {status['interviewer_segments']} interviewer segments"
    )
    run_child(CHILD_QUALKIT, str(root))  # warm the OS file cache once
    qualkit = [run_child(CHILD_QUALKIT, str(root)) for _ in range(args.runs)]
    baseline = [run_child(CHILD_BASELINE) for _ in range(args.runs)]
    q_paint = statistics.median(p for p, _ in qualkit)
    b_paint = statistics.median(p for p, _ in baseline)
    q_wall = statistics.median(w for _, w in qualkit)
    b_wall = statistics.median(w for _, w in baseline)
    print(f"runs: {args.runs} each (median)")
    print(f"qualkit workbench first paint: {q_paint:.3f} s in-process, {q_wall:.3f} s wall")
    print(f"bare Textual app first paint:  {b_paint:.3f} s in-process, {b_wall:.3f} s wall")
    print(
        f"ratio qualkit / bare: {q_paint / b_paint:.2f}x; goal < 1.5 s: "
        f"{'met' if q_wall < 1.5 else 'NOT met'} (wall)"
    )


if __name__ == "__main__":
    main()
