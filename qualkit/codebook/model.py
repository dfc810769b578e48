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
    keys the coding screen uses itself (:data:`RESERVED_KEYS`: ``j k n p c x u m s t e d v g q ?
    / "`` and the digits ``1``-``9``) are refused.
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

Modules
-------
This module holds :class:`Codebook` and the starter template. The rules for entry fields and
:class:`Code` live in :mod:`qualkit.codebook.schema`, reading and validating text in
:mod:`qualkit.codebook.parse`, and the comment-keeping round-trip document in
:mod:`qualkit.codebook.document`. Import public names from here: they are re-exported.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualkit.codebook.document import (
    _detach,
    _guess_indent,
    _insert,
    _load_document,
    _merge_examples,
    _Place,
    _reindent,
    _rt_yaml,
    _scalar,
    _set_field,
    _start_children,
    _walk,
)
from qualkit.codebook.parse import _decode, _Parser
from qualkit.codebook.schema import (
    _UPDATABLE,
    FIELDS,
    ID_RE,
    NAMED_COLORS,
    RESERVED_KEYS,
    Code,
    _color_problem,
    _did_you_mean,
    _key_problem,
    _normalise_color,
    _unique,
    slugify,
)
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
        text = _decode(data, path)
        codes, derived = _Parser(path.name).parse(text)
        book = cls(path, text, codes, derived)
        book._crlf = b"\r\n" in data
        book._disk_sig = (stat.st_mtime_ns, stat.st_size)
        book._disk_hash = hashlib.sha256(data).hexdigest()
        return book

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
        doc = _load_document(self._text, self._indent, self._label())
        # Write ids derived from names into the document so they stay stable once saved.
        entries = list(_walk(doc))
        for place, code in zip(entries, self.codes.values(), strict=True):
            if place.node.get("id") in (None, "", "~", "null"):
                if "id" in place.node:
                    place.node["id"] = code.id
                else:
                    place.node.insert(0, "id", code.id)
        self._doc = doc
        return doc

    def _place(self, code_id: str) -> _Place:
        self.get(code_id)
        for place in _walk(self._ensure_doc()):
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
                _set_field(node, key, fields[key])
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
            code_id = entry.get("id") or _unique(slugify(name), taken)
            if not ID_RE.match(code_id) or code_id in taken:
                raise self._error(f"bad or duplicate code id {code_id!r}")
            taken.add(code_id)
            added.append(code_id)
            fields = {k: v for k, v in entry.items() if k not in ("id", "name", "children")}
            self._check_fields(fields, None)
            node = CommentedMap()
            node["id"] = code_id
            node["name"] = _scalar(name)
            for key in FIELDS:
                if key in fields:
                    _set_field(node, key, fields[key])
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
                _set_field(node, key, fields[key])
        self._commit_edit()

    def move(self, code_id: str, new_parent: str | None, index: int | None = None) -> None:
        """Make ``code_id`` a child of ``new_parent`` (None: top level) at ``index``."""
        self.get(code_id)
        if new_parent is not None:
            self.get(new_parent)
            if new_parent == code_id or new_parent in self.descendants(code_id):
                raise self._error(f"cannot move {code_id!r} under itself or its own sub-code")
        place = self._place(code_id)
        leading = _detach(place, carry_leading=True)
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
            self._attach(child.node, target_id, None, _detach(child, carry_leading=True))
        if [e for e in source.examples if e not in target.examples]:
            _merge_examples(self._place(source_id).node, self._place(target_id).node)
        _detach(self._place(source_id), carry_leading=False)
        self._commit_edit()

    def delete(self, code_id: str) -> None:
        """Remove a code; its children move up into its place, keeping their order."""
        code = self.get(code_id)
        place = self._place(code_id)
        index = next(i for i, n in enumerate(place.seq) if n is place.node)
        for offset, child_id in enumerate(code.children):
            child = self._place(child_id)
            leading = _detach(child, carry_leading=True)
            self._attach(child.node, code.parent, index + 1 + offset, leading)
        _detach(self._place(code_id), carry_leading=False)
        self._commit_edit()

    # ---- structural helpers ---------------------------------------------------------------

    def _attach(self, node: Any, parent: str | None, index: int | None, leading: str = "") -> None:
        """Insert ``node`` under ``parent`` (None: top level) at ``index`` (None: last)."""
        doc = self._ensure_doc()
        mapping, sequence, offset = self._indent
        depth = 0 if parent is None else len(self.ancestors(parent)) + 1
        leading = _reindent(leading, depth * sequence + offset)
        if parent is None:
            seq, owner, key = doc["codes"], doc, "codes"
            _insert(node, seq, owner, key, index, leading)
            return
        owner = self._place(parent).node
        if owner.get("children"):
            _insert(node, owner["children"], owner, "children", index, leading)
            return
        _start_children(owner, node, leading)

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
