"""Embedding throughput: qualkit's cached embedding vs bare SentenceTransformer.encode.

    python bench/embed.py [N]   # N participant turns of the interviewer corpus (default 800)

Same texts, same model, same run: prints texts/s for both and the ratio (goal >= 0.95), then
embeds again on the unchanged project (goal: nothing embedded).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpora import build_interviewer_project  # noqa: E402

from qualkit.assist.embed import SentenceTransformerEmbedder, embed_segments  # noqa: E402
from qualkit.project import Project  # noqa: E402


def fresh_project(source: Path) -> Project:
    """A copy of the ingested project with an empty embedding cache."""
    root = Path(tempfile.mkdtemp(prefix="qk-embed-"))
    shutil.copytree(source / "transcripts", root / "transcripts")
    shutil.copy(source / "codebook.yaml", root / "codebook.yaml")
    shutil.copy(source / "qualkit.yaml", root / "qualkit.yaml")
    p = Project.open(root)
    p.ingest()
    return p


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 800
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    source = Path(tempfile.mkdtemp(prefix="qk-embed-src-"))
    build_interviewer_project(source)
    (source / "qualkit.yaml").write_text("segmentation: turn\n", encoding="utf-8")
    first = fresh_project(source)
    segs = first.segments().drop_duplicates("text_hash").head(n).reset_index(drop=True)
    texts = segs["text"].tolist()
    emb = SentenceTransformerEmbedder()
    emb.model.encode(texts[:32], batch_size=32)  # warm-up
    # Alternate the two so that load from other processes on a shared machine hits both
    # alike; compare the best round of each.
    bare_times, our_times = [], []
    p = first
    for round_no in range(rounds):
        t = time.perf_counter()
        emb.model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        bare_times.append(time.perf_counter() - t)
        if round_no:
            p = fresh_project(source)
        t = time.perf_counter()
        _, new = embed_segments(p, emb, segments=segs)
        our_times.append(time.perf_counter() - t)
    bare, ours = min(bare_times), min(our_times)
    t = time.perf_counter()
    _, new_again = embed_segments(p, emb, segments=segs)
    again = time.perf_counter() - t
    print(f"texts: {len(texts)}  device: {emb.device}  rounds: {rounds} (best of each)")
    print(f"bare SentenceTransformer.encode: {len(texts) / bare:.1f} texts/s ({bare:.1f} s)")
    print(
        f"qualkit embed_segments:          {len(texts) / ours:.1f} texts/s ({ours:.1f} s, "
        f"{new} embedded, incl. cache writes)"
    )
    print(f"ratio qualkit/bare: {bare / ours:.3f} (goal >= 0.95)")
    print(f"second run: {new_again} embedded in {again:.2f} s (goal: 0)")


if __name__ == "__main__":
    main()
