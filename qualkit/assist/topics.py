"""Topics over cached segment embeddings: what people talk about that the codebook may not cover.

Each topic has its size, terms that name its content, representative segments, its spread over a
participant attribute (e.g. group) and the nearest codebook code; a topic can become a draft
code. One-word and filler turns are left out first. The pipeline (topic_model.py) is
deterministic for a seed, so the CLI and the workbench find the same topics.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qualkit.assist.embed import (
    Cancel,
    Embedder,
    Progress,
    StoreCachedEmbedder,
    embed_segments,
    embedder_for,
    normalise_rows,
)
from qualkit.assist.evidence import CodebookEvidence, snippet
from qualkit.assist.floor import has_evidence
from qualkit.assist.topic_model import fit_topics, term_vectorizer  # noqa: F401 (re-exported)
from qualkit.errors import ProjectError, QualkitError

LAST_TOPICS = "topics-last.json"


class TopicsError(QualkitError):
    """Topics cannot be computed or a topic id is unknown."""


@dataclass
class Topic:
    id: int
    size: int
    terms: list[str]
    representatives: list[dict]
    groups: dict[str, int]
    nearest_code: str | None
    similarity: float | None
    segment_ids: list[int] = field(default_factory=list)

    def to_dict(self, with_segments: bool = False) -> dict:
        d = asdict(self)
        if not with_segments:
            d.pop("segment_ids")
        return d


def _last_topics_path(project: Any) -> Path:
    return Path(project.root) / ".qualkit" / LAST_TOPICS


def cluster(
    emb: np.ndarray,
    docs: list[str],
    seed: int = 42,
    min_topic_size: int | None = None,
    encode: Any = None,
    progress: Any = None,
) -> tuple[np.ndarray, dict[int, list[str]], dict]:
    """Topic label per row (-1 = outlier), terms per topic id and info (topic_model.py)."""
    n = len(docs)
    if n < 10:
        raise TopicsError(f"too few segments for topics ({n}; need at least 10)")
    return fit_topics(
        emb, docs, seed=seed, min_size=min_topic_size, encode=encode, progress=progress
    )


def compute_topics(
    project: Any,
    embedder: Embedder | None = None,
    uncoded: bool = False,
    coder: str | None = None,
    attribute: str = "group",
    seed: int = 42,
    min_topic_size: int | None = None,
    n_representatives: int = 3,
    progress: Progress | None = None,
    cancel: Cancel = None,
    save: bool = True,
) -> dict[str, Any]:
    """Topics over the project's participant segments (only uncoded ones with ``uncoded``)."""
    embedder = embedder or embedder_for(project)
    segs = project.segments()
    if uncoded:
        coded = set(project.codings(coder)["segment_id"].astype(int)) if len(segs) else set()
        segs = segs[~segs["segment_id"].astype(int).isin(coded)]
    # one-word and filler turns ("Yeah.", "Sorry! [laughs]") would only make junk topics
    content = segs["text"].astype(str).map(has_evidence).to_numpy(dtype=bool)
    left_out = int((~content).sum())
    segs = segs[content].reset_index(drop=True)
    if len(segs) < 10:
        raise TopicsError(
            f"too few segments for topics ({len(segs)} with content; need at least 10)"
        )
    emb, _ = embed_segments(project, embedder, progress=progress, cancel=cancel, segments=segs)
    docs = segs["text"].astype(str).tolist()

    # candidate terms and codebook text go through the project's cache like segments do, so
    # a second run on the same data needs no model at all
    cached = StoreCachedEmbedder(embedder, project.store)

    def encode(texts: Sequence[str]) -> np.ndarray:
        return cached.encode(texts, cancel=cancel)

    def stage(done: int, total: int, what: str = "") -> None:
        if progress is not None:
            progress(done, total, f"topics: {what}")

    labels, terms, info = cluster(
        emb, docs, seed=seed, min_topic_size=min_topic_size, encode=encode, progress=stage
    )
    info["left_out_filler"] = left_out
    book = project.codebook
    evidence = CodebookEvidence(book, cached) if len(book.codes) else None
    topics: list[Topic] = []
    for t in sorted(set(labels.tolist())):
        idx = np.where(labels == t)[0]
        centroid = normalise_rows(emb[idx].mean(axis=0))[0]
        sims = emb[idx] @ centroid
        rep_rows = idx[np.argsort(-sims, kind="stable")[:n_representatives]]
        reps = [
            {
                "segment_id": int(segs.at[r, "segment_id"]),
                "transcript": str(segs.at[r, "transcript"]),
                "participant": segs.at[r, "participant"],
                "text": snippet(segs.at[r, "text"], 160),
            }
            for r in rep_rows
        ]
        groups: Counter = Counter()
        for r in idx:
            attrs = segs.at[r, "attributes"] or {}
            groups[str(attrs.get(attribute, "(none)"))] += 1
        near, sim = None, None
        if evidence is not None:
            cs = evidence.code_scores(centroid[None, :])[0]
            j = int(np.argmax(cs))
            near, sim = evidence.codes[j], round(float(cs[j]), 4)
        topics.append(
            Topic(
                int(t),
                int(len(idx)),
                terms.get(int(t), []),
                reps,
                dict(sorted(groups.items())),
                near,
                sim,
                [int(segs.at[r, "segment_id"]) for r in idx],
            )
        )
    topics.sort(key=lambda x: (x.id == -1, -x.size, x.id))
    result = {
        "n_segments": int(len(segs)),
        "n_topics": int(sum(1 for t in topics if t.id != -1)),
        "outliers": int((labels == -1).sum()),
        "uncoded": bool(uncoded),
        "attribute": attribute,
        "model": embedder.model_id,
        **info,
        "topics": topics,
    }
    if save:
        path = _last_topics_path(project)
        data = {**result, "topics": [t.to_dict(with_segments=True) for t in topics]}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), "utf-8")
        tmp.replace(path)
    return result


def last_topics(project: Any) -> dict[str, Any]:
    path = _last_topics_path(project)
    if not path.exists():
        raise TopicsError("no topics computed yet: run qualkit topics first")
    return json.loads(path.read_text("utf-8"))


def draft_description(topic: dict | Topic) -> str:
    """The placeholder definition a code made from a topic starts with."""
    t = topic.to_dict(with_segments=True) if isinstance(topic, Topic) else topic
    terms = ", ".join(t.get("terms", [])[:8]) or "(no distinctive terms)"
    return (
        f"Draft from topic {t['id']} ({t['size']} segments): talk about {terms}. "
        "Edit this definition and add include/exclude notes."
    )


def topic_to_code(
    project: Any,
    topic: int | dict | Topic,
    name: str,
    parent: str | None = None,
    coder: str | None = None,
    actor: str | None = None,
) -> str:
    """Add a topic to codebook.yaml as a new code with a draft description; returns its id.

    With ``coder``, the topic's segments are also coded with it in that coder's layer
    (source="topic"). ``actor`` is who the log names for the new code (default: ``coder``).
    """
    if isinstance(topic, int):
        data = last_topics(project)
        found = [t for t in data["topics"] if int(t["id"]) == int(topic)]
        if not found:
            ids = ", ".join(str(t["id"]) for t in data["topics"])
            raise TopicsError(f"unknown topic {topic} (last run has: {ids})")
        topic = found[0]
    t = topic.to_dict(with_segments=True) if isinstance(topic, Topic) else topic
    if not name or not name.strip():
        raise ProjectError("a name for the new code is required (--name)")
    code_id = project.add_code(
        name.strip(),
        parent=parent,
        actor=actor or coder or "system",
        description=draft_description(t),
    )
    if coder:
        for sid in t.get("segment_ids", []):
            project.code(int(sid), code_id, coder, source="topic")
    return code_id
