"""Inter-coder agreement, implemented from the published formulas (numpy only for the maths).

Two layers:

* **Pure statistics** (no project, no pandas): two-coder coefficients on a k×k contingency
  table and multi-coder coefficients on units × categories counts or on coders × units
  reliability data. Each returns a :class:`Coefficient` — the value plus the observed and
  expected terms, so a report can show how it was computed. An undefined coefficient (e.g. κ
  when neither coder ever varies, so Pe = 1) is ``NaN`` with a ``reason``; it never raises.
  Malformed input (wrong shape, negative counts, no units) raises ``ValueError``.
* **Project level** lives in :mod:`qualkit.agreement.tables` (the per-code table,
  disagreements, consensus).

Sources: Cohen (1960); Scott (1955); Fleiss (1971); Conger (1980); Brennan & Prediger (1981);
Gwet (2008, 2014) and his irrCAC package; Krippendorff (2011) "Computing Krippendorff's
Alpha-Reliability". The GPL ``krippendorff`` package is not used.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Metric = Literal["nominal", "ordinal", "interval", "ratio"]
METRICS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")
CONSENSUS = "consensus"


@dataclass(frozen=True)
class Coefficient:
    """One agreement coefficient and the terms it was computed from.

    ``observed``/``expected`` are Po/Pe for the agreement coefficients (κ, π, AC1, Fleiss,
    Conger, Brennan–Prediger), Po/NaN for percent agreement, and Do/De (disagreements) for
    Krippendorff's α. ``value`` is NaN when the coefficient is undefined; ``reason`` says why.
    """

    name: str
    value: float
    observed: float
    expected: float
    n_units: int
    reason: str | None = None

    def __float__(self) -> float:
        return float(self.value)

    @property
    def defined(self) -> bool:
        return not math.isnan(self.value)


def _chance_corrected(name: str, po: float, pe: float, n_units: int) -> Coefficient:
    """(Po - Pe) / (1 - Pe), or NaN with a reason when Pe = 1 (no variation at all)."""
    if math.isclose(pe, 1.0, rel_tol=0.0, abs_tol=1e-12):
        return Coefficient(
            name,
            math.nan,
            po,
            pe,
            n_units,
            reason="undefined: expected agreement Pe = 1 (every rating is in one category)",
        )
    return Coefficient(name, (po - pe) / (1.0 - pe), po, pe, n_units)


# ---------------------------------------------------------------------------------------------
# Input checking and conversion
# ---------------------------------------------------------------------------------------------


def _as_table(table: Any) -> np.ndarray:
    """A square k×k table of non-negative finite counts with at least one unit."""
    t = np.asarray(table, dtype=float)
    if t.ndim != 2 or t.shape[0] != t.shape[1] or t.shape[0] < 1:
        raise ValueError(f"a contingency table must be square k×k (k >= 1); got shape {t.shape}")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("a contingency table holds non-negative finite counts")
    if t.sum() <= 0:
        raise ValueError("the contingency table has no units (all counts are 0)")
    return t


def _as_counts(counts: Any) -> np.ndarray:
    """A units × categories array of non-negative finite counts."""
    c = np.asarray(counts, dtype=float)
    if c.ndim != 2 or c.shape[0] < 1 or c.shape[1] < 1:
        raise ValueError(
            f"counts must be a 2-D array of units × categories with at least one of each; "
            f"got shape {c.shape}"
        )
    if not np.all(np.isfinite(c)) or np.any(c < 0):
        raise ValueError("counts must be non-negative finite numbers")
    if np.any(c != np.round(c)):
        raise ValueError("counts must be whole numbers")
    return c


def _as_data(data: Any) -> np.ndarray:
    """A coders × units float array; NaN marks a missing rating."""
    try:
        d = np.asarray(data, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"reliability data must be numeric (NaN for missing): {exc}") from None
    if d.ndim != 2 or d.shape[0] < 1 or d.shape[1] < 1:
        raise ValueError(
            f"reliability data must be a 2-D array of coders × units; got shape {d.shape}"
        )
    if np.any(np.isinf(d)):
        raise ValueError("reliability data must not contain infinite values")
    return d


def contingency_table(
    a: Sequence[Any], b: Sequence[Any], categories: Sequence[Any] | None = None
) -> tuple[np.ndarray, list[Any]]:
    """Cross-tabulate two coders' labels on the same units.

    ``a``, ``b``: length-N label sequences (unit i got ``a[i]`` from coder A, ``b[i]`` from B).
    Returns ``(table, categories)`` where ``table`` is k×k, ``table[i, j]`` = number of units
    coder A put in ``categories[i]`` and coder B in ``categories[j]``.
    """
    a = list(a)
    b = list(b)
    if len(a) != len(b):
        raise ValueError(f"the two coders rated different numbers of units ({len(a)} vs {len(b)})")
    if not a:
        raise ValueError("no units to compare")
    if categories is None:
        categories = sorted(set(a) | set(b), key=lambda v: (str(type(v)), v))
    cats = list(categories)
    index = {c: i for i, c in enumerate(cats)}
    if len(index) != len(cats):
        raise ValueError("categories must be distinct")
    table = np.zeros((len(cats), len(cats)))
    for x, y in zip(a, b, strict=True):
        if x not in index or y not in index:
            raise ValueError(f"label {x if x not in index else y!r} is not among the categories")
        table[index[x], index[y]] += 1
    return table, cats


def binary_table(a: Sequence[bool], b: Sequence[bool]) -> np.ndarray:
    """The 2×2 table of two coders' yes/no judgements for one code.

    Layout (rows coder A, columns coder B, category order yes, no)::

        [[both yes,  only A ],
         [only B,    neither]]
    """
    a_ = np.asarray(a, dtype=bool)
    b_ = np.asarray(b, dtype=bool)
    if a_.ndim != 1 or a_.shape != b_.shape:
        raise ValueError(f"need two 1-D yes/no vectors of equal length; got {a_.shape}, {b_.shape}")
    if a_.size == 0:
        raise ValueError("no units to compare")
    return np.array(
        [[np.sum(a_ & b_), np.sum(a_ & ~b_)], [np.sum(~a_ & b_), np.sum(~a_ & ~b_)]], dtype=float
    )


def rating_counts(data: Any) -> tuple[np.ndarray, np.ndarray]:
    """Convert coders × units reliability data (NaN = missing) to units × categories counts.

    Returns ``(counts, values)``: ``values`` are the sorted distinct ratings (the categories),
    ``counts[u, k]`` = number of coders who gave unit ``u`` the value ``values[k]``.
    """
    d = _as_data(data)
    present = ~np.isnan(d)
    values = np.unique(d[present])
    counts = np.zeros((d.shape[1], values.size))
    for k, v in enumerate(values):
        counts[:, k] = np.sum(present & (d == v), axis=0)
    return counts, values


# ---------------------------------------------------------------------------------------------
# Two coders, k×k table
# ---------------------------------------------------------------------------------------------


def _pair_margins(t: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, float]:
    n = float(t.sum())
    return n, t.sum(axis=1) / n, t.sum(axis=0) / n, float(np.trace(t)) / n


def pair_percent_agreement(table: Any) -> Coefficient:
    """Percent agreement of two coders on a k×k table.

    ``Po = sum_k t_kk / N`` (diagonal over total). ``expected`` is NaN (no chance model).
    """
    t = _as_table(table)
    n, _, _, po = _pair_margins(t)
    return Coefficient("percent_agreement", po, po, math.nan, int(round(n)))


def cohen_kappa(table: Any) -> Coefficient:
    """Cohen's (1960) κ on a k×k table (rows coder A, columns coder B).

    ``Po = sum_k t_kk / N``; ``Pe = sum_k pA_k pB_k`` with ``pA_k = t_k. / N`` (row share),
    ``pB_k = t_.k / N`` (column share); ``κ = (Po − Pe) / (1 − Pe)``. NaN when Pe = 1.
    """
    t = _as_table(table)
    n, pa, pb, po = _pair_margins(t)
    return _chance_corrected("cohen_kappa", po, float(np.sum(pa * pb)), int(round(n)))


def scott_pi(table: Any) -> Coefficient:
    """Scott's (1955) π on a k×k table.

    ``Pe = sum_k π_k²`` with ``π_k = (pA_k + pB_k) / 2``; ``π = (Po − Pe) / (1 − Pe)``.
    """
    t = _as_table(table)
    n, pa, pb, po = _pair_margins(t)
    pi = (pa + pb) / 2
    return _chance_corrected("scott_pi", po, float(np.sum(pi * pi)), int(round(n)))


def pair_gwet_ac1(table: Any) -> Coefficient:
    """Gwet's AC1 for two coders on a k×k table (k = q categories, q >= 2).

    ``π_k = (pA_k + pB_k) / 2``; ``Pe = sum_k π_k (1 − π_k) / (q − 1)``;
    ``AC1 = (Po − Pe) / (1 − Pe)``. With q = 2 (yes/no) ``Pe = 2 π_yes (1 − π_yes)``.
    """
    t = _as_table(table)
    q = t.shape[0]
    if q < 2:
        raise ValueError("Gwet's AC1 needs at least 2 categories (q - 1 divides Pe)")
    n, pa, pb, po = _pair_margins(t)
    pi = (pa + pb) / 2
    pe = float(np.sum(pi * (1 - pi)) / (q - 1))
    return _chance_corrected("gwet_ac1", po, pe, int(round(n)))


def pair_krippendorff_alpha(table: Any) -> Coefficient:
    """Krippendorff's α (nominal) for two coders and no missing values, from a k×k table.

    Every unit has m = 2 values, so the coincidence matrix is ``o = T + Tᵀ``; ``n_c`` its row
    sums, ``n = 2N``. ``Do = sum_{c≠k} o_ck / n``, ``De = sum_{c≠k} n_c n_k / (n (n − 1))``,
    ``α = 1 − Do / De``. (Equals Scott's π corrected for small samples.)
    """
    t = _as_table(table)
    o = t + t.T
    return _alpha_from_coincidences(
        o, np.arange(t.shape[0], dtype=float), "nominal", n_units=int(round(t.sum()))
    )


# ---------------------------------------------------------------------------------------------
# Krippendorff's alpha (any number of coders, missing values, four metrics)
# ---------------------------------------------------------------------------------------------


def _delta2(values: np.ndarray, n_c: np.ndarray, metric: str) -> np.ndarray:
    """Squared difference function δ²_ck (k×k) for sorted category ``values``.

    nominal: [c ≠ k]; ordinal: (sum_{g=c..k} n_g − (n_c + n_k)/2)²; interval: (c − k)²;
    ratio: ((c − k)/(c + k))².
    """
    if metric == "nominal":
        return 1.0 - np.eye(values.size)
    if metric == "ordinal":
        cum = np.cumsum(n_c)
        k = values.size
        d = np.zeros((k, k))
        for i in range(k):
            for j in range(k):
                lo, hi = min(i, j), max(i, j)
                between = cum[hi] - (cum[lo - 1] if lo > 0 else 0.0)
                d[i, j] = (between - (n_c[i] + n_c[j]) / 2) ** 2
        return d
    diff = values[:, None] - values[None, :]
    if metric == "interval":
        return diff**2
    if metric == "ratio":
        if np.any(values < 0):
            raise ValueError("the ratio metric needs non-negative values")
        total = values[:, None] + values[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.where(total == 0, 0.0, diff / np.where(total == 0, 1.0, total))
        return r**2
    raise ValueError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")


def _alpha_from_coincidences(
    o: np.ndarray, values: np.ndarray, metric: str, n_units: int
) -> Coefficient:
    n_c = o.sum(axis=1)
    n = float(n_c.sum())
    name = f"krippendorff_alpha_{metric}"
    if n < 2:
        return Coefficient(
            name,
            math.nan,
            math.nan,
            math.nan,
            n_units,
            reason="undefined: no unit has two or more values (nothing pairable)",
        )
    d2 = _delta2(values, n_c, metric)
    do = float(np.sum(o * d2)) / n
    de = float(np.sum(np.outer(n_c, n_c) * d2)) / (n * (n - 1))
    if de <= 1e-15:
        return Coefficient(
            name,
            math.nan,
            do,
            de,
            n_units,
            reason="undefined: expected disagreement De = 0 (every pairable value is the same)",
        )
    return Coefficient(name, 1.0 - do / de, do, de, n_units)


def alpha_from_counts(
    counts: Any, values: Any | None = None, metric: Metric = "nominal"
) -> Coefficient:
    """Krippendorff's α from units × categories counts (the values each unit received).

    ``counts[u, k]``: how many coders gave unit u the value ``values[k]`` (``values`` sorted
    ascending; default 0..k−1, fine for nominal). Units with ``m_u < 2`` values are not
    pairable and are dropped. Coincidences:
    ``o_ck = sum_u n_uc (n_uk − [c = k]) / (m_u − 1)``; then as :func:`krippendorff_alpha`.
    """
    c = _as_counts(counts)
    vals = np.arange(c.shape[1], dtype=float) if values is None else np.asarray(values, float)
    if vals.shape != (c.shape[1],):
        raise ValueError(f"need one value per category column ({c.shape[1]}); got {vals.shape}")
    if np.any(np.diff(vals) <= 0):
        raise ValueError("category values must be strictly increasing")
    m = c.sum(axis=1)
    pairable = c[m >= 2]
    weighted = pairable / (m[m >= 2] - 1)[:, None]
    # sum over units of (n_u n_uᵀ − diag(n_u)) / (m_u − 1), as two matrix products
    o = weighted.T @ pairable - np.diag(weighted.sum(axis=0))
    return _alpha_from_coincidences(o, vals, metric, n_units=int(pairable.shape[0]))


def krippendorff_alpha(data: Any, metric: Metric = "nominal") -> Coefficient:
    """Krippendorff's α for any number of coders, with missing values (Krippendorff 2011).

    ``data``: coders × units array of numeric values, ``NaN`` = missing. Only units with
    ``m_u >= 2`` values are pairable. With ``n_uc`` = number of values c in unit u:

    * coincidences ``o_ck = sum_u n_uc (n_uk − [c = k]) / (m_u − 1)``; ``n_c = sum_k o_ck``;
      ``n = sum_c n_c`` (pairable values);
    * ``Do = (1/n) sum_c sum_k o_ck δ²_ck``; ``De = 1/(n(n−1)) sum_c sum_k n_c n_k δ²_ck``;
    * ``α = 1 − Do / De``.

    ``δ²`` by ``metric``: nominal ``[c ≠ k]``; ordinal
    ``(sum_{g=c..k} n_g − (n_c + n_k)/2)²``; interval ``(c − k)²``; ratio
    ``((c − k)/(c + k))²``. ``observed``/``expected`` of the result are Do/De.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
    counts, values = rating_counts(data)
    if values.size == 0:
        raise ValueError("reliability data holds no values (everything is missing)")
    return alpha_from_counts(counts, values, metric)


# ---------------------------------------------------------------------------------------------
# Multi-coder coefficients on units × categories counts (Fleiss; Gwet/irrCAC conventions)
# ---------------------------------------------------------------------------------------------


def _multi_po(c: np.ndarray) -> tuple[float, int]:
    """Mean per-unit pairwise agreement over units rated at least twice, and that unit count.

    ``P_u = sum_k r_uk (r_uk − 1) / (r_u (r_u − 1))``; ``Po = mean_{u: r_u >= 2} P_u``.
    """
    r = c.sum(axis=1)
    keep = r >= 2
    if not np.any(keep):
        return math.nan, 0
    pu = np.sum(c[keep] * (c[keep] - 1), axis=1) / (r[keep] * (r[keep] - 1))
    return float(pu.mean()), int(keep.sum())


def _category_shares(c: np.ndarray) -> np.ndarray:
    """``π_k = (1/N) sum_u r_uk / r_u`` over the N units rated at least once (irrCAC)."""
    r = c.sum(axis=1)
    rated = r > 0
    return (c[rated] / r[rated, None]).sum(axis=0) / rated.sum()


def _multi_check(counts: Any) -> np.ndarray:
    c = _as_counts(counts)
    if not np.any(c.sum(axis=1) >= 2):
        raise ValueError("no unit was rated by two or more coders")
    return c


def _n_categories(c: np.ndarray, n_categories: int | None) -> int:
    """q, the number of possible categories: given, or the columns of ``c`` (at least 2)."""
    q = c.shape[1] if n_categories is None else int(n_categories)
    if q < 2 or q < c.shape[1]:
        raise ValueError(f"need q >= 2 and at least as many categories as columns; got q={q}")
    return q


def percent_agreement(counts: Any) -> Coefficient:
    """Percent agreement among m coders (mean pairwise agreement per unit).

    ``counts``: units × categories, ``r_uk`` coders putting unit u in category k, ``r_u`` its
    total. ``Po = mean over units with r_u >= 2 of sum_k r_uk (r_uk − 1) / (r_u (r_u − 1))``.
    For two coders this is the share of units on which they agree.
    """
    c = _multi_check(counts)
    po, n = _multi_po(c)
    return Coefficient("percent_agreement", po, po, math.nan, n)


def fleiss_kappa(counts: Any) -> Coefficient:
    """Fleiss' (1971) κ for m coders on units × categories counts.

    ``P_bar = Po`` (as :func:`percent_agreement`); ``π_k = (1/N) sum_u r_uk / r_u``;
    ``Pe = sum_k π_k²``; ``κ = (P_bar − Pe) / (1 − Pe)``. With a constant number of coders per
    unit this is Fleiss' original (``π_k = sum_u r_uk / (N m)``); with varying numbers it is
    the generalisation in Gwet's irrCAC (units rated once still count in ``π_k``).
    """
    c = _multi_check(counts)
    po, n = _multi_po(c)
    pi = _category_shares(c)
    return _chance_corrected("fleiss_kappa", po, float(np.sum(pi * pi)), n)


def gwet_ac1(counts: Any, n_categories: int | None = None) -> Coefficient:
    """Gwet's AC1 for m coders on units × categories counts.

    ``Pe = sum_k π_k (1 − π_k) / (q − 1)`` with ``π_k`` as in :func:`fleiss_kappa` and q the
    number of categories (default: columns of ``counts``); ``AC1 = (Po − Pe) / (1 − Pe)``.
    """
    c = _multi_check(counts)
    q = _n_categories(c, n_categories)
    po, n = _multi_po(c)
    pi = _category_shares(c)
    pe = float(np.sum(pi * (1 - pi)) / (q - 1))
    return _chance_corrected("gwet_ac1", po, pe, n)


def brennan_prediger(counts: Any, n_categories: int | None = None) -> Coefficient:
    """Brennan & Prediger's (1981) coefficient: ``Pe = 1/q``; ``(Po − 1/q) / (1 − 1/q)``."""
    c = _multi_check(counts)
    q = _n_categories(c, n_categories)
    po, n = _multi_po(c)
    return _chance_corrected("brennan_prediger", po, 1.0 / q, n)


def conger_kappa(data: Any) -> Coefficient:
    """Conger's (1980) κ, the multi-coder generalisation of Cohen's κ (irrCAC conventions).

    ``data``: coders × units (NaN = missing). ``p_gk``: share of coder g's ratings in category
    k; ``p̄_k`` its mean over the r coders; ``s²_kl = (sum_g p_gk p_gl − r p̄_k p̄_l)/(r − 1)``.
    ``Pe = sum_k (p̄_k² − s²_kk / r)``; Po as :func:`percent_agreement`;
    ``κ = (Po − Pe) / (1 − Pe)``.
    """
    d = _as_data(data)
    r = d.shape[0]
    if r < 2:
        raise ValueError("Conger's kappa needs at least 2 coders")
    counts, values = rating_counts(d)
    c = _multi_check(counts)
    po, n = _multi_po(c)
    present = ~np.isnan(d)
    per_coder = np.array([[np.sum(present[g] & (d[g] == v)) for v in values] for g in range(r)])
    rated = per_coder.sum(axis=1)
    if np.any(rated == 0):
        raise ValueError("every coder must rate at least one unit")
    p = per_coder / rated[:, None]
    pbar = p.mean(axis=0)
    s2_diag = (np.sum(p * p, axis=0) - r * pbar * pbar) / (r - 1)
    pe = float(np.sum(pbar * pbar - s2_diag / r))
    return _chance_corrected("conger_kappa", po, pe, n)
