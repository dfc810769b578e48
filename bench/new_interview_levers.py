"""Levers for the new-interview figure (`--by transcript`) on PDPilot, each on the same folds.

    python bench/pdpilot_project.py /tmp/pdpilot-project     # once
    python bench/new_interview_levers.py [/tmp/pdpilot-project] [--coder gold] [--nested]
        [--fine-tune]

Each row replaces the scoring of `qualkit eval suggestions --by transcript` (5 folds that hold
out whole interviews, seed 0) and prints top-1/3/5 at both levels. Whatever a lever fits is
fitted on the training folds only: the calibration rows learn their weights from a
leave-one-interview-out pass inside the training folds, never from the held-out interview. The
embedding model is the project's (`embedding_model:` in its qualkit.yaml), so pointing this at a
copy of the project set to all-mpnet-base-v2 measures the levers on that model. ``--nested``
adds a row that chooses the lever per fold by a leave-one-interview-out pass inside the
training folds (the logistic row left out: it is the slow one), the honest way to pick one.
``--fine-tune`` adds a row that fine-tunes MiniLM on each fold's training segments (about 16
minutes in all on 2 cores).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qualkit.assist.embed import normalise_rows  # noqa: E402
from qualkit.assist.evaluate import gold_by_row, hit_rates, holdout_folds  # noqa: E402
from qualkit.assist.scoring import (  # noqa: E402
    RidgeModel,
    blend,
    segment_features,
    standardise_rows,
)
from qualkit.assist.suggest import Suggester  # noqa: E402
from qualkit.project import Project  # noqa: E402


class Fold:
    """One held-out split: training rows with their gold, test rows, and the suggester's arrays."""

    def __init__(self, sug: Suggester, train: np.ndarray, gold: np.ndarray, test: np.ndarray):
        self.sug, self.train, self.gold, self.test = sug, train, gold, test
        self.cfg = sug.cfg
        self.anc = sug.space.ancestors
        self.counts = gold.sum(axis=0).astype(np.float32)

    def ridge(self, rows: np.ndarray, train: np.ndarray | None = None, gold=None) -> np.ndarray:
        train = self.train if train is None else train
        gold = self.gold if gold is None else gold
        model = RidgeModel(self.cfg.ridge).fit(self.sug.features[train], gold.astype(np.float32))
        return model.predict(self.sug.features[rows])

    def blend(self, few: np.ndarray | None) -> np.ndarray:
        return blend(few, self.sug.zero[self.test], self.counts, self.cfg, self.anc)


def qualkit_today(f: Fold) -> np.ndarray:
    return f.blend(f.ridge(f.test))


def question_context(f: Fold, weight: float) -> np.ndarray:
    """The ridge on features whose preceding-interviewer-question share is ``weight``."""
    t = f.sug.table
    cfg = f.cfg.__class__(**{**f.cfg.__dict__, "context": weight})
    F = segment_features(t.emb, t.ctx, t.rel_pos, cfg)
    model = RidgeModel(cfg.ridge).fit(F[f.train], f.gold.astype(np.float32))
    return f.blend(model.predict(F[f.test]))


def base_rate_added(f: Fold) -> np.ndarray:
    # the ridge learns centred targets: add each code's share of the training codings back
    return f.blend(f.ridge(f.test) + f.gold.mean(axis=0)[None, :].astype(np.float32))


def knn_votes(f: Fold, k: int = 30, temperature: float = 0.05) -> np.ndarray:
    x = normalise_rows(f.sug.features[:, :-1])
    sims = x[f.test] @ x[f.train].T
    w = np.exp((sims - sims.max(axis=1, keepdims=True)) / temperature)
    if k < len(f.train):
        np.put_along_axis(w, np.argsort(-sims, axis=1)[:, k:], 0.0, axis=1)
    return f.blend(w @ f.gold.astype(np.float32) / w.sum(axis=1, keepdims=True))


def prototypes(f: Fold) -> np.ndarray:
    # each code's mean exemplar vector; the codebook side of the blend is its label text
    x = normalise_rows(f.sug.features[:, :-1])
    means = normalise_rows(f.gold.T.astype(np.float32) @ x[f.train])
    sims = x[f.test] @ means.T
    return f.blend(np.where(f.counts[None, :] > 0, sims, -1.0))


def logistic(f: Fold, c: float = 1.0) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    few = np.full((len(f.test), f.gold.shape[1]), -10.0, dtype=np.float32)
    F = f.sug.features
    for j in range(f.gold.shape[1]):
        y = f.gold[:, j]
        if y.any() and not y.all():
            model = LogisticRegression(C=c, max_iter=2000).fit(F[f.train], y)
            few[:, j] = model.decision_function(F[f.test])
    return f.blend(few)


def _pair_features(f: Fold, few: np.ndarray, rows: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """(rows, labels, features) for calibration: standardised few-shot and codebook evidence,
    their evidence-weighted forms, the code's number of examples, and the ancestors' share."""
    zf, zz = standardise_rows(few), standardise_rows(f.sug.zero[rows])
    n = np.broadcast_to(counts[None, :], zz.shape)
    w = n / (n + f.cfg.kappa)
    cols = [zf, zz, w * zf, (1 - w) * zz, np.log1p(n), w]
    if f.anc is not None:
        cols += [zf @ f.anc.T, zz @ f.anc.T]
    return np.stack(cols, axis=-1)


def calibrated(f: Fold, per_code_bias: bool = False, c: float = 0.1) -> np.ndarray:
    """Calibration across codes: one logistic model over (segment, code) pairs, fitted on
    leave-one-interview-out scores of the training folds only."""
    from sklearn.linear_model import LogisticRegression

    trans = f.sug.table.frame["transcript"].astype(str).to_numpy()[f.train]
    X, y = [], []
    for name in sorted(set(trans)):
        inside = trans == name
        if (~inside).sum() < 2:
            continue
        few = f.ridge(f.train[inside], f.train[~inside], f.gold[~inside])
        counts = f.gold[~inside].sum(axis=0).astype(np.float32)
        X.append(_pair_features(f, few, f.train[inside], counts))
        y.append(f.gold[inside])
    Xa, ya = np.concatenate(X), np.concatenate(y)
    L = ya.shape[1]

    def flat(x: np.ndarray) -> np.ndarray:
        rows = x.reshape(-1, x.shape[-1])
        return np.hstack([rows, np.tile(np.eye(L), (len(x), 1))]) if per_code_bias else rows

    model = LogisticRegression(C=c, max_iter=3000).fit(flat(Xa), ya.reshape(-1))
    Xt = _pair_features(f, f.ridge(f.test), f.test, f.counts)
    return model.decision_function(flat(Xt)).reshape(len(f.test), L)


def transductive(f: Fold, width: int = 2, weight: float = 0.5) -> np.ndarray:
    """Scores smoothed over the other (uncoded or coded, gold unseen) segments of the same new
    transcript within ``width`` turns: the new interview's own runs, without its codes."""
    trans = f.sug.table.frame["transcript"].astype(str).to_numpy()
    wanted = np.isin(trans, list(set(trans[f.test])))
    rows = np.where(wanted)[0]
    own = standardise_rows(blend(f.ridge(rows), f.sug.zero[rows], f.counts, f.cfg, f.anc))
    at = {int(r): i for i, r in enumerate(rows)}
    out = np.zeros((len(f.test), own.shape[1]), dtype=np.float32)
    for i, r in enumerate(f.test.tolist()):
        near = [
            own[at[r + d]]
            for d in range(-width, width + 1)
            if d and (r + d) in at and trans[r + d] == trans[r]
        ]
        out[i] = own[at[r]] + (weight * np.mean(near, axis=0) if near else 0.0)
    return out


def lexical(f: Fold, weight: float = 0.3, lam: float = 1.0) -> np.ndarray:
    """A ridge on TF-IDF word and bigram counts (vocabulary from the training folds) beside the
    embedding ridge: the words a code's examples share, which a sentence embedding can blur."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = f.sug.table.frame["text"].astype(str).tolist()
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, stop_words="english")
    vec.fit([texts[i] for i in f.train])
    X = vec.transform(texts).toarray().astype(np.float32)
    X = np.hstack([X, np.ones((len(X), 1), dtype=np.float32)])
    words = RidgeModel(lam).fit(X[f.train], f.gold.astype(np.float32)).predict(X[f.test])
    return f.blend(standardise_rows(f.ridge(f.test)) + weight * standardise_rows(words))


def _added(f: Fold, term: np.ndarray, weight: float) -> np.ndarray:
    return standardise_rows(qualkit_today(f)) + weight * standardise_rows(term)


def position_prior(f: Fold, weight: float = 0.6, bandwidth: float = 0.08) -> np.ndarray:
    """Interviews follow a guide: each label's share of the training codings near the same
    relative position (a Gaussian kernel over 0 = start .. 1 = end), added beside today's
    scores. The ridge already sees position, but only as a linear term per bump."""
    rel = np.asarray(f.sug.table.rel_pos, dtype=np.float32)
    d = (rel[f.test][:, None] - rel[f.train][None, :]) / bandwidth
    near = np.exp(-0.5 * d * d)
    share = (near @ f.gold.astype(np.float32) + 0.5 * f.counts / len(f.train)) / (
        near.sum(axis=1, keepdims=True) + 0.5
    )
    return _added(f, share, weight)


def question_neighbours(f: Fold, weight: float = 0.3, k: int = 10) -> np.ndarray:
    """Votes from the codings of training answers whose preceding interviewer question is most
    like this one's (the same guide question asked in another interview), beside today's
    scores."""
    ctx = normalise_rows(f.sug.table.ctx.astype(np.float32) + 1e-9)
    sims = ctx[f.test] @ ctx[f.train].T
    w = np.exp((sims - sims.max(axis=1, keepdims=True)) / 0.05)
    if k < len(f.train):
        np.put_along_axis(w, np.argsort(-sims, axis=1)[:, k:], 0.0, axis=1)
    return _added(f, w @ f.gold.astype(np.float32) / w.sum(axis=1, keepdims=True), weight)


def _question_texts(sug: Suggester) -> list[str | None]:
    """The interviewer turn before each participant row, as the table's context vectors use."""
    before: dict[int, str | None] = {}
    last: str | None = None
    transcript = None
    segs = sug.project.segments(include_interviewer=True)
    for r in segs.sort_values(["transcript", "turn", "position"]).itertuples():
        if r.transcript != transcript:
            transcript, last = r.transcript, None
        if r.is_interviewer:
            last = r.text
        else:
            before[int(r.segment_id)] = last
    return [before.get(int(s)) for s in sug.table.frame["segment_id"]]


def fine_tuned(f: Fold, pairs_per_row: int = 4, seed: int = 0) -> np.ndarray:
    """SetFit-style: MiniLM tuned for one epoch on pairs of training segments (cosine 1 when
    they share a label, 0 when not), then the same ridge and blend on its vectors. About 90 s
    per fold on 2 cores (``--fine-tune``)."""
    import random

    import torch
    from sentence_transformers import SentenceTransformer

    from qualkit.assist.model_files import bundled_model_path

    rng = random.Random(seed)
    torch.manual_seed(seed)
    texts = f.sug.table.frame["text"].astype(str).tolist()
    model = SentenceTransformer(str(bundled_model_path()), device="cpu")
    model.max_seq_length = 128
    labels = [set(np.flatnonzero(g)) for g in f.gold]
    pairs = []
    for i, mine in enumerate(labels):
        same = [j for j, other in enumerate(labels) if j != i and mine & other]
        apart = [j for j, other in enumerate(labels) if not mine & other]
        for _ in range(pairs_per_row // 2):
            pairs += [(i, rng.choice(same), 1.0)] if same else []
            pairs += [(i, rng.choice(apart), 0.0)] if apart else []
    rng.shuffle(pairs)
    train_texts = [texts[r] for r in f.train]
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-5)
    model.train()
    for b in range(0, len(pairs), 16):
        batch = pairs[b : b + 16]
        left = model(model.tokenize([train_texts[i] for i, _, _ in batch]))["sentence_embedding"]
        right = model(model.tokenize([train_texts[j] for _, j, _ in batch]))["sentence_embedding"]
        cos = torch.nn.functional.cosine_similarity(left, right)
        loss = ((cos - torch.tensor([y for _, _, y in batch])) ** 2).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    emb = model.encode(texts, normalize_embeddings=True, batch_size=32).astype(np.float32)
    questions = _question_texts(f.sug)
    ctx = np.zeros_like(emb)
    asked = [i for i, q in enumerate(questions) if q]
    ctx[asked] = model.encode([questions[i] for i in asked], normalize_embeddings=True)
    F = segment_features(emb, ctx, f.sug.table.rel_pos, f.cfg)
    ridge = RidgeModel(f.cfg.ridge).fit(F[f.train], f.gold.astype(np.float32))
    return f.blend(ridge.predict(F[f.test]))


def seen_in_training(gold: np.ndarray, parts: list[np.ndarray]) -> float:
    """The share of rows with at least one gold label that the training folds have examples
    of: above it, only the codebook side can find the rest."""
    seen = 0
    for test in parts:
        counts = gold[np.setdiff1d(np.arange(len(gold)), test)].sum(axis=0)
        seen += int(((gold[test] > 0) & (counts[None, :] > 0)).any(axis=1).sum())
    return seen / len(gold)


LEVERS: list[tuple[str, Callable[[Fold], np.ndarray]]] = [
    ("qualkit today (ridge + codebook blend)", qualkit_today),
    ("no interviewer question as context (0.5 today)", lambda f: question_context(f, 0.0)),
    ("interviewer question at weight 1.0", lambda f: question_context(f, 1.0)),
    ("base rate added to the ridge", base_rate_added),
    ("kNN over exemplars, similarity-weighted votes", knn_votes),
    ("prototypes (mean exemplar vector per code)", prototypes),
    ("logistic regression per code", logistic),
    ("calibration across codes (training folds)", calibrated),
    ("calibration + per-code bias", lambda f: calibrated(f, per_code_bias=True)),
    ("transductive: smoothed over the new transcript", transductive),
    ("lexical: TF-IDF ridge beside the embedding ridge", lexical),
    ("position in the interview as a kernel prior", position_prior),
    ("votes of answers to similar questions (k=10)", question_neighbours),
]


def with_gold_themes(f: Fold, test_gold: np.ndarray) -> np.ndarray:
    """A diagnostic, not a lever: today's code scores, ranked within the held-out segment's own
    (gold) themes first. How much of the code gap is finding the theme."""
    cb, labels = f.sug.codebook, f.sug.space.labels
    themes = sorted({cb.theme_of(c) for c in labels})
    theme_of = np.array([themes.index(cb.theme_of(c)) for c in labels])
    own = np.zeros((len(f.test), len(themes)), dtype=bool)
    for i, row_gold in enumerate(test_gold):
        own[i, theme_of[row_gold > 0]] = True
    return standardise_rows(qualkit_today(f)) + 100.0 * own[:, theme_of]


def nested_choice(
    sug: Suggester,
    rows: np.ndarray,
    gold: np.ndarray,
    groups: np.ndarray,
    train: np.ndarray,
    key: str,
) -> tuple[str, Callable[[Fold], np.ndarray]]:
    """The lever with the best ``key`` hit rate when each training interview is held out in
    turn from the training folds: chosen without the outer fold's held-out interviews."""
    levers = [(n, lever) for n, lever in LEVERS if lever is not logistic]
    inner = {n: np.zeros((len(train), gold.shape[1]), dtype=np.float32) for n, _ in levers}
    tg = groups[train]
    for name in sorted(set(tg)):
        inside = tg == name
        fold_rows, fold_gold = rows[train], gold[train]
        for n, lever in levers:
            f = Fold(sug, fold_rows[~inside], fold_gold[~inside], fold_rows[inside])
            inner[n][inside] = lever(f)
    return max(levers, key=lambda nl: hit_rates(inner[nl[0]], gold[train])[key])


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    root = Path(args[0] if args else "/tmp/pdpilot-project")
    coder = sys.argv[sys.argv.index("--coder") + 1] if "--coder" in sys.argv else "gold"
    p = Project.open(root)
    results: dict[str, dict[str, dict[str, float]]] = {}
    seen: dict[str, float] = {}
    model = ""
    for level in ("theme", "code"):
        sug = Suggester(p, level=level, coder=coder)
        model = sug.embedder.model_id
        per_row = gold_by_row(sug, p.codings(coder))
        rows = np.array(sorted(per_row), dtype=np.int64)
        gold = np.stack([per_row[r] for r in rows])
        groups = sug.table.frame["transcript"].astype(str).to_numpy()[rows]
        parts = holdout_folds(len(rows), 5, 0, groups)  # the folds of `--by transcript`, seed 0
        seen[level] = seen_in_training(gold, parts)
        levers = LEVERS + (
            [("fine-tuned MiniLM (SetFit-style, 1 epoch)", fine_tuned)]
            if "--fine-tune" in sys.argv
            else []
        )
        for name, lever in levers:
            scores = np.zeros(gold.shape, dtype=np.float32)
            for test in parts:
                train = np.setdiff1d(np.arange(len(rows)), test)
                scores[test] = lever(Fold(sug, rows[train], gold[train], rows[test]))
            results.setdefault(name, {})[level] = hit_rates(scores, gold)
        if level == "code":
            scores = np.zeros(gold.shape, dtype=np.float32)
            for test in parts:
                train = np.setdiff1d(np.arange(len(rows)), test)
                f = Fold(sug, rows[train], gold[train], rows[test])
                scores[test] = with_gold_themes(f, gold[test])
            gold_themes = hit_rates(scores, gold)
        if "--nested" in sys.argv:
            key = "top3" if level == "theme" else "top5"  # the target for the level
            scores = np.zeros(gold.shape, dtype=np.float32)
            for test in parts:
                train = np.setdiff1d(np.arange(len(rows)), test)
                _, lever = nested_choice(sug, rows, gold, groups, train, key)
                scores[test] = lever(Fold(sug, rows[train], gold[train], rows[test]))
            results.setdefault("lever chosen inside the training folds", {})[level] = hit_rates(
                scores, gold
            )
    p.close()
    print(f"PDPilot ({root}), coder {coder}, model {model}: new interview (--by transcript)")
    head = f"{'theme top1':>11}{'top3':>7}{'top5':>7}{'code top1':>11}{'top3':>7}{'top5':>7}"
    print(f"{'lever':<48}{head}")
    for name, by_level in results.items():
        t, c = by_level["theme"], by_level["code"]
        print(
            f"{name:<48}{t['top1']:>11.3f}{t['top3']:>7.3f}{t['top5']:>7.3f}"
            f"{c['top1']:>11.3f}{c['top3']:>7.3f}{c['top5']:>7.3f}"
        )
    print("targets (issue 14): theme top3 >= 0.90, code top5 >= 0.72")
    print(
        "diagnostic, code level with each segment's gold themes given: "
        f"top1 {gold_themes['top1']:.3f}, top3 {gold_themes['top3']:.3f}, "
        f"top5 {gold_themes['top5']:.3f} (the code gap is mostly finding the theme)"
    )
    print(
        "rows with a gold label the training folds have examples of: "
        f"theme {seen['theme']:.3f}, code {seen['code']:.3f} (the rest only the codebook can find)"
    )


if __name__ == "__main__":
    main()
