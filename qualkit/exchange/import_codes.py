"""Bring REFI-QDA codes into codebook.yaml: hierarchy, descriptions and colours.

A code already in the codebook under the same parent with the same name (or remembered from
an earlier import by its GUID) is reused, so importing a file twice adds nothing. ATLAS.ti's
``Parent::Child`` names and Taguette's ``Parent\\Child`` names become real hierarchy.
Non-codable categories become parent codes: qualkit lets any code be applied, and a parent's
counts roll its children up anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from qualkit.codebook import Codebook, slugify
from qualkit.exchange.refi_model import RefiCode

# qualkit writes include/exclude/examples into the REFI Description under these headings.
INCLUDE_HEADING = "Include:"
EXCLUDE_HEADING = "Exclude:"
EXAMPLES_HEADING = "Examples:"
_SECTION = re.compile(r"^(Include|Exclude|Examples):[ \t]*", re.M)


def compose_description(description: str, include: str, exclude: str, examples: list[str]) -> str:
    """One REFI Description carrying qualkit's description, include, exclude and examples."""
    parts = [description.strip()] if description.strip() else []
    if include.strip():
        parts.append(f"{INCLUDE_HEADING} {include.strip()}")
    if exclude.strip():
        parts.append(f"{EXCLUDE_HEADING} {exclude.strip()}")
    if examples:
        parts.append(EXAMPLES_HEADING + "".join(f"\n- {e}" for e in examples))
    return "\n\n".join(parts)


def split_description(text: str) -> dict[str, Any]:
    """The fields of a Description qualkit composed (other tools' text stays a description)."""
    matches = list(_SECTION.finditer(text))
    if not matches:
        return {"description": text.strip()}
    fields: dict[str, Any] = {"description": text[: matches[0].start()].strip()}
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        body = text[m.end() : end].strip()
        key = m.group(1).lower()
        if key == "examples":
            fields["examples"] = [
                line[2:] for line in body.split("\n") if line.startswith("- ") and line[2:].strip()
            ]
        else:
            fields[key] = body
    return {k: v for k, v in fields.items() if v}


def name_path(name: str, origin: str | None) -> list[str]:
    """'Coke::diet Coke' -> ['Coke', 'diet Coke']; Taguette's backslash likewise."""
    for separator in ("::", "\\") if (origin or "").lower().startswith("taguette") else ("::",):
        if separator in name:
            parts = [p.strip() for p in name.split(separator)]
            if all(parts):
                return parts
    return [name]


@dataclass
class CodeImport:
    """The result: REFI code GUID -> qualkit code id, and what was added."""

    ids: dict[str, str] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    reused: int = 0


@dataclass(eq=False)
class _Node:
    """A code in the codebook as it will be: existing (new=False) or to be added."""

    id: str
    name: str
    parent: _Node | None
    new: bool
    fields: dict[str, Any] = field(default_factory=dict)
    children: list[_Node] = field(default_factory=list)
    claimed: bool = False  # a code of this import already landed here
    intermediate: bool = False  # made for the 'Parent' of a 'Parent::Child' name

    def entry(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            **self.fields,
            "children": [c.entry() for c in self.children],
        }


class CodeImporter:
    def __init__(
        self, book: Codebook, origin: str | None, remembered: dict[str, str], from_qualkit: bool
    ) -> None:
        self.book = book
        self.origin = origin
        self.remembered = remembered  # code id -> guid it was imported with
        self.by_guid = {guid: code_id for code_id, guid in remembered.items()}
        self.from_qualkit = from_qualkit
        self.result = CodeImport()
        self.taken: set[str] = set(book.codes)
        self.nodes: dict[str, _Node] = {}
        self.roots: list[_Node] = []
        for code in book:  # file order: a parent always comes before its children
            parent = self.nodes[code.parent] if code.parent else None
            node = _Node(code.id, code.name, parent, new=False)
            self.nodes[code.id] = node
            (parent.children if parent else self.roots).append(node)

    def _fields(self, code: RefiCode) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if code.description:
            if self.from_qualkit:
                fields.update(split_description(code.description))
            else:
                fields["description"] = code.description.strip()
        if code.color:
            fields["color"] = code.color
        return {k: v for k, v in fields.items() if v}

    def _find(self, name: str, parent: _Node | None, claimed_too: bool = False) -> _Node | None:
        """The code named `name` under `parent`; one another code of this import already
        landed on only counts as a parent (`claimed_too`), never as a second landing place."""
        folded = name.casefold()
        for node in parent.children if parent else self.roots:
            if (claimed_too or not node.claimed) and node.name.casefold() == folded:
                return node
        return None

    def _new(self, name: str, parent: _Node | None, fields: dict[str, Any]) -> _Node:
        code_id = _unique_id(slugify(name), self.taken)
        node = _Node(code_id, name, parent, new=True, fields=fields)
        self.nodes[code_id] = node
        (parent.children if parent else self.roots).append(node)
        self.result.added.append(code_id)
        return node

    def _place(self, code: RefiCode, name: str, parent: _Node | None) -> _Node:
        fields = self._fields(code)
        known = self.by_guid.get(code.guid)
        node = self.nodes.get(known) if known else None
        if node is None or node.claimed:
            node = self._find(name, parent)
        if node is None:
            node = self._new(name, parent, fields)
        elif node.intermediate:
            # Made earlier in this import from a 'Parent::Child' name; now the parent itself
            # arrives with its description and colour.
            node.fields.update(fields)
            node.intermediate = False
        else:
            self.result.reused += 1
        node.claimed = True
        self.result.ids[code.guid] = node.id
        return node

    def add(self, codes: list[RefiCode], parent: _Node | None = None) -> None:
        for code in codes:
            path = name_path(code.name, self.origin)
            at = parent
            for part in path[:-1]:
                found = self._find(part, at, claimed_too=True)
                if found is None:
                    found = self._new(part, at, {})
                    found.intermediate = True
                at = found
            node = self._place(code, path[-1], at)
            self.add(code.children, node)

    def write(self) -> None:
        """Add every new code to the codebook, one edit per existing parent."""
        groups: dict[str | None, list[_Node]] = {}
        for node in self.nodes.values():
            if node.new and (node.parent is None or not node.parent.new):
                groups.setdefault(node.parent.id if node.parent else None, []).append(node)
        for parent_id, nodes in groups.items():
            self.book.add_tree([n.entry() for n in nodes], parent=parent_id)


def _unique_id(base: str, taken: set[str]) -> str:
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def import_codes(
    book: Codebook,
    codes: list[RefiCode],
    origin: str | None,
    remembered: dict[str, str] | None = None,
) -> CodeImport:
    """Add the codes to `book` (not saved: the caller saves once, after every check).

    `remembered` maps code ids to the GUIDs earlier imports gave them.
    """
    from_qualkit = (origin or "").lower().startswith("qualkit")
    importer = CodeImporter(book, origin, remembered or {}, from_qualkit)
    importer.add(codes)
    importer.write()
    return importer.result
