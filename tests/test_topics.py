"""Topics over cached embeddings, and turning a topic into a code."""

from __future__ import annotations

import pytest
from test_suggest import write_ai_project

from qualkit.assist.embed import HashingEmbedder
from qualkit.assist.topics import TopicsError, compute_topics, term_vectorizer, topic_to_code
from qualkit.project import Project


@pytest.mark.slow
def test_topics_summaries_determinism_and_to_code(tmp_path):
    p = Project.open(write_ai_project(tmp_path, copies=4))
    e = HashingEmbedder()
    r = compute_topics(p, e, seed=7)
    assert r["n_segments"] == 80 and r["n_topics"] >= 1
    t = next(x for x in r["topics"] if x.id != -1)
    assert t.size > 0 and t.terms and t.representatives
    assert set(t.groups) <= {"Parent", "Stakeholder"}
    assert t.nearest_code in p.codebook
    assert not {"the", "and", "was"} & set(t.terms)
    again = compute_topics(p, e, seed=7)
    assert [x.segment_ids for x in r["topics"]] == [x.segment_ids for x in again["topics"]]
    code_id = topic_to_code(p, t.id, "Emerging theme")
    assert code_id in p.codebook
    assert "Draft from topic" in p.codebook.get(code_id).description
    assert "Emerging theme" in (tmp_path / "codebook.yaml").read_text("utf-8")
    with pytest.raises(TopicsError, match="unknown topic"):
        topic_to_code(p, 999, "Nope")
    p.close()


def test_too_few_segments(tmp_path):
    p = Project.open(write_ai_project(tmp_path))
    for sid in p.segments()["segment_id"].tolist()[5:]:
        p.code(int(sid), "waiting", "ana")
    with pytest.raises(TopicsError, match="too few"):
        compute_topics(p, HashingEmbedder(), uncoded=True)
    p.close()


def test_terms_keep_accented_words_and_drop_fragments() -> None:
    """The term extraction itself, not which topic a word happens to land in."""
    analyse = term_vectorizer(10).build_analyzer()
    tokens = analyse("The crèche training didn't help. [laughs] Zoë's advice, we'd say, was kind.")
    assert "crèche" in tokens and "zoë" in tokens and "training" in tokens
    assert "crche" not in tokens and "zo" not in tokens
    assert not {"didn", "t", "laughs", "we", "the", "kind"} & set(tokens)


def test_every_topic_term_is_a_word_of_the_segments(tmp_path):
    """BERTopic must not rewrite words before counting them ("crèche" is not "crche")."""
    root = write_ai_project(tmp_path, copies=4)
    for path in (root / "transcripts").glob("s0*.txt"):
        text = path.read_text("utf-8")
        text = text.replace("training", "crèche training").replace("advice", "advice, didn't")
        path.write_text(text, "utf-8")
    p = Project.open(root)
    p.ingest()
    words = set(term_vectorizer(10).build_analyzer()(" ".join(p.segments()["text"].tolist())))
    terms = {
        term for t in compute_topics(p, HashingEmbedder(), seed=7)["topics"] for term in t.terms
    }
    assert terms and terms <= words, terms - words
    p.close()


def test_topics_leave_out_filler_report_stages_and_match_the_cli(tmp_path):
    """Filler turns are left out, every stage reports progress, few outliers remain, and the CLI
    finds the same topics as the core (which the workbench calls) for the same seed."""
    import json
    import subprocess
    import sys

    root = write_ai_project(tmp_path, copies=4)
    # min_words: 0 keeps one-word turns as coding units, so the topics filter meets them
    (root / "qualkit.yaml").write_text(
        "segmentation: turn\nmin_words: 0\nembedding_model: hashing-256\n"
    )
    for path in (root / "transcripts").glob("p0*.txt"):
        path.write_text(path.read_text("utf-8") + "\nInterviewer: Right?\n\nSpeaker: Yeah.\n")
    p = Project.open(root)
    p.ingest()
    stages: list[str] = []
    r = compute_topics(p, seed=3, progress=lambda d, t, what="": stages.append(what))
    for stage in ("reduce", "cluster", "outliers", "terms"):
        assert f"topics: {stage}" in stages
    assert r["left_out_filler"] == 8 and r["n_segments"] == 80
    assert r["outliers"] < 0.3 * r["n_segments"]
    texts = {t: s for t, s in zip(p.segments()["segment_id"], p.segments()["text"], strict=True)}
    shown = {sid for t in r["topics"] for sid in t.segment_ids}
    assert all(texts[sid] != "Yeah." for sid in shown)
    out = subprocess.run(
        [sys.executable, "-m", "qualkit.cli", "topics", "--seed", "3", "--json"]
        + ["--project", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    cli = [json.loads(line) for line in out.stdout.splitlines()]
    assert [(t["id"], t["size"], t["terms"]) for t in cli] == [
        (t.id, t.size, t.terms) for t in r["topics"]
    ]
    p.close()


def test_a_topic_holding_most_segments_is_clustered_again() -> None:
    """HDBSCAN put 1,699 of 2,031 turns of a real corpus in one topic, which names nothing:
    a topic over a quarter of the clustered segments is split when it has inner structure."""
    import numpy as np

    from qualkit.assist.topic_model import MAX_TOPIC_SHARE, split_large_topics

    rng = np.random.default_rng(0)
    centres = np.eye(16)[:4] * 3.0  # three sub-groups inside topic 0, and topic 1 apart
    emb = np.vstack([centres[i] + rng.normal(0, 0.3, (60, 16)) for i in range(3)])
    emb = np.vstack([emb, centres[3] + rng.normal(0, 0.3, (30, 16))]).astype(np.float32)
    labels = np.array([0] * 180 + [1] * 30)
    split, n = split_large_topics(emb, labels, mts=10, seed=1)
    assert n >= 1
    sizes = np.bincount(split[split >= 0])
    assert len(sizes) >= 4 and sizes.max() <= MAX_TOPIC_SHARE * (split >= 0).sum() + 10
    # each of the sub-groups lands in a topic of its own
    for i in range(3):
        group = split[i * 60 : (i + 1) * 60]
        assert np.bincount(group[group >= 0]).max() >= 50
    # the small topic is untouched, and a topic without inner structure stays whole
    assert len(set(split[180:].tolist())) == 1
    flat = rng.normal(0, 0.3, (200, 16)).astype(np.float32)
    kept, _ = split_large_topics(flat, np.zeros(200, dtype=int), mts=10, seed=1)
    assert (kept >= 0).sum() >= 150
