"""Embedders and the embedding cache."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from test_suggest import real_embedder, write_ai_project  # noqa: F401

from qualkit.assist.embed import (
    EmbeddingError,
    HashingEmbedder,
    bundled_model_path,
    embed_segments,
    file_sha256,
    verify_bundled_model,
)
from qualkit.project import Project


def test_hashing_embedder_is_deterministic_and_normalised():
    e = HashingEmbedder(64)
    a = e.encode(["the wait was long", "the wait was long", "training day"])
    assert a.dtype == np.float32 and a.shape == (3, 64)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(a[0], a[1])
    assert a[0] @ a[2] < 0.99


def test_cache_embeds_nothing_twice_and_only_edited_segments(tmp_path):
    root = write_ai_project(tmp_path)
    p = Project.open(root)
    e = HashingEmbedder()
    calls = []
    orig = e.encode
    e.encode = lambda texts, **kw: (calls.append(len(texts)), orig(texts, **kw))[1]
    seen = []
    m1, first_new = embed_segments(p, e, progress=lambda d, t: seen.append((d, t)))
    n = len(p.segments(include_interviewer=True))
    assert m1.shape == (n, e.dim)
    assert seen[-1][0] == seen[-1][1] > 0
    assert first_new > 0
    calls.clear()
    m2, new = embed_segments(p, e)
    assert new == 0 and calls == []
    assert np.array_equal(m1, m2)
    # edit one answer in one transcript: only that text is embedded again
    f = root / "transcripts" / "p01-0.txt"
    f.write_text(f.read_text("utf-8").replace("nearly eight weeks", "nearly nine weeks"), "utf-8")
    p.ingest()
    _, new = embed_segments(p, e)
    assert new == 1
    p.close()


def test_interrupted_embedding_keeps_finished_batches(tmp_path):
    p = Project.open(write_ai_project(tmp_path, copies=3))
    e = HashingEmbedder()
    from qualkit.assist.embed import Cancelled, embed_texts_cached

    segs = p.segments(include_interviewer=True)

    def cancel():  # cancel as soon as the first batch is stored
        return p.store.embedding_count(e.model_id) > 0

    with pytest.raises(Cancelled):
        embed_texts_cached(
            p.store, e, segs["text"].tolist(), segs["text_hash"].tolist(), cancel=cancel, batch=8
        )
    kept = p.store.get_embeddings(e.model_id, segs["text_hash"].tolist())
    assert 0 < len(kept) < segs["text_hash"].nunique()
    _, new = embed_segments(p, e, segments=segs)
    assert new == segs["text_hash"].nunique() - len(kept)
    p.close()


def test_model_checksum_is_verified_and_remembered(tmp_path):
    bad = tmp_path / "model"
    bad.mkdir()
    (bad / "model.safetensors").write_bytes(b"not the weights")
    with pytest.raises(EmbeddingError, match="checksum"):
        verify_bundled_model(bad, marker_dir=tmp_path / "cache")
    with pytest.raises(EmbeddingError, match="missing"):
        verify_bundled_model(tmp_path / "nowhere", marker_dir=tmp_path / "cache")
    marker = tmp_path / "cache" / "verified-models.json"
    assert marker.exists()
    f = bad / "model.safetensors"
    assert file_sha256(f, tmp_path / "cache") == hashlib.sha256(b"not the weights").hexdigest()
    assert str(bundled_model_path()).endswith("model")


@pytest.mark.slow
def test_real_model_encodes_unit_vectors(real_embedder):  # noqa: F811
    v = real_embedder.encode(
        ["training health visitors", "we trained the health visitors", "the baby slept"]
    )
    assert v.shape == (3, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert v[0] @ v[1] > v[0] @ v[2]
    assert real_embedder.model_id.startswith("all-MiniLM-L6-v2@53aa51172d14")
