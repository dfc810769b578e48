"""Codebook evidence: each code's codebook text embedded, to score segments zero-shot and to say
which field of the codebook a suggestion matched."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qualkit.assist.embed import Cancel, Embedder, Progress, WrappingEmbedder, normalise_rows
from qualkit.assist.scoring import SuggestConfig
from qualkit.errors import ProjectError

LEVELS = ("code", "theme")


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


class RememberingEmbedder(WrappingEmbedder):
    """Wraps an embedder and remembers each text's vector.

    The Suggester re-reads the codebook after every coding; its text rarely changes, so only
    new or edited entries reach the model.
    """

    def __init__(self, inner: Embedder) -> None:
        super().__init__(inner)
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
