"""REFI-QDA import benchmark: a 1,000-source, 100,000-coding .qdpx written by our own exporter.

The file is generated (fictional text: 1,000 interviews of 50 short turns, 100 codes, two
coders, 100 codings per source), written with qualkit's REFI writer and zip layout, then
imported into a fresh project in a child process. Prints the import time, the peak memory
(RSS) of the importing process, and the ratio to a baseline measured in the same run (a plain
ingest of the same 1,000 transcripts from files: the least work an import must also do). A
re-import of the same file into the imported project (every transcript already there, so no
ingest) shows the import's own memory: streaming, it must not grow with the codings. The
run is repeated for each --codings-per-source (10 and 100: 10,000 and 100,000 codings).

Goal (issue 11): import in under 30 s on our 2-core machines, with bounded memory.

    python bench/qdpx_import.py [--sources 1000] [--codings-per-source 10 100]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import resource, sys, time
from pathlib import Path
from qualkit.project import Project
mode, target, folder = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
t0 = time.perf_counter()
project = Project.open(folder) if mode == "reimport" else Project.init(folder)
if mode in ("import", "reimport"):
    report = project.import_qdpx(target)
    done = report.codings_carried
else:
    project.ingest()
    done = len(project.segments(include_interviewer=True))
elapsed = time.perf_counter() - t0
# VmHWM is this process's own peak RSS. ru_maxrss is not: Linux carries the parent's peak
# across fork and exec, and the parent holds the whole generated model.
status = Path("/proc/self/status").read_text().split("\n")
hwm = [line.split()[1] for line in status if line.startswith("VmHWM:")]
peak = int(hwm[0]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{elapsed} {peak} {done}")
"""

WORDS = (
    "the health visitor mentioned the group and I went along with the baby because the "
    "waiting list was long and the room felt calm and nobody judged how tired I was"
).split()


def _turn(i: int, j: int) -> str:
    start = (i * 7 + j * 3) % len(WORDS)
    return " ".join(WORDS[start:] + WORDS[:start])[: 60 + (i + j) % 40].strip()


def build(out: Path, sources: int, per_source: int) -> int:
    from qualkit.exchange.qdpx_export import origin, qdpx_bytes
    from qualkit.exchange.refi_model import (
        RefiCode,
        RefiCoding,
        RefiProject,
        RefiSelection,
        RefiSource,
        RefiUser,
        stable_guid,
    )

    users = [RefiUser(stable_guid("user", n), n) for n in ("ana", "ben")]
    themes = [
        RefiCode(
            stable_guid("theme", str(t)),
            f"Theme {t}",
            codable=False,
            color="#4e79a7",
            description=f"Fictional theme {t}.",
            children=[
                RefiCode(stable_guid("code", f"{t}-{c}"), f"Code {t}.{c}") for c in range(10)
            ],
        )
        for t in range(10)
    ]
    leaves = [c for t in themes for c in t.children]
    model = RefiProject(
        name="bench", origin=origin(), creating_user=users[0].guid, users=users, codes=themes
    )
    total = 0
    for i in range(sources):
        lines, spans, pos = [], [], 0
        for j in range(50):
            speaker = "Interviewer" if j % 2 == 0 else f"P{i:04d}"
            words = _turn(i, j)
            line = f"{speaker}: {words}"
            spans.append((pos + len(speaker) + 2, pos + len(line)))
            lines.append(line)
            pos += len(line) + 2  # a blank line between turns
        text = "\n\n".join(lines) + "\n"
        guid = stable_guid("source", str(i))
        source = RefiSource(guid, f"interview-{i:04d}", text, f"internal://{guid}.txt")
        for k in range(per_source):
            start, end = spans[1 + 2 * ((k // 2) % 25)]  # participant turns
            if k % 2:
                start = start + 5  # an exact sub-span for half of them
            sel_guid = stable_guid("sel", str(i), str(k))
            code = leaves[(i + k) % len(leaves)]
            user = users[k % 2]
            source.selections.append(
                RefiSelection(
                    sel_guid,
                    start,
                    end,
                    name=text[start:end],
                    user_guid=user.guid,
                    codings=[
                        RefiCoding(stable_guid("coding", str(i), str(k)), code.guid, user.guid)
                    ],
                )
            )
            total += 1
        model.sources.append(source)
    out.write_bytes(qdpx_bytes(model))
    return total


def run(mode: str, target: Path, folder: Path) -> tuple[float, float, int]:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(target), str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(result.stderr[-3000:])
    elapsed, peak, done = result.stdout.split()[-3:]
    return float(elapsed), float(peak), int(done)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--codings-per-source", type=int, nargs="+", default=[10, 100])
    args = parser.parse_args()
    rows = []
    for per_source in args.codings_per_source:
        with tempfile.TemporaryDirectory(prefix="qualkit-bench-") as tmp:
            work = Path(tmp)
            t0 = time.perf_counter()
            codings = build(work / "big.qdpx", args.sources, per_source)
            built = time.perf_counter() - t0
            size = (work / "big.qdpx").stat().st_size / 1024**2
            print(
                f"generated {args.sources} sources, {codings} codings: {size:.1f} MiB "
                f"in {built:.1f} s"
            )
            elapsed, peak, carried = run("import", work / "big.qdpx", work / "imported")
            print(f"  import: {elapsed:.1f} s, peak RSS {peak:.0f} MiB, {carried} codings carried")
            again, again_peak, _ = run("reimport", work / "big.qdpx", work / "imported")
            print(
                f"  re-import (no ingest, nothing new): {again:.1f} s, "
                f"peak RSS {again_peak:.0f} MiB"
            )
            # Baseline: the transcripts the import wrote, ingested again from scratch.
            (work / "baseline").mkdir()
            (work / "imported" / "transcripts").rename(work / "baseline" / "transcripts")
            base, base_peak, _segments = run("ingest", work / "none", work / "baseline")
            print(f"  baseline (ingest of the same transcripts): {base:.1f} s, {base_peak:.0f} MiB")
            print(
                f"  import / baseline: {elapsed / base:.2f}x time, {peak / base_peak:.2f}x "
                "memory; goal: import < 30 s"
            )
            rows.append((codings, elapsed, peak, again_peak, base_peak))
    if len(rows) > 1:
        (small, _, small_peak, small_again, _), (big, _, big_peak, big_again, _) = rows[0], rows[-1]
        print(
            f"memory growth {small:,} -> {big:,} codings: import {small_peak:.0f} -> "
            f"{big_peak:.0f} MiB ({big_peak / small_peak:.2f}x), re-import {small_again:.0f} -> "
            f"{big_again:.0f} MiB ({big_again / small_again:.2f}x)"
        )


if __name__ == "__main__":
    main()
