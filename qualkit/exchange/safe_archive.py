"""Reading exchange files as hostile input: zip entries, archive size and XML entities.

A .qdpx comes from another machine and another program. Every zip entry name is checked
(no absolute paths, no ``..``, no drive letters), the archive may not expand beyond a limit or
at a ratio only a zip bomb reaches, and XML may carry no DTD at all, so neither external
entities nor entity expansion can reach the parser.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from qualkit.errors import QualkitError

# A real project with a thousand interviews and their Word copies stays well under this.
MAX_EXPANDED_BYTES = 2 * 1024**3
MAX_ENTRIES = 100_000
# Text compresses about 3-10x; a ratio this high on a large entry is a bomb, not a transcript.
MAX_RATIO = 200
_RATIO_FLOOR_BYTES = 10 * 1024**2
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


class ExchangeError(QualkitError):
    """An exchange file cannot be read, is unsafe, or breaks the REFI-QDA rules we check."""


@dataclass
class SafeArchive:
    """The checked entries of a .qdpx: name -> ZipInfo, read on demand with a size cap."""

    path: Path
    zip: zipfile.ZipFile
    entries: dict[str, zipfile.ZipInfo]

    def read(self, name: str) -> bytes:
        info = self.entries[name]
        with self.zip.open(info) as handle:
            # The header's size is a claim; read one byte more to catch a lying header.
            data = handle.read(info.file_size + 1)
        if len(data) > info.file_size:
            raise ExchangeError(f"{self.path.name}: {name}: larger than its zip header says")
        return data

    def close(self) -> None:
        self.zip.close()


def _check_entry_name(name: str, shown: str) -> str:
    if "\x00" in name:
        raise ExchangeError(f"{shown}: zip entry name contains a NUL byte; refused")
    unified = name.replace("\\", "/")
    if unified.startswith("/") or re.match(r"^[A-Za-z]:", unified):
        raise ExchangeError(f"{shown}: zip entry '{name}' has an absolute path; refused")
    if ".." in PurePosixPath(unified).parts:
        raise ExchangeError(f"{shown}: zip entry '{name}' climbs out with '..'; refused")
    return unified


def open_archive(path: Path) -> SafeArchive:
    """Open a .qdpx and check every entry before anything is read from it."""
    shown = Path(path).name
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise ExchangeError(f"{path}: no such file") from None
    except zipfile.BadZipFile:
        raise ExchangeError(f"{shown}: not a .qdpx file (not a zip archive)") from None
    except OSError as exc:
        raise ExchangeError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        archive.close()
        raise ExchangeError(f"{shown}: {len(infos)} zip entries (limit {MAX_ENTRIES}); refused")
    entries: dict[str, zipfile.ZipInfo] = {}
    total = 0
    try:
        for info in infos:
            name = _check_entry_name(info.filename, shown)
            total += info.file_size
            if total > MAX_EXPANDED_BYTES:
                raise ExchangeError(
                    f"{shown}: expands beyond {MAX_EXPANDED_BYTES // 1024**3} GiB; refused "
                    "as a possible zip bomb"
                )
            if info.file_size > _RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(
                info.compress_size, 1
            ):
                ratio = info.file_size // max(info.compress_size, 1)
                raise ExchangeError(
                    f"{shown}: entry '{name}' expands {ratio}x; refused as a possible zip bomb"
                )
            if not info.is_dir():
                entries[name] = info
    except ExchangeError:
        archive.close()
        raise
    return SafeArchive(Path(path), archive, entries)


def parse_xml(data: bytes, shown: str) -> Any:
    """Parse XML with no DTD, no entities, no network; returns the lxml root element."""
    from lxml import etree

    # No real exporter writes a DTD; refusing any keeps entity tricks out entirely.
    if _DOCTYPE.search(data):
        raise ExchangeError(
            f"{shown}: XML with a DOCTYPE or entity declarations is refused (entities can read "
            "files or expand without limit)"
        )
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,  # a 1,000-interview project's XML is large but not hostile
        remove_blank_text=False,
    )
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None)
        where = f"{shown}: line {line}" if line else shown
        message = str(exc.msg if hasattr(exc, "msg") else exc).split("\n")[0]
        raise ExchangeError(f"{where}: not well-formed XML: {message}") from None


def local(tag: Any) -> str:
    """An element's name without its namespace (files use several namespace variants)."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]
