"""Key press to screen updated in a 10,000-segment transcript (goal: p95 under 50 ms).

    python bench/tui_keys.py [--segments 10000] [--workdir /tmp/qualkit-bench-keys]

Builds (once, outside the repository) a project with ONE generated transcript of --segments
segments (fictional filler words, one segment per turn), runs the real workbench headless at
120x40 and times, for each key, from posting the key to the end of the next frame composed
(App._display): moving (j/k/n/p, page down) and coding (a code's own key, undo, the picker is
not included). The baseline, measured in the same run the same way, is a bare Textual app
whose key handler updates one Static.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

WORDS = (
    "the service team baby parent group week felt talk helped wait visit home time really "
    "think know just like support staff session started changed closer sleep worried"
).split()

CODEBOOK = """\
# Generated codebook for the key-latency benchmark.
codes:
  - id: access
    name: Access
    color: "#4e79a7"
    key: a
  - id: impact
    name: Impact
    color: "#59a14f"
    key: i
"""


def build(workdir: Path, segments: int) -> Path:
    root = workdir / f"long-{segments}"
    if (root / ".qualkit" / "project.db").exists():
        return root
    from qualkit.project import Project

    rng = random.Random(7)
    (root / "transcripts").mkdir(parents=True, exist_ok=True)
    lines = [
        "---",
        "id: long",
        "kind: interview",
        "speakers:",
        "  Interviewer: interviewer",
        "  Pat: P01",
        "---",
        "",
    ]
    for n in range(segments):
        speaker = "Interviewer" if n % 2 == 0 else "Pat"
        words = rng.choices(WORDS, k=rng.randint(6, 60))
        lines.append(f"{speaker}: {' '.join(words).capitalize()}.")
        lines.append("")
    (root / "transcripts" / "long.txt").write_text("\n".join(lines), encoding="utf-8")
    (root / "transcripts" / "participants.csv").write_text(
        "participant_id,group\nP01,Parent\n", encoding="utf-8"
    )
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "qualkit.yaml").write_text("segmentation: turn\n", encoding="utf-8")
    started = time.perf_counter()
    with Project.init(root) as project:
        report = project.ingest()
    print(f"built and ingested in {time.perf_counter() - started:.1f} s: {report.summary()}")
    return root


class FrameClock:
    """Records when the app composes a frame (headless: the frame is built, not written)."""

    def __init__(self, app) -> None:
        self.frames: list[float] = []  # when each frame was composed
        original = app._display

        def display(screen, renderable):
            original(screen, renderable)
            if renderable is not None:
                self.frames.append(time.perf_counter())

        app._display = display

    async def time_key(self, pilot, key: str) -> float | None:
        before = len(self.frames)
        started = time.perf_counter()
        await pilot.press(key)
        deadline = started + 2.0
        while len(self.frames) == before and time.perf_counter() < deadline:
            await asyncio.sleep(0.0005)
        # The first frame composed after the key: the key's handler ran before it.
        # None: the key changed nothing on screen (e.g. a code the segment already has).
        return (self.frames[before] - started) * 1000 if len(self.frames) > before else None


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


async def measure_qualkit(root: Path) -> dict[str, list[float]]:
    from qualkit.tui.app import QualkitApp
    from qualkit.tui.widgets.transcript_view import TranscriptView

    from qualkit.project import Project

    project = Project.open(root)
    # Suggestions off: the bench times the screen, not the embedding model.
    app = QualkitApp(project, "bench", suggestions=False, cursor_blink=False)
    times: dict[str, list[float]] = {"move": [], "code": [], "undo": []}
    unchanged = 0

    async def timed(kind: str, key: str) -> None:
        nonlocal unchanged
        ms = await clock.time_key(pilot, key)
        if ms is None:
            unchanged += 1
        else:
            times[kind].append(ms)

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        clock = FrameClock(app)
        view = app.screen.query_one(TranscriptView)
        view.move_to(len(view.items) // 2)  # the middle of the transcript
        await pilot.pause()
        for round_ in range(40):
            for key in ("j", "j", "k", "n", "p", "pagedown", "n"):
                await timed("move", key)
            await timed("code", "a")  # on a segment not yet coded (n went there)
            await timed("move", "n")
            await timed("code", "i")
            if round_ % 2:
                await timed("undo", "u")
    project.close()
    print(f"keys that changed nothing on screen (not timed): {unchanged}")
    return times


async def measure_baseline() -> list[float]:
    from textual.app import App
    from textual.widgets import Static

    class Bare(App):
        BINDINGS = [("j", "step", "step")]
        count = 0

        def compose(self):
            yield Static("0", id="n")

        def action_step(self) -> None:
            self.count += 1
            self.query_one("#n", Static).update(str(self.count))

    app = Bare()
    out = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        clock = FrameClock(app)
        for _ in range(200):
            ms = await clock.time_key(pilot, "j")
            if ms is not None:
                out.append(ms)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=10_000)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "qk-bench-keys"
    )
    args = parser.parse_args()
    root = build(args.workdir, args.segments)
    started = time.perf_counter()
    times = asyncio.run(measure_qualkit(root))
    print(
        f"qualkit run: {time.perf_counter() - started:.1f} s for "
        f"{sum(len(v) for v in times.values())} keys on {args.segments} segments"
    )
    baseline = asyncio.run(measure_baseline())
    base_p95 = p95(baseline)
    everything = [v for values in times.values() for v in values]
    for name, values in (*times.items(), ("all", everything)):
        print(
            f"{name:>5}: n={len(values):3d} median {statistics.median(values):6.1f} ms  "
            f"p95 {p95(values):6.1f} ms  max {max(values):6.1f} ms"
        )
    print(
        f"baseline (bare Textual app, one Static update): median "
        f"{statistics.median(baseline):.1f} ms  p95 {base_p95:.1f} ms"
    )
    print(
        f"ratio p95 qualkit / bare: {p95(everything) / base_p95:.2f}x; goal p95 < 50 ms: "
        f"{'met' if p95(everything) < 50 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
