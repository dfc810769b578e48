"""What the ``consensus`` layer covers, for comparing a coder with it: consensus has no done
marks, so its transcripts are those where adjudication decided something, and the report
names who decided and on which pair of coders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qualkit.agreement.stats import CONSENSUS

ADJUDICATE = "adjudicate"


@dataclass(frozen=True)
class ConsensusScope:
    """The standing adjudication decisions: where, by whom, on which coders' disagreements."""

    transcripts: list[str]  # in project order
    decisions: int  # standing adjudicate events (undone ones do not count)
    adjudicators: list[str]
    pairs: list[tuple[str, str]]  # the coders whose work was adjudicated


def consensus_scope(project: Any) -> ConsensusScope:
    """Read the event log and the consensus layer once."""
    segments: set[int] = set()
    adjudicators: list[str] = []
    pairs: list[tuple[str, str]] = []
    decisions = 0
    for event in reversed(project.events()):
        if event.action != ADJUDICATE or event.undone:
            continue
        if event.payload.get("layer", CONSENSUS) != CONSENSUS:
            continue
        decisions += 1
        segments.update(int(s) for s in event.payload.get("segments") or [])
        if event.coder not in adjudicators:
            adjudicators.append(event.coder)
        coders = event.payload.get("coders") or []
        if len(coders) == 2 and tuple(coders) not in pairs:
            pairs.append((str(coders[0]), str(coders[1])))
    segments.update(r.segment_id for r in project.coding_rows(CONSENSUS))
    by_segment = {
        r.segment_id: r.transcript for r in project.segment_rows() if r.segment_id in segments
    }
    covered = set(by_segment.values())
    ordered = [t for t in project.transcript_ids() if t in covered]
    return ConsensusScope(ordered, decisions, adjudicators, pairs)


def consensus_sentence(scope: ConsensusScope, people: list[str]) -> str:
    """How a comparison with consensus must be read (for the report and methods paragraph)."""
    who = ", ".join(scope.adjudicators) or "nobody on record (codings written outside adjudication)"
    pairs = "; ".join(f"{a} vs {b}" for a, b in scope.pairs) or "coders not recorded"
    return (
        f"{' and '.join(people)} compared with the consensus layer: the codes settled by "
        f"adjudication ({scope.decisions} standing decision(s) by {who}, on {pairs}). "
        "Consensus was settled from the coders' own codings, so this is not agreement between "
        "independent coders: it shows how much of each coder's coding the adjudication kept."
    )
