"""Adjudication into the ``consensus`` layer: seed it with what both coders applied, decide
each disagreement (take A's, take B's, both, neither, with a note), and the rule that exports
default to consensus once it exists. Every decision is one undoable event by the adjudicator.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from qualkit.agreement.stats import CONSENSUS
from qualkit.agreement.tables import disagreements, judgement_matrix, units_and_layers
from qualkit.errors import ProjectError, QualkitError

Decision = Literal["a", "b", "both", "neither"]
DECISIONS: dict[str, str] = {
    "a": "take A's",
    "b": "take B's",
    "both": "both",
    "neither": "neither",
}


def default_layer(project: Any) -> str | None:
    """Whose codings exports show by default: the consensus layer once it holds any coding,
    else every coder's (None)."""
    return CONSENSUS if project.code_usage(CONSENSUS) else None


def _actor(actor: str) -> str:
    actor = (actor or "").strip()
    if not actor:
        raise QualkitError("adjudicating needs the adjudicator's name (e.g. --coder cat)")
    if actor == CONSENSUS:
        raise QualkitError("decide as yourself: 'consensus' is the layer, not a person")
    return actor


def accept_agreed(project: Any, coder_a: str, coder_b: str, actor: str) -> int:
    """Put every code both coders applied to a unit into consensus, in one transaction and
    one undoable event by `actor`; returns how many codings were added."""
    actor = _actor(actor)
    units = units_and_layers(project, [coder_a, coder_b], None, "code")
    judged = judgement_matrix(units)
    agreed = judged[0] & judged[1]
    unit_ids = [int(s) for s in units.segments["segment_id"]]
    book = project.codebook
    have = {(r.segment_id, r.code) for r in project.coding_rows(CONSENSUS)}
    add = []
    for u, j in zip(*agreed.nonzero(), strict=True):
        segment, code = unit_ids[int(u)], units.rows[int(j)][0]
        if code in book and (segment, code) not in have:
            add.append({"segment_id": segment, "code_id": code, "memo": None})
    if not add:
        return 0
    segments = sorted({r["segment_id"] for r in add})
    payload = {"decision": "accept-agreed", "coders": [coder_a, coder_b], "segments": segments}
    project.store.adjudicate(actor, CONSENSUS, add, [], payload)
    return len(add)


def decide(
    project: Any,
    segment_id: int,
    code: str,
    decision: str,
    coder_a: str,
    coder_b: str,
    actor: str,
    note: str | None = None,
) -> bool:
    """Settle one disagreement: whether `code` goes into consensus on this segment.

    take A's / take B's: consensus has the code when that coder applied it; both: it has it;
    neither: it has not. One event by `actor`, undoable. Returns whether consensus now has it.
    """
    if decision not in DECISIONS:
        raise QualkitError(f"decision must be one of {', '.join(DECISIONS)}, not '{decision}'")
    actor = _actor(actor)
    project.codebook.get(code)
    segment = project.segment_row(segment_id)
    if not segment.coding_unit:
        raise ProjectError(f"segment {segment_id} is not a coding unit")
    has_a = code in project.codes_of(segment_id, coder_a)
    has_b = code in project.codes_of(segment_id, coder_b)
    wanted = {"a": has_a, "b": has_b, "both": True, "neither": False}[decision]
    current = [r for r in project.segment_codings(segment_id, CONSENSUS) if r.code == code]
    add = []
    if wanted and not current:
        add = [{"segment_id": int(segment_id), "code_id": code, "memo": note or None}]
    remove = [] if wanted else [r.coding_id for r in current]
    payload = {
        "decision": decision,
        "segments": [int(segment_id)],
        "code": code,
        "coders": [coder_a, coder_b],
        "note": note or None,
    }
    project.store.adjudicate(actor, CONSENSUS, add, remove, payload)
    return wanted


@dataclass(frozen=True)
class Disagreement:
    """One (segment, code) where the two coders differ, with what the screen shows."""

    segment_id: int
    transcript: str
    text: str
    code: str
    has_a: bool
    has_b: bool


def open_disagreements(project: Any, coder_a: str, coder_b: str) -> list[Disagreement]:
    """The disagreements of two coders, in transcript order."""
    frame = disagreements(project, coder_a, coder_b)
    return [
        Disagreement(
            int(r.segment_id),
            r.transcript,
            r.text,
            r.code,
            bool(r.coder_a_has),
            bool(r.coder_b_has),
        )
        for r in frame.itertuples(index=False)
    ]


def latest_decision(project: Any, segment_id: int, code: str) -> dict[str, Any] | None:
    """The standing decision on (segment, code): decision, note, who, when; or None."""
    for event in project.events():
        if event.action != "adjudicate" or event.undone:
            continue
        payload = event.payload
        if payload.get("code") == code and int(segment_id) in payload.get("segments", []):
            return {
                "decision": payload.get("decision"),
                "note": payload.get("note"),
                "by": event.coder,
                "time": event.time,
            }
    return None


def coding_memo(project: Any, segment_id: int, code: str, coder: str) -> str | None:
    """The memo `coder` left on their coding of `code` here, or on the segment."""
    for r in project.segment_codings(segment_id, coder):
        if r.code == code and r.memo:
            return r.memo
    return project.memo("segment", segment_id, coder)


def adopt_consensus(
    project: Any, segment_id: int, code_ids: Iterable[str], actor: str
) -> dict[str, list[str]]:
    """Make the ``consensus`` layer of one segment hold exactly ``code_ids``.

    Codes missing from the layer are added with ``p.code(..., coder="consensus",
    source="consensus", memo="adopted by <actor>")``; consensus codes not in ``code_ids`` are
    removed with ``p.uncode``. Every id is checked before anything is written.
    Returns ``{"added": [...], "removed": [...]}``.
    """
    actor = (actor or "").strip()
    if not actor:
        raise QualkitError("adopting a consensus needs the name of who decided (actor)")
    wanted = list(dict.fromkeys(str(c) for c in code_ids))
    book = project.codebook
    for c in wanted:
        book.get(c)  # CodebookError for an unknown code
    current = set(project.codes_of(int(segment_id), CONSENSUS))
    added = [c for c in wanted if c not in current]
    removed = sorted(current - set(wanted))
    for c in added:
        project.code(int(segment_id), c, CONSENSUS, memo=f"adopted by {actor}", source="consensus")
    for c in removed:
        project.uncode(int(segment_id), c, CONSENSUS)
    return {"added": added, "removed": removed}
