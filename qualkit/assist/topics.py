"""Topic discovery over cached segment embeddings (BERTopic, sized for small corpora).

Topics show what people talk about that the codebook may not cover yet: each topic has its size,
top terms (English stop words removed), representative segments, its spread over a participant
attribute (e.g. group), and the nearest codebook code. A topic can become a draft code.

Deterministic for a given seed (UMAP random_state; HDBSCAN is deterministic). When HDBSCAN calls
most segments outliers (common with a few hundred short turns), outliers are reassigned to the
nearest topic by embedding; if there are fewer than two topics, KMeans replaces HDBSCAN.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qualkit.assist.embed import (
    Cancel,
    Embedder,
    Progress,
    embed_segments,
    embedder_for,
    normalise_rows,
)
from qualkit.assist.evidence import CodebookEvidence, snippet
from qualkit.assist.stopwords import SPOKEN_STOP_WORDS
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


def term_vectorizer(n_docs: int) -> Any:
    """The CountVectorizer that picks each topic's terms: words of any script, no stop words."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    stop = sorted(set(ENGLISH_STOP_WORDS) | set(SPOKEN_STOP_WORDS))
    return CountVectorizer(
        stop_words=stop,
        min_df=2 if n_docs >= 50 else 1,
        ngram_range=(1, 1),
        # letters of any script (crèche, Zoë), two or more:
        # "she's" gives the stop word "she", not "shes"
        token_pattern=r"(?u)\b[^\W\d_]{2,}\b",
    )


def cluster(
    emb: np.ndarray,
    docs: list[str],
    seed: int = 42,
    min_topic_size: int | None = None,
    outlier_share: float = 0.5,
) -> tuple[np.ndarray, list[list[str]], dict]:
    """Topic label per row (-1 = outlier) and top terms per topic id, via BERTopic.

    Returns (labels, terms_by_topic, info) with info["method"] saying what was used.
    """
    n = len(docs)
    if n < 10:
        raise TopicsError(f"too few segments for topics ({n}; need at least 10)")
    from bertopic import BERTopic
    from hdbscan import HDBSCAN
    from umap import UMAP

    mts = min_topic_size or int(min(40, max(5, round(math.sqrt(n) / 2))))
    umap_model = UMAP(
        n_neighbors=int(min(15, n - 1)),
        n_components=5,
        min_dist=0.0,
        metric="cosine",
        random_state=seed,
        low_memory=True,
    )
    hdb = HDBSCAN(
        min_cluster_size=mts,
        min_samples=max(2, mts // 3),
        metric="euclidean",
        cluster_selection_method="leaf",
        prediction_data=False,
    )
    vectorizer = term_vectorizer(n)
    info: dict[str, Any] = {"min_topic_size": mts, "seed": seed}

    def fit(cluster_model) -> tuple[Any, np.ndarray]:
        tm = BERTopic(
            embedding_model=None,
            # "english" makes BERTopic strip every non-ASCII character before counting terms
            # (crèche -> crche); embeddings are passed in, so no model is chosen by language.
            language="multilingual",
            umap_model=umap_model,
            hdbscan_model=cluster_model,
            vectorizer_model=vectorizer,
            calculate_probabilities=False,
            min_topic_size=mts,
            verbose=False,
        )
        labels, _ = tm.fit_transform(docs, embeddings=emb)
        return tm, np.asarray(labels)

    tm, labels = fit(hdb)
    n_topics = len(set(labels.tolist()) - {-1})
    info["method"] = "bertopic-hdbscan"
    if n_topics < 2:
        from sklearn.cluster import KMeans

        k = int(min(20, max(2, round(math.sqrt(n / 4)))))
        tm, labels = fit(KMeans(n_clusters=k, random_state=seed, n_init=10))
        info["method"] = f"bertopic-kmeans(k={k})"
    share = float((labels == -1).mean())
    info["outlier_share_before"] = round(share, 3)
    if share > outlier_share:
        labels = np.asarray(
            tm.reduce_outliers(docs, labels.tolist(), strategy="embeddings", embeddings=emb)
        )
        tm.update_topics(docs, topics=labels.tolist(), vectorizer_model=vectorizer)
        info["method"] += "+outliers-reassigned"
    terms: dict[int, list[str]] = {}
    for t in sorted(set(labels.tolist())):
        words = tm.get_topic(t) or []
        terms[t] = [w for w, _ in words if w][:10]
    return labels, terms, info


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
    segs = segs.reset_index(drop=True)
    if len(segs) < 10:
        raise TopicsError(f"too few segments for topics ({len(segs)}; need at least 10)")
    emb, _ = embed_segments(project, embedder, progress=progress, cancel=cancel, segments=segs)
    docs = segs["text"].astype(str).tolist()
    labels, terms, info = cluster(emb, docs, seed=seed, min_topic_size=min_topic_size)
    book = project.codebook
    evidence = CodebookEvidence(book, embedder) if len(book.codes) else None
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
) -> str:
    """Add a topic to codebook.yaml as a new code with a draft description; returns its id.

    With ``coder``, the topic's segments are also coded with it in that coder's layer
    (source="topic").
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
        name.strip(), parent=parent, actor=coder or "system", description=draft_description(t)
    )
    if coder:
        for sid in t.get("segment_ids", []):
            project.code(int(sid), code_id, coder, source="topic")
    return code_id
