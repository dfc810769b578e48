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
    Optional single printable character, unique across the codebook and case-sensitive. Any
    character is accepted: which keys the workbench binds is the workbench's business (users
    remap them), so where a code's key is also a workbench key the workbench says so once and
    its own binding wins.
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
This module holds :class:`Codebook` (loading, queries, saving) and the starter template; its
edits are in :mod:`qualkit.codebook.editing`. The rules for entry fields and :class:`Code` live
in :mod:`qualkit.codebook.schema`, reading and validating text in :mod:`qualkit.codebook.parse`,
and the comment-keeping round-trip document in :mod:`qualkit.codebook.document`. Import public
names from :mod:`qualkit.codebook`: it re-exports them.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualkit.atomic_files import write_atomically
from qualkit.codebook.document import guess_indent
from qualkit.codebook.editing import CodebookEdits
from qualkit.codebook.parse import CodebookParser, decode_codebook
from qualkit.codebook.schema import FIELDS, NAMED_COLORS, Code, did_you_mean, slugify
from qualkit.errors import CodebookError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Code",
    "Codebook",
    "FIELDS",
    "NAMED_COLORS",
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
#     key: g                  # one-key shortcut in the coding screen (a workbench key
#                             #   such as j, n, u or 1-9 wins over it)
#     children:               # sub-codes; a code with children is a theme
#       - name: Barriers to engagement
#
codes: []
"""


class Codebook(CodebookEdits):
    """A validated codebook backed by ``codebook.yaml``; edits keep the file's comments."""

    def __init__(self, path: Path, text: str, codes: dict[str, Code], derived: set[str]) -> None:
        self.path = path
        self.codes: dict[str, Code] = codes  # depth-first file order
        self._text = text  # serialisation of the current (valid) state
        self._derived = derived  # ids made from names, not yet written to the file
        self._doc: Any = None  # ruamel round-trip document, built on first edit
        self._indent = guess_indent(text)
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
        text = decode_codebook(data, path)
        codes, derived = CodebookParser(path.name).parse(text)
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
        write_atomically(path, TEMPLATE.encode("utf-8"))
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
            hint = did_you_mean(code_id, list(self.codes))
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
        codes, _ = CodebookParser(self._label()).parse(text)
        data = (text.replace("\n", "\r\n") if self._crlf else text).encode("utf-8")
        write_atomically(self.path, data)
        stat = self.path.stat()
        self._text = text
        self.codes = codes
        self._derived = set()
        self._dirty = False
        self._disk_sig = (stat.st_mtime_ns, stat.st_size)
        self._disk_hash = hashlib.sha256(data).hexdigest()
