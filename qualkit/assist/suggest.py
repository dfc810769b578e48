"""Code suggestions: the codebook's words plus what coders have already coded, with reasons.

Method (all offline, over cached embeddings):

* Each segment is represented by its embedding plus, as context, half the embedding of the
  interviewer turn just before it (the question it answers), and a coarse encoding of where it
  sits in its transcript (interview guides run in order, so position carries signal).
* Zero-shot: each code's codebook text (name, description, include, examples) is embedded; the
  similarity of a segment to it is the codebook evidence. ``exclude`` text counts against.
  A theme's codebook evidence is the best of its own and its sub-codes'.
* Few-shot: a multi-output ridge regression (closed form: one linear solve, scoring is one
  matrix product) learns each code from the segments coders have already coded. A coded segment
  being suggested is scored leave-one-out (closed form), so it never votes for itself.
* The two are standardised per segment and blended per code with weight n/(n+kappa) on the
  exemplars: as a code's examples accumulate, weight shifts from the codebook to them.
* Each suggestion says why: the nearest segment already coded with it (id, snippet,
  similarity) and the codebook field it matched best.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
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
from qualkit.assist.context import neighbour_priors
from qualkit.assist.floor import has_evidence
from qualkit.errors import ProjectError

LEVELS = ("code", "theme")
# Below this cosine a nearest example or codebook field is a weak reason, and says so.
WEAK_SIMILARITY = 0.35


@dataclass
class Suggestion:
    code_id: str
    score: float
    because: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"code": self.code_id, "score": round(float(self.score), 4), "because": self.because}


@dataclass
class SuggestConfig:
    context: float = 0.5  # weight of the preceding interviewer turn in a segment's vector
    position: float = 0.3  # weight of the position-in-transcript features
    position_bins: int = 10
    ridge: float = 1.0  # ridge regularisation (lambda)
    kappa: float = 3.0  # exemplars needed before they outweigh the codebook (n/(n+k))
    zero_shot_weight: float = 0.5  # scale of codebook evidence in the blend
    zero_shot_floor: float = 0.0  # codebook evidence kept even for codes with many examples
    exclude_weight: float = 0.5  # how much matching a code's exclude note counts against it
    hierarchy: float = 0.3  # a sub-code also gets this share of its ancestors' evidence
    neighbours: float = 2.0  # weight of the codes of neighbouring coded segments (context.py)
    neighbour_window: int = 3  # how many segments away a coded neighbour still counts
    neighbour_decay: float = 0.5  # each further segment counts this much less


# --------------------------------------------------------------------------- pure array core


def position_features(rel_pos: np.ndarray, bins: int = 10) -> np.ndarray:
    """Gaussian bumps over relative position (0 = start of transcript, 1 = end)."""
    centres = np.linspace(0.0, 1.0, bins)
    width = 1.0 / max(bins - 1, 1)
    d = (np.asarray(rel_pos, dtype=np.float32)[:, None] - centres[None, :]) / width
    return np.exp(-0.5 * d * d * 2.0).astype(np.float32)


def segment_features(
    emb: np.ndarray, ctx: np.ndarray | None, rel_pos: np.ndarray | None, cfg: SuggestConfig
) -> np.ndarray:
    """The vector the few-shot model learns from: [norm(emb + a*ctx), b*position]."""
    x = emb if ctx is None or cfg.context == 0 else normalise_rows(emb + cfg.context * ctx)
    parts = [x]
    if rel_pos is not None and cfg.position > 0:
        parts.append(cfg.position * position_features(rel_pos, cfg.position_bins))
    parts.append(np.ones((len(x), 1), dtype=np.float32))  # bias
    return np.hstack(parts).astype(np.float32)


def standardise_rows(s: np.ndarray) -> np.ndarray:
    mu = s.mean(axis=1, keepdims=True)
    sd = s.std(axis=1, keepdims=True)
    sd[sd < 1e-9] = 1.0
    return (s - mu) / sd


class RidgeModel:
    """Multi-output ridge regression on centred 0/1 targets; closed-form leave-one-out."""

    def __init__(self, lam: float = 1.0) -> None:
        self.lam = lam
        self.W: np.ndarray | None = None
        self.Ainv: np.ndarray | None = None

    def fit(self, F: np.ndarray, Y: np.ndarray) -> RidgeModel:
        self.F = F.astype(np.float64)
        Y = Y.astype(np.float64)
        self.Y = Y
        self.prior = Y.mean(axis=0) if len(Y) else np.zeros(Y.shape[1])
        T = Y - self.prior
        A = self.F.T @ self.F + self.lam * np.eye(F.shape[1])
        self.Ainv = np.linalg.inv(A)
        self.W = (self.Ainv @ (self.F.T @ T)).astype(np.float32)
        return self

    def predict(self, F: np.ndarray) -> np.ndarray:
        return F @ self.W

    def predict_loo(self, F: np.ndarray, train_rows: np.ndarray) -> np.ndarray:
        """Predictions for rows of the training set, as if each had been left out."""
        Ft = self.F[train_rows]
        h = np.einsum("ij,jk,ik->i", Ft, self.Ainv, Ft)
        pred = F.astype(np.float64) @ self.W.astype(np.float64)
        T = self.Y[train_rows] - self.prior
        return ((pred - h[:, None] * T) / (1.0 - h[:, None]).clip(1e-6)).astype(np.float32)


@dataclass
class LabelSpace:
    """The labels being suggested (codes or themes) and how codings map onto them."""

    labels: list[str]
    index: dict[str, int]
    # which labels a coded code counts for (code -> label indices)
    maps: dict[str, list[int]]
    # (L, L) row-normalised ancestor matrix for code level (None for themes)
    ancestors: np.ndarray | None = None


def label_space(codebook: Any, level: str = "code") -> LabelSpace:
    if level not in LEVELS:
        raise ProjectError(f"unknown level '{level}' (use code or theme)")
    if level == "code":
        labels = list(codebook.codes)
        index = {c: i for i, c in enumerate(labels)}
        maps = {c: [index[c]] for c in labels}
        anc = np.zeros((len(labels), len(labels)), dtype=np.float32)
        for i, c in enumerate(labels):
            for a in codebook.ancestors(c):
                if a in index:
                    anc[i, index[a]] = 1.0
        anc /= np.maximum(anc.sum(axis=1, keepdims=True), 1.0)
        return LabelSpace(labels, index, maps, anc if anc.any() else None)
    labels = [c.id for c in codebook.roots()]
    index = {c: i for i, c in enumerate(labels)}
    maps = {c: [index[codebook.theme_of(c)]] for c in codebook.codes}
    return LabelSpace(labels, index, maps)


class _RememberingEmbedder(Embedder):
    """Wraps an embedder and remembers each text's vector.

    The Suggester re-reads the codebook after every coding; its text rarely changes, so only
    new or edited entries reach the model.
    """

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.known: dict[str, np.ndarray] = {}

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        progress: Progress | None = None,
        cancel: Cancel = None,
    ) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self.known))
        if missing:
            vecs = self.inner.encode(missing, batch_size, progress, cancel)
            self.known.update(zip(missing, vecs, strict=True))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i] = self.known[t]
        return out


def code_fields(code: Any) -> list[tuple[str, str]]:
    """(field, text) pairs of a code's codebook entry that describe it."""
    name = code.name
    out = [("name", name)]
    desc = (code.description or "").strip()
    if desc:
        out.append(("description", f"{name}. {desc}"))
    inc = (code.include or "").strip()
    if inc:
        out.append(("include", f"{name}. {inc}"))
    for ex in code.examples or []:
        if str(ex).strip():
            out.append(("example", str(ex).strip()))
    return out


class CodebookEvidence:
    """Embedded codebook text: one prototype per code, field vectors for reasons, excludes."""

    def __init__(self, codebook: Any, embedder: Embedder, cfg: SuggestConfig | None = None) -> None:
        self.cfg = cfg or SuggestConfig()
        self.codes = list(codebook.codes)
        texts: list[str] = []
        owner: list[int] = []
        kinds: list[str] = []
        combined: list[str] = []
        for i, cid in enumerate(self.codes):
            code = codebook.codes[cid]
            fields = code_fields(code)
            for kind, text in fields:
                texts.append(text)
                owner.append(i)
                kinds.append(kind)
            desc = " ".join(
                t for t in [(code.description or "").strip(), (code.include or "").strip()] if t
            )
            combined.append(f"{code.name}. {desc}" if desc else code.name)
        excl = [(i, (codebook.codes[c].exclude or "").strip()) for i, c in enumerate(self.codes)]
        excl = [(i, t) for i, t in excl if t]
        vecs = embedder.encode(texts + combined + [t for _, t in excl]) if texts else None
        d = embedder.dim
        self.field_vecs = vecs[: len(texts)] if vecs is not None else np.zeros((0, d), np.float32)
        self.field_owner = np.array(owner, dtype=np.int64)
        self.field_kind = kinds
        self.field_text = texts
        comb = vecs[len(texts) : len(texts) + len(combined)] if vecs is not None else None
        # prototype: the combined entry text, averaged with its examples
        proto = np.zeros((len(self.codes), d), dtype=np.float32)
        if comb is not None:
            proto += comb
            for j, (o, k) in enumerate(zip(owner, kinds, strict=True)):
                if k == "example":
                    proto[o] += 0.5 * self.field_vecs[j]
        self.proto = normalise_rows(proto) if len(self.codes) else proto
        self.excl = np.zeros((len(self.codes), d), dtype=np.float32)
        self.has_excl = np.zeros(len(self.codes), dtype=bool)
        if excl:
            ev = vecs[len(texts) + len(combined) :]
            for (i, _), v in zip(excl, ev, strict=True):
                self.excl[i] = v
                self.has_excl[i] = True
        self.code_index = {c: i for i, c in enumerate(self.codes)}

    def code_scores(self, emb: np.ndarray) -> np.ndarray:
        """(n, n_codes) codebook similarity, exclude notes counting against."""
        s = emb @ self.proto.T
        if self.has_excl.any():
            s = s - self.cfg.exclude_weight * np.where(
                self.has_excl[None, :], np.maximum(emb @ self.excl.T, 0.0), 0.0
            )
        return s

    def label_scores(self, emb: np.ndarray, space: LabelSpace) -> np.ndarray:
        cs = self.code_scores(emb)
        if space.labels == self.codes:
            return cs
        out = np.full((len(emb), len(space.labels)), -1.0, dtype=np.float32)
        for cid, idxs in space.maps.items():
            j = self.code_index.get(cid)
            if j is None:
                continue
            for li in idxs:
                out[:, li] = np.maximum(out[:, li], cs[:, j])
        return out

    def best_field(self, emb_row: np.ndarray, label: str, space: LabelSpace) -> dict | None:
        members = [
            self.code_index[c]
            for c, idx in space.maps.items()
            if space.index[label] in idx and c in self.code_index
        ]
        mask = np.isin(self.field_owner, members)
        if not mask.any():
            return None
        idx = np.where(mask)[0]
        sims = self.field_vecs[idx] @ emb_row
        k = int(np.argmax(sims))
        j = idx[k]
        return {
            "code": self.codes[self.field_owner[j]],
            "field": self.field_kind[j],
            "text": snippet(self.field_text[j]),
            "similarity": round(float(sims[k]), 4),
        }


def snippet(text: str, n: int = 120) -> str:
    """``text`` on one line, cut to ``n`` characters with an ellipsis."""
    text = re.sub(r"\s+", " ", str(text)).strip()
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def blend(
    fewshot: np.ndarray | None,
    zeroshot: np.ndarray,
    counts: np.ndarray,
    cfg: SuggestConfig,
    ancestors: np.ndarray | None = None,
    prior: np.ndarray | None = None,
) -> np.ndarray:
    """Per segment standardised evidence, weighted per label by n/(n+kappa); with an ancestor
    matrix, each code also gets ``cfg.hierarchy`` times its ancestors' mean evidence; ``prior``
    (same shape, 0..1: the neighbouring segments' codes) adds ``cfg.neighbours`` times itself."""
    z = standardise_rows(zeroshot)
    if fewshot is None or not counts.any():
        s = z * cfg.zero_shot_weight
    else:
        w = counts / (counts + cfg.kappa)
        zw = cfg.zero_shot_weight * np.maximum(1.0 - w, cfg.zero_shot_floor)
        s = w[None, :] * standardise_rows(fewshot) + zw[None, :] * z
    if ancestors is not None and cfg.hierarchy:
        s = s + cfg.hierarchy * (s @ ancestors.T)
    if prior is not None and cfg.neighbours:
        s = s + cfg.neighbours * prior
    return s


# --------------------------------------------------------------------------- project side


@dataclass
class SegmentTable:
    """Segments of a project with their embeddings, context and features (aligned rows)."""

    frame: Any  # DataFrame of codable (participant) segments
    emb: np.ndarray  # their own embeddings
    ctx: np.ndarray  # embedding of the preceding interviewer segment (zeros if none)
    rel_pos: np.ndarray  # relative position of the turn within its transcript
    row_of: dict[int, int]  # segment_id -> row


def build_segment_table(
    project: Any,
    embedder: Embedder,
    progress: Progress | None = None,
    cancel: Cancel = None,
    transcripts: Iterable[str] | None = None,
) -> SegmentTable:
    """Embed (cached) and lay out the project's segments.

    ``transcripts`` limits the table to those transcripts plus every transcript that holds a
    coding (the exemplars). Scores of a segment depend only on its own row and on the
    exemplars, so a limited table answers exactly as the full one does for the segments it
    holds, after embedding a fraction of the project: the workbench uses it to show the
    first suggestions for the open transcript at once.
    """
    allseg = project.segments(include_interviewer=True)
    if transcripts is not None:
        wanted = set(transcripts) | set(exemplar_codings(project, None)["transcript"])
        allseg = allseg[allseg["transcript"].isin(wanted)].reset_index(drop=True)
    emb_all, _ = embed_segments(
        project, embedder, progress=progress, cancel=cancel, segments=allseg
    )
    if len(allseg) == 0:
        raise ProjectError("the project has no segments yet: run qualkit ingest first")
    order = np.lexsort(
        (
            allseg["position"].to_numpy(),
            allseg["turn"].to_numpy(),
            allseg["transcript"].astype(str).to_numpy(),
        )
    )
    allseg = allseg.iloc[order].reset_index(drop=True)
    emb_all = emb_all[order]
    is_int = allseg["is_interviewer"].to_numpy(dtype=bool)
    trans = allseg["transcript"].astype(str).to_numpy()
    turn = allseg["turn"].to_numpy(dtype=np.float64)
    # context row: the last interviewer row before each row within the same transcript (-1 if
    # none), found with running maxima rather than a Python loop over every segment
    rows = np.arange(len(allseg))
    last_interviewer = np.maximum.accumulate(np.where(is_int, rows, -1))
    before = np.concatenate(([-1], last_interviewer[:-1]))
    first_of_transcript = np.concatenate(([True], trans[1:] != trans[:-1]))
    transcript_start = np.maximum.accumulate(np.where(first_of_transcript, rows, 0))
    ctx_row = np.where(before >= transcript_start, before, -1)
    max_turn = allseg.groupby("transcript")["turn"].transform("max").to_numpy(dtype=np.float64)
    rel = np.where(max_turn > 0, turn / np.maximum(max_turn, 1), 0.0)
    keep = np.where(~is_int)[0]
    frame = allseg.iloc[keep].reset_index(drop=True)
    ctx = np.zeros((len(keep), emb_all.shape[1]), dtype=np.float32)
    has = ctx_row[keep] >= 0
    ctx[has] = emb_all[ctx_row[keep][has]]
    row_of = {int(s): i for i, s in enumerate(frame["segment_id"].tolist())}
    return SegmentTable(frame, emb_all[keep], ctx, rel[keep].astype(np.float32), row_of)


def exemplar_codings(project: Any, coder: str | None, blind: bool | None = None) -> Any:
    """Codings that may teach suggestions for `coder`: every coder's, or, when the project codes
    blind, only the coder's own layer."""
    blind = getattr(project.settings, "blind", False) if blind is None else blind
    df = project.codings()
    if df.empty:
        return df
    if "orphaned" in df:
        df = df[~df["orphaned"].astype(bool)]
    if blind and coder:
        df = df[df["coder"] == coder]
    return df


class Suggester:
    """Suggests codes for segments of one project; build once, ask many times.

    ``Suggester(project)`` embeds what is missing (cached), embeds the codebook, and trains the
    few-shot model on the current codings. Call ``refresh()`` after codings or the codebook
    change (cheap: no re-embedding of segments).
    """

    def __init__(
        self,
        project: Any,
        embedder: Embedder | None = None,
        level: str = "code",
        cfg: SuggestConfig | None = None,
        coder: str | None = None,
        progress: Progress | None = None,
        cancel: Cancel = None,
        transcripts: Iterable[str] | None = None,
    ) -> None:
        self.project = project
        self.embedder = embedder or embedder_for(project)
        self.cfg = cfg or SuggestConfig()
        self.level = level
        self.coder = coder
        # None: every segment; else only these transcripts (and those holding exemplars).
        self.transcripts = None if transcripts is None else set(transcripts)
        self.table = build_segment_table(project, self.embedder, progress, cancel, transcripts)
        self._codebook_embedder = _RememberingEmbedder(self.embedder)
        self.features = segment_features(
            self.table.emb, self.table.ctx, self.table.rel_pos, self.cfg
        )
        # reasons look up a neighbour per suggestion: plain arrays, not a pandas row each time
        self._segment_ids = self.table.frame["segment_id"].to_numpy(dtype=np.int64)
        self._texts = self.table.frame["text"].astype(str).tolist()
        self._transcripts = self.table.frame["transcript"].astype(str).to_numpy()
        self.refresh()

    # -- model ----------------------------------------------------------------------------
    def refresh(self) -> None:
        cb = self.project.codebook
        self.codebook = cb
        self.evidence = CodebookEvidence(cb, self._codebook_embedder, self.cfg)
        self.space = label_space(cb, self.level)
        self.zero = self.evidence.label_scores(self.table.emb, self.space).astype(np.float32)
        codings = exemplar_codings(self.project, self.coder)
        self.set_exemplars(
            [(int(s), str(c)) for s, c in zip(codings["segment_id"], codings["code"], strict=True)]
            if len(codings)
            else []
        )

    def set_exemplars(self, pairs: Iterable[tuple[int, str]]) -> None:
        """Train the few-shot model on (segment_id, code_id) pairs."""
        L = len(self.space.labels)
        rows: dict[int, np.ndarray] = {}
        for sid, code in pairs:
            r = self.table.row_of.get(int(sid))
            if r is None or code not in self.space.maps:
                continue
            y = rows.setdefault(r, np.zeros(L, dtype=np.float32))
            for li in self.space.maps[code]:
                y[li] = 1.0
        self.train_rows = np.array(sorted(rows), dtype=np.int64)
        self.train_pos = {int(r): i for i, r in enumerate(self.train_rows)}
        self.Y = (
            np.stack([rows[r] for r in self.train_rows])
            if rows
            else np.zeros((0, L), dtype=np.float32)
        )
        self.counts = self.Y.sum(axis=0)
        if len(self.train_rows) >= 2 and self.counts.any():
            self.model: RidgeModel | None = RidgeModel(self.cfg.ridge).fit(
                self.features[self.train_rows], self.Y
            )
        else:
            self.model = None
        # exemplar index for reasons: columns sorted by label
        self.ex_emb = self.table.emb[self.train_rows] if len(self.train_rows) else None

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """Blended scores (len(rows), n_labels) for table rows."""
        rows = np.asarray(rows, dtype=np.int64)
        few = None
        if self.model is not None:
            few = self.model.predict(self.features[rows])
            # train_rows is sorted, so one searchsorted finds which rows are exemplars and where
            pos = np.searchsorted(self.train_rows, rows)
            inside = self.train_rows[pos.clip(max=len(self.train_rows) - 1)] == rows
            if inside.any():
                few[inside] = self.model.predict_loo(self.features[rows[inside]], pos[inside])
        prior = self.neighbour_prior(rows)
        return blend(few, self.zero[rows], self.counts, self.cfg, self.space.ancestors, prior)

    def neighbour_prior(self, rows: np.ndarray) -> np.ndarray | None:
        """Labels of the coded segments next to each row in its transcript (context.py)."""
        if not self.cfg.neighbours or not len(self.train_rows):
            return None
        return neighbour_priors(rows, self.train_rows, self.Y, self._transcripts, self.cfg)

    # -- public ---------------------------------------------------------------------------
    def rows_for(self, segment_ids: Sequence[int]) -> np.ndarray:
        out = []
        for s in segment_ids:
            r = self.table.row_of.get(int(s))
            if r is None:
                raise ProjectError(f"segment {s} is not a codable segment of this project")
            out.append(r)
        return np.array(out, dtype=np.int64)

    def suggest(
        self,
        segment_ids: Sequence[int],
        coder: str | None = None,
        top_k: int = 5,
        reasons: bool = True,
        chunk: int = 2048,
    ) -> list[list[Suggestion]]:
        """Top-k suggestions per segment (same order as segment_ids).

        A segment below the evidence floor (floor.py: "Yeah.", "[laughs] Was it?") gets an empty
        list: no suggestion beats a wrong one. ``coder`` is accepted but does not change the answer: whose codings teach the model
        was fixed when the Suggester was built (its own ``coder``).
        """
        rows_all = self.rows_for(segment_ids)
        out: list[list[Suggestion]] = []
        k = max(1, min(int(top_k), len(self.space.labels)))
        for start in range(0, len(rows_all), chunk):
            rows = rows_all[start : start + chunk]
            s = self.scores(rows)
            top = (
                np.argpartition(-s, k - 1, axis=1)[:, :k]
                if s.shape[1] > k
                else np.tile(np.arange(s.shape[1]), (len(rows), 1))
            )
            ts = np.take_along_axis(s, top, axis=1)
            order = np.argsort(-ts, axis=1, kind="stable")
            top = np.take_along_axis(top, order, axis=1)
            sims = None
            if reasons and self.ex_emb is not None:
                sims = self.table.emb[rows] @ self.ex_emb.T
            prior = self.neighbour_prior(rows) if reasons else None
            for i, r in enumerate(rows.tolist()):
                row_s: list[Suggestion] = []
                if not has_evidence(self._texts[r]):
                    out.append(row_s)
                    continue
                for li in top[i].tolist():
                    because = (
                        self._because(r, li, sims[i] if sims is not None else None)
                        if reasons
                        else {}
                    )
                    if prior is not None and prior[i, li] > 0:
                        because["neighbours"] = round(float(prior[i, li]), 3)
                    row_s.append(Suggestion(self.space.labels[li], float(s[i, li]), because))
                out.append(row_s)
        return out

    def _because(self, row: int, li: int, sims: np.ndarray | None) -> dict:
        label = self.space.labels[li]
        n = int(self.counts[li]) if len(self.counts) else 0
        because: dict[str, Any] = {
            "exemplars": n,
            "weight_exemplars": round(n / (n + self.cfg.kappa), 3),
        }
        if sims is not None and n:
            cols = np.where(self.Y[:, li] > 0)[0]
            own = self.train_pos.get(row)
            if own is not None:
                cols = cols[cols != own]
            if len(cols):
                j = cols[int(np.argmax(sims[cols]))]
                nearest_row = int(self.train_rows[j])
                because["nearest"] = {
                    "segment_id": int(self._segment_ids[nearest_row]),
                    "snippet": snippet(self._texts[nearest_row]),
                    "similarity": round(float(sims[j]), 4),
                }
        fld = self.evidence.best_field(self.table.emb[row], label, self.space)
        if fld:
            because["codebook"] = fld
        best = max(
            because.get("nearest", {}).get("similarity", 0.0),
            because.get("codebook", {}).get("similarity", 0.0),
        )
        because["weak"] = best < WEAK_SIMILARITY
        return because

    def uncoded_segments(self, coder: str | None) -> list[int]:
        """Codable segments nobody (or, with ``coder``, that coder) has coded yet."""
        ids = self.table.frame["segment_id"].astype(int).tolist()
        coded = set(self.project.codings(coder or None)["segment_id"].astype(int))
        return [s for s in ids if s not in coded]


# --------------------------------------------------------------------------- provenance


def record_feedback(
    project: Any,
    coder: str,
    segment_id: int,
    suggestion: Suggestion | str,
    accepted: bool,
    rank: int | None = None,
    score: float | None = None,
) -> None:
    """Log that `coder` accepted (or rejected) a suggested code for a segment.

    Accepting also applies the code in the coder's layer (source="suggestion").
    """
    code_id = suggestion.code_id if isinstance(suggestion, Suggestion) else str(suggestion)
    if isinstance(suggestion, Suggestion) and score is None:
        score = suggestion.score
    project.codebook.get(code_id)
    if accepted:
        project.code(int(segment_id), code_id, coder, source="suggestion")
    project.store.record_suggestion(
        coder,
        int(segment_id),
        code_id,
        None if score is None else float(score),
        rank,
        bool(accepted),
    )


def suggestion_log(project: Any) -> Any:
    """Every judged suggestion as a DataFrame (time, coder, segment, code, score, rank)."""
    import pandas as pd

    rows = [dict(r) for r in project.store.suggestion_rows()]
    return pd.DataFrame(
        rows, columns=["time", "coder", "segment_id", "code_id", "score", "rank", "accepted"]
    )


def acceptance_report(project: Any, coder: str | None = None) -> Any:
    """Per code: how often its suggestions were shown-and-judged, accepted, and the rate."""
    import pandas as pd

    log = suggestion_log(project)
    if coder:
        log = log[log["coder"] == coder]
    if log.empty:
        return pd.DataFrame(columns=["code", "judged", "accepted", "rejected", "acceptance_rate"])
    log = log.assign(accepted=log["accepted"].astype(bool))
    g = log.groupby("code_id")["accepted"].agg(["count", "sum"]).reset_index()
    g.columns = ["code", "judged", "accepted"]
    g["accepted"] = g["accepted"].astype(int)
    g["rejected"] = g["judged"] - g["accepted"]
    g["acceptance_rate"] = (g["accepted"] / g["judged"]).round(3)
    return g.sort_values(["judged", "code"], ascending=[False, True]).reset_index(drop=True)
