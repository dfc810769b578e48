"""Codings follow their text: cut a transcript's turns into segments, and find in the new
segments the text of each old one, so its id (and every coding on it) is kept."""

from __future__ import annotations

import difflib

from qualkit.ingest.planned import PlannedSegment, PlannedTranscript, PlannedTurn
from qualkit.ingest.segmentation import split_turns, text_hash, word_count
from qualkit.settings import Settings
from qualkit.store import SegmentRow, Store

# Alignment: an old segment keeps its id in a new segment whose text is this similar.
MATCH_RATIO = 0.6
# Within a changed block, compare each old segment only with new ones this near (keeps a large
# edit from becoming a quadratic scan).
MATCH_WINDOW = 25


def plan_segments(text: str, turns: list[PlannedTurn], settings: Settings) -> list[PlannedSegment]:
    """Cut each turn into segments (sentences or whole turns); the interviewer's stay whole.

    A participant's piece shorter than `settings.min_words` words ("Yeah.", "No.") joins the
    segment just before it when that segment is the same speaker's; otherwise it stays alone
    and the project treats it as context (`Project.is_coding_unit`).
    """
    spans_per_turn = split_turns(
        text, [(t.start, t.end) for t in turns], settings.max_words, settings.segmentation
    )
    segments: list[PlannedSegment] = []
    previous_turn: PlannedTurn | None = None
    for turn, spans in zip(turns, spans_per_turn, strict=True):
        # The interviewer's words stay whole: they are context, not coding units.
        if turn.is_interviewer and len(spans) > 1:
            spans = [type(spans[0])(spans[0].start, spans[-1].end)]
        for span in spans:
            words = text[span.start : span.end]
            last = segments[-1] if segments else None
            if (
                last is not None
                and previous_turn is not None
                and not turn.is_interviewer
                and settings.min_words
                and word_count(words) < settings.min_words
                and previous_turn.speaker == turn.speaker
                and previous_turn.participant_id == turn.participant_id
                and not previous_turn.is_interviewer
            ):
                # Within one turn the words are contiguous; across turns the speaker label
                # between them is left out, so the text reads as one answer.
                same_turn = last.turn == turn.idx
                joined = text[last.start : span.end] if same_turn else f"{last.text}\n{words}"
                segments[-1] = PlannedSegment(
                    last.turn, last.position, last.start, span.end, joined, text_hash(joined)
                )
            else:
                segments.append(
                    PlannedSegment(
                        turn.idx, len(segments), span.start, span.end, words, text_hash(words)
                    )
                )
            previous_turn = turn
    return segments


def align_segments(
    store: Store, plan: PlannedTranscript, old: list[SegmentRow], new: list[PlannedSegment]
) -> None:
    """Decide, for each old segment, which new segment now holds its text."""
    owner: dict[int, int] = {}  # new index -> old segment id that keeps its id there
    matched_old: set[int] = set()
    matcher = difflib.SequenceMatcher(
        None, [o.text_hash for o in old], [n.text_hash for n in new], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                owner[j1 + k] = old[i1 + k].segment_id
                matched_old.add(old[i1 + k].segment_id)
            continue
        if tag == "insert":
            continue
        for i in range(i1, i2):
            best = _best_match(old[i].text, new, j1, j2, i - i1, i2 - i1)
            if best is None:
                continue
            matched_old.add(old[i].segment_id)
            if best in owner:
                plan.moved[old[i].segment_id] = owner[best]
            else:
                owner[best] = old[i].segment_id
    for j, seg in enumerate(new):
        if j in owner:
            plan.kept[owner[j]] = seg
        else:
            plan.added.append(seg)
    unmatched = [o.segment_id for o in old if o.segment_id not in matched_old]
    referenced = store.segment_ids_with_references(unmatched)
    plan.orphaned = [s for s in unmatched if s in referenced]
    plan.deleted = [s for s in unmatched if s not in referenced]
    # Quotes (exact sub-spans) follow their words inside the segment that now holds them.
    old_hash = {o.segment_id: o.text_hash for o in old}
    changed = {sid: seg.text for sid, seg in plan.kept.items() if seg.text_hash != old_hash[sid]}
    targets = dict(changed)
    for old_id, new_owner in plan.moved.items():
        targets[old_id] = plan.kept[new_owner].text
    for coding_id, segment_id, quote in store.codings_with_quotes(list(targets)):
        where = targets[segment_id].find(quote)
        plan.respanned[coding_id] = (where, where + len(quote)) if where >= 0 else (None, None)


def revive_orphans(plan: PlannedTranscript, orphans: list[SegmentRow]) -> int:
    """An orphaned segment whose exact words are back (an edit undone, a turn pasted back)
    takes its id again, and with it its codings; returns how many did. Exact text only: a
    near match could hand a coding to words the coder never saw."""
    waiting: dict[str, list[int]] = {}
    for o in orphans:
        waiting.setdefault(o.text_hash, []).append(o.segment_id)
    still_new: list[PlannedSegment] = []
    revived = 0
    for seg in plan.added:
        ids = waiting.get(seg.text_hash)
        if ids:
            plan.kept[ids.pop(0)] = seg
            revived += 1
        else:
            still_new.append(seg)
    plan.added = still_new
    return revived


def _best_match(
    text: str, new: list[PlannedSegment], j1: int, j2: int, offset: int, block_len: int
) -> int | None:
    """Index of the new segment (in j1..j2) that best holds `text`, or None."""
    centre = j1 + round(offset * (j2 - j1) / max(block_len, 1))
    lo, hi = max(j1, centre - MATCH_WINDOW), min(j2, centre + MATCH_WINDOW + 1)
    best, best_score = None, 0.0
    folded = " ".join(text.split())
    for j in range(lo, hi):
        candidate = " ".join(new[j].text.split())
        if folded and (folded in candidate or candidate in folded):
            score = 1.0 + min(len(folded), len(candidate)) / max(len(folded), len(candidate))
        else:
            sm = difflib.SequenceMatcher(None, folded, candidate, autojunk=False)
            if sm.real_quick_ratio() < MATCH_RATIO or sm.quick_ratio() < MATCH_RATIO:
                continue
            score = sm.ratio()
            if score < MATCH_RATIO:
                continue
        if score > best_score:
            best, best_score = j, score
    return best


def match_segments(theirs: list[SegmentRow], ours: list[SegmentRow]) -> dict[int, int]:
    """Map segment ids of another copy of a transcript onto this copy's, with re-ingest's
    alignment: equal runs by text hash, then the most similar text within a changed block."""
    mapping: dict[int, int] = {}
    taken: set[int] = set()
    matcher = difflib.SequenceMatcher(
        None, [t.text_hash for t in theirs], [o.text_hash for o in ours], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                mapping[theirs[i1 + k].segment_id] = ours[j1 + k].segment_id
                taken.add(j1 + k)
            continue
        if tag == "insert":
            continue
        for i in range(i1, i2):
            best = _best_match(theirs[i].text, ours, j1, j2, i - i1, i2 - i1)  # type: ignore[arg-type]
            if best is not None and best not in taken:
                mapping[theirs[i].segment_id] = ours[best].segment_id
                taken.add(best)
    return mapping
