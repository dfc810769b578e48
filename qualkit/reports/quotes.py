"""The quote bank: per theme (sub-themes nested), the quotes coders starred, then ranked
candidates; each quote is the participant's exact words, attributed and traceable.

Pseudonyms apply to the words and attributions; ``[brackets]`` and every other character of
the words are kept as they are. ``per_theme=0`` lists every coded segment.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from qualkit.errors import ReportError
from qualkit.reports.anonymise import common_words
from qualkit.reports.attribution import Attribution
from qualkit.reports.layers import choose_layer, layer_date, layer_rows
from qualkit.reports.pseudonyms import Pseudonyms
from qualkit.reports.ranking import (
    Candidate,
    Scorer,
    cached_vectors,
    is_readable,
    pick_diverse,
    rank_order,
)
from qualkit.reports.trim import elide, quote_words

DEFAULT_PER_THEME = 5
DIVERSITY_ATTRIBUTE = "group"


@dataclass
class Quote:
    """One quote as exported, with where it came from."""

    number: int
    code: str
    coding_id: int
    segment_id: int
    transcript: str
    turn: int
    participant: str | None
    coder: str
    starred: bool
    words: str  # the exact words, pseudonymised
    cut_before: bool
    cut_after: bool
    attribution: str

    @property
    def display(self) -> str:
        """The words with /.../ where the segment was cut."""
        return elide(self.words, self.cut_before, self.cut_after)

    @property
    def trace(self) -> str:
        return (
            f"{self.transcript}, turn {self.turn}, segment {self.segment_id}, coded by {self.coder}"
        )


@dataclass
class Section:
    """A theme or sub-theme with its quotes and nested sections."""

    code: str
    name: str
    depth: int
    quotes: list[Quote] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)

    def walk(self) -> Iterator[Section]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class QuoteBank:
    layer: str
    sections: list[Section]
    per_theme: int
    ranking: str  # how candidates were ranked: "cached embeddings (model)" or "shared words"
    attribution_pattern: str
    date: str

    def walk(self) -> Iterator[Section]:
        for section in self.sections:
            yield from section.walk()

    @property
    def quotes(self) -> list[Quote]:
        return [q for s in self.walk() for q in s.quotes]


def _themes(book: Any, themes: Sequence[str] | None) -> list[Any]:
    if not themes:
        return book.roots()
    chosen = []
    for code_id in themes:
        if code_id not in book:
            roots = ", ".join(c.id for c in book.roots())
            raise ReportError(f"unknown theme id '{code_id}' (themes: {roots})")
        chosen.append(book.get(code_id))
    return chosen


def build_quote_bank(
    project: Any,
    themes: Sequence[str] | None = None,
    per_theme: int = DEFAULT_PER_THEME,
    layer: str | None = None,
    pseudonyms: Pseudonyms | None = None,
) -> QuoteBank:
    """Select and order the quotes of each theme and sub-theme of ``layer``."""
    if per_theme < 0:
        raise ReportError(f"--per-theme must be 0 (every segment) or more, not {per_theme}")
    pseudonyms = pseudonyms if pseudonyms is not None else Pseudonyms.load(project.root)
    people = project.store.participants()
    attribute = Attribution(project.settings.quote_attribution, people, pseudonyms)
    layer = choose_layer(project, layer)
    book = project.codebook
    roots = _themes(book, themes)
    known = {name for attrs in people.values() for name in attrs}
    group_name = DIVERSITY_ATTRIBUTE if DIVERSITY_ATTRIBUTE in known else None
    wanted_codes = {c for root in roots for c in [root.id, *book.descendants(root.id)]}

    by_code: dict[str, list[Candidate]] = {}
    starred: set[int] = set()
    places: dict[int, Any] = {}
    for row in layer_rows(project, layer):
        if row.code not in wanted_codes:
            continue
        trimmed = quote_words(row.text, row.span_start, row.span_end, row.quote)
        participant = row.participant
        group = people.get(participant or "", {}).get(group_name) if group_name else None
        candidate = Candidate(
            coding_id=row.coding_id,
            segment_id=row.segment_id,
            participant=participant,
            group=group or None,
            words=trimmed.words,
            text_hash=row.text_hash,
            word_count=len(trimmed.words.split()),
        )
        by_code.setdefault(row.code, []).append(candidate)
        places[candidate.coding_id] = (row, trimmed)
        if row.starred:
            starred.add(candidate.coding_id)

    wanted_codes = {c for root in roots for c in [root.id, *book.descendants(root.id)]}
    hashes = [c.text_hash for code in wanted_codes for c in by_code.get(code, [])]
    vectors, model_id = cached_vectors(project.store, hashes)
    scorer = Scorer(vectors, common_words())
    ranking = f"cached embeddings ({model_id})" if vectors is not None else "shared words"

    number = 0

    def make_section(code: Any, depth: int) -> Section | None:
        nonlocal number
        section = Section(code.id, pseudonyms.apply(code.name), depth)
        candidates = by_code.get(code.id, [])
        scorer.score(candidates)
        chosen = rank_order([c for c in candidates if c.coding_id in starred])
        rest = rank_order([c for c in candidates if c.coding_id not in starred])
        if per_theme == 0:
            picked = chosen + rest
        else:
            readable = [c for c in rest if is_readable(c.word_count)]
            picked = chosen + pick_diverse(readable, chosen, per_theme, scorer)
        for c in picked:
            number += 1
            row, trimmed = places[c.coding_id]
            section.quotes.append(
                Quote(
                    number=number,
                    code=code.id,
                    coding_id=c.coding_id,
                    segment_id=c.segment_id,
                    transcript=pseudonyms.apply(row.transcript),  # file names can name people
                    turn=row.turn,
                    participant=c.participant,
                    coder=layer,
                    starred=c.coding_id in starred,
                    words=pseudonyms.apply(trimmed.words),
                    cut_before=trimmed.cut_before,
                    cut_after=trimmed.cut_after,
                    attribution=attribute(c.participant),
                )
            )
        for child_id in code.children:
            child = make_section(book.get(child_id), depth + 1)
            if child is not None:
                section.children.append(child)
        return section if section.quotes or section.children else None

    sections = [s for s in (make_section(root, 0) for root in roots) if s is not None]
    return QuoteBank(
        layer=layer,
        sections=sections,
        per_theme=per_theme,
        ranking=ranking,
        attribution_pattern=project.settings.quote_attribution,
        date=layer_date(project, layer),
    )
