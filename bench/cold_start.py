"""Time to the first suggestion in a fresh workbench, with the real model (goal: under 5 s).

    python bench/cold_start.py [--runs 2] [--workdir /tmp/qualkit-bench-cold]

The demo study shipped in the repository (fictional) is copied to a temp folder and ingested.
Each measurement is a fresh interpreter that opens the real app headless at 80x24 and waits for
the suggestions of the segment under the cursor:

* cold: the embedding cache is empty (the model loads, the segment's neighbourhood and the
  codebook are embedded, then the first suggestion);
* new transcript: right after that, a transcript the background embedding has not reached is
  opened; time from opening it to its first suggestion;
* warm: the whole project is already in the cache.

The baseline, measured in the same run the same way, is a fresh interpreter that only loads the
model and embeds one sentence: the part of a cold start no scheduling can remove.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEMO_FILES = ("codebook.yaml", "transcripts", "qualkit.yaml", "pseudonyms.yaml")

CHILD_BASELINE = r"""
import time
t0 = time.perf_counter()
from qualkit.assist.embed import SentenceTransformerEmbedder
embedder = SentenceTransformerEmbedder()
embedder.encode(["How did you first hear about the group?"])
print(f"{time.perf_counter() - t0:.4f}", flush=True)
"""

CHILD_APP = r"""
import time
t0 = time.perf_counter()
import asyncio, json, os, sys
from pathlib import Path
from qualkit.project import Project
from qualkit.tui.app import QualkitApp
from qualkit.tui.screens.coding import CodingScreen

root = Path(sys.argv[1])
other = sys.argv[2] if len(sys.argv) > 2 else ""
project = Project.open(root)
app = QualkitApp(project, "bench")
out = {}

async def suggested(pilot, screen, limit=300.0):
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        item = screen.view.current
        if item is not None and screen._suggested_for == item.segment_id:
            return time.perf_counter()
        await pilot.pause(0.02)
    raise SystemExit("no suggestion within the limit")

async def main():
    async with app.run_test(size=(80, 24)) as pilot:
        while not isinstance(app.screen, CodingScreen):
            await pilot.pause(0.02)
        screen = app.screen
        out["first_frame"] = time.perf_counter() - t0
        out["first_suggestion"] = await suggested(pilot, screen) - t0
        out["transcript"] = screen.transcript
        model_id = screen.embedding.embedder.model_id
        out["cached_at_first"] = project.store.embedding_count(model_id)
        out["segments"] = len(project.segments(include_interviewer=True))
        if other:
            opened = time.perf_counter()
            screen.open_transcript(other)
            out["new_transcript"] = await suggested(pilot, screen) - opened
        out["suggestions"] = len(screen.suggestions)

asyncio.run(main())
print(json.dumps(out), flush=True)
sys.stdout.flush()
os._exit(0)  # the background embedding may be inside the model: leave as a kill would
"""

CHILD_EMBED_ALL = r"""
import sys
from qualkit.project import Project
from qualkit.assist.embed import embed_segments
with Project.open(sys.argv[1]) as project:
    embed_segments(project)
"""


def child(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"child failed ({done.returncode}): {done.stderr.strip()[-800:]}")
    lines = done.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def fresh_demo(workdir: Path) -> Path:
    """A copy of the demo study with an empty embedding cache, ingested."""
    root = workdir / "demo"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    for name in DEMO_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            shutil.copy2(source, root / name)
    subprocess.run(
        [sys.executable, "-m", "qualkit.cli", "ingest"],
        cwd=root,
        check=True,
        capture_output=True,
    )
    return root


def last_transcript(root: Path) -> str:
    code = (
        "import sys\nfrom qualkit.project import Project\n"
        "with Project.open(sys.argv[1]) as p: print(p.transcript_ids()[-1])"
    )
    return child(code, str(root))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="qualkit-bench-cold-"))
    baseline: list[float] = []
    cold: list[dict] = []
    warm: list[dict] = []
    for run in range(args.runs):
        baseline.append(float(child(CHILD_BASELINE)))
        root = fresh_demo(workdir)
        other = last_transcript(root)
        cold.append(json.loads(child(CHILD_APP, str(root), other)))
        child(CHILD_EMBED_ALL, str(root))
        warm.append(json.loads(child(CHILD_APP, str(root))))
        c = cold[-1]
        print(
            f"run {run + 1}: model load {baseline[-1]:.2f} s; cold {c['first_suggestion']:.2f}"
            f" s; new transcript {c['new_transcript']:.2f} s; warm "
            f"{warm[-1]['first_suggestion']:.2f} s",
            flush=True,
        )
    base = statistics.median(baseline)

    def row(name: str, values: list[float]) -> None:
        median = statistics.median(values)
        print(f"{name:<44} {median:7.2f} s   {median / base:5.2f}x model load")

    first = cold[0]
    print(
        f"\ndemo study: {first['segments']} segments; at the first suggestion "
        f"{first['cached_at_first']} texts were embedded (segments of the window, codings, "
        "codebook), the rest in the background"
    )
    print(f"{'baseline: load the model, embed one sentence':<44} {base:7.2f} s")
    row("first frame of the workbench (cold)", [c["first_frame"] for c in cold])
    row("first suggestion, empty cache", [c["first_suggestion"] for c in cold])
    row("first suggestion, a transcript not yet embedded", [c["new_transcript"] for c in cold])
    row("first suggestion, warm cache", [w["first_suggestion"] for w in warm])


if __name__ == "__main__":
    main()
