"""The agreement report of two coders: per-code 2×2 tables and coefficients with bootstrap
intervals, pooled figures, the spread over the codes used, and the prevalence paradox.

Point values come from :mod:`qualkit.agreement.stats`; the bootstrap recomputes the same
formulas on many resampled tables at once (vectorised below, checked against stats in tests).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qualkit.agreement.blinding import BlindRecord, blind_record
from qualkit.agreement.consensus_scope import ConsensusScope, consensus_scope
from qualkit.agreement.stats import (
    CONSENSUS,
    cohen_kappa,
    pair_gwet_ac1,
    pair_krippendorff_alpha,
    pair_percent_agreement,
)
from qualkit.agreement.tables import BASIS_NOTES, judgement_matrix, units_and_layers
from qualkit.errors import QualkitError

COEFFICIENTS = ("po", "kappa", "alpha", "ac1")
RESAMPLES = 1000
SEED = 20240607
# Po at least this high while κ is below LOW_KAPPA (or undefined): the prevalence paradox.
HIGH_PO = 0.80
LOW_KAPPA = 0.40


@dataclass(frozen=True)
class Estimate:
    """A coefficient and its 95% bootstrap interval; NaN where undefined."""

    value: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float | None]:
        return {
            k: _none_if_nan(v)
            for k, v in (("value", self.value), ("low", self.low), ("high", self.high))
        }


@dataclass(frozen=True)
class CodeAgreement:
    """One code's 2×2 table (both, only A, only B, neither) and its coefficients."""

    code: str
    name: str
    both: int
    only_a: int
    only_b: int
    neither: int
    estimates: dict[str, Estimate]
    note: str = ""

    @property
    def used(self) -> bool:
        return self.both + self.only_a + self.only_b > 0


@dataclass(frozen=True)
class Spread:
    """Mean and range of one coefficient over the codes used (defined values only)."""

    mean: float
    low: float
    high: float
    n_codes: int


@dataclass
class AgreementReport:
    coders: list[str]
    level: str
    transcripts: list[str]
    basis: str
    n_units: int
    rows: list[CodeAgreement]
    n_codes_in_codebook: int
    all_codes: bool
    pooled_table: tuple[int, int, int, int]
    pooled: dict[str, Estimate]
    spread: dict[str, Spread]
    paradox: list[CodeAgreement]
    resamples: int
    seed: int
    blinding: list[BlindRecord]
    settings: dict[str, Any] = field(default_factory=dict)
    # When one side is the consensus layer: what it covers and who settled it.
    consensus: ConsensusScope | None = None
    project_root: Path | None = None  # where a project's own templates/ may override ours

    @property
    def used_rows(self) -> list[CodeAgreement]:
        return [r for r in self.rows if r.used]


def _none_if_nan(x: float) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


def coefficients_of_tables(tables: np.ndarray) -> dict[str, np.ndarray]:
    """Po, κ, α (nominal) and AC1 for many 2×2 tables at once; last axis (both, only A,
    only B, neither). NaN where a coefficient is undefined (no variation)."""
    t = np.asarray(tables, dtype=float)
    a, b, c, d = t[..., 0], t[..., 1], t[..., 2], t[..., 3]
    n = a + b + c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        po = (a + d) / n
        p_a, p_b = (a + b) / n, (a + c) / n  # share of units each coder said yes to
        pe_kappa = p_a * p_b + (1 - p_a) * (1 - p_b)
        kappa = np.where(np.isclose(pe_kappa, 1.0), np.nan, (po - pe_kappa) / (1 - pe_kappa))
        # α from the coincidence matrix T + Tᵀ: n_yes, n_no values among 2n
        n_yes, n_no, values = 2 * a + b + c, 2 * d + b + c, 2 * n
        alpha = np.where(n_yes * n_no == 0, np.nan, 1 - (values - 1) * (b + c) / (n_yes * n_no))
        pi = (p_a + p_b) / 2
        pe_ac1 = 2 * pi * (1 - pi)
        ac1 = np.where(np.isclose(pe_ac1, 1.0), np.nan, (po - pe_ac1) / (1 - pe_ac1))
    return {"po": po, "kappa": kappa, "alpha": alpha, "ac1": ac1}


def _point(table: Sequence[int]) -> tuple[dict[str, float], str]:
    """Point values from the published-formula implementations, and a note on NaNs."""
    both, only_a, only_b, neither = table
    t = [[both, only_a], [only_b, neither]]
    coefs = {
        "po": pair_percent_agreement(t),
        "kappa": cohen_kappa(t),
        "alpha": pair_krippendorff_alpha(t),
        "ac1": pair_gwet_ac1(t),
    }
    note = next((c.reason for c in coefs.values() if c.reason), "") or ""
    return {k: float(c.value) for k, c in coefs.items()}, note


def _interval(samples: np.ndarray) -> tuple[float, float]:
    """95% percentile interval over the resamples where the coefficient is defined."""
    defined = samples[~np.isnan(samples)]
    if defined.size == 0:
        return math.nan, math.nan
    low, high = np.percentile(defined, [2.5, 97.5])
    return float(low), float(high)


# Weight cells (resamples × units) drawn at once: ~32 MB of int64, however large the project.
WEIGHT_CELLS = 4_000_000


def bootstrap_weights(n_units: int, resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Blocks of the resamples × units matrix of how often each unit is drawn in each resample
    (with replacement), in order. The generator draws row by row, so the blocks are exactly the
    rows one whole draw would give, but memory stays bounded instead of growing with
    units × resamples."""
    rng = np.random.default_rng(seed)
    p = np.full(n_units, 1.0 / n_units)
    block = max(1, WEIGHT_CELLS // max(n_units, 1))
    for start in range(0, resamples, block):
        yield rng.multinomial(n_units, p, size=min(block, resamples - start))


def bootstrap_tables(
    onehot: np.ndarray, keep: np.ndarray, used: np.ndarray, resamples: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Resampled 2×2 tables: per kept row (resamples × kept × 4) and pooled over the used rows
    (resamples × 4)."""
    kept = onehot[:, keep, :]
    pooled_cells = onehot[:, used, :].sum(axis=1)  # units × 4: each unit's pooled decisions
    per_row, pooled = [], []
    for weights in bootstrap_weights(onehot.shape[0], resamples, seed):
        per_row.append(np.einsum("bu,urk->brk", weights, kept, optimize=True))
        pooled.append(weights @ pooled_cells)
    return np.concatenate(per_row), np.concatenate(pooled)


def agreement_report(
    project: Any,
    coders: Sequence[str],
    level: str = "code",
    transcripts: Sequence[str] | None = None,
    all_codes: bool = False,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> AgreementReport:
    """Agreement of exactly two coders on the shared units (see tables.shared_transcripts)."""
    if len([c for c in coders if str(c).strip()]) != 2:
        raise QualkitError("the agreement report compares exactly two coders, e.g. ana,ben")
    if resamples < 100:
        raise QualkitError("use at least 100 bootstrap resamples")
    units = units_and_layers(project, coders, transcripts, level)
    judged = judgement_matrix(units)  # 2 × units × rows
    yes_a, yes_b = judged[0], judged[1]
    # cell of each (unit, row): 0 both, 1 only A, 2 only B, 3 neither
    cells = np.where(yes_a, np.where(yes_b, 0, 1), np.where(yes_b, 2, 3))
    n_units, n_rows = cells.shape
    onehot = np.zeros((n_units, n_rows, 4), dtype=np.int64)
    np.put_along_axis(onehot, cells[..., None], 1, axis=2)
    tables = onehot.sum(axis=0)  # rows × 4
    used = tables[:, :3].sum(axis=1) > 0
    keep = np.ones(n_rows, dtype=bool) if all_codes else used

    boot, boot_pooled = bootstrap_tables(onehot, keep, used, resamples, seed)
    boot_coefs = coefficients_of_tables(boot)  # each resamples × kept rows

    rows: list[CodeAgreement] = []
    for k, j in enumerate(np.flatnonzero(keep)):
        table = tuple(int(x) for x in tables[j])
        point, note = _point(table)
        estimates = {
            name: Estimate(point[name], *_interval(boot_coefs[name][:, k])) for name in COEFFICIENTS
        }
        code, name = units.rows[j]
        rows.append(CodeAgreement(code, name, *table, estimates, note))  # type: ignore[arg-type]

    # Pooled over every code × unit decision of the codes used.
    pooled_table = tuple(int(x) for x in tables[used].sum(axis=0)) if used.any() else (0, 0, 0, 0)
    pooled_boot = coefficients_of_tables(boot_pooled)
    pooled: dict[str, Estimate] = {}
    if used.any():
        point, _ = _point(pooled_table)
        pooled = {
            name: Estimate(point[name], *_interval(pooled_boot[name])) for name in COEFFICIENTS
        }
    used_rows = [r for r in rows if r.used]
    spread = {}
    for name in COEFFICIENTS:
        values = [r.estimates[name].value for r in used_rows]
        defined = [v for v in values if not math.isnan(v)]
        if defined:
            spread[name] = Spread(float(np.mean(defined)), min(defined), max(defined), len(defined))
    paradox = [
        r
        for r in used_rows
        if r.estimates["po"].value >= HIGH_PO
        and (math.isnan(r.estimates["kappa"].value) or r.estimates["kappa"].value < LOW_KAPPA)
    ]
    settings = project.settings
    return AgreementReport(
        coders=list(units.coders),
        level=level,
        transcripts=list(units.transcripts),
        basis=units.basis,
        n_units=n_units,
        rows=rows,
        n_codes_in_codebook=n_rows,
        all_codes=all_codes,
        pooled_table=pooled_table,  # type: ignore[arg-type]
        pooled=pooled,
        spread=spread,
        paradox=paradox,
        resamples=resamples,
        seed=seed,
        # the consensus layer is nobody's coding session: only people have a blinding record
        blinding=[blind_record(project, c) for c in units.coders if c != CONSENSUS],
        settings={
            "segmentation": settings.segmentation,
            "max_words": settings.max_words,
            "blind": settings.blind,
            "basis_note": BASIS_NOTES[units.basis],
        },
        consensus=consensus_scope(project) if CONSENSUS in units.coders else None,
        project_root=getattr(project, "root", None),
    )
