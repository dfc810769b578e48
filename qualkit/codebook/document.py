"""The ruamel.yaml round-trip document behind codebook edits, and how entries move in it.

Edits change this document rather than rewriting the file from :class:`Code` objects, so
people's comments, key order and quoting survive and untouched text is written back byte for
byte. Most of the work here is about comments: ruamel stores a comment on whichever node
precedes it, so a full-line comment *above* an entry actually hangs off the end of the entry
before it (or off the ``codes:``/``children:`` key for the first one). Moving, inserting or
deleting an entry therefore has to take those comments off one node and give them to another,
so they stay with the text they describe.

ruamel.yaml is imported inside the functions: loading a codebook never needs it, only the
first edit does (see :mod:`qualkit.codebook`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from qualkit.codebook.schema import FIELDS
from qualkit.errors import CodebookError

# Plain scalars a YAML 1.1/1.2 reader would not read as a string: quote these when qualkit
# writes them, so other tools reading the file see text too.
_NON_STR_PLAIN = re.compile(
    r"""^(?:~|null|Null|NULL|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE
    |on|On|ON|off|Off|OFF|[-+]?[0-9][0-9_:.eE+-]*|[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)
    |\d{4}-\d\d?-\d\d?.*)$""",
    re.VERBOSE,
)


def round_trip_yaml(indent: tuple[int, int, int]) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.resolver import VersionedResolver

    class _TextResolver(VersionedResolver):
        # Read every plain scalar as text, as the validator does, and write plain text back
        # unquoted: otherwise "name: 2019" would come back as "name: '2019'".
        @property
        def versioned_resolver(self) -> Any:
            return {}

    yaml = YAML(typ="rt")
    yaml.Resolver = _TextResolver
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long lines people wrote
    mapping, sequence, offset = indent
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) so written entries look like the file's own."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("codes:"):
            continue
        for follow in lines[i + 1 :]:
            stripped = follow.lstrip(" ")
            if not stripped or stripped.startswith("#"):
                continue
            if stripped.startswith("- "):
                offset = len(follow) - len(stripped)
                inner = len(stripped[2:]) - len(stripped[2:].lstrip(" "))
                return 2, offset + 2 + inner, offset
            break
    return 2, 4, 2  # the documented style: "  - id: ..." under "codes:"


def load_document(text: str, indent: tuple[int, int, int], label: str) -> Any:
    """The round-trip document of ``text`` (already validated), with a ``codes:`` list."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    try:
        doc = round_trip_yaml(indent).load(text)
    except Exception as exc:  # libyaml accepted it; ruamel's stricter reader did not
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CodebookError(f"{label}{line}: YAML syntax error: {problem}") from None
    if doc is None:
        # Comment-only file: ruamel drops those comments, so keep them as a header.
        doc = CommentedMap()
        lines = [ln for ln in text.splitlines() if ln.strip()]
        header = [ln[1:].lstrip() if ln.startswith("#") else ln for ln in lines]
        if any(header):
            doc.yaml_set_start_comment("\n".join(header))
    if doc.get("codes") is None:
        doc["codes"] = CommentedSeq()
    if not len(doc["codes"]):
        doc["codes"].fa.set_block_style()
    return doc


def yaml_scalar(value: str, like: Any = None) -> Any:
    """Text to store in the document, quoted only where a YAML reader would not read text."""
    from ruamel.yaml.scalarstring import (
        DoubleQuotedScalarString,
        LiteralScalarString,
        SingleQuotedScalarString,
    )

    if "\n" in value:
        return LiteralScalarString(value if value.endswith("\n") else value + "\n")
    # Keep the quoting style the person chose for the value being replaced.
    if isinstance(like, SingleQuotedScalarString) and "'" not in value:
        return SingleQuotedScalarString(value)
    if isinstance(like, DoubleQuotedScalarString):
        return DoubleQuotedScalarString(value)
    needs_quotes = (
        _NON_STR_PLAIN.match(value)
        or value != value.strip()
        or value[:1] in "!&*-?[]{}|>@`\"'%#,:"
        or ": " in value
        or " #" in value
        or value.endswith(":")
    )
    return DoubleQuotedScalarString(value) if needs_quotes else value


def _blank_row() -> list[Any]:
    return [None, None, None, None]


def _tail_slot(node: Any) -> tuple[list[Any], int] | None:
    """Where ruamel keeps comments that follow ``node``'s last line (they belong below it)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap) and len(node):
        last = list(node.keys())[-1]
        value = node[last]
        if isinstance(value, (CommentedMap, CommentedSeq)) and len(value):
            if not value.fa.flow_style():
                return _tail_slot(value)
        row = node.ca.items.setdefault(last, _blank_row())
        return row, 2
    if isinstance(node, CommentedSeq) and len(node):
        value = node[-1]
        if isinstance(value, (CommentedMap, CommentedSeq)) and len(value):
            if not value.fa.flow_style():
                return _tail_slot(value)
        row = node.ca.items.setdefault(len(node) - 1, _blank_row())
        return row, 0
    return None


def _split_token(value: str) -> tuple[str, str]:
    """(comment on the node's own last line, full lines that follow it)."""
    cut = value.find("\n")
    if cut < 0:
        return value, ""
    return value[: cut + 1], value[cut + 1 :]


def _take_following(slot: tuple[list[Any], int] | None) -> str:
    """Detach and return the full-line comments after a node, keeping its end-of-line one."""
    if slot is None:
        return ""
    row, pos = slot
    token = row[pos]
    if token is None or not hasattr(token, "value"):
        return ""
    head, rest = _split_token(token.value)
    if not rest:
        return ""
    if head.strip():
        token.value = head
    else:
        row[pos] = None
    return rest


def _give_following(slot: tuple[list[Any], int] | None, rest: str) -> None:
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    if not rest or slot is None:
        return
    row, pos = slot
    token = row[pos]
    if token is not None and hasattr(token, "value"):
        token.value = (token.value if token.value.endswith("\n") else token.value + "\n") + rest
    else:
        row[pos] = CommentToken("\n" + rest, CommentMark(0))


class EntryPlace:
    """An entry's position in the document: the list holding it and who owns that list."""

    def __init__(self, node: Any, seq: Any, owner: Any, owner_key: str) -> None:
        self.node = node
        self.seq = seq
        self.owner = owner  # the parent entry's map (or the document) holding ``seq``
        self.owner_key = owner_key  # "children" or "codes"


def _take_before(seq: Any, owner: Any, key: str, index: int) -> str:
    """Detach the full-line comments just above position ``index`` of ``seq``."""
    if index > 0:
        return _take_following(_tail_slot(seq[index - 1]))
    # Above the first item ruamel keeps comments on the owning key ("codes:"/"children:"):
    # in one token after the key's own end-of-line comment, or, when the key line has none,
    # as a list of separate line tokens. The list shares these objects with the key's row.
    text = ""
    row = owner.ca.items.get(key)
    token = row[2] if row else None
    if token is None and seq.ca.comment:
        token = seq.ca.comment[0]
    if token is not None and hasattr(token, "value"):
        head, rest = _split_token(token.value)
        if rest:
            text += rest
            if head.strip():
                token.value = head
            else:
                if row:
                    row[2] = None
                if seq.ca.comment:
                    seq.ca.comment[0] = None
    lines = (row[3] if row else None) or (seq.ca.comment[1] if seq.ca.comment else None)
    if lines:
        for tok in lines:
            value = tok.value
            column = getattr(tok.start_mark, "column", 0) or 0
            text += value if not value.strip() else " " * column + value.lstrip(" ")
        if row:
            row[3] = None
        if seq.ca.comment:
            seq.ca.comment[1] = None
    return text


def _give_before(seq: Any, owner: Any, key: str, index: int, text: str) -> None:
    """Put full-line comments just above position ``index`` of ``seq``."""
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    if not text:
        return
    if index > 0:
        _give_following(_tail_slot(seq[index - 1]), text)
        return
    row = owner.ca.items.setdefault(key, _blank_row())
    token = row[2] or (seq.ca.comment[0] if seq.ca.comment else None)
    if token is not None:
        token.value = (token.value if token.value.endswith("\n") else token.value + "\n") + text
    else:
        token = CommentToken("\n" + text, CommentMark(0))
    row[2] = token
    if seq.ca.comment is None:
        seq.ca.comment = [token, None]
    else:
        seq.ca.comment[0] = token


def reindent(text: str, column: int) -> str:
    """Comment lines moved to another depth, indented like the entries they now sit above."""
    out = []
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip(" ")
        out.append(" " * column + stripped if stripped.startswith("#") else line)
    return "".join(out)


class _KeepTail:
    """Keep the comments below an entry below it while its last field changes."""

    def __init__(self, node: Any) -> None:
        self.node = node
        self.text = ""

    def __enter__(self) -> _KeepTail:
        self.text = _take_following(_tail_slot(self.node))
        return self

    def __exit__(self, *exc: object) -> None:
        _give_following(_tail_slot(self.node), self.text)


# --------------------------------------------------------------------------------------------
# Entry operations (comments travel with the text they describe)
# --------------------------------------------------------------------------------------------


def walk_entries(doc: Any) -> Iterator[EntryPlace]:
    """Every entry of the document in depth-first file order, the order of ``Codebook.codes``."""

    def visit(seq: Any, owner: Any, key: str) -> Iterator[EntryPlace]:
        for node in list(seq):
            yield EntryPlace(node, seq, owner, key)
            children = node.get("children")
            if children:
                yield from visit(children, node, "children")

    yield from visit(doc["codes"], doc, "codes")


def set_field(node: Any, name: str, value: Any) -> None:
    """Set (or, for None, "" or [], remove) one field of an entry, in canonical field order."""
    with _KeepTail(node):
        _set_field_inner(node, name, value)


def _set_field_inner(node: Any, name: str, value: Any) -> None:
    from ruamel.yaml.comments import CommentedSeq

    if value is None or value == "" or value == []:
        if name in node:
            del node[name]
        return
    if name == "examples":
        seq = CommentedSeq(yaml_scalar(v.strip()) for v in value if v.strip())
        seq.fa.set_block_style()
        new: Any = seq
    else:
        new = yaml_scalar(value.strip(), node.get(name))
    if name in node:
        node[name] = new
        return
    # Insert in canonical order (before children, after the fields that precede it).
    order = FIELDS.index(name)
    keys = list(node.keys())
    index = len(keys)
    for i, key in enumerate(keys):
        if key in FIELDS and FIELDS.index(key) > order:
            index = i
            break
    node.insert(index, name, new)


def merge_examples(source: Any, target: Any) -> None:
    """Append the source entry's examples the target lacks, with their end-of-line comments."""
    from ruamel.yaml.comments import CommentedSeq
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    have = {str(v).strip() for v in (target.get("examples") or [])}
    source_seq = source["examples"]
    # Move the source's own scalars so their quoting comes along unchanged.
    picked = [i for i, v in enumerate(source_seq) if v and str(v).strip() not in have]
    if not isinstance(target.get("examples"), CommentedSeq) or not len(target["examples"]):
        set_field(target, "examples", ["x"])  # placeholder, replaced just below
        del target["examples"][0]
    seq = target["examples"]
    with _KeepTail(target):
        for i in picked:
            seq.append(source_seq[i])
            row = source_seq.ca.items.get(i)
            token = row[0] if row else None
            if token is not None and hasattr(token, "value"):
                # Only the example's own end-of-line comment; lines below it stay put.
                head, _ = _split_token(token.value)
                if head.strip():
                    mark = CommentMark(getattr(token.start_mark, "column", 0) or 0)
                    seq.ca.items[len(seq) - 1] = [CommentToken(head, mark), None, None, None]


def detach_entry(place: EntryPlace, carry_leading: bool) -> str:
    """Take an entry out of its list and return the comments that travel with it.

    Full-line comments right above an entry are taken to be about it: with
    ``carry_leading`` they go with the entry (a move), otherwise they stay where they were
    (a delete keeps people's words). Comments below it belong to whatever follows, so
    they stay in place either way.
    """
    seq, owner, key = place.seq, place.owner, place.owner_key
    index = next(i for i, n in enumerate(seq) if n is place.node)
    leading = _take_before(seq, owner, key, index)
    following = _take_following(_tail_slot(place.node))
    del seq[index]
    stay = following if carry_leading else leading + following
    if not len(seq) and key == "children":
        # An empty "children:" would be noise; its comments move to the owner's end.
        del owner["children"]
        _give_following(_tail_slot(owner), stay)
    else:
        _give_before(seq, owner, key, index, stay)
    return leading if carry_leading else ""


def insert_entry(
    node: Any, seq: Any, owner: Any, key: str, index: int | None, leading: str
) -> None:
    """Put ``node`` into ``seq`` at ``index`` (None: last) with ``leading`` comments above it."""
    if index is None or index > len(seq):
        index = len(seq)
    index = max(0, index)
    # Comments just above ``index`` describe the entry already there (or close the list),
    # so they end up below the inserted entry, not above it.
    existing = _take_before(seq, owner, key, index) if len(seq) else ""
    seq.insert(index, node)
    seq.fa.set_block_style()
    _give_before(seq, owner, key, index, leading)
    _give_following(_tail_slot(node), existing)


def start_children(owner: Any, node: Any, leading: str) -> None:
    """Give an entry that has no children a ``children:`` list holding just ``node``."""
    from ruamel.yaml.comments import CommentedSeq

    with _KeepTail(owner):
        seq = CommentedSeq()
        seq.fa.set_block_style()
        # Canonical order puts children last; insert there, before any unknown extras.
        if "children" in owner:
            owner["children"] = seq
        else:
            owner.insert(len(owner), "children", seq)
        insert_entry(node, seq, owner, "children", 0, leading)
