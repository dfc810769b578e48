"""Scale benchmark: the interviewer corpus scaled up with variation to ~5k and ~50k segments
(and, with --million, to ~1,000,000), timing what a team does at each size.

    python bench/scale.py [--workdir /tmp/qk-scale] [--sizes 1,10] [--million]

Each size is a project generated at run time OUTSIDE the repository (copies of the 250 real
interviews of ../shared/corpora/interviewer; every copy after the first shuffles each turn's
sentences and swaps two words, so no two segments share a text and the embedding cache cannot
answer for a copy). Two coders' codings come from keyword rules over a generated codebook
(ben departs from ana on ~15% of units), imported as codings CSVs.

At each size, every step runs in a fresh interpreter and prints its wall time (imports not
included) and the peak RSS of that process:
  baseline   read, decode and word-split every transcript file (the least work ingest must do)
  ingest     Project.init + ingest
  import     `import codings` of both coders' CSVs
  open       Project.open + status() (what `qualkit status` shows)
  workbench  the real app, headless, to its first frame of the coding screen
  suggest    Suggester with `embedding_model: hashing-256` (cache fill + fit on ana's codings),
             then p95 of one segment's suggestions over 300 segments
  agreement  the two-coder report (1,000 bootstrap resamples) over every transcript, as text
  matrix     `export matrix --layer ana --allow-names` (codes by group, participants) to CSV
Then, per step, how its cost grows from the small to the large size, as the exponent k in
cost ~ size^k (1.0 = linear); anything over 1.15 is flagged.

With --million, ~1,000,000 segments (186 copies): the workbench opens headless and moves
through segments (j, n, page down, next transcript); prints start-up time, key latency p95 and
peak RSS. Building that project ingests ~70M words: about 5 minutes on 2 cores, once (it is
kept in the workdir and reused).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpora import interviewer_turns  # noqa: E402

# A generated codebook (benchmarks only): themes with coded children and the keyword stems a
# bench "coder" codes by. The words are common in the corpus, so each code gets used.
CODES: dict[str, dict[str, tuple[str, ...]]] = {
    "ai-use": {
        "writing": ("writ", "draft", "edit"),
        "coding": ("code", "program", "debug"),
        "research": ("research", "paper", "literature", "data"),
        "ideas": ("idea", "brainstorm", "creativ"),
    },
    "concerns": {
        "jobs": ("job", "replace", "career"),
        "accuracy": ("wrong", "hallucinat", "accura", "error", "mistake"),
        "ethics": ("ethic", "copyright", "consent", "bias"),
        "dependence": ("rely", "depend", "skill"),
    },
    "feelings": {
        "enjoyment": ("enjoy", "fun", "love", "excit"),
        "frustration": ("frustrat", "annoy", "tedious"),
    },
}
KEYS = {"writing": "w", "coding": "o", "research": "r", "jobs": "b"}
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
FLAG_EXPONENT = 1.15


# -- the generator -----------------------------------------------------------------------------


def codebook_yaml() -> str:
    lines = ["# Generated codebook for the scale benchmark (fictional rules).", "codes:"]
    for theme, children in CODES.items():
        lines += [f"  - id: {theme}", f"    name: {theme.replace('-', ' ').title()}"]
        lines.append("    children:")
        for code in children:
            lines += [f"      - id: {code}", f"        name: {code.title()}"]
            if code in KEYS:
                lines.append(f"        key: {KEYS[code]}")
    return "\n".join(lines) + "\n"


def vary(text: str, rng: random.Random) -> str:
    """The same turn told a little differently: sentences shuffled, two words swapped."""
    sentences = SENTENCE_END.split(text.strip())
    rng.shuffle(sentences)
    words = " ".join(sentences).split(" ")
    if len(words) >= 4:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def generate(dest: Path, copies: int, seed: int = 13) -> dict[str, int]:
    """Write `copies` variants of the interviewer corpus as a project in `dest`."""
    rng = random.Random(seed)
    folder = dest / "transcripts"
    folder.mkdir(parents=True, exist_ok=True)
    source = interviewer_turns()
    people: list[tuple[str, str]] = []
    words = 0
    for copy in range(copies):
        for interview_id, rows in source.items():
            tid = interview_id if copy == 0 else f"{interview_id}-v{copy}"
            people.append((tid, rows[0]["group"]))
            lines = ["---", f"id: {tid}", "kind: interview", "speakers:"]
            lines += ["  Assistant: interviewer", "  AI: interviewer", f"  User: {tid}", "---", ""]
            for row in rows:
                text = row["text"].strip()
                text = text if copy == 0 else vary(text, rng)
                words += len(text.split())
                lines += [f"{row['speaker_label']}: {text}", ""]
            (folder / f"{tid}.txt").write_text("\n".join(lines), encoding="utf-8")
    with (folder / "participants.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["participant_id", "group"])
        writer.writerows(people)
    (dest / "codebook.yaml").write_text(codebook_yaml(), encoding="utf-8")
    # hashing-256: deterministic and fast, so suggest is timed without a model download
    (dest / "qualkit.yaml").write_text("embedding_model: hashing-256\n", encoding="utf-8")
    return {"transcripts": copies * len(source), "words": words}


def keyword_codes(text: str) -> list[str]:
    lowered = text.lower()
    return [
        code
        for children in CODES.values()
        for code, stems in children.items()
        if any(stem in lowered for stem in stems)
    ][:2]


def write_codings(project, folder: Path, seed: int = 14) -> dict[str, Path]:  # noqa: ANN001
    """Codings CSVs for ana (keyword rules) and ben (ana's, ~15% of units changed)."""
    rng = random.Random(seed)
    all_codes = [c for children in CODES.values() for c in children]
    frame = project.segments()  # coding units only
    ana, ben = [], []
    for sid, text in zip(frame["segment_id"], frame["text"], strict=True):
        mine = keyword_codes(str(text))
        theirs = list(mine)
        if rng.random() < 0.15:
            theirs = [] if mine and rng.random() < 0.5 else [rng.choice(all_codes)]
        ana += [(int(sid), c) for c in mine]
        ben += [(int(sid), c) for c in theirs]
    paths = {}
    for coder, rows in (("ana", ana), ("ben", ben)):
        path = folder / f"codings-{coder}.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["segment_id", "code"])
            writer.writerows(rows)
        paths[coder] = path
    return paths


# -- the steps, each run in its own interpreter ---------------------------------------------------


def peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def step_baseline(root: Path) -> dict:
    started = time.perf_counter()
    words = 0
    for path in sorted((root / "transcripts").glob("*.txt")):
        words += len(path.read_bytes().decode("utf-8").split())
    return {"seconds": time.perf_counter() - started, "words": words}


def step_ingest(root: Path) -> dict:
    from qualkit.project import Project

    started = time.perf_counter()
    with Project.init(root) as project:
        report = project.ingest()
        seconds = time.perf_counter() - started
        segments = len(project.segments(include_interviewer=True))
        units = len(project.segments())
    return {
        "seconds": seconds,
        "segments": segments,
        "units": units,
        "transcripts": len(report.added),
    }


def step_import(root: Path) -> dict:
    from qualkit.project import Project

    with Project.open(root) as project:
        paths = write_codings(project, root.parent)
        started = time.perf_counter()
        imported = {coder: project.import_codings(path, coder) for coder, path in paths.items()}
        return {"seconds": time.perf_counter() - started, "codings": imported}


def step_open(root: Path) -> dict:
    from qualkit.project import Project

    started = time.perf_counter()
    with Project.open(root) as project:
        status = project.status()
    return {"seconds": time.perf_counter() - started, "keys": len(status)}


def step_workbench(root: Path) -> dict:
    import asyncio

    return asyncio.run(_workbench(root, keys=0))


async def _workbench(root: Path, keys: int) -> dict:
    """Start-up to the coding screen's first frame; then `keys` timed key presses."""
    import asyncio

    started = time.perf_counter()
    from qualkit.tui.app import CodingScreen, QualkitApp

    from qualkit.project import Project

    project = Project.open(root)
    app = QualkitApp(project, "ana", suggestions=False, cursor_blink=False)
    frames: list[float] = []
    original = app._display

    def display(screen, renderable) -> None:  # noqa: ANN001
        original(screen, renderable)
        if isinstance(screen, CodingScreen) and renderable is not None:
            frames.append(time.perf_counter())

    app._display = display
    latencies: list[float] = []
    by_key: dict[str, list[float]] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        while not frames:
            await asyncio.sleep(0.001)
        startup = frames[0] - started
        cycle = ("j", "j", "n", "pagedown", "j", "k", "ctrl+down", "n")
        for i in range(keys):
            before = len(frames)
            t = time.perf_counter()
            await pilot.press(cycle[i % len(cycle)])
            while len(frames) == before and time.perf_counter() - t < 5:
                await asyncio.sleep(0.0005)
            if len(frames) > before:
                latencies.append((frames[before] - t) * 1000)
                by_key.setdefault(cycle[i % len(cycle)], []).append(latencies[-1])
    project.close()
    out: dict = {"seconds": startup}
    if latencies:
        out |= {
            "key_p95_ms": p95(latencies),
            "keys_timed": len(latencies),
            "p95_by_key": {key: round(p95(values), 1) for key, values in by_key.items()},
        }
    return out


def step_suggest(root: Path) -> dict:
    import numpy as np

    from qualkit.assist.suggest import Suggester
    from qualkit.project import Project

    with Project.open(root) as project:
        started = time.perf_counter()
        suggester = Suggester(project, coder="ana")
        build = time.perf_counter() - started
        ids = suggester.table.frame["segment_id"].astype(int).to_numpy()
        rng = np.random.default_rng(0)
        latencies = []
        for sid in rng.choice(ids, size=min(300, len(ids)), replace=False):
            t = time.perf_counter()
            suggester.suggest([int(sid)], top_k=3)
            latencies.append((time.perf_counter() - t) * 1000)
        # a second build finds every vector cached: the cost a coder pays on a later start
        t = time.perf_counter()
        Suggester(project, coder="ana")
        rebuilt = time.perf_counter() - t
    return {
        "seconds": build,
        "p95_ms": p95(latencies),
        "rebuild_seconds": rebuilt,
        "exemplars": int(len(suggester.train_rows)),
    }


def step_agreement(root: Path) -> dict:
    from qualkit.agreement.render import render
    from qualkit.agreement.report import agreement_report
    from qualkit.project import Project

    with Project.open(root) as project:
        started = time.perf_counter()
        report = agreement_report(project, ["ana", "ben"], "code", project.transcript_ids())
        text = render(report, "text")
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "units": report.n_units, "chars": len(text)}


def step_matrix(root: Path) -> dict:
    from qualkit.project import Project
    from qualkit.reports.exports import export_matrix

    with Project.open(root) as project:
        started = time.perf_counter()
        path = export_matrix(
            project, root / "exports" / "matrix.csv", by=["group"], layer="ana", allow_names=True
        )
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "bytes": path.stat().st_size}


def step_million_keys(root: Path) -> dict:
    import asyncio

    return asyncio.run(_workbench(root, keys=200))


STEPS = {
    "baseline": step_baseline,
    "ingest": step_ingest,
    "import": step_import,
    "open": step_open,
    "workbench": step_workbench,
    "suggest": step_suggest,
    "agreement": step_agreement,
    "matrix": step_matrix,
    "keys": step_million_keys,
}
SIZE_STEPS = ("baseline", "ingest", "import", "open", "workbench", "suggest", "agreement", "matrix")


def run_step(name: str, root: Path, timeout: float = 3600) -> dict:
    """One step in a fresh interpreter: its figures and the peak RSS of that process."""
    done = subprocess.run(
        [sys.executable, __file__, "--step", name, str(root)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
        raise SystemExit(f"step {name} failed on {root}: {' '.join(tail)}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the report -------------------------------------------------------------------------------


def describe(name: str, r: dict) -> str:
    extra = {
        "baseline": lambda: f"{r['words']:,} words",
        "ingest": lambda: (
            f"{r['segments']:,} segments ({r['units']:,} units), {r['transcripts']:,} transcripts"
        ),
        "import": lambda: (
            f"codings CSVs: ana {r['codings']['ana']:,}, ben {r['codings']['ben']:,} (keyword "
            "rules, written before timing)"
        ),
        "open": lambda: "",
        "workbench": lambda: "first frame of the coding screen",
        "suggest": lambda: (
            f"build (embed + fit, {r['exemplars']:,} exemplars); one segment p95 "
            f"{r['p95_ms']:.2f} ms; cached rebuild {r['rebuild_seconds']:.1f} s"
        ),
        "agreement": lambda: f"{r['units']:,} units, 1,000 resamples",
        "matrix": lambda: f"{r['bytes']:,} bytes of CSV",
    }[name]()
    return f"  {name:<10} {r['seconds']:8.2f} s  peak {r['peak_mb']:7.0f} MB  {extra}"


def growth(small: float, large: float, data_ratio: float) -> tuple[float, float]:
    """(cost ratio, exponent k in cost ~ size^k)."""
    ratio = large / small if small > 0 else math.inf
    return ratio, math.log(ratio) / math.log(data_ratio) if ratio > 0 else math.nan


def measure_size(workdir: Path, copies: int) -> dict[str, dict]:
    root = workdir / f"x{copies}" / "study"
    if root.parent.exists():
        import shutil

        shutil.rmtree(root.parent)
    root.mkdir(parents=True)
    t = time.perf_counter()
    made = generate(root, copies)
    print(
        f"\n{copies} cop{'y' if copies == 1 else 'ies'}: generated {made['transcripts']:,} "
        f"transcripts, {made['words']:,} words in {time.perf_counter() - t:.1f} s ({root})"
    )
    results = {}
    for name in SIZE_STEPS:
        results[name] = run_step(name, root)
        print(describe(name, results[name]), flush=True)
    return results


def report_growth(small: dict[str, dict], large: dict[str, dict]) -> None:
    n_small, n_large = small["ingest"]["segments"], large["ingest"]["segments"]
    data = n_large / n_small
    print(
        f"\ngrowth from {n_small:,} to {n_large:,} segments ({data:.1f}x data); "
        f"k: cost ~ size^k, 1.0 = linear, flagged above {FLAG_EXPONENT}"
    )
    rows = [(name, "seconds") for name in SIZE_STEPS] + [
        ("suggest", "p95_ms"),
        ("suggest", "rebuild_seconds"),
    ]
    for name, key in rows:
        ratio, k = growth(small[name][key], large[name][key], data)
        label = name if key == "seconds" else f"{name} {key}"
        flag = "  <-- worse than near-linear" if k > FLAG_EXPONENT else ""
        print(f"  {label:<24} x{ratio:6.1f}  k={k:5.2f}{flag}")
    for name in SIZE_STEPS:
        ratio, _ = growth(small[name]["peak_mb"], large[name]["peak_mb"], data)
        print(
            f"  {name + ' peak RSS':<24} {small[name]['peak_mb']:6.0f} -> "
            f"{large[name]['peak_mb']:6.0f} MB (x{ratio:.1f})"
        )


def measure_million(workdir: Path, copies: int) -> None:
    root = workdir / "million" / "study"
    if not (root / ".qualkit" / "project.db").exists():
        root.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        made = generate(root, copies)
        print(
            f"\nmillion: generated {made['transcripts']:,} transcripts "
            f"in {time.perf_counter() - t:.0f} s"
        )
        built = run_step("ingest", root, timeout=4 * 3600)
        print(describe("ingest", built), flush=True)
    keys = run_step("keys", root)
    print(
        f"  workbench at 1M: start-up {keys['seconds']:.2f} s, key p95 "
        f"{keys.get('key_p95_ms', math.nan):.1f} ms over {keys.get('keys_timed', 0)} keys, "
        f"peak {keys['peak_mb']:.0f} MB"
    )
    if "p95_by_key" in keys:
        print(
            "  key p95 by key: " + ", ".join(f"{k} {v} ms" for k, v in keys["p95_by_key"].items())
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/qk-scale"))
    parser.add_argument("--sizes", default="1,10", help="copies of the corpus per size")
    parser.add_argument("--million", action="store_true", help="also the 1M-segment workbench")
    parser.add_argument("--million-copies", type=int, default=186)
    parser.add_argument("--step", nargs=2, metavar=("STEP", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        name, root = args.step
        result = STEPS[name](Path(root))
        result["peak_mb"] = peak_mb()
        print(json.dumps(result))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    measured = [measure_size(args.workdir, copies) for copies in sizes]
    for small, large in zip(measured, measured[1:], strict=False):
        report_growth(small, large)
    if args.million:
        measure_million(args.workdir, args.million_copies)


if __name__ == "__main__":
    main()
