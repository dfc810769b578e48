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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qualkit.assist.context import neighbour_priors
from qualkit.assist.embed import (
    Cancel,
    Embedder,
    Progress,
    StoreCachedEmbedder,
    embed_segments,
    embed_texts_cached,
    embedder_for,
)
from qualkit.assist.evidence import (
    LEVELS,
    CodebookEvidence,
    RememberingEmbedder,
    label_space,
    snippet,
)
from qualkit.assist.floor import has_evidence
from qualkit.assist.scoring import RidgeModel, SuggestConfig, blend, segment_features
from qualkit.errors import ProjectError

# Below this cosine a nearest example or codebook field is a weak reason, and says so.
WEAK_SIMILARITY = 0.35

__all__ = ["LEVELS", "Suggester", "Suggestion", "SuggestConfig"]


@dataclass
class Suggestion:
    code_id: str
    score: float
    because: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"code": self.code_id, "score": round(float(self.score), 4), "because": self.because}


# --------------------------------------------------------------------------- project side


@dataclass
class SegmentTable:
    """Segments of a project with their embeddings, context and features (aligned rows)."""

    frame: Any  # DataFrame of codable (participant) segments
    emb: np.ndarray  # their own embeddings
    ctx: np.ndarray  # embedding of the preceding interviewer segment (zeros if none)
    rel_pos: np.ndarray  # relative position of the turn within its transcript
    row_of: dict[int, int]  # segment_id -> row
    # rows whose own and context vectors are embedded (None: every row); a partial table
    # (``required``) leaves the rest as zeros until the background embedding reaches them
    ready: np.ndarray | None = None


def build_segment_table(
    project: Any,
    embedder: Embedder,
    progress: Progress | None = None,
    cancel: Cancel = None,
    transcripts: Iterable[str] | None = None,
    required: Iterable[int] | None = None,
) -> SegmentTable:
    """Embed (cached) and lay out the project's segments.

    ``transcripts`` limits the table to those transcripts plus every transcript that holds a
    coding (the exemplars). Scores of a segment depend only on its own row and on the
    exemplars, so a limited table answers exactly as the full one does for the segments it
    holds, after embedding a fraction of the project: the workbench uses it to show the
    first suggestions for the open transcript at once.

    ``required`` (segment ids) goes further: only those segments, the coded ones and the
    interviewer turns before them are embedded now; every other row takes its vector from the
    cache if it is there and is marked not ready otherwise (``SegmentTable.ready``). Ready rows
    score exactly as in the full table; the rows keep their transcript order, so neighbours
    are the same.
    """
    allseg = project.segments(include_interviewer=True)
    exemplar_ids = set(exemplar_codings(project, None)["segment_id"].astype(int))
    if transcripts is not None:
        wanted = set(transcripts) | set(exemplar_codings(project, None)["transcript"])
        allseg = allseg[allseg["transcript"].isin(wanted)].reset_index(drop=True)
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
    if required is None:
        emb_all, _ = embed_segments(
            project, embedder, progress=progress, cancel=cancel, segments=allseg
        )
        present = np.ones(len(allseg), dtype=bool)
    else:
        ids = allseg["segment_id"].to_numpy(dtype=np.int64)
        need = np.isin(ids, np.fromiter(set(required) | exemplar_ids, dtype=np.int64))
        need_rows = np.union1d(np.where(need)[0], ctx_row[need & (ctx_row >= 0)])
        emb_all, present = _embed_some(project, embedder, allseg, need_rows, progress, cancel)
    max_turn = allseg.groupby("transcript")["turn"].transform("max").to_numpy(dtype=np.float64)
    rel = np.where(max_turn > 0, turn / np.maximum(max_turn, 1), 0.0)
    keep = np.where(~is_int)[0]
    frame = allseg.iloc[keep].reset_index(drop=True)
    ctx = np.zeros((len(keep), emb_all.shape[1]), dtype=np.float32)
    has = ctx_row[keep] >= 0
    ctx[has] = emb_all[ctx_row[keep][has]]
    ready = present[keep] & np.where(has, present[ctx_row[keep].clip(min=0)], True)
    row_of = {int(s): i for i, s in enumerate(frame["segment_id"].tolist())}
    return SegmentTable(
        frame,
        emb_all[keep],
        ctx,
        rel[keep].astype(np.float32),
        row_of,
        None if ready.all() else ready,
    )


def _embed_some(
    project: Any,
    embedder: Embedder,
    allseg: Any,
    need_rows: np.ndarray,
    progress: Progress | None,
    cancel: Cancel,
) -> tuple[np.ndarray, np.ndarray]:
    """Vectors for every row of ``allseg``: ``need_rows`` embedded now (cached), the others
    read from the cache where they are; returns (matrix, which rows have a vector)."""
    texts = allseg["text"].tolist()
    hashes = allseg["text_hash"].tolist()
    emb = np.zeros((len(allseg), embedder.dim), dtype=np.float32)
    present = np.zeros(len(allseg), dtype=bool)
    if len(need_rows):
        got, _ = embed_texts_cached(
            project.store,
            embedder,
            [texts[i] for i in need_rows],
            [hashes[i] for i in need_rows],
            progress=progress,
            cancel=cancel,
        )
        emb[need_rows] = got
        present[need_rows] = True
    others = np.setdiff1d(np.arange(len(allseg)), need_rows)
    cached = project.store.get_embeddings(embedder.model_id, [hashes[i] for i in others])
    for i in others.tolist():
        vec = cached.get(hashes[i])
        if vec is not None:
            emb[i] = vec
            present[i] = True
    return emb, present


def exemplar_codings(project: Any, coder: str | None, blind: bool | None = None) -> Any:
    """Codings that may teach suggestions for `coder`: those `coder` may see (every coder's, or
    only their own when the project codes blind), without orphaned ones."""
    df = project.codings(project.visible_layer(coder, blind))
    if df.empty:
        return df
    return df[~df["orphaned"].astype(bool)]


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
        required: Iterable[int] | None = None,
    ) -> None:
        self.project = project
        self.embedder = embedder or embedder_for(project)
        self.cfg = cfg or SuggestConfig()
        self.level = level
        self.coder = coder
        # None: every segment; else only these transcripts (and those holding exemplars).
        self.transcripts = None if transcripts is None else set(transcripts)
        self.table = build_segment_table(
            project, self.embedder, progress, cancel, transcripts, required
        )
        # codebook text is cached in the store too: a fresh workbench reads it, not the model
        self._codebook_embedder = RememberingEmbedder(
            StoreCachedEmbedder(self.embedder, project.store)
        )
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
        # The exemplar index for reasons: each label's exemplar columns (ascending) and their
        # vectors as one contiguous block, so a reason's nearest-exemplar search reads only the
        # suggested label's exemplars, not all of them (18k x 256 floats per segment at 50k).
        self._label_cols = [np.flatnonzero(self.Y[:, li] > 0) for li in range(L)]
        self._label_blocks = [
            np.ascontiguousarray(self.table.emb[self.train_rows[cols]]) for cols in self._label_cols
        ]

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """Blended scores (len(rows), n_labels) for table rows."""
        return self._scores_and_prior(np.asarray(rows, dtype=np.int64))[0]

    def _scores_and_prior(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The blended scores and the neighbour prior they used: suggest() shows the same prior
        as a reason, and it scans every exemplar, so it is computed once per call."""
        few = None
        if self.model is not None:
            few = self.model.predict(self.features[rows])
            # train_rows is sorted, so one searchsorted finds which rows are exemplars and where
            pos = np.searchsorted(self.train_rows, rows)
            inside = self.train_rows[pos.clip(max=len(self.train_rows) - 1)] == rows
            if inside.any():
                few[inside] = self.model.predict_loo(self.features[rows[inside]], pos[inside])
        prior = self.neighbour_prior(rows)
        blended = blend(few, self.zero[rows], self.counts, self.cfg, self.space.ancestors, prior)
        return blended, prior

    def neighbour_prior(self, rows: np.ndarray) -> np.ndarray | None:
        """Labels of the coded segments next to each row in its transcript (context.py)."""
        if not self.cfg.neighbours or not len(self.train_rows):
            return None
        return neighbour_priors(rows, self.train_rows, self.Y, self._transcripts, self.cfg)

    # -- public ---------------------------------------------------------------------------
    def ready(self, segment_id: int) -> bool:
        """Whether ``segment_id`` is in the table with its vectors (see ``required``)."""
        row = self.table.row_of.get(int(segment_id))
        if row is None:
            return False
        return self.table.ready is None or bool(self.table.ready[row])

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
        list: no suggestion beats a wrong one. ``coder`` is accepted but does not change the
        answer: whose codings teach the model was fixed when the Suggester was built.
        """
        rows_all = self.rows_for(segment_ids)
        out: list[list[Suggestion]] = []
        k = max(1, min(int(top_k), len(self.space.labels)))
        for start in range(0, len(rows_all), chunk):
            rows = rows_all[start : start + chunk]
            s, prior = self._scores_and_prior(rows)
            top = (
                np.argpartition(-s, k - 1, axis=1)[:, :k]
                if s.shape[1] > k
                else np.tile(np.arange(s.shape[1]), (len(rows), 1))
            )
            ts = np.take_along_axis(s, top, axis=1)
            order = np.argsort(-ts, axis=1, kind="stable")
            top = np.take_along_axis(top, order, axis=1)
            shown = np.array([has_evidence(self._texts[r]) for r in rows.tolist()], dtype=bool)
            nearest = self._nearest_exemplars(rows, top, shown) if reasons else {}
            if not reasons:
                prior = None
            for i, r in enumerate(rows.tolist()):
                row_s: list[Suggestion] = []
                if not shown[i]:
                    out.append(row_s)
                    continue
                for li in top[i].tolist():
                    because = self._because(r, li, nearest.get((i, li))) if reasons else {}
                    if prior is not None and prior[i, li] > 0:
                        because["neighbours"] = round(float(prior[i, li]), 3)
                    row_s.append(Suggestion(self.space.labels[li], float(s[i, li]), because))
                out.append(row_s)
        return out

    def _nearest_exemplars(
        self, rows: np.ndarray, top: np.ndarray, shown: np.ndarray
    ) -> dict[tuple[int, int], tuple[int, float]]:
        """For each shown row i and each label li among its top: the nearest exemplar of li
        (its exemplar column, its cosine), the row itself left out. Keyed (i, li).

        One product per label over that label's own block of exemplars, for the rows that
        show the label: the same argmax over the same columns in the same order as a product
        with every exemplar, at a fraction of the reads."""
        found: dict[tuple[int, int], tuple[int, float]] = {}
        for li in np.unique(top[shown]).tolist():
            cols = self._label_cols[li]
            if not len(cols):
                continue
            at = np.flatnonzero(shown & (top == li).any(axis=1))
            sims = self.table.emb[rows[at]] @ self._label_blocks[li].T
            for k, i in enumerate(at.tolist()):
                row_sims = sims[k]
                own = self.train_pos.get(int(rows[i]))
                if own is not None:
                    p = int(np.searchsorted(cols, own))
                    if p < len(cols) and cols[p] == own:
                        if len(cols) == 1:
                            continue  # its only exemplar is the row itself
                        row_sims = row_sims.copy()
                        row_sims[p] = -np.inf
                j = int(np.argmax(row_sims))
                found[(i, li)] = (int(cols[j]), float(row_sims[j]))
        return found

    def _because(self, row: int, li: int, nearest: tuple[int, float] | None) -> dict:
        label = self.space.labels[li]
        n = int(self.counts[li]) if len(self.counts) else 0
        because: dict[str, Any] = {
            "exemplars": n,
            "weight_exemplars": round(n / (n + self.cfg.kappa), 3),
        }
        if nearest is not None:
            column, similarity = nearest
            nearest_row = int(self.train_rows[column])
            because["nearest"] = {
                "segment_id": int(self._segment_ids[nearest_row]),
                "snippet": snippet(self._texts[nearest_row]),
                "similarity": round(similarity, 4),
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

    def coding_units(self) -> list[int]:
        """The table's coding units in order. The table also holds short turns kept as context
        ("No.", "Same."): neighbours for the scoring, but nothing a coder codes."""
        units = set(self.project.segments()["segment_id"].astype(int))
        return [s for s in self.table.frame["segment_id"].astype(int).tolist() if s in units]

    def uncoded_segments(self, coder: str | None) -> list[int]:
        """Coding units nobody (or, with ``coder``, that coder) has coded yet."""
        coded = set(self.project.codings(coder or None)["segment_id"].astype(int))
        return [s for s in self.coding_units() if s not in coded]
