"""``qualkit anonymise check``: capitalised words that an export would print and that might
identify someone, i.e. not in pseudonyms.yaml and not common English.

A word starting a sentence is capitalised anyway, so there it is passed when it looks like an
ordinary word: common English, written in lower case somewhere in what the exports print (as
is or inflected: "Watching" for "watch"), or long with an everyday ending ("Literally",
"Location"). Otherwise it is reported like any other: "Tom came with me" names Tom. A word after
a title ("Mrs. Patel", "Dr. Jameson") never starts a sentence. A name spelt like an everyday
word ("Will", "Hope") or ending like one ("Emily", "Roberts") passes at a sentence start, as
an everyday word passes anywhere: map such names in pseudonyms.yaml.

What an export prints: every coded segment's words (any coder; the codings CSV has them all),
coding and segment memos, and the participant attributes that quote attributions show. The
text is checked after pseudonymisation, so a mapped name is never reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from string import Formatter
from typing import Any

from qualkit.assist.stopwords import SPOKEN_FILLERS
from qualkit.errors import ReportError
from qualkit.reports.layers import layer_rows
from qualkit.reports.pseudonyms import Pseudonyms

_WORD = re.compile(r"[^\W\d_][\w'’&-]*")
_BRACKETED = re.compile(r"\[[^\]\n]*\]")
# Characters that may stand between a sentence end and its first word.
_OPENERS = set(" \t\"“”‘'([{*_")
_SENTENCE_ENDS = set(".!?…\n")
# Sounds transcribed with letters drawn out ("Mmmmm", "Ohhh", "Uhhh", "Heyyy", "Wooow").
_INTERJECTION = re.compile(r"(h?m+|o+h+|a+h+|u+h+|e+r+m*|h+e+y+|w+o+w+|h+a+(h+a+)*)")
# Titles whose full stop ends no sentence: "Mrs. Patel", "Dr. Jameson".
_TITLES = frozenset(
    "mr mrs ms mx miss dr prof rev revd fr sr st cllr capt sgt col gen lt hon messrs".split()
)
# Endings of ordinary words, for a sentence's first word the word list does not know; only
# words of six letters or more (names are often short: "Ted", "Ahmed" are still reported).
_ORDINARY_ENDINGS = (
    "ly", "ing", "ed", "tion", "sion", "ness", "ment", "ity", "ful", "less", "ous", "ive",
    "able", "ible", "ance", "ence", "ism", "ist", "ise", "ize", "ings", "ions", "ments",
)  # fmt: skip


@dataclass(frozen=True)
class NameFinding:
    """A capitalised word the check cannot account for."""

    word: str
    count: int
    first_place: str


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """The bundled common-English word list (scripts/make_common_words.py writes it)."""
    text = resources.files("qualkit.reports").joinpath("common_words.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def _starts_sentence(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0:
        if text[i] in _OPENERS:
            i -= 1
        elif text[i] == "]" and "[" in text[:i]:
            i = text.rindex("[", 0, i) - 1  # "[laughs] Literally": the note is not a word
        else:
            break
    if i < 0:
        return True
    if text[i] == ".":
        j = i
        while j > 0 and text[j - 1].isalpha():
            j -= 1
        if text[j:i].lower() in _TITLES and (j == 0 or not text[j - 1].isalnum()):
            return False  # "Mrs. Patel": the full stop ends a title, not a sentence
    return text[i] in _SENTENCE_ENDS


def _bare(word: str) -> str:
    """The word without a possessive ending or trailing punctuation joined to it."""
    word = word.rstrip("'’-&")
    for ending in ("'s", "’s"):
        if word.endswith(ending):
            word = word[: -len(ending)]
    return word


def _capitalised(text: str, label: bool) -> Iterator[tuple[str, bool]]:
    """(word, starts a sentence) for the capitalised words of ``text`` outside [brackets]; in a
    ``label`` no word starts a sentence."""
    hidden = [m.span() for m in _BRACKETED.finditer(text)]
    for match in _WORD.finditer(text):
        word = match.group(0)
        if not word[0].isupper():
            continue
        if any(a <= match.start() < b for a, b in hidden):
            continue
        bare = _bare(word)
        if bare:
            yield bare, not label and _starts_sentence(text, match.start())


def capitalised_words(text: str, label: bool = False) -> Iterator[str]:
    """Capitalised words of ``text`` outside [brackets] and not starting a sentence; in a
    ``label`` (a speaker label, an attribute value) every capitalised word counts."""
    for word, initial in _capitalised(text, label):
        if not initial:
            yield word


def _lower_case_words(text: str) -> Iterator[str]:
    for match in _WORD.finditer(text):
        word = match.group(0)
        if word[0].islower():
            yield _bare(word).replace("’", "'")


def _bases(word: str) -> set[str]:
    """``word`` (lower case) and the words it may be inflected from: "watching" -> "watch"."""
    found = {word}
    for ending, back in (
        ("ies", "y"), ("es", ""), ("s", ""), ("ily", "y"), ("ly", ""), ("ing", ""),
        ("ing", "e"), ("ed", ""), ("ed", "e"), ("er", ""), ("er", "e"), ("est", ""),
    ):  # fmt: skip
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            stem = word[: -len(ending)]
            found.add(stem + back)
            if back == "" and len(stem) > 3 and stem[-1] == stem[-2]:
                found.add(stem[:-1])  # "stopped" -> "stop"
    return found


def _ordinary(lower: str, written: set[str]) -> bool:
    """Whether a sentence's first word (lower-cased) looks like an everyday word: the text
    writes it, or a word of its family, in lower case (``written`` holds those words and what
    they may be inflected from), or it is long with an everyday ending."""
    if not _bases(lower).isdisjoint(written):
        return True
    if len(lower) >= 7 and lower.endswith("es"):
        return True  # a plural: "Decades"
    return len(lower) >= 6 and lower.endswith(_ORDINARY_ENDINGS)


def _attribution_fields(project: Any) -> list[str]:
    fields = []
    for _, name, _, _ in Formatter().parse(project.settings.quote_attribution):
        if name:
            fields.append(name)
    return fields


def exported_texts(project: Any) -> Iterator[tuple[str, str, bool]]:
    """(text, place, is_label) for everything an export prints that people wrote or said:
    coded segments, memos, speaker labels, transcript ids, and the attributes that
    attributions show."""
    speakers: set[str] = set()
    labels: dict[str, str] = {}
    transcripts: set[str] = set()
    for coder in project.coders():
        seen: set[int] = set()
        for row in layer_rows(project, coder):
            place = f"{row.transcript}, turn {row.turn} (segment {row.segment_id})"
            transcripts.add(row.transcript)
            if row.segment_id not in seen:
                seen.add(row.segment_id)
                yield row.text, place, False
            if row.memo:
                yield row.memo, f"memo by {coder} on {place}", False
            if row.participant:
                speakers.add(row.participant)
            if row.speaker:
                labels.setdefault(row.speaker, f"speaker label in {row.transcript}")
    for memo in project.store.memo_rows():
        if memo.kind == "segment":
            place = f"segment memo by {memo.coder} on segment {memo.target}"
            yield memo.text, place, False
    for label, place in labels.items():
        yield label, place, True
    # Transcript ids (file names unless front matter sets one): the codings CSV and the quote
    # bank's trace tables print them, the matrix lists the coded ones.
    for transcript in sorted(transcripts):
        yield transcript, f"transcript id {transcript!r}", True
    people = project.store.participants()
    for pid in sorted(speakers):
        attrs = people.get(pid, {})
        for name in _attribution_fields(project):
            value = attrs.get(name)
            if value:
                yield str(value), f"participants.csv, {pid} {name}", True


def anonymise_check(project: Any, pseudonyms: Pseudonyms | None = None) -> list[NameFinding]:
    """The words to look at, most frequent first, each with its count and first place."""
    pseudonyms = pseudonyms if pseudonyms is not None else Pseudonyms.load(project.root)
    common = common_words()
    counts: dict[str, int] = {}
    first: dict[str, str] = {}
    texts = [
        (pseudonyms.apply(text), place, label) for text, place, label in exported_texts(project)
    ]
    # Words written in lower case, and what they are inflected from: a sentence's first word
    # found among them is an everyday one ("Feed" where "feeding" is written).
    lower_case = {word for text, _, label in texts if not label for word in _lower_case_words(text)}
    written = set(common).union(*(_bases(word) for word in lower_case))
    for text, place, label in texts:
        for word, initial in _capitalised(text, label):
            folded = word.replace("’", "'")
            lower = folded.lower()
            if lower in common or folded in pseudonyms.known_words:
                continue
            if lower in SPOKEN_FILLERS or _INTERJECTION.fullmatch(lower):
                continue  # "Hey", "Ohh", "Mmmmm": talk, not a name
            if lower.endswith("s") and lower[:-1] in common:  # a plain plural: "Steps"
                continue
            if "-" in lower and all(part in common for part in lower.split("-") if part):
                continue  # "One-to-one"
            if initial and _ordinary(lower, written):
                continue  # "Watching her, I ...": capitalised because it starts a sentence
            counts[word] = counts.get(word, 0) + 1
            first.setdefault(word, place)
    return [
        NameFinding(word, counts[word], first[word])
        for word in sorted(counts, key=lambda w: (-counts[w], w.casefold(), w))
    ]


def ensure_anonymised(project: Any, pseudonyms: Pseudonyms, allow_names: bool) -> None:
    """Refuse an export while the check finds words, unless the author allows them."""
    if allow_names:
        return
    findings = anonymise_check(project, pseudonyms)
    if findings:
        shown = ", ".join(f.word for f in findings[:5])
        more = f" and {len(findings) - 5} more" if len(findings) > 5 else ""
        raise ReportError(
            f"export refused: {len(findings)} capitalised word(s) not in pseudonyms.yaml "
            f"({shown}{more}); see 'qualkit anonymise check', or pass --allow-names"
        )
