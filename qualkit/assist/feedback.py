"""Suggestion feedback: which suggestions coders accepted or rejected, logged once by the rules
here, and how often each code's suggestions were right."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from qualkit.assist.suggest import Suggestion


def rank_of(suggestions: Sequence[Suggestion], code_id: str) -> tuple[int, float] | None:
    """(1-based rank, score) of `code_id` among the suggestions shown, or None: a code chosen
    by key or picker that was on the list counts as that suggestion accepted."""
    for rank, suggestion in enumerate(suggestions, start=1):
        if suggestion.code_id == code_id:
            return rank, float(suggestion.score)
    return None


def rejected_on_leaving(suggestions: Sequence[Suggestion], applied: set[str]) -> Suggestion | None:
    """Leaving a segment the coder coded in this visit without taking the first suggestion:
    that suggestion was wrong (the audit trail of how often suggestions were right)."""
    if not applied or not suggestions or suggestions[0].code_id in applied:
        return None
    return suggestions[0]


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

    Accepting also applies the code in the coder's layer (source="suggestion"); when the
    coder already applied it, nothing more is coded.
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

    rows = [asdict(r) for r in project.store.suggestion_rows()]
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
