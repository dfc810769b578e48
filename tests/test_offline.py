"""No network, ever: with every socket connection failing, embedding (the real bundled model),
suggestions and topics still work."""

from __future__ import annotations

import socket

import pytest
from test_suggest import real_embedder, seg_id, write_ai_project  # noqa: F401

from qualkit.assist.embed import _MODEL_CACHE, SentenceTransformerEmbedder, embed_segments
from qualkit.assist.suggest import Suggester
from qualkit.assist.topics import compute_topics
from qualkit.project import Project


@pytest.mark.slow
def test_embed_suggest_topics_without_network(tmp_path, monkeypatch):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access attempted during an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    _MODEL_CACHE.clear()  # load the model from disk inside the sandbox
    emb = SentenceTransformerEmbedder()
    p = Project.open(write_ai_project(tmp_path, copies=3))
    m, _ = embed_segments(p, emb)
    assert m.shape[1] == 384
    s = Suggester(p, embedder=emb)
    assert s.suggest([seg_id(p, "best training")], top_k=1)[0][0].code_id == "training"
    r = compute_topics(p, emb, seed=1)
    assert r["n_topics"] >= 1
    assert attempts == []
    p.close()
