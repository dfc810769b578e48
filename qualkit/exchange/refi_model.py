"""The REFI-QDA project as plain dataclasses: what the reader fills and the writer emits.

Only what qualkit can carry is modelled: users, codes, text sources with their selections
and codings, notes, cases with variables, and sets. GUIDs are kept in one canonical form
(lowercase, no braces), so files that differ only in how they spell a GUID compare equal.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

# The namespace qualkit's own GUIDs are minted in: uuid5(QUALKIT_NAMESPACE, stable key).
QUALKIT_NAMESPACE = uuid.UUID("6f1c2b1e-4d0a-5b7e-9c3f-2a8d51e0c4b7")
PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"


def canonical_guid(raw: str | None) -> str:
    """GUIDs in any case, with or without braces, as lowercase without braces."""
    return (raw or "").strip().strip("{}").lower()


def stable_guid(*parts: str) -> str:
    """A GUID that is the same every time the same project exports the same thing."""
    return str(uuid.uuid5(QUALKIT_NAMESPACE, "\x1f".join(parts)))


@dataclass
class RefiUser:
    guid: str
    name: str


@dataclass
class RefiCode:
    guid: str
    name: str
    codable: bool = True
    color: str | None = None
    description: str | None = None
    children: list[RefiCode] = field(default_factory=list)
    note_refs: list[str] = field(default_factory=list)


@dataclass
class RefiCoding:
    guid: str
    code_guid: str
    user_guid: str | None = None
    created: str | None = None
    note_refs: list[str] = field(default_factory=list)


@dataclass
class RefiSelection:
    """A PlainTextSelection; start/end are as the file wrote them (see offsets.py)."""

    guid: str
    start: int
    end: int
    name: str | None = None
    description: str | None = None
    user_guid: str | None = None
    created: str | None = None
    codings: list[RefiCoding] = field(default_factory=list)
    note_refs: list[str] = field(default_factory=list)


@dataclass
class RefiSource:
    """A text source (or the text representation of a PDF). `raw_text` is the text file's
    content without its BOM and with its line ends as written: the offsets' coordinate space."""

    guid: str
    name: str
    raw_text: str | None
    plain_text_path: str | None = None
    description: str | None = None
    user_guid: str | None = None
    created: str | None = None
    selections: list[RefiSelection] = field(default_factory=list)
    note_refs: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)  # variable guid -> value
    had_bom: bool = False
    kind: str = "TextSource"


@dataclass
class RefiVariable:
    guid: str
    name: str
    type: str = "Text"
    description: str | None = None


@dataclass
class RefiCase:
    guid: str
    name: str | None
    description: str | None = None
    values: dict[str, str] = field(default_factory=dict)  # variable guid -> value
    source_refs: list[str] = field(default_factory=list)
    selection_refs: list[str] = field(default_factory=list)


@dataclass
class RefiNote:
    guid: str
    name: str | None
    text: str
    user_guid: str | None = None
    created: str | None = None


@dataclass
class RefiSet:
    guid: str
    name: str
    description: str | None = None
    member_codes: list[str] = field(default_factory=list)
    member_sources: list[str] = field(default_factory=list)


@dataclass
class RefiLink:
    guid: str
    origin: str | None
    target: str | None


@dataclass
class RefiProject:
    name: str
    origin: str | None = None
    creating_user: str | None = None
    created: str | None = None
    description: str | None = None
    users: list[RefiUser] = field(default_factory=list)
    codes: list[RefiCode] = field(default_factory=list)
    variables: list[RefiVariable] = field(default_factory=list)
    cases: list[RefiCase] = field(default_factory=list)
    sources: list[RefiSource] = field(default_factory=list)
    notes: list[RefiNote] = field(default_factory=list)
    links: list[RefiLink] = field(default_factory=list)
    sets: list[RefiSet] = field(default_factory=list)
    project_note_refs: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # what the reader could not take, and why

    def all_codes(self) -> list[RefiCode]:
        found: list[RefiCode] = []
        stack = list(reversed(self.codes))
        while stack:
            code = stack.pop()
            found.append(code)
            stack.extend(reversed(code.children))
        return found
