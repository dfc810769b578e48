"""Check REFI-QDA files against the official XSDs and against what the XSDs cannot say.

The schemas (QDA-XML 1.0, MIT, bundled in ``schema/``) check structure. Every defect real
files have passes them, so the semantic checks add: GUIDs unique, every reference resolves,
offsets inside their text, every ``internal://`` path present in the zip, and the selected
text in ``@name`` equal to the slice the offsets point at.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Callable, Container, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from qualkit.exchange.offsets import normalise_newlines
from qualkit.exchange.refi_model import RefiProject, RefiSource
from qualkit.exchange.safe_archive import ExchangeError, parse_xml

SCHEMA_DIR = Path(__file__).parent / "schema"
PROJECT_XSD = "Project-mrt2019.xsd"
CODEBOOK_XSD = "Codebook-mrt2019.xsd"


@lru_cache(maxsize=2)
def xml_schema(name: str) -> Any:
    """The official XSD `name` (in schema/), parsed once."""
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / name)))


def schema_errors(data: bytes, xsd: str, shown: str) -> list[str]:
    """One line per schema violation (at most 20), empty when the document is valid."""
    schema = xml_schema(xsd)
    root = parse_xml(data, shown)
    if schema.validate(root.getroottree()):
        return []
    return [f"line {e.line}: {e.message}" for e in list(schema.error_log)[:20]]


def _digest(guid: str) -> int:
    return int.from_bytes(hashlib.blake2b(guid.encode("utf-8"), digest_size=8).digest(), "big")


class SemanticCheck:
    """What the XSD cannot catch, fed one source at a time so a streamed import can check a
    file of any size: 8 bytes are kept per GUID, not the selections.

    `entry_names` None skips the zip-path check (.qdc).
    """

    def __init__(self, model: RefiProject, entry_names: set[str] | None) -> None:
        self.model = model
        self.entry_names = entry_names
        codes = model.all_codes()
        self.code_guids = {c.guid for c in codes}
        self.user_guids = {u.guid for u in model.users}
        self.note_guids = {n.guid for n in model.notes}
        self.variable_guids = {v.guid for v in model.variables}
        self.source_guids: set[str] = set()
        self.wanted_selections = {ref for case in model.cases for ref in case.selection_refs}
        self.found_selections: set[str] = set()
        self.digests = array("Q")
        self._add_guids(
            [c.guid for c in codes]
            + [u.guid for u in model.users]
            + [n.guid for n in model.notes]
            + [v.guid for v in model.variables]
            + [c.guid for c in model.cases]
            + [s.guid for s in model.sets]
        )
        self.header_problems: list[str] = []
        for code in codes:
            for ref in code.note_refs:
                if ref not in self.note_guids:
                    self.header_problems.append(
                        f"code '{code.name}': NoteRef {ref} resolves to no note"
                    )
        for ref in model.project_note_refs:
            if ref not in self.note_guids:
                self.header_problems.append(f"project NoteRef {ref} resolves to no note")
        if model.creating_user and model.creating_user not in self.user_guids:
            self.header_problems.append(
                f"project creatingUserGUID {model.creating_user} is not a listed user"
            )
        self.source_problems: list[str] = []

    def _add_guids(self, guids: Iterable[str]) -> None:
        self.digests.extend(_digest(g) for g in guids)

    def add_source(self, source: RefiSource) -> None:
        """Check one source and its selections; remember their GUIDs."""
        self.source_guids.add(source.guid)
        self._add_guids([source.guid])
        self._add_guids(sel.guid for sel in source.selections)
        self._add_guids(c.guid for sel in source.selections for c in sel.codings)
        for sel in source.selections:
            if sel.guid in self.wanted_selections:
                self.found_selections.add(sel.guid)
        self.source_problems += self._source_errors(source)

    def _source_errors(self, source: RefiSource) -> list[str]:
        problems: list[str] = []
        where = f"source '{source.name}'"
        if source.raw_text is None:
            return [f"{where}: its text is missing"]
        path = source.plain_text_path or ""
        if self.entry_names is not None and path.startswith("internal://"):
            wanted = "sources/" + path[len("internal://") :]
            if wanted not in self.entry_names:
                problems.append(f"{where}: {path} is not in the archive as {wanted}")
        if source.had_bom:
            problems.append(f"{where}: its text file starts with a byte-order mark")
        length = len(source.raw_text)
        text = source.raw_text
        notes = self.note_guids
        problems += _dangling(where, "NoteRef", source.note_refs, notes, "note")
        for sel in source.selections:
            if not (0 <= sel.start < sel.end <= length):
                problems.append(
                    f"{where}: selection {sel.guid} {sel.start}-{sel.end} is outside its text "
                    f"(0-{length})"
                )
                continue
            if sel.name is not None and normalise_newlines(text[sel.start : sel.end]) != sel.name:
                problems.append(f"{where}: selection {sel.guid} @name differs from its text")
            for coding in sel.codings:
                if coding.code_guid not in self.code_guids:
                    problems.append(f"{where}: coding {coding.guid} refers to an unknown code")
                if not coding.user_guid:
                    problems.append(f"{where}: coding {coding.guid} has no creatingUser")
                elif coding.user_guid not in self.user_guids:
                    problems.append(f"{where}: coding {coding.guid} has an unlisted user")
                problems += _dangling(where, "NoteRef", coding.note_refs, notes, "note")
            problems += _dangling(where, "NoteRef", sel.note_refs, notes, "note")
        problems += _dangling(
            where, "VariableRef", source.variables, self.variable_guids, "variable"
        )
        return problems

    def finish(self, guids_again: Callable[[], Iterable[str]]) -> list[str]:
        """Every problem found; `guids_again` lists every GUID once more, in any order, and
        is only called to name the GUIDs used twice."""
        problems = [f"GUID {guid} is used more than once" for guid in self._duplicates(guids_again)]
        problems += self.header_problems + self.source_problems
        model = self.model
        for case in model.cases:
            where = f"case '{case.name or case.guid}'"
            problems += _dangling(where, "SourceRef", case.source_refs, self.source_guids, "source")
            problems += _dangling(
                where, "SelectionRef", case.selection_refs, self.found_selections, "selection"
            )
            problems += _dangling(
                where, "VariableRef", case.values, self.variable_guids, "variable"
            )
        for item in model.sets:
            where = f"set '{item.name}'"
            problems += _dangling(where, "MemberCode", item.member_codes, self.code_guids, "code")
            problems += _dangling(
                where, "MemberSource", item.member_sources, self.source_guids, "source"
            )
        return problems

    def _duplicates(self, guids_again: Callable[[], Iterable[str]]) -> list[str]:
        ordered = sorted(self.digests)
        twice = {a for a, b in zip(ordered, ordered[1:], strict=False) if a == b}
        if not twice:
            return []
        seen: set[str] = set()
        dupes: list[str] = []
        for guid in guids_again():
            if _digest(guid) in twice:
                if guid in seen and guid not in dupes:
                    dupes.append(guid)
                seen.add(guid)
        return dupes[:5]


def model_guids(model: RefiProject) -> Iterator[str]:
    """Every GUID a project model defines (not the ones it refers to)."""
    yield from (c.guid for c in model.all_codes())
    yield from (u.guid for u in model.users)
    yield from (n.guid for n in model.notes)
    yield from (v.guid for v in model.variables)
    yield from (c.guid for c in model.cases)
    yield from (s.guid for s in model.sets)
    for source in model.sources:
        yield from source_guids(source)


def source_guids(source: RefiSource) -> Iterator[str]:
    yield source.guid
    for sel in source.selections:
        yield sel.guid
        yield from (c.guid for c in sel.codings)


def semantic_errors(model: RefiProject, entry_names: set[str] | None) -> list[str]:
    """What the XSD cannot catch in a whole model; `entry_names` None skips the zip paths."""
    check = SemanticCheck(model, entry_names)
    for source in model.sources:
        check.add_source(source)
    return check.finish(lambda: model_guids(model))


def _dangling(
    where: str, kind: str, refs: Iterable[str], known: Container[str], thing: str
) -> list[str]:
    """One problem for each reference in `refs` that names nothing in `known`."""
    return [f"{where}: {kind} {ref} resolves to no {thing}" for ref in refs if ref not in known]


def check_project(qde_bytes: bytes, entry_names: set[str], model: RefiProject) -> list[str]:
    """Schema and semantic problems of a project (empty when it passes both)."""
    return schema_errors(qde_bytes, PROJECT_XSD, "project.qde") + semantic_errors(
        model, entry_names
    )


def check_codebook(data: bytes, model: RefiProject) -> list[str]:
    return schema_errors(data, CODEBOOK_XSD, "codebook.qdc") + semantic_errors(model, None)


def validate_file(path: Path) -> list[str]:
    """Every problem of a .qdpx or .qdc on disk (schema, then semantics)."""
    from qualkit.exchange.refi_file import LoadedProject, load_qdc, load_qdpx

    path = Path(path)
    if path.suffix.lower() == ".qdc":
        data = path.read_bytes()
        model = load_qdc(path)
        return check_codebook(data, model)
    try:
        loaded: LoadedProject = load_qdpx(path)
    except ExchangeError as exc:
        return [str(exc)]
    return check_project(loaded.qde_bytes, loaded.entry_names, loaded.model)
