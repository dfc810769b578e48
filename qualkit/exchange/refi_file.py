"""Open a .qdpx archive (or a bare .qde) as a REFI-QDA project model, checking it as hostile.

The archive holds exactly one ``*.qde`` at the top level (``project.qde``, or named after the
project as ATLAS.ti does) and the source files under ``sources/`` (NVivo writes
``Sources/``). A file qualkit wrote is held to its own standard: schema-valid and
semantically sound, or refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qualkit.exchange.refi_model import RefiProject
from qualkit.exchange.refi_read import read_codebook, read_project
from qualkit.exchange.safe_archive import ExchangeError, open_archive, parse_xml


@dataclass
class LoadedProject:
    model: RefiProject
    qde_bytes: bytes
    entry_names: set[str]  # every file entry of the zip (empty for a bare .qde)


def _is_qualkit(origin: str | None) -> bool:
    return (origin or "").lower().startswith("qualkit")


def load_qdpx(path: Path) -> LoadedProject:
    """Read a .qdpx (zip) or a bare .qde (XML) into the model; raises ExchangeError."""
    path = Path(path)
    shown = path.name
    if not path.exists():
        raise ExchangeError(f"{path}: no such file")
    with path.open("rb") as handle:
        head = handle.read(4)
    if head != b"PK\x03\x04":
        if path.suffix.lower() == ".qdpx":
            raise ExchangeError(f"{shown}: not a .qdpx file (not a zip archive)")
        data = path.read_bytes()
        root = parse_xml(data, shown)
        model = read_project(root, lambda name: None, shown)
        if any(s.raw_text is None for s in model.sources):
            model.skipped.insert(
                0, f"{shown} is a bare .qde without its sources/ folder: source texts are missing"
            )
        return LoadedProject(model, data, set())
    archive = open_archive(path)
    try:
        top_qde = [n for n in archive.entries if "/" not in n and n.lower().endswith(".qde")]
        if len(top_qde) != 1:
            found = ", ".join(sorted(top_qde)) or "none"
            raise ExchangeError(
                f"{shown}: expected exactly one .qde file at the top of the archive, found {found}"
            )
        qde_name = top_qde[0]
        qde_bytes = archive.read(qde_name)
        by_name: dict[str, str] = {}
        for name in archive.entries:
            folder, _, base = name.rpartition("/")
            if folder.lower() == "sources":
                by_name.setdefault(base.lower(), name)
        for name in archive.entries:  # files elsewhere only when sources/ lacks them
            by_name.setdefault(name.rpartition("/")[2].lower(), name)

        def lookup(base: str) -> bytes | None:
            entry = by_name.get(base.lower())
            return archive.read(entry) if entry is not None else None

        root = parse_xml(qde_bytes, f"{shown}: {qde_name}")
        model = read_project(root, lookup, f"{shown}: {qde_name}")
        entry_names = set(archive.entries)
    finally:
        archive.close()
    if _is_qualkit(model.origin):
        from qualkit.exchange.validate import check_project

        problems = check_project(qde_bytes, entry_names, model)
        if problems:
            raise ExchangeError(f"{shown}: written by qualkit but invalid: {problems[0]}")
    return LoadedProject(model, qde_bytes, entry_names)


def load_qdc(path: Path) -> RefiProject:
    """Read a .qdc codebook (XML) into a model holding its codes and sets."""
    path = Path(path)
    shown = path.name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ExchangeError(f"{path}: no such file") from None
    except OSError as exc:
        raise ExchangeError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    if data.startswith(b"PK\x03\x04"):
        raise ExchangeError(f"{shown}: a zip archive, not a .qdc codebook (is it a .qdpx?)")
    root = parse_xml(data, shown)
    model = read_codebook(root, shown)
    if _is_qualkit(model.origin):
        from qualkit.exchange.validate import check_codebook

        problems = check_codebook(data, model)
        if problems:
            raise ExchangeError(f"{shown}: written by qualkit but invalid: {problems[0]}")
    return model
