"""Check REFI-QDA files against the official XSDs and against what the XSDs cannot say.

The schemas (QDA-XML 1.0, MIT, bundled in ``schema/``) check structure. Every defect real
files have passes them, so the semantic checks add: GUIDs unique, every reference resolves,
offsets inside their text, every ``internal://`` path present in the zip, and the selected
text in ``@name`` equal to the slice the offsets point at.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from qualkit.exchange.offsets import normalise_newlines
from qualkit.exchange.refi_model import RefiProject
from qualkit.exchange.safe_archive import ExchangeError, parse_xml

SCHEMA_DIR = Path(__file__).parent / "schema"
PROJECT_XSD = "Project-mrt2019.xsd"
CODEBOOK_XSD = "Codebook-mrt2019.xsd"


@lru_cache(maxsize=2)
def _schema(name: str) -> Any:
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / name)))


def schema_errors(data: bytes, xsd: str, shown: str) -> list[str]:
    """One line per schema violation (at most 20), empty when the document is valid."""
    schema = _schema(xsd)
    root = parse_xml(data, shown)
    if schema.validate(root.getroottree()):
        return []
    return [f"line {e.line}: {e.message}" for e in list(schema.error_log)[:20]]


def _duplicates(guids: list[str]) -> list[str]:
    seen: set[str] = set()
    dupes = []
    for guid in guids:
        if guid in seen:
            dupes.append(guid)
        seen.add(guid)
    return dupes


def semantic_errors(model: RefiProject, entry_names: set[str] | None) -> list[str]:
    """What the XSD cannot catch; `entry_names` None skips the zip-path check (.qdc)."""
    problems: list[str] = []
    codes = model.all_codes()
    code_guids = {c.guid for c in codes}
    user_guids = {u.guid for u in model.users}
    note_guids = {n.guid for n in model.notes}
    source_guids = {s.guid for s in model.sources}
    variable_guids = {v.guid for v in model.variables}
    selection_guids = {sel.guid for s in model.sources for sel in s.selections}
    every = (
        [c.guid for c in codes]
        + [u.guid for u in model.users]
        + [n.guid for n in model.notes]
        + [s.guid for s in model.sources]
        + [v.guid for v in model.variables]
        + [c.guid for c in model.cases]
        + [s.guid for s in model.sets]
        + [sel.guid for s in model.sources for sel in s.selections]
        + [c.guid for s in model.sources for sel in s.selections for c in sel.codings]
    )
    for guid in _duplicates(every)[:5]:
        problems.append(f"GUID {guid} is used more than once")
    for code in codes:
        for ref in code.note_refs:
            if ref not in note_guids:
                problems.append(f"code '{code.name}': NoteRef {ref} resolves to no note")
    for ref in model.project_note_refs:
        if ref not in note_guids:
            problems.append(f"project NoteRef {ref} resolves to no note")
    if model.creating_user and model.creating_user not in user_guids:
        problems.append(f"project creatingUserGUID {model.creating_user} is not a listed user")
    for source in model.sources:
        where = f"source '{source.name}'"
        if source.raw_text is None:
            problems.append(f"{where}: its text is missing")
            continue
        path = source.plain_text_path or ""
        if entry_names is not None and path.startswith("internal://"):
            wanted = "sources/" + path[len("internal://") :]
            if wanted not in entry_names:
                problems.append(f"{where}: {path} is not in the archive as {wanted}")
        if source.had_bom:
            problems.append(f"{where}: its text file starts with a byte-order mark")
        length = len(source.raw_text)
        text = source.raw_text
        for ref in source.note_refs:
            if ref not in note_guids:
                problems.append(f"{where}: NoteRef {ref} resolves to no note")
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
                if coding.code_guid not in code_guids:
                    problems.append(f"{where}: coding {coding.guid} refers to an unknown code")
                if not coding.user_guid:
                    problems.append(f"{where}: coding {coding.guid} has no creatingUser")
                elif coding.user_guid not in user_guids:
                    problems.append(f"{where}: coding {coding.guid} has an unlisted user")
                problems += _dangling(where, "NoteRef", coding.note_refs, note_guids, "note")
            problems += _dangling(where, "NoteRef", sel.note_refs, note_guids, "note")
        problems += _dangling(where, "VariableRef", source.variables, variable_guids, "variable")
    for case in model.cases:
        where = f"case '{case.name or case.guid}'"
        problems += _dangling(where, "SourceRef", case.source_refs, source_guids, "source")
        problems += _dangling(
            where, "SelectionRef", case.selection_refs, selection_guids, "selection"
        )
        problems += _dangling(where, "VariableRef", case.values, variable_guids, "variable")
    for item in model.sets:
        where = f"set '{item.name}'"
        problems += _dangling(where, "MemberCode", item.member_codes, code_guids, "code")
        problems += _dangling(where, "MemberSource", item.member_sources, source_guids, "source")
    return problems


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
