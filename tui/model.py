"""What the workbench shows, read from a Project: plain data, no Textual.

The widgets render these objects; handlers on the screen change them after each committed
action, so the screen never re-reads the whole project for one keypress.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qualkit.agreement.stats import CONSENSUS

if TYPE_CHECKING:
    from qualkit.project import Project

GROUP_ATTRIBUTES = ("group", "role", "service")
UNGROUPED = "(no group)"


@dataclass
class Chip:
    """One coding shown on a segment."""

    code: str
    coder: str
    starred: bool = False
    memo: str | None = None


@dataclass
class SegmentItem:
    segment_id: int
    speaker: str
    participant: str | None
    is_interviewer: bool
    text: str
    chips: list[Chip] = field(default_factory=list)
    reviewed: bool = False  # this coder marked it: nothing to code here
    coding_unit: bool = True  # the core's rule: interviewer turns are context, not units
    memo: bool = False  # this coder wrote a memo on the segment (`m` shows it)

    def codes_by(self, coder: str) -> list[str]:
        return [c.code for c in self.chips if c.coder == coder]

    def handled_by(self, coder: str) -> bool:
        """Coded by this coder, or marked reviewed with nothing to code: it counts as done."""
        return self.reviewed or bool(self.codes_by(coder))


@dataclass
class TranscriptEntry:
    transcript: str
    group: str
    segments: int
    coded_or_reviewed: int  # units this coder coded or marked reviewed
    done: bool
    # False until the counts are read: a long list reads them only for the part it shows
    counted: bool = True

    @property
    def percent(self) -> float:
        return 100.0 * self.coded_or_reviewed / self.segments if self.segments else 0.0


def group_attribute(people: dict[str, dict[str, Any]]) -> str | None:
    """The participant attribute transcripts are grouped by: `group` when present."""
    names = list(dict.fromkeys(name for attrs in people.values() for name in attrs))
    for preferred in GROUP_ATTRIBUTES:
        if preferred in names:
            return preferred
    return names[0] if names else None


MAX_GROUPS = 12  # more values than this make a list of groups, not a grouping


def attribute_names(people: dict[str, dict[str, Any]]) -> list[str]:
    """Participant attributes that group people (the choices for grouping transcripts), in
    file order: a few values, each shared by several participants. A pseudonym or an age has
    a value per person and would give one group per transcript."""
    values: dict[str, list[str]] = {}
    for attrs in people.values():
        for name, value in attrs.items():
            text = str(value).strip() if value is not None else ""
            values.setdefault(name, [])
            if text:
                values[name].append(text)
    names = []
    for name, held in values.items():
        distinct = set(held)
        shared = len(held) > len(distinct)  # some value is held by two people or more
        if shared and len(distinct) <= MAX_GROUPS:
            names.append(name)
    return names


# A transcript list longer than this shows a window of it around the open transcript, and the
# counts are read only for that window: opening a project of 46,500 transcripts (1,000,000
# segments) must not read every segment.
LIST_WINDOW = 200


def transcript_entries(
    project: Project,
    coder: str,
    attribute: str | None = None,
    people: dict[str, dict[str, Any]] | None = None,
) -> list[TranscriptEntry]:
    """Transcripts with this coder's done marks, grouped by a participant attribute (by default
    `group`, `role` or `service`, whichever the participants have). Their counts are read by
    `count_entries`, for all of a short list and for the shown window of a long one."""
    if people is None:
        people = project.participant_attributes()
    if attribute is None or attribute not in attribute_names(people):
        attribute = group_attribute(people)
    done = project.done_transcripts(coder)
    speakers = project.transcript_participants()
    entries = []
    for tid in project.transcript_ids():
        pids = [p for p in speakers.get(tid, []) if p in people]
        values = sorted({str(people[p].get(attribute) or "") for p in pids if attribute} - {""})
        entries.append(
            TranscriptEntry(
                transcript=tid,
                group=" / ".join(values) if values else UNGROUPED,
                segments=0,
                coded_or_reviewed=0,
                done=tid in done,
                counted=False,
            )
        )
    entries.sort(key=lambda e: (e.group == UNGROUPED, e.group.casefold(), e.transcript))
    if len(entries) <= LIST_WINDOW:
        count_entries(project, coder, entries)
    return entries


def count_entries(project: Project, coder: str, entries: list[TranscriptEntry]) -> None:
    """Read this coder's counts for the entries not counted yet (one query per batch)."""
    todo = {e.transcript: e for e in entries if not e.counted}
    if not todo:
        return
    for row in project.progress(coder, transcripts=list(todo)).itertuples(index=False):
        entry = todo[row.transcript]
        entry.segments = int(row.segments)
        entry.coded_or_reviewed = int(row.coded_or_reviewed)
        entry.counted = True


def list_window(
    entries: list[TranscriptEntry], current: str | None, size: int | None = None
) -> tuple[int, int]:
    """(start, stop) of the entries a transcript list shows: all of a short list; of a long
    one, `size` (LIST_WINDOW) entries with `current` inside them."""
    size = LIST_WINDOW if size is None else size
    if len(entries) <= size:
        return 0, len(entries)
    index = next((i for i, e in enumerate(entries) if e.transcript == current), 0)
    start = max(0, min(index - size // 2, len(entries) - size))
    return start, start + size


def load_segments(project: Project, transcript: str, coder: str, blind: bool) -> list[SegmentItem]:
    """The transcript's live segments in order, with the codings this coder may see."""
    items: list[SegmentItem] = []
    by_id: dict[int, SegmentItem] = {}
    reviewed = project.reviewed(coder, transcript)
    memos = project.segments_with_memos(coder)
    for r in project.segment_rows(transcript):
        if r.orphaned:
            continue
        item = SegmentItem(
            segment_id=r.segment_id,
            speaker=r.speaker or "",
            participant=r.participant,
            is_interviewer=r.is_interviewer,
            text=r.text,
            reviewed=r.segment_id in reviewed,
            coding_unit=project.is_coding_unit(r),
            memo=r.segment_id in memos,
        )
        items.append(item)
        by_id[item.segment_id] = item
    layer = project.visible_layer(coder, blind)
    for c in project.coding_rows(layer, transcript=transcript):
        item = by_id.get(c.segment_id)
        if item is not None:
            item.chips.append(Chip(c.code, c.coder, c.starred, c.memo))
    for item in items:
        item.chips = chips_in_order(item.chips, coder)
    return items


def chips_in_order(chips: list[Chip], coder: str) -> list[Chip]:
    """Own codings first, then the consensus layer, then other coders': a narrow terminal
    cuts the chip line on the right, so what matters most comes first."""
    rank = {coder: 0, CONSENSUS: 1}
    return sorted(chips, key=lambda c: rank.get(c.coder, 2))  # stable: oldest first within


def segment_chips(project: Project, segment_id: int, coder: str, blind: bool) -> list[Chip]:
    layer = project.visible_layer(coder, blind)
    chips = [
        Chip(r.code, r.coder, r.starred, r.memo) for r in project.segment_codings(segment_id, layer)
    ]
    return chips_in_order(chips, coder)


def code_counts(project: Project, coder: str, blind: bool) -> tuple[Counter, Counter]:
    """(segments this coder coded per code, segments anyone visible coded per code), both
    rolled up the codebook by the core: a theme counts its own and its sub-codes' segments,
    each once."""
    mine = Counter(project.code_counts(coder))
    layer = project.visible_layer(coder, blind)
    # a blind coder sees only their own layer: the same counts, not worth a second pass
    everyone = Counter(mine) if layer == coder else Counter(project.code_counts(layer))
    return mine, everyone


def _rolled_up(book: Any, codes: list[str]) -> set[str]:
    """The codes and every theme above them: what a segment counts towards."""
    out: set[str] = set()
    for code in codes:
        out.add(code)
        if book is not None and code in book:
            out.update(book.ancestors(code))
    return out


def count_change(
    book: Any, before: list[Chip], after: list[Chip], coder: str
) -> tuple[Counter, Counter]:
    """How one segment's change of codings moves the rolled-up counts of `code_counts` (this
    coder's, and everyone visible's): exact, since each count is of distinct segments, and
    cheap, where reading the counts again reads every coding of the project."""
    changes = []
    for mine_only in (True, False):
        was = _rolled_up(book, [c.code for c in before if c.coder == coder or not mine_only])
        now = _rolled_up(book, [c.code for c in after if c.coder == coder or not mine_only])
        delta: Counter = Counter()
        for code in now - was:
            delta[code] += 1
        for code in was - now:
            delta[code] -= 1
        changes.append(delta)
    return changes[0], changes[1]


def picker_codes(book: Any, only: list[str] | None = None) -> list[tuple[str, str, str]]:
    """(id, name, label) of each code for the code picker: the label is the path down the
    codebook, with the code's key."""
    out = []
    for code in book.codes.values():
        if only is not None and code.id not in only:
            continue
        path = " › ".join(book.codes[a].name for a in reversed(book.ancestors(code.id)))
        label = f"{path} › {code.name}" if path else code.name
        if code.key:
            label += f"  [{code.key}]"
        out.append((code.id, code.name, label))
    return out
