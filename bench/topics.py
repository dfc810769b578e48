"""Topics benchmark: topics over all participant turns of ../shared/corpora/interviewer.

    python bench/topics.py [--keep DIR]

Builds the project in a temp folder, embeds the participant turns once (cached, not timed),
then times `compute_topics` (PCA + HDBSCAN, large topics clustered again, outliers
reassigned, c-TF-IDF terms re-ranked by embedding, per-topic summaries). Goal: < 60 s on 2 cores
for ~2,400 turns. Also runs it twice to check the result is deterministic, and prints the
largest topic's share of the segments (a topic with most of them names nothing).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpora import build_interviewer_project  # noqa: E402

from qualkit.assist.embed import embed_segments, embedder_for  # noqa: E402
from qualkit.assist.topics import compute_topics  # noqa: E402
from qualkit.project import Project  # noqa: E402


def main() -> None:
    keep = sys.argv[sys.argv.index("--keep") + 1] if "--keep" in sys.argv else None
    root = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="qk-topics-"))
    if not (root / ".qualkit").exists():
        build_interviewer_project(root)
        (root / "qualkit.yaml").write_text("segmentation: turn\n", encoding="utf-8")
        p = Project.init(root)
        p.ingest()
    else:
        p = Project.open(root)
    emb = embedder_for(p)
    t = time.perf_counter()
    embed_segments(p, emb, segments=p.segments())
    print(f"embedding (cache fill, not timed below): {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    r1 = compute_topics(p, emb)
    first = time.perf_counter() - t
    t = time.perf_counter()
    r2 = compute_topics(p, emb)
    second = time.perf_counter() - t
    same = [x.segment_ids for x in r1["topics"]] == [x.segment_ids for x in r2["topics"]]
    print(
        f"segments: {r1['n_segments']}  topics: {r1['n_topics']}  outliers: {r1['outliers']}"
        f"  method: {r1['method']} (outlier share before: {r1['outlier_share_before']})"
    )
    print(f"topics time: {first:.1f} s (first)  {second:.1f} s (second)")
    sizes = [tp.size for tp in r1["topics"] if tp.id != -1]
    print(f"largest topic: {max(sizes)} of {r1['n_segments']} segments")
    print(f"goal < 60 s: {'met' if first < 60 else 'NOT met'}; deterministic: {same}")
    for tp in r1["topics"][:8]:
        print(
            f"  topic {tp.id:>3} size {tp.size:>4} {', '.join(tp.terms[:6])}  "
            f"-> {tp.nearest_code} ({tp.similarity})  {tp.groups}"
        )


if __name__ == "__main__":
    main()
