"""The numbers behind suggestions (pure numpy): segment features, the ridge model over coded
examples, and blending it with codebook evidence."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qualkit.assist.embed import normalise_rows


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
    # codes of the neighbouring coded segments (context.py); chosen on the online curves
    neighbours: float = 2.0  # weight of that prior in the blend
    neighbour_window: int = 3  # how many segments away a coded neighbour still counts
    neighbour_decay: float = 0.5  # each further segment counts this much less


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
