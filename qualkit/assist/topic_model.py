"""The topic pipeline over segment embeddings: reduce, cluster, reassign outliers, name topics.

BERTopic's steps, done directly with scikit-learn so that a few hundred segments take seconds:
importing BERTopic (and UMAP's numba) alone takes longer than the 10 s budget on two cores.
- reduce: PCA of the normalised embeddings (deterministic; UMAP needs a JIT warm-up);
- cluster: HDBSCAN (deterministic), KMeans with the seed when HDBSCAN finds fewer than two;
- outliers: each joins its nearest topic centroid when the cosine reaches ``JOIN_SIMILARITY``;
- terms: c-TF-IDF candidates (spoken-language stop words removed), re-ranked KeyBERT-style by
  the similarity of their embedding to the topic's centroid, with MMR for variety.
Every stage reports progress as (done, total, stage).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from qualkit.assist.embed import normalise_rows
from qualkit.assist.stopwords import SPOKEN_STOP_WORDS

STAGES = ("reduce", "cluster", "outliers", "terms")
JOIN_SIMILARITY = 0.2  # an outlier this close to a topic's centroid joins it
N_CANDIDATES = 30  # c-TF-IDF terms per topic re-ranked by embedding
N_TERMS = 10
MMR_DIVERSITY = 0.3

StageProgress = Callable[..., Any]
Encode = Callable[[Sequence[str]], np.ndarray]


def _report(progress: StageProgress | None, stage: str) -> None:
    if progress is not None:
        progress(STAGES.index(stage), len(STAGES), stage)


def min_topic_size(n: int) -> int:
    return int(min(40, max(5, round(math.sqrt(n) / 2))))


def reduce(emb: np.ndarray, dims: int = 10, seed: int = 42) -> np.ndarray:
    from sklearn.decomposition import PCA

    x = normalise_rows(emb)
    k = int(min(dims, x.shape[0] - 1, x.shape[1]))
    return PCA(n_components=k, svd_solver="full", random_state=seed).fit_transform(x)


def density_clusters(reduced: np.ndarray, mts: int) -> np.ndarray:
    """HDBSCAN's label per row (-1 = outlier): only groups that are really there."""
    from sklearn.cluster import HDBSCAN

    hdb = HDBSCAN(min_cluster_size=mts, min_samples=max(2, mts // 3), copy=True)
    return hdb.fit_predict(reduced)


def find_clusters(reduced: np.ndarray, mts: int, seed: int) -> tuple[np.ndarray, str]:
    """Cluster label per row (-1 = outlier) and the method used."""
    from sklearn.cluster import KMeans

    labels = density_clusters(reduced, mts)
    if len(set(labels.tolist()) - {-1}) >= 2:
        return renumber(labels), "hdbscan"
    k = int(min(20, max(2, round(math.sqrt(len(reduced) / 4)))))
    labels = KMeans(n_clusters=k, random_state=seed, n_init=10).fit_predict(reduced)
    return renumber(labels), f"kmeans(k={k})"


MAX_TOPIC_SHARE = 0.25  # a topic with more of the segments than this is clustered again


def split_large_topics(
    emb: np.ndarray, labels: np.ndarray, mts: int, seed: int, rounds: int = 3
) -> tuple[np.ndarray, int]:
    """Cluster again, inside itself, each topic holding more than ``MAX_TOPIC_SHARE`` of the
    clustered segments: in a study where everyone talks about the same service, HDBSCAN finds
    one dense topic with most of them (1,699 of 2,031 turns of a real corpus), which names
    nothing. Returns the labels and how many topics were split."""
    labels = labels.copy()
    splits = 0
    for _ in range(rounds):
        # a share of the clustered segments: outliers join their nearest topic later on
        limit = max(MAX_TOPIC_SHARE * int((labels >= 0).sum()), 2 * mts)
        too_big = [t for t in sorted(set(labels.tolist()) - {-1}) if (labels == t).sum() > limit]
        if not too_big:
            break
        for t in too_big:
            members = np.flatnonzero(labels == t)
            # density only: KMeans would cut a topic with no inner structure all the same
            inner = density_clusters(reduce(emb[members], seed=seed), mts)
            if len(set(inner.tolist()) - {-1}) < 2 or (inner == -1).mean() > 0.7:
                continue  # no inner structure: a few specks in noise are no topics
            fresh = labels.max() + 1
            labels[members] = np.where(inner == -1, -1, inner + fresh)
            splits += 1
    return renumber(labels), splits


def renumber(labels: np.ndarray) -> np.ndarray:
    """Topic ids 0.. by size (largest first; ties by first row), outliers stay -1."""
    ids = [t for t in set(labels.tolist()) if t != -1]
    first = {t: int(np.argmax(labels == t)) for t in ids}
    order = sorted(ids, key=lambda t: (-int((labels == t).sum()), first[t]))
    new = {t: i for i, t in enumerate(order)}
    return np.array([new.get(int(t), -1) for t in labels], dtype=np.int64)


def centroids(emb: np.ndarray, labels: np.ndarray) -> np.ndarray:
    ids = sorted(set(labels.tolist()) - {-1})
    return normalise_rows(np.stack([emb[labels == t].mean(axis=0) for t in ids]))


def reassign_outliers(emb: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Outliers join the nearest topic centroid (cosine) if it is at least JOIN_SIMILARITY."""
    out = labels.copy()
    lost = np.where(labels == -1)[0]
    if not len(lost) or (labels == -1).all():
        return out
    sims = normalise_rows(emb[lost]) @ centroids(emb, labels).T
    best = sims.argmax(axis=1)
    ok = sims[np.arange(len(lost)), best] >= JOIN_SIMILARITY
    out[lost[ok]] = best[ok]
    return out


def term_vectorizer(n_docs: int) -> Any:
    """The CountVectorizer that picks each topic's terms: words of any script, no stop words."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    return CountVectorizer(
        stop_words=sorted(set(ENGLISH_STOP_WORDS) | SPOKEN_STOP_WORDS),
        min_df=2 if n_docs >= 50 else 1,
        ngram_range=(1, 1),
        # letters of any script (crèche, Zoë), two or more:
        # "she's" gives the stop word "she", not "shes"
        token_pattern=r"(?u)\b[^\W\d_]{2,}\b",
    )


def candidate_terms(docs: list[str], labels: np.ndarray, n: int = N_CANDIDATES) -> dict:
    """c-TF-IDF: per topic, the n terms most frequent in it relative to all topics."""
    ids = sorted(set(labels.tolist()) - {-1})
    joined = [" ".join(d for d, lab in zip(docs, labels, strict=True) if lab == t) for t in ids]
    vec = term_vectorizer(len(joined))
    try:
        counts = vec.fit_transform(joined).toarray().astype(np.float64)
    except ValueError:  # nothing but stop words
        return {t: [] for t in ids}
    words = vec.get_feature_names_out()
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    avg = counts.sum() / max(len(ids), 1)
    idf = np.log(1 + avg / np.maximum(counts.sum(axis=0), 1))
    score = tf * idf[None, :]
    out = {}
    for i, t in enumerate(ids):
        order = np.argsort(-score[i], kind="stable")
        out[t] = [str(words[j]) for j in order[:n] if counts[i, j] > 0]
    return out


def mmr(centroid: np.ndarray, vecs: np.ndarray, k: int, diversity: float) -> list[int]:
    """Maximal marginal relevance: close to the centroid, not close to terms already chosen."""
    rel = vecs @ centroid
    chosen = [int(np.argmax(rel))]
    while len(chosen) < min(k, len(vecs)):
        red = (vecs @ vecs[chosen].T).max(axis=1)
        mmr_score = (1 - diversity) * rel - diversity * red
        mmr_score[chosen] = -np.inf
        chosen.append(int(np.argmax(mmr_score)))
    return chosen


def name_topics(
    emb: np.ndarray, docs: list[str], labels: np.ndarray, encode: Encode | None
) -> dict[int, list[str]]:
    """Terms per topic: c-TF-IDF candidates re-ranked by embedding (KeyBERT-style) with MMR."""
    cands = candidate_terms(docs, labels)
    if encode is None:
        return {t: c[:N_TERMS] for t, c in cands.items()}
    vocab = sorted({w for c in cands.values() for w in c})
    vecs = normalise_rows(encode(vocab)) if vocab else np.zeros((0, emb.shape[1]), np.float32)
    index = {w: i for i, w in enumerate(vocab)}
    cents = centroids(emb, labels)
    out = {}
    for t, words in cands.items():
        if not words:
            out[t] = []
            continue
        picked = mmr(cents[t], vecs[[index[w] for w in words]], N_TERMS, MMR_DIVERSITY)
        out[t] = [words[i] for i in picked]
    return out


def fit_topics(
    emb: np.ndarray,
    docs: list[str],
    seed: int = 42,
    min_size: int | None = None,
    encode: Encode | None = None,
    progress: StageProgress | None = None,
) -> tuple[np.ndarray, dict[int, list[str]], dict[str, Any]]:
    """(topic per row, -1 = outlier; terms per topic; info) for embedded documents."""
    mts = min_size or min_topic_size(len(docs))
    _report(progress, "reduce")
    reduced = reduce(emb, seed=seed)
    _report(progress, "cluster")
    labels, method = find_clusters(reduced, mts, seed)
    labels, splits = split_large_topics(emb, labels, mts, seed)
    if splits:
        method += f"+{splits}-split"
    info: dict[str, Any] = {"min_topic_size": mts, "seed": seed, "method": method}
    info["outlier_share_before"] = round(float((labels == -1).mean()), 3)
    _report(progress, "outliers")
    labels = reassign_outliers(emb, labels)
    if info["outlier_share_before"] > 0:
        info["method"] += "+outliers-reassigned"
    _report(progress, "terms")
    terms = name_topics(emb, docs, labels, encode)
    if progress is not None:
        progress(len(STAGES), len(STAGES), "done")
    return labels, terms, info
