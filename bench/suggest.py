"""Suggestion latency on a ~20,000-segment project (interviewer corpus scaled up).

    python bench/suggest.py [--copies 8]

Uses the hashing embedder for the cache (latency after caching does not depend on the model;
vectors are 384-d like MiniLM). Codes ~1% of segments as exemplars, builds the Suggester, then
times suggest() for single segments (the TUI case) and prints p50/p95 ms per segment against
the goal of 5 ms, plus the batch (all segments, one call) cost per segment as the baseline.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpora import build_interviewer_project  # noqa: E402

from qualkit.assist.embed import HashingEmbedder  # noqa: E402
from qualkit.assist.suggest import Suggester  # noqa: E402
from qualkit.project import Project  # noqa: E402


def main() -> None:
    copies = int(sys.argv[sys.argv.index("--copies") + 1]) if "--copies" in sys.argv else 8
    root = Path(tempfile.mkdtemp(prefix="qk-suggest-"))
    build_interviewer_project(root, copies=copies)
    (root / "qualkit.yaml").write_text("segmentation: turn\n", encoding="utf-8")
    p = Project.init(root)
    p.ingest()
    emb = HashingEmbedder(384)
    t = time.perf_counter()
    s = Suggester(p, embedder=emb)
    ids = s.table.frame["segment_id"].astype(int).tolist()
    rng = np.random.default_rng(0)
    for sid in rng.choice(ids, size=len(ids) // 100, replace=False):
        p.code(int(sid), "ai-use" if rng.random() < 0.6 else "concerns", "bench")
    s.refresh()
    print(
        f"segments: {len(ids)}  exemplars: {len(s.train_rows)}  "
        f"build+refresh: {time.perf_counter() - t:.1f} s"
    )
    lat = []
    for sid in rng.choice(ids, size=500, replace=False):
        t0 = time.perf_counter()
        s.suggest([int(sid)], top_k=3)
        lat.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    s.suggest(ids, top_k=3)
    batch = (time.perf_counter() - t0) * 1000 / len(ids)
    p50, p95 = np.percentile(lat, [50, 95])
    print(
        f"single-segment suggest: p50 {p50:.2f} ms  p95 {p95:.2f} ms  (goal p95 <= 5 ms: "
        f"{'met' if p95 <= 5 else 'NOT met'})"
    )
    print(
        f"batch of all segments: {batch:.3f} ms per segment; single/batch ratio {p50 / batch:.1f}x"
    )


if __name__ == "__main__":
    main()
