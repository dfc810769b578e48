"""Editing a codebook: add, rename, update, move, merge and delete codes in the ruamel.yaml
round-trip document, so comments and order survive, each edit validated before it is kept."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from qualkit.codebook.document import (
    EntryPlace,
    detach_entry,
    insert_entry,
    load_document,
    merge_examples,
    reindent,
    round_trip_yaml,
    set_field,
    start_children,
    walk_entries,
    yaml_scalar,
)
from qualkit.codebook.parse import CodebookParser
from qualkit.codebook.schema import (
    FIELDS,
    ID_RE,
    UPDATABLE_FIELDS,
    Code,
    color_problem,
    did_you_mean,
    key_problem,
    normalise_color,
    slugify,
    unique_id,
)
from qualkit.errors import CodebookError


class CodebookEdits:
    """The editing half of :class:`~qualkit.codebook.Codebook` (a mixin: ``self`` is the
    codebook, whose state and queries are declared below for the type checker)."""

    codes: dict[str, Code]
    _text: str
    _derived: set[str]
    _doc: Any
    _indent: tuple[int, int, int]
    _dirty: bool

    if TYPE_CHECKING:

        def _label(self) -> str: ...
        def _error(self, message: str) -> CodebookError: ...
        def get(self, code_id: str) -> Code: ...
        def ancestors(self, code_id: str) -> list[str]: ...
        def descendants(self, code_id: str) -> list[str]: ...
        def by_key(self, key: str) -> Code | None: ...

    # ---- round-trip document --------------------------------------------------------------

    def _ensure_doc(self) -> Any:
        if self._doc is not None:
            return self._doc
        doc = load_document(self._text, self._indent, self._label())
        # Write ids derived from names into the document so they stay stable once saved.
        entries = list(walk_entries(doc))
        for place, code in zip(entries, self.codes.values(), strict=True):
            if place.node.get("id") in (None, "", "~", "null"):
                if "id" in place.node:
                    place.node["id"] = code.id
                else:
                    place.node.insert(0, "id", code.id)
        self._doc = doc
        return doc

    def _place(self, code_id: str) -> EntryPlace:
        self.get(code_id)
        for place in walk_entries(self._ensure_doc()):
            if place.node.get("id") == code_id:
                return place
        raise self._error(f"code {code_id!r} not found in the document")  # pragma: no cover

    def _dump(self) -> str:
        out = io.StringIO()
        round_trip_yaml(self._indent).dump(self._ensure_doc(), out)
        return out.getvalue()

    def _commit_edit(self) -> None:
        """Validate the edited document; on failure put everything back as it was."""
        text = self._dump()
        try:
            codes, _ = CodebookParser(self._label()).parse(text)
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
            if name not in UPDATABLE_FIELDS:
                raise self._error(
                    f"cannot set field {name!r} (settable: {', '.join(UPDATABLE_FIELDS)})"
                    + did_you_mean(name, UPDATABLE_FIELDS)
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
            if name == "color" and normalise_color(value.strip()) is None:
                raise self._error(color_problem(value))
            if name == "key":
                problem = key_problem(value)
                if problem:
                    raise self._error(problem)
                owner = self.by_key(value)
                if owner is not None and owner.id != code_id:
                    raise self._error(f"key {value!r} is already used by {owner.id!r}")

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
            id = unique_id(slugify(name), self.codes)
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
        node["name"] = yaml_scalar(name)
        for key in FIELDS:
            if key in fields:
                set_field(node, key, fields[key])
        self._attach(node, parent, None)
        self._commit_edit()
        return self.codes[id]

    def add_tree(self, entries: list[dict[str, Any]], parent: str | None = None) -> list[str]:
        """Append many new codes under ``parent`` in one edit; returns their ids in order.

        Each entry is a dict of fields (``name`` required; ``id``, ``description``,
        ``include``, ``exclude``, ``examples``, ``color``) with optional nested ``children``
        entries. One validation for the whole tree, so importing hundreds of codes takes one
        serialisation instead of one per code.
        """
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        if parent is not None:
            self.get(parent)
        taken: set[str] = set(self.codes)
        added: list[str] = []

        def build(entry: dict[str, Any]) -> Any:
            name = str(entry.get("name") or "").strip()
            if not name:
                raise self._error("a code needs a name")
            code_id = entry.get("id") or unique_id(slugify(name), taken)
            if not ID_RE.match(code_id) or code_id in taken:
                raise self._error(f"bad or duplicate code id {code_id!r}")
            taken.add(code_id)
            added.append(code_id)
            fields = {k: v for k, v in entry.items() if k not in ("id", "name", "children")}
            self._check_fields(fields, None)
            node = CommentedMap()
            node["id"] = code_id
            node["name"] = yaml_scalar(name)
            for key in FIELDS:
                if key in fields:
                    set_field(node, key, fields[key])
            children = [build(child) for child in entry.get("children") or []]
            if children:
                seq = CommentedSeq(children)
                seq.fa.set_block_style()
                node["children"] = seq
            return node

        nodes = [build(entry) for entry in entries]
        if not nodes:
            return []
        self._ensure_doc()
        for node in nodes:
            self._attach(node, parent, None)
        self._commit_edit()
        return added

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
                set_field(node, key, fields[key])
        self._commit_edit()

    def move(self, code_id: str, new_parent: str | None, index: int | None = None) -> None:
        """Make ``code_id`` a child of ``new_parent`` (None: top level) at ``index``."""
        self.get(code_id)
        if new_parent is not None:
            self.get(new_parent)
            if new_parent == code_id or new_parent in self.descendants(code_id):
                raise self._error(f"cannot move {code_id!r} under itself or its own sub-code")
        place = self._place(code_id)
        leading = detach_entry(place, carry_leading=True)
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
            self._attach(child.node, target_id, None, detach_entry(child, carry_leading=True))
        if [e for e in source.examples if e not in target.examples]:
            merge_examples(self._place(source_id).node, self._place(target_id).node)
        detach_entry(self._place(source_id), carry_leading=False)
        self._commit_edit()

    def delete(self, code_id: str) -> None:
        """Remove a code; its children move up into its place, keeping their order."""
        code = self.get(code_id)
        place = self._place(code_id)
        index = next(i for i, n in enumerate(place.seq) if n is place.node)
        for offset, child_id in enumerate(code.children):
            child = self._place(child_id)
            leading = detach_entry(child, carry_leading=True)
            self._attach(child.node, code.parent, index + 1 + offset, leading)
        detach_entry(self._place(code_id), carry_leading=False)
        self._commit_edit()

    # ---- structural helpers ---------------------------------------------------------------

    def _attach(self, node: Any, parent: str | None, index: int | None, leading: str = "") -> None:
        """Insert ``node`` under ``parent`` (None: top level) at ``index`` (None: last)."""
        doc = self._ensure_doc()
        mapping, sequence, offset = self._indent
        depth = 0 if parent is None else len(self.ancestors(parent)) + 1
        leading = reindent(leading, depth * sequence + offset)
        if parent is None:
            seq, owner, key = doc["codes"], doc, "codes"
            insert_entry(node, seq, owner, key, index, leading)
            return
        owner = self._place(parent).node
        if owner.get("children"):
            insert_entry(node, owner["children"], owner, "children", index, leading)
            return
        start_children(owner, node, leading)
