"""The codebook: load, validate and edit ``codebook.yaml`` without losing what people wrote.

File format
-----------
``codebook.yaml`` is written by people and by qualkit alike, so it is plain YAML that diffs
well. The top level is a mapping with one key, ``codes``, holding a list of code entries; an
empty file, a file of comments only, ``codes:`` and ``codes: []`` are all an empty codebook.

.. code-block:: yaml

    # Codebook for the family support study (comments anywhere survive qualkit's writes)
    codes:
      - id: engagement            # stable slug; never changes on rename
        name: Engagement          # required: what people see
        description: What helped or hindered families taking part.
        include: Talk about attending, dropping out, being reached.
        exclude: Views on staff as people (use relationships).
        examples:
          - "We only went because the health visitor came with us."
        color: "#4e79a7"
        key: g                    # one-key shortcut in the coding screen
        children:
          - id: engagement-barriers
            name: Barriers to engagement

Fields of an entry (any other field is an error, with a "did you mean" hint for typos):

``id``
    Optional. Must match ``^[a-z0-9][a-z0-9_-]*$``. When missing it is derived from the name
    (lowercase ASCII letters, digits and ``-``; accents dropped; ``-2``, ``-3``... appended on a
    clash) and written into the file on the next :meth:`Codebook.save`, so it stays stable.
    Codings point at ids, never at names: renaming a code never changes its id.
``name``
    Required, non-empty text.
``description``, ``include``, ``exclude``
    Optional text (block scalars welcome); surrounding whitespace is dropped.
``examples``
    Optional list of strings.
``color``
    Optional ``#rgb`` or ``#rrggbb``, or one of the named colours in :data:`NAMED_COLORS`
    (the Tableau 10 palette: red, orange, yellow, green, teal, blue, purple, pink, brown, grey
    or gray). :attr:`Code.color` is always normalised to lowercase ``#rrggbb``; the file keeps
    what was written.
``key``
    Optional single printable character, unique across the codebook and case-sensitive. The
    keys the coding screen uses itself (:data:`RESERVED_KEYS`: ``j k n p c x u m s t e d q ?
    /`` and the digits ``1``-``9``) are refused.
``children``
    Optional list of entries (``children:`` with nothing after it means none). A code with
    children is a theme; the top-level ancestor of a code is its theme (:meth:`theme_of`).

Every scalar is read as text, whatever it looks like: ``name: 2019`` is the name ``"2019"`` and
``name: yes`` is ``"yes"`` (YAML 1.1 booleans and dates would otherwise surprise people). A
plain ``~``, ``null`` or empty value means "not set".

Errors are :class:`~qualkit.errors.CodebookError` with one line naming the file and line, e.g.
``codebook.yaml:12: duplicate code id 'referral' (first defined at line 4)``.

Editing
-------
Edits (:meth:`Codebook.add`, ``rename``, ``update``, ``move``, ``merge``, ``delete``) change a
ruamel.yaml round-trip document, so comments, key order and entry order survive; untouched
text is written back byte for byte. Each edit is checked by serialising the document and
validating the result exactly as :meth:`Codebook.load` would; an edit that would make the
codebook invalid raises and leaves the codebook as it was. :meth:`Codebook.save` validates
once more and replaces the file atomically (temporary file in the same folder, fsync,
``os.replace``), and refuses to overwrite a file someone changed on disk since it was loaded
unless ``force=True``.

``delete`` of a code that has children moves the children up into the deleted code's place
(under its parent, or to the top level), keeping their order. ``merge(source, target)`` moves
the source's children under the target (appended), appends the source's examples the target
lacks, and removes the source; other source fields are dropped. Neither touches codings: the
Project layer re-points them.

Speed: loading validates through libyaml's composer when PyYAML with libyaml is installed
(a 500-code codebook loads in ~15 ms); the slower round-trip document is only built on the
first edit.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualkit.errors import CodebookError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Code",
    "Codebook",
    "FIELDS",
    "NAMED_COLORS",
    "RESERVED_KEYS",
    "TEMPLATE",
    "slugify",
]

ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_COLOR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")

# Canonical field order: new fields are inserted where this order puts them.
FIELDS = (
    "id",
    "name",
    "description",
    "include",
    "exclude",
    "examples",
    "color",
    "key",
    "children",
)
_TEXT_FIELDS = ("description", "include", "exclude")
_UPDATABLE = ("name", "description", "include", "exclude", "examples", "color", "key")

# Keys the TUI coding screen binds itself; a code shortcut there would never fire.
RESERVED_KEYS = frozenset("jknpcxumstedq?/123456789")

# Tableau 10, so named colours match the palette exports use by default.
NAMED_COLORS = {
    "blue": "#4e79a7",
    "orange": "#f28e2b",
    "red": "#e15759",
    "teal": "#76b7b2",
    "green": "#59a14f",
    "yellow": "#edc948",
    "purple": "#b07aa1",
    "pink": "#ff9da7",
    "brown": "#9c755f",
    "grey": "#bab0ac",
    "gray": "#bab0ac",
}

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
# Plain scalars a YAML 1.1/1.2 reader would not read as a string: quote these when qualkit
# writes them, so other tools reading the file see text too.
_NON_STR_PLAIN = re.compile(
    r"""^(?:~|null|Null|NULL|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE
    |on|On|ON|off|Off|OFF|[-+]?[0-9][0-9_:.eE+-]*|[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)
    |\d{4}-\d\d?-\d\d?.*)$""",
    re.VERBOSE,
)

TEMPLATE = """\
# qualkit codebook: the codes you apply to transcript segments.
#
# Edit this file by hand or from qualkit; comments and order are kept when qualkit writes it.
# Each code is an entry in the list under `codes:`:
#
#   - id: engagement          # optional stable slug (a-z, 0-9, - and _); made from the name
#                             #   if missing. Codings point at the id, so never change it.
#     name: Engagement        # required
#     description: What helped or hindered families taking part.
#     include: When to apply it.
#     exclude: When not to (and which code to use instead).
#     examples:
#       - "We only went because the health visitor came with us."
#     color: "#4e79a7"        # #rgb, #rrggbb or blue orange red teal green yellow purple
#                             #   pink brown grey
#     key: g                  # one-key shortcut in the coding screen (not j k n p c x u m
#                             #   s t e d q ? / or 1-9)
#     children:               # sub-codes; a code with children is a theme
#       - name: Barriers to engagement
#
codes: []
"""


def slugify(name: str) -> str:
    """A readable id from a name: ASCII lowercase letters, digits and single dashes."""
    # NFKD splits accented letters so "Café" gives "cafe" rather than "caf".
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(slug) > 48:
        # Long names make unwieldy ids; cut at a word boundary where there is one.
        cut = slug[:48]
        slug = cut.rsplit("-", 1)[0] if "-" in cut[16:] else cut
        slug = slug.strip("-")
    # Names in non-Latin scripts leave nothing; "code" (made unique) is still a valid id.
    return slug or "code"


def _unique(base: str, taken: set[str] | dict[str, Any]) -> str:
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _normalise_color(value: str) -> str | None:
    """``#rrggbb`` for a valid colour, None for an invalid one."""
    if value.lower() in NAMED_COLORS:
        return NAMED_COLORS[value.lower()]
    if not _COLOR_RE.match(value):
        return None
    hex_digits = value[1:].lower()
    if len(hex_digits) == 3:
        hex_digits = "".join(c * 2 for c in hex_digits)
    return "#" + hex_digits


def _color_problem(value: str) -> str:
    return (
        f"color {value!r} is not #rgb, #rrggbb or a named colour "
        f"({', '.join(sorted(NAMED_COLORS))})"
    )


def _key_problem(value: str) -> str | None:
    """Why ``value`` cannot be a shortcut key, or None when it can."""
    if len(value) != 1:
        return f"key {value!r} must be a single character"
    if not value.isprintable() or value.isspace():
        return f"key {value!r} must be a printable character"
    if value in RESERVED_KEYS:
        return (
            f"key {value!r} is used by the coding screen itself; choose another "
            "(reserved: j k n p c x u m s t e d q ? / 1-9)"
        )
    return None


def _did_you_mean(word: str, options: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass
class Code:
    """One code as the rest of qualkit sees it (validated and normalised)."""

    id: str
    name: str
    description: str = ""
    include: str = ""
    exclude: str = ""
    examples: list[str] = field(default_factory=list)
    color: str | None = None  # normalised "#rrggbb"
    key: str | None = None
    parent: str | None = None
    children: list[str] = field(default_factory=list)  # child ids in file order
    line: int = 0  # 1-based line of the entry in codebook.yaml


# --------------------------------------------------------------------------------------------
# Parsing and validation (node level, so every message can name a line)
# --------------------------------------------------------------------------------------------


def _compose(text: str) -> Any:
    """The YAML node tree of ``text`` (nodes carry line marks); raises the parser's error."""
    try:
        import yaml  # PyYAML: with libyaml its composer is ~20x faster than ruamel's

        if getattr(yaml, "__with_libyaml__", False):
            return yaml.compose(text, Loader=yaml.CSafeLoader)
    except ImportError:
        pass
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).compose(text)


def _kind(node: Any) -> str:
    # PyYAML and ruamel nodes share shape and class names, so one walker serves both.
    return type(node).__name__


def _line(node: Any) -> int:
    return node.start_mark.line + 1


@dataclass
class _Entry:
    node: Any
    line: int
    fields: dict[str, tuple[Any, int]]  # field -> (value node, line of the key)
    parent: _Entry | None
    children: list[_Entry]


class _Parser:
    """Validates one codebook text, collecting entries in depth-first file order."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.entries: list[_Entry] = []

    def fail(self, line: int | None, message: str) -> CodebookError:
        where = f"{self.label}:{line}" if line else self.label
        return CodebookError(f"{where}: {message}")

    def scalar(self, node: Any, what: str) -> str | None:
        if _kind(node) != "ScalarNode":
            shape = "a list" if _kind(node) == "SequenceNode" else "a mapping"
            raise self.fail(_line(node), f"{what} must be text, not {shape}")
        if not node.style and node.value in _NULLS:  # libyaml says "" for plain
            return None
        return node.value

    def parse(self, text: str) -> tuple[dict[str, Code], set[str]]:
        """Codes in depth-first order, and the ids that were derived from names."""
        try:
            root = _compose(text)
        except Exception as exc:  # PyYAML's and ruamel's errors share these attributes
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            lines = text.splitlines()
            bad = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
            tabbed = "\t" in bad[: len(bad) - len(bad.lstrip())]
            hint = " (indent with spaces, not tabs)" if tabbed else ""
            raise self.fail(
                mark.line + 1 if mark is not None else None, f"YAML syntax error: {problem}{hint}"
            ) from None
        if root is None:
            return {}, set()
        if _kind(root) != "MappingNode":
            raise self.fail(_line(root), "the top level must be a mapping with a 'codes:' list")
        codes_node = None
        for key_node, value_node in root.value:
            key = key_node.value if _kind(key_node) == "ScalarNode" else None
            if key != "codes":
                raise self.fail(
                    _line(key_node),
                    f"unknown top-level key {key!r}: only 'codes:' is allowed"
                    + _did_you_mean(str(key), ["codes"]),
                )
            if codes_node is not None:
                raise self.fail(_line(key_node), "'codes:' appears twice")
            codes_node = value_node
        if codes_node is None:
            raise self.fail(_line(root), "no 'codes:' list at the top level")
        if _kind(codes_node) == "ScalarNode" and self.scalar(codes_node, "codes") is None:
            return {}, set()
        if _kind(codes_node) != "SequenceNode":
            raise self.fail(_line(codes_node), "'codes:' must be a list of code entries")
        for item in codes_node.value:
            self.walk(item, None)
        return self.build()

    def walk(self, node: Any, parent: _Entry | None) -> None:
        if _kind(node) != "MappingNode":
            raise self.fail(
                _line(node), "a code entry must be a mapping with at least 'name:', not text"
            )
        entry = _Entry(node, _line(node), {}, parent, [])
        self.entries.append(entry)
        children_node = None
        for key_node, value_node in node.value:
            key = key_node.value if _kind(key_node) == "ScalarNode" else None
            line = _line(key_node)
            if key not in FIELDS:
                raise self.fail(
                    line,
                    f"unknown field {key!r} (allowed: {', '.join(FIELDS)})"
                    + _did_you_mean(str(key), FIELDS),
                )
            if key in entry.fields:
                raise self.fail(
                    line, f"field {key!r} given twice (first at line {entry.fields[key][1]})"
                )
            entry.fields[key] = (value_node, line)
            if key == "children":
                children_node = value_node
        if parent is not None:
            parent.children.append(entry)
        if children_node is None:
            return
        if _kind(children_node) == "ScalarNode" and self.scalar(children_node, "children") is None:
            return
        if _kind(children_node) != "SequenceNode":
            raise self.fail(_line(children_node), "'children:' must be a list of code entries")
        for item in children_node.value:
            self.walk(item, entry)

    def build(self) -> tuple[dict[str, Code], set[str]]:
        explicit: dict[str, int] = {}
        for entry in self.entries:
            if "id" not in entry.fields:
                continue
            node, line = entry.fields["id"]
            value = self.scalar(node, "id")
            if value is None:
                continue
            if not ID_RE.match(value):
                raise self.fail(
                    line,
                    f"bad code id {value!r}: use lowercase letters, digits, '-' and '_', "
                    "starting with a letter or digit",
                )
            if value in explicit:
                raise self.fail(
                    line, f"duplicate code id {value!r} (first defined at line {explicit[value]})"
                )
            explicit[value] = line

        codes: dict[str, Code] = {}
        derived: set[str] = set()
        ids: dict[int, str] = {}
        taken: set[str] = set(explicit)
        keys: dict[str, tuple[str, int]] = {}
        for entry in self.entries:
            name = self.text(entry, "name")
            if not name:
                line = entry.fields["name"][1] if "name" in entry.fields else entry.line
                raise self.fail(line, "code has no name (add 'name: ...')")
            code_id = self.text(entry, "id")
            if not code_id:
                # Explicit ids win over derived ones wherever they are in the file, so adding
                # an id further down never renames a code above it.
                code_id = _unique(slugify(name), taken)
                taken.add(code_id)
                derived.add(code_id)
            ids[id(entry)] = code_id
            code = Code(id=code_id, name=name, line=entry.line)
            for text_field in _TEXT_FIELDS:
                setattr(code, text_field, self.text(entry, text_field))
            code.examples = self.examples(entry)
            color = self.text(entry, "color")
            if color:
                code.color = _normalise_color(color)
                if code.color is None:
                    raise self.fail(entry.fields["color"][1], _color_problem(color))
            key = self.scalar(entry.fields["key"][0], "key") if "key" in entry.fields else None
            if key:
                line = entry.fields["key"][1]
                problem = _key_problem(key)
                if problem:
                    raise self.fail(line, problem)
                if key in keys:
                    other, other_line = keys[key]
                    raise self.fail(
                        line,
                        f"duplicate key {key!r} (already used by {other!r} at line {other_line})",
                    )
                keys[key] = (code_id, line)
                code.key = key
            if entry.parent is not None:
                code.parent = ids[id(entry.parent)]
                codes[code.parent].children.append(code_id)
            codes[code_id] = code
        return codes, derived

    def text(self, entry: _Entry, name: str) -> str:
        if name not in entry.fields:
            return ""
        node, line = entry.fields[name]
        if _kind(node) != "ScalarNode":
            shape = "a list" if _kind(node) == "SequenceNode" else "a mapping"
            raise self.fail(line, f"{name!r} must be text, not {shape}")
        value = self.scalar(node, name)
        return value.strip() if value else ""

    def examples(self, entry: _Entry) -> list[str]:
        if "examples" not in entry.fields:
            return []
        node, line = entry.fields["examples"]
        if _kind(node) == "ScalarNode" and self.scalar(node, "examples") is None:
            return []
        if _kind(node) != "SequenceNode":
            raise self.fail(line, "'examples' must be a list of strings (one '- ...' per quote)")
        out = []
        for item in node.value:
            if _kind(item) != "ScalarNode":
                raise self.fail(_line(item), "each example must be a string")
            value = self.scalar(item, "example")
            if value and value.strip():
                out.append(value.strip())
        return out


# --------------------------------------------------------------------------------------------
# Round-trip document helpers (ruamel.yaml)
# --------------------------------------------------------------------------------------------


def _rt_yaml(indent: tuple[int, int, int]) -> Any:
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


def _guess_indent(text: str) -> tuple[int, int, int]:
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


def _scalar(value: str, like: Any = None) -> Any:
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


class _Place:
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


def _reindent(text: str, column: int) -> str:
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
# The codebook
# --------------------------------------------------------------------------------------------


class Codebook:
    """A validated codebook backed by ``codebook.yaml``; edits keep the file's comments."""

    def __init__(self, path: Path, text: str, codes: dict[str, Code], derived: set[str]) -> None:
        self.path = path
        self.codes: dict[str, Code] = codes  # depth-first file order
        self._text = text  # serialisation of the current (valid) state
        self._derived = derived  # ids made from names, not yet written to the file
        self._doc: Any = None  # ruamel round-trip document, built on first edit
        self._indent = _guess_indent(text)
        self._crlf = False
        self._disk_sig: tuple[int, int] | None = None
        self._disk_hash: str | None = None
        self._dirty = False

    # ---- loading --------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Codebook:
        """Read and validate ``path``; raises CodebookError naming file:line."""
        path = Path(path)
        try:
            data = path.read_bytes()
            stat = path.stat()
        except FileNotFoundError:
            raise CodebookError(f"{path.name}: file not found ({path})") from None
        except OSError as exc:
            raise CodebookError(f"{path.name}: cannot read: {exc.strerror}") from None
        text = cls._decode(data, path)
        codes, derived = _Parser(path.name).parse(text)
        book = cls(path, text, codes, derived)
        book._crlf = b"\r\n" in data
        book._disk_sig = (stat.st_mtime_ns, stat.st_size)
        book._disk_hash = hashlib.sha256(data).hexdigest()
        return book

    @staticmethod
    def _decode(data: bytes, path: Path) -> str:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise CodebookError(
                f"{path.name}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                "save the file as UTF-8"
            ) from None
        return text.replace("\r\n", "\n").replace("\r", "\n")

    @staticmethod
    def write_template(path: str | os.PathLike[str]) -> Path:
        """Write a starter codebook.yaml (commented, no codes); refuses to overwrite one."""
        path = Path(path)
        if path.exists():
            raise CodebookError(f"{path.name}: already exists; not overwriting it")
        _atomic_write(path, TEMPLATE.encode("utf-8"))
        return path

    @staticmethod
    def empty_template() -> str:
        """The starter codebook text :meth:`write_template` writes."""
        return TEMPLATE

    # ---- disk state -----------------------------------------------------------------------

    def changed_on_disk(self) -> bool:
        """True when the file no longer holds what this codebook last read or wrote."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return True
        sig = (stat.st_mtime_ns, stat.st_size)
        if sig == self._disk_sig:
            return False
        # A touch or an editor saving the same bytes is not a change worth a reload.
        try:
            digest = hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError:
            return True
        if digest == self._disk_hash:
            self._disk_sig = sig
            return False
        return True

    @property
    def dirty(self) -> bool:
        """True when :meth:`save` has something to write (edits, or ids derived from names)."""
        return self._dirty or bool(self._derived)

    # ---- queries --------------------------------------------------------------------------

    def __contains__(self, code_id: object) -> bool:
        return code_id in self.codes

    def __iter__(self) -> Iterator[Code]:
        return iter(self.codes.values())

    def __len__(self) -> int:
        return len(self.codes)

    def _label(self) -> str:
        return self.path.name

    def _error(self, message: str) -> CodebookError:
        return CodebookError(f"{self._label()}: {message}")

    def get(self, code_id: str) -> Code:
        try:
            return self.codes[code_id]
        except KeyError:
            hint = _did_you_mean(code_id, list(self.codes))
            raise self._error(f"unknown code {code_id!r}{hint}") from None

    def roots(self) -> list[Code]:
        return [code for code in self.codes.values() if code.parent is None]

    def ancestors(self, code_id: str) -> list[str]:
        """Parent first, theme (top level) last; empty for a top-level code."""
        out = []
        parent = self.get(code_id).parent
        while parent is not None:
            out.append(parent)
            parent = self.codes[parent].parent
        return out

    def descendants(self, code_id: str) -> list[str]:
        """All codes below ``code_id`` in depth-first file order (not ``code_id`` itself)."""
        out: list[str] = []
        stack = list(reversed(self.get(code_id).children))
        while stack:
            child = stack.pop()
            out.append(child)
            stack.extend(reversed(self.codes[child].children))
        return out

    def theme_of(self, code_id: str) -> str:
        """The top-level code ``code_id`` rolls up to (itself when it is top level)."""
        chain = self.ancestors(code_id)
        return chain[-1] if chain else code_id

    def depth(self, code_id: str) -> int:
        return len(self.ancestors(code_id))

    def by_key(self, key: str) -> Code | None:
        for code in self.codes.values():
            if code.key == key:
                return code
        return None

    def to_dataframe(self) -> pd.DataFrame:
        """One row per code in file order: id, name, parent, theme, depth, text fields..."""
        import pandas as pd

        columns = [
            "id",
            "name",
            "parent",
            "theme",
            "depth",
            "description",
            "include",
            "exclude",
            "key",
            "color",
        ]
        rows = [
            {
                "id": c.id,
                "name": c.name,
                "parent": c.parent,
                "theme": self.theme_of(c.id),
                "depth": self.depth(c.id),
                "description": c.description,
                "include": c.include,
                "exclude": c.exclude,
                "key": c.key,
                "color": c.color,
            }
            for c in self.codes.values()
        ]
        return pd.DataFrame(rows, columns=columns)

    # ---- round-trip document --------------------------------------------------------------

    def _ensure_doc(self) -> Any:
        if self._doc is not None:
            return self._doc
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        try:
            doc = _rt_yaml(self._indent).load(self._text)
        except Exception as exc:  # libyaml accepted it; ruamel's stricter reader did not
            mark = getattr(exc, "problem_mark", None)
            line = f":{mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise CodebookError(f"{self._label()}{line}: YAML syntax error: {problem}") from None
        if doc is None:
            # Comment-only file: ruamel drops those comments, so keep them as a header.
            doc = CommentedMap()
            header = [ln[1:].lstrip() if ln.startswith("#") else ln for ln in self._text_lines()]
            if any(header):
                doc.yaml_set_start_comment("\n".join(header))
        if doc.get("codes") is None:
            doc["codes"] = CommentedSeq()
        if not len(doc["codes"]):
            doc["codes"].fa.set_block_style()
        # Write ids derived from names into the document so they stay stable once saved.
        entries = list(self._walk(doc))
        for place, code in zip(entries, self.codes.values(), strict=True):
            if place.node.get("id") in (None, "", "~", "null"):
                if "id" in place.node:
                    place.node["id"] = code.id
                else:
                    place.node.insert(0, "id", code.id)
        self._doc = doc
        return doc

    def _text_lines(self) -> list[str]:
        return [ln for ln in self._text.splitlines() if ln.strip()]

    def _walk(self, doc: Any) -> Iterator[_Place]:
        def visit(seq: Any, owner: Any, key: str) -> Iterator[_Place]:
            for node in list(seq):
                yield _Place(node, seq, owner, key)
                children = node.get("children")
                if children:
                    yield from visit(children, node, "children")

        yield from visit(doc["codes"], doc, "codes")

    def _place(self, code_id: str) -> _Place:
        self.get(code_id)
        for place in self._walk(self._ensure_doc()):
            if place.node.get("id") == code_id:
                return place
        raise self._error(f"code {code_id!r} not found in the document")  # pragma: no cover

    def _dump(self) -> str:
        out = io.StringIO()
        _rt_yaml(self._indent).dump(self._ensure_doc(), out)
        return out.getvalue()

    def _commit_edit(self) -> None:
        """Validate the edited document; on failure put everything back as it was."""
        text = self._dump()
        try:
            codes, _ = _Parser(self._label()).parse(text)
        except CodebookError:
            self._doc = None  # rebuilt from the last valid text on the next edit
            raise
        self._text = text
        self.codes = codes
        self._derived = set()  # the document now carries every id
        self._dirty = True

    # ---- edits ----------------------------------------------------------------------------

    def _check_fields(self, fields: dict[str, Any], code_id: str | None) -> None:
        for name, value in fields.items():
            if name not in _UPDATABLE:
                raise self._error(
                    f"cannot set field {name!r} (settable: {', '.join(_UPDATABLE)})"
                    + _did_you_mean(name, _UPDATABLE)
                )
            if value is None or value == "" or value == []:
                if name == "name":
                    raise self._error("a code needs a name")
                continue
            if name == "examples":
                if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                    raise self._error("examples must be a list of strings")
                continue
            if not isinstance(value, str):
                raise self._error(f"{name} must be text, not {type(value).__name__}")
            if name == "color" and _normalise_color(value.strip()) is None:
                raise self._error(_color_problem(value))
            if name == "key":
                problem = _key_problem(value)
                if problem:
                    raise self._error(problem)
                owner = self.by_key(value)
                if owner is not None and owner.id != code_id:
                    raise self._error(f"key {value!r} is already used by {owner.id!r}")

    def _set_field(self, node: Any, name: str, value: Any) -> None:

        with _KeepTail(node):
            self._set_field_inner(node, name, value)

    def _set_field_inner(self, node: Any, name: str, value: Any) -> None:
        from ruamel.yaml.comments import CommentedSeq

        if value is None or value == "" or value == []:
            if name in node:
                del node[name]
            return
        if name == "examples":
            seq = CommentedSeq(_scalar(v.strip()) for v in value if v.strip())
            seq.fa.set_block_style()
            new: Any = seq
        else:
            new = _scalar(value.strip(), node.get(name))
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

    def add(
        self, name: str, parent: str | None = None, id: str | None = None, **fields: Any
    ) -> Code:
        """Append a new code as the last child of ``parent`` (or the last top-level code)."""
        from ruamel.yaml.comments import CommentedMap

        name = (name or "").strip()
        if not name:
            raise self._error("a code needs a name")
        if parent is not None:
            self.get(parent)
        if id is None:
            id = _unique(slugify(name), self.codes)
        elif not ID_RE.match(id):
            raise self._error(
                f"bad code id {id!r}: use lowercase letters, digits, '-' and '_', "
                "starting with a letter or digit"
            )
        elif id in self.codes:
            raise self._error(f"code id {id!r} already exists")
        self._check_fields(fields, None)
        self._ensure_doc()
        node = CommentedMap()
        node["id"] = id
        node["name"] = _scalar(name)
        for key in FIELDS:
            if key in fields:
                self._set_field(node, key, fields[key])
        self._attach(node, parent, None)
        self._commit_edit()
        return self.codes[id]

    def rename(self, code_id: str, new_name: str) -> None:
        """Change a code's name; its id (and so every coding) stays as it is."""
        self.update(code_id, name=new_name)

    def update(self, code_id: str, **fields: Any) -> None:
        """Set fields; None, "" or [] removes an optional field."""
        self.get(code_id)
        self._check_fields(fields, code_id)
        node = self._place(code_id).node
        for key in FIELDS:
            if key in fields:
                self._set_field(node, key, fields[key])
        self._commit_edit()

    def move(self, code_id: str, new_parent: str | None, index: int | None = None) -> None:
        """Make ``code_id`` a child of ``new_parent`` (None: top level) at ``index``."""
        self.get(code_id)
        if new_parent is not None:
            self.get(new_parent)
            if new_parent == code_id or new_parent in self.descendants(code_id):
                raise self._error(f"cannot move {code_id!r} under itself or its own sub-code")
        place = self._place(code_id)
        leading = self._detach(place, carry_leading=True)
        self._attach(place.node, new_parent, index, leading)
        self._commit_edit()

    def merge(self, source_id: str, target_id: str) -> None:
        """Fold ``source_id`` into ``target_id``: children and examples move, source goes."""
        source = self.get(source_id)
        target = self.get(target_id)
        if source_id == target_id:
            raise self._error(f"cannot merge {source_id!r} into itself")
        if target_id in self.descendants(source_id):
            raise self._error(
                f"cannot merge {source_id!r} into its own sub-code {target_id!r}; "
                f"move {target_id!r} out from under it first"
            )
        for child_id in list(source.children):
            child = self._place(child_id)
            self._attach(child.node, target_id, None, self._detach(child, carry_leading=True))
        if [e for e in source.examples if e not in target.examples]:
            self._merge_examples(self._place(source_id).node, self._place(target_id).node)
        self._detach(self._place(source_id), carry_leading=False)
        self._commit_edit()

    def _merge_examples(self, source: Any, target: Any) -> None:
        from ruamel.yaml.comments import CommentedSeq
        from ruamel.yaml.error import CommentMark
        from ruamel.yaml.tokens import CommentToken

        have = {str(v).strip() for v in (target.get("examples") or [])}
        source_seq = source["examples"]
        # Move the source's own scalars so their quoting comes along unchanged.
        picked = [i for i, v in enumerate(source_seq) if v and str(v).strip() not in have]
        if not isinstance(target.get("examples"), CommentedSeq) or not len(target["examples"]):
            self._set_field(target, "examples", ["x"])  # placeholder, replaced just below
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

    def delete(self, code_id: str) -> None:
        """Remove a code; its children move up into its place, keeping their order."""
        code = self.get(code_id)
        place = self._place(code_id)
        index = next(i for i, n in enumerate(place.seq) if n is place.node)
        for offset, child_id in enumerate(code.children):
            child = self._place(child_id)
            leading = self._detach(child, carry_leading=True)
            self._attach(child.node, code.parent, index + 1 + offset, leading)
        self._detach(self._place(code_id), carry_leading=False)
        self._commit_edit()

    # ---- structural helpers ---------------------------------------------------------------

    def _detach(self, place: _Place, carry_leading: bool) -> str:
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

    def _attach(self, node: Any, parent: str | None, index: int | None, leading: str = "") -> None:
        """Insert ``node`` under ``parent`` (None: top level) at ``index`` (None: last)."""
        from ruamel.yaml.comments import CommentedSeq

        doc = self._ensure_doc()
        mapping, sequence, offset = self._indent
        depth = 0 if parent is None else len(self.ancestors(parent)) + 1
        leading = _reindent(leading, depth * sequence + offset)
        if parent is None:
            seq, owner, key = doc["codes"], doc, "codes"
            self._insert(node, seq, owner, key, index, leading)
            return
        owner = self._place(parent).node
        if owner.get("children"):
            self._insert(node, owner["children"], owner, "children", index, leading)
            return
        with _KeepTail(owner):
            seq = CommentedSeq()
            seq.fa.set_block_style()
            # Canonical order puts children last; insert there, before any unknown extras.
            if "children" in owner:
                owner["children"] = seq
            else:
                owner.insert(len(owner), "children", seq)
            self._insert(node, seq, owner, "children", 0, leading)

    def _insert(
        self, node: Any, seq: Any, owner: Any, key: str, index: int | None, leading: str
    ) -> None:
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

    # ---- saving ---------------------------------------------------------------------------

    def save(self, force: bool = False) -> None:
        """Validate and atomically write the codebook, keeping comments and order.

        Refuses (CodebookError) when the file changed on disk since it was loaded or saved,
        so a hand edit made meanwhile is not overwritten; ``force=True`` overwrites anyway.
        """
        if not force and self._disk_hash is not None and self.changed_on_disk():
            raise self._error(
                "changed on disk since it was loaded; reload it (your edits here are not saved)"
            )
        text = self._dump() if (self._doc is not None or self._derived) else self._text
        # The written file must load: check the exact text, so errors name its lines.
        codes, _ = _Parser(self._label()).parse(text)
        data = (text.replace("\n", "\r\n") if self._crlf else text).encode("utf-8")
        _atomic_write(self.path, data)
        stat = self.path.stat()
        self._text = text
        self.codes = codes
        self._derived = set()
        self._dirty = False
        self._disk_sig = (stat.st_mtime_ns, stat.st_size)
        self._disk_hash = hashlib.sha256(data).hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so a crash leaves the old file or the new, never half."""
    directory = path.parent
    mode = None
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        else:
            # mkstemp makes 0600; a new codebook should be as readable as any file the user
            # creates (umask applies), so collaborators and git see it normally.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # some platforms cannot open folders; the replace itself is still atomic
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
