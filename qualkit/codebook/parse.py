"""Reading ``codebook.yaml``: text to validated :class:`~qualkit.codebook.schema.Code` objects.

Validation walks the YAML *node* tree rather than loaded Python values, because nodes carry
line marks: every :class:`~qualkit.errors.CodebookError` raised here names ``file:line``.
The same parser checks each edited document before :class:`~qualkit.codebook.Codebook`
accepts it, so an edit can never leave a codebook that would not load.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualkit.codebook.schema import (
    FIELDS,
    ID_RE,
    TEXT_FIELDS,
    Code,
    color_problem,
    did_you_mean,
    key_problem,
    normalise_color,
    slugify,
    unique_id,
)
from qualkit.errors import CodebookError

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})


def decode_codebook(data: bytes, path: Path) -> str:
    """The file's bytes as text with LF line ends; a non-UTF-8 byte fails naming its line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CodebookError(
            f"{path.name}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save the file as UTF-8"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


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


class CodebookParser:
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
        from qualkit.yaml_guard import ALIAS_PROBLEM, first_alias_line

        alias = first_alias_line(text)
        if alias is not None:
            raise self.fail(alias, ALIAS_PROBLEM)
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
                    + did_you_mean(str(key), ["codes"]),
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
                    + did_you_mean(str(key), FIELDS),
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
        suffixes: dict[str, int] = {}  # next number to try per slug: linear in duplicates
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
                code_id = unique_id(slugify(name), taken, suffixes)
                taken.add(code_id)
                derived.add(code_id)
            ids[id(entry)] = code_id
            code = Code(id=code_id, name=name, line=entry.line)
            for text_field in TEXT_FIELDS:
                setattr(code, text_field, self.text(entry, text_field))
            code.examples = self.examples(entry)
            color = self.text(entry, "color")
            if color:
                code.color = normalise_color(color)
                if code.color is None:
                    raise self.fail(entry.fields["color"][1], color_problem(color))
            key = self.scalar(entry.fields["key"][0], "key") if "key" in entry.fields else None
            if key:
                line = entry.fields["key"][1]
                problem = key_problem(key)
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
