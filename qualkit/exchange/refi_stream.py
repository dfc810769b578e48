"""Read a .qdpx's project.qde as a stream: one part, then one source at a time, so memory stays
bounded however many codings the file holds.

The XML is parsed incrementally from the zip (never held whole) and every element is cleared
once read; the same hostile-input rules as ``safe_archive`` apply (checked zip entries, a size
cap, no DOCTYPE and so no entities). The header (users, codebook, cases, notes, links, sets)
is read in one pass; each later pass over ``sources()`` parses the file again and hands out one
text source with its selections, which the caller lets go before the next.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from qualkit.exchange.refi_model import RefiProject, RefiSource
from qualkit.exchange.refi_read import (
    decode_text,
    project_header,
    read_part,
    read_source,
)
from qualkit.exchange.safe_archive import ExchangeError, SafeArchive, local, open_archive

_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
# The children of <Project> read as parts, and those of <Sources> read as sources.
_PARTS = ("Users", "CodeBook", "Variables", "Cases", "Notes", "Links", "Sets", "Graphs")
_SOURCE_KINDS = ("TextSource", "PDFSource", "PictureSource", "AudioSource", "VideoSource")
_LOOSE = ("Description", "NoteRef")  # project-level, but the names occur everywhere
_CHUNK = 1 << 16


class _GuardedStream:
    """A file-like view of the .qde that refuses a DOCTYPE anywhere in it (so no entity can
    reach the parser) and stops at the size the zip header claims (a lying header is a bomb)."""

    def __init__(self, raw: IO[bytes], limit: int, shown: str) -> None:
        self.raw = raw
        self.limit = limit
        self.shown = shown
        self.seen = 0
        self.tail = b""

    def read(self, size: int = _CHUNK) -> bytes:
        data = self.raw.read(max(size, 1))
        self.seen += len(data)
        if self.seen > self.limit:
            raise ExchangeError(f"{self.shown}: larger than its zip header says; refused")
        # Keep the last bytes of the previous chunk so a declaration split across two chunks
        # is still found.
        if _DOCTYPE.search(self.tail + data):
            raise ExchangeError(
                f"{self.shown}: XML with a DOCTYPE or entity declarations is refused (entities "
                "can read files or expand without limit)"
            )
        self.tail = data[-16:]
        return data

    def close(self) -> None:
        self.raw.close()


def _syntax_error(exc: Any, shown: str, what: str) -> ExchangeError:
    line = getattr(exc, "lineno", None)
    where = f"{shown}: line {line}" if line else shown
    message = str(exc.msg if hasattr(exc, "msg") else exc).split("\n")[0]
    return ExchangeError(f"{where}: {what}: {message}")


class StreamedProject:
    """A .qdpx (or bare .qde) opened for streaming; `header` is the project without sources."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.shown = self.path.name
        self.archive: SafeArchive | None = None
        self.qde_name = self.shown
        self._by_name: dict[str, str] = {}
        if not self.path.exists():
            raise ExchangeError(f"{self.path}: no such file")
        with self.path.open("rb") as handle:
            head = handle.read(4)
        if head == b"PK\x03\x04":
            self._open_zip()
        elif self.path.suffix.lower() == ".qdpx":
            raise ExchangeError(f"{self.shown}: not a .qdpx file (not a zip archive)")
        self.header = self._read_header()

    # -- the container ------------------------------------------------------------------------

    def _open_zip(self) -> None:
        self.archive = open_archive(self.path)
        entries = self.archive.entries
        top_qde = [n for n in entries if "/" not in n and n.lower().endswith(".qde")]
        if len(top_qde) != 1:
            self.archive.close()
            found = ", ".join(sorted(top_qde)) or "none"
            raise ExchangeError(
                f"{self.shown}: expected exactly one .qde file at the top of the archive, "
                f"found {found}"
            )
        self.qde_name = top_qde[0]
        for name in entries:
            folder, _, base = name.rpartition("/")
            if folder.lower() == "sources":
                self._by_name.setdefault(base.lower(), name)
        for name in entries:  # files elsewhere only when sources/ lacks them
            self._by_name.setdefault(name.rpartition("/")[2].lower(), name)

    @property
    def entry_names(self) -> set[str]:
        return set(self.archive.entries) if self.archive is not None else set()

    @property
    def where(self) -> str:
        return f"{self.shown}: {self.qde_name}" if self.archive is not None else self.shown

    def lookup(self, base: str) -> bytes | None:
        """A sources/ file's bytes by its file name (None when the archive lacks it)."""
        entry = self._by_name.get(base.lower())
        if entry is None or self.archive is None:
            return None
        return self.archive.read(entry)

    def text_of(self, base: str) -> str | None:
        data = self.lookup(base)
        return decode_text(data)[0] if data is not None else None

    def _open_qde(self) -> _GuardedStream:
        if self.archive is None:
            raw: IO[bytes] = self.path.open("rb")
            limit = self.path.stat().st_size
        else:
            info = self.archive.entries[self.qde_name]
            raw = self.archive.zip.open(info)
            limit = info.file_size
        return _GuardedStream(raw, limit, self.where)

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()

    def __enter__(self) -> StreamedProject:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- parsing -------------------------------------------------------------------------------

    def _elements(self, schema: Any = None) -> Iterator[tuple[str, Any]]:
        """('root', root) once, then ('part', element) for each child of <Project> but
        <Sources>, and ('source', element) for each child of <Sources>; every element is
        cleared once the consumer has seen it.

        Only the parts and sources raise events (a filter in the parser, so the hundreds of
        thousands of selections inside a source cost no Python call each).
        """
        from lxml import etree

        stream = self._open_qde()
        options: dict[str, Any] = {
            "events": ("end",),
            "tag": [f"{{*}}{name}" for name in (*_PARTS, *_SOURCE_KINDS, "Sources")],
            "resolve_entities": False,
            "no_network": True,
            "load_dtd": False,
            "huge_tree": True,  # a 1,000-interview project's XML is large but not hostile
            "remove_blank_text": False,
        }
        if schema is not None:
            options["schema"] = schema
        what = "not valid against the REFI-QDA schema" if schema else "not well-formed XML"
        root = None
        try:
            context = etree.iterparse(stream, **options)
            for _event, element in context:
                if root is None:
                    root = element
                    while root.getparent() is not None:
                        root = root.getparent()
                    yield "root", root
                parent = element.getparent()
                if parent is None:
                    continue  # the root itself (only a file whose root is not <Project>)
                if parent is root:
                    # Project-level Description and NoteRef raise no event (their names occur
                    # inside every source too): hand them out before they are dropped.
                    yield from (("part", e) for e in _loose_parts(element))
                    if local(element.tag) != "Sources":
                        yield "part", element
                    _drop(element)
                elif parent.getparent() is root and local(parent.tag) == "Sources":
                    if local(element.tag) in _SOURCE_KINDS:
                        yield "source", element
                    _drop(element)
            if root is None:
                root = context.root
                yield "root", root
            if root is not None:
                yield from (("part", e) for e in root if local(e.tag) in _LOOSE)
        except etree.XMLSyntaxError as exc:
            raise _syntax_error(exc, self.where, what) from None
        finally:
            stream.close()

    def _read_header(self) -> RefiProject:
        project: RefiProject | None = None
        for kind, element in self._elements():
            if kind == "root":
                project = project_header(element, self.where)
            elif project is not None and kind == "part":
                read_part(project, element, self.lookup)
        if project is None:  # pragma: no cover - iterparse raises on an empty document
            raise ExchangeError(f"{self.where}: empty XML")
        return project

    def sources(self, read_text: bool = True) -> Iterator[RefiSource]:
        """Each text source with its selections, one at a time, in file order. Without
        read_text the text files are not read again (raw_text stays None)."""
        # The reader notes what it cannot carry in the project's skipped list; a second pass
        # must not list it twice.
        scratch = RefiProject(name=self.header.name, origin=self.header.origin)
        lookup = self.lookup if read_text else _no_text
        for kind, element in self._elements():
            if kind == "source":
                source = read_source(scratch, element, lookup)
                if read_text:
                    self.header.skipped.extend(scratch.skipped)
                scratch.skipped.clear()
                if source is not None:
                    yield source

    def schema_errors(self, schema: Any) -> list[str]:
        """Parse once more against the XSD: the first violation, or nothing when valid."""
        try:
            for _kind, _element in self._elements(schema=schema):
                pass
        except ExchangeError as exc:
            return [str(exc).removeprefix(f"{self.where}: ")]
        return []


def _no_text(_name: str) -> bytes | None:
    return b""


def _loose_parts(element: Any) -> list[Any]:
    """The project-level Description and NoteRef elements before `element`."""
    return [e for e in element.itersiblings(preceding=True) if local(e.tag) in _LOOSE][::-1]


def _drop(element: Any) -> None:
    """Free an element that has been read, and the siblings before it."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]
