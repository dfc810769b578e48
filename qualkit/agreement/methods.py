"""The prose of the agreement report: the pooled summary, the prevalence-paradox explanation
and a methods paragraph ready to paste, each stating only facts the report computed."""

from __future__ import annotations

import math

from qualkit.agreement.consensus_scope import consensus_sentence
from qualkit.agreement.report import AgreementReport, Estimate
from qualkit.agreement.stats import CONSENSUS

REFERENCES = [
    "Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and "
    "Psychological Measurement, 20(1), 37–46.",
    "Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School "
    "for Communication, University of Pennsylvania.",
    "Gwet, K. L. (2008). Computing inter-rater reliability and its variance in the presence of "
    "high agreement. British Journal of Mathematical and Statistical Psychology, 61(1), 29–48.",
    "Feinstein, A. R., & Cicchetti, D. V. (1990). High agreement but low kappa: I. The problems "
    "of two paradoxes. Journal of Clinical Epidemiology, 43(6), 543–549.",
    "Efron, B., & Tibshirani, R. J. (1993). An introduction to the bootstrap. Chapman & Hall.",
]

FORMULAS = {
    "po": "Po = (both + neither) / N",
    "kappa": "κ = (Po − Pe) / (1 − Pe), Pe = pA·pB + (1 − pA)(1 − pB)",
    "alpha": "α = 1 − Do / De (nominal; coincidence matrix of the two coders' values)",
    "ac1": "AC1 = (Po − Pe) / (1 − Pe), Pe = 2π(1 − π), π = (pA + pB) / 2",
}
LABELS = {"po": "Po", "kappa": "κ", "alpha": "α", "ac1": "AC1"}


def num(x: float, digits: int = 2) -> str:
    # + 0.0 turns the -0.0 that rounding a tiny negative gives into 0.0: never print "-0.00"
    return "undefined" if math.isnan(x) else f"{round(x, digits) + 0.0:.{digits}f}"


def with_interval(e: Estimate) -> str:
    if math.isnan(e.value):
        return "undefined"
    if math.isnan(e.low):
        return num(e.value)
    return f"{num(e.value)} (95% CI {num(e.low)} to {num(e.high)})"


def unit_description(report: AgreementReport) -> str:
    s = report.settings
    if s["segmentation"] == "turn":
        made = "one segment per participant turn"
    else:
        made = (
            "participant turns split at sentence ends into segments of at most "
            f"{s['max_words']} words"
        )
    return f"participant segments ({made}; interviewer turns excluded)"


def pooled_summary(report: AgreementReport) -> str:
    """Pooled κ and α, and the mean and range over the codes used."""
    if not report.pooled:
        return "No code was applied by either coder on these units: nothing to pool."
    used = len(report.used_rows)
    text = (
        f"Pooled over all {used * report.n_units} code × unit decisions ({used} codes used × "
        f"{report.n_units} units): κ = {with_interval(report.pooled['kappa'])}, "
        f"α = {with_interval(report.pooled['alpha'])}, Po = {num(report.pooled['po'].value)}."
    )
    spreads = []
    for name in ("kappa", "alpha", "ac1", "po"):
        s = report.spread.get(name)
        if s is not None:
            spreads.append(
                f"{LABELS[name]} mean {num(s.mean)} (range {num(s.low)} to {num(s.high)}, "
                f"{s.n_codes} codes)"
            )
    if spreads:
        text += " Over the codes used: " + "; ".join(spreads) + "."
    return text


def paradox_explanation(report: AgreementReport) -> str:
    """Why κ can be low while Po is high, naming the codes where it happens (or '')."""
    if not report.paradox:
        return ""
    named = ", ".join(
        f"{r.name or r.code} (Po {num(r.estimates['po'].value)}, κ "
        f"{num(r.estimates['kappa'].value)}, AC1 {num(r.estimates['ac1'].value)})"
        for r in report.paradox
    )
    return (
        f"κ is low although Po is high for {named}. These codes were applied to few units, "
        "so both coders said 'no' to almost every unit: chance agreement Pe is then close to 1 "
        "and κ = (Po − Pe)/(1 − Pe) divides by a small number, so a handful of disagreements "
        "pulls it down (the prevalence paradox; Feinstein & Cicchetti, 1990). AC1 models "
        "chance differently and stays high when agreement is high; report both, with the "
        "2×2 counts."
    )


def blinding_sentence(report: AgreementReport) -> str:
    states = {r.blind for r in report.blinding}
    if states == {True} and report.consensus is not None:
        head = "The coder coded blind: they did not see the other coder's codings while coding."
    elif states == {True}:
        head = "Coding was blind: neither coder saw the other's codings while coding."
    elif False in states:
        head = "Coding was not blind for every coder."
    else:
        head = "Whether coding was blind is not fully recorded."
    return head + " " + " ".join(r.sentence() for r in report.blinding)


def methods_paragraph(report: AgreementReport) -> str:
    a, b = report.coders
    transcripts = ", ".join(report.transcripts)
    what = "code" if report.level == "code" else "theme (a code or any of its sub-codes)"
    codes = (
        f"all {len(report.rows)} codes in the codebook"
        if report.all_codes
        else f"the {len(report.used_rows)} codes applied by at least one coder "
        f"(of {report.n_codes_in_codebook})"
    )
    if report.consensus is not None:
        people = [c for c in report.coders if c != CONSENSUS]
        who = consensus_sentence(report.consensus, people)
    else:
        who = f"Two coders ({a} and {b}) coded independently."
    return (
        f"{who} The unit of analysis was "
        f"{unit_description(report)}. Agreement was computed on {report.n_units} units from "
        f"{len(report.transcripts)} transcript(s) ({transcripts}); "
        f"{report.settings['basis_note']}. {blinding_sentence(report)} For each {what} each "
        f"coder's judgement on each unit was yes or no, giving a 2×2 table per code; we report "
        f"{codes}. Coefficients: percent agreement ({FORMULAS['po']}); Cohen's kappa "
        f"({FORMULAS['kappa']}; pA, pB the share of units each coder coded; Cohen, 1960); "
        f"Krippendorff's alpha ({FORMULAS['alpha']}; Krippendorff, 2011); Gwet's AC1 "
        f"({FORMULAS['ac1']}; Gwet, 2008). 95% confidence intervals are percentile intervals "
        f"from {report.resamples} bootstrap resamples of units (seed {report.seed}; Efron & "
        f"Tibshirani, 1993). {pooled_summary(report)}"
    )
