"""Write the REFI-QDA model as QDA-XML (project.qde or a .qdc), strictly and deterministically.

Elements follow the order the XSD's sequences require, attributes a fixed order, and nothing
time-dependent is written, so the same project gives the same bytes. Characters XML 1.0
cannot carry are dropped from names and notes (never from a source's .txt file).
"""

from __future__ import annotations

import re
from typing import Any

from qualkit.exchange.refi_model import (
    CODEBOOK_NS,
    PROJECT_NS,
    RefiCode,
    RefiProject,
    RefiSource,
)

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    return _NOT_XML.sub("", text)


def _element(parent: Any, ns: str, tag: str, /, **attrs: str | None) -> Any:
    from lxml import etree

    element = etree.SubElement(parent, f"{{{ns}}}{tag}")
    for key, value in attrs.items():
        if value is not None:
            element.set(key, xml_safe(value))
    return element


def _text_child(parent: Any, ns: str, tag: str, text: str | None) -> None:
    if text:
        _element(parent, ns, tag).text = xml_safe(text)


def _code(parent: Any, ns: str, code: RefiCode, with_notes: bool) -> None:
    element = _element(
        parent,
        ns,
        "Code",
        guid=code.guid,
        name=code.name,
        isCodable="true" if code.codable else "false",
        color=code.color,
    )
    _text_child(element, ns, "Description", code.description)
    if with_notes:
        for ref in code.note_refs:
            _element(element, ns, "NoteRef", targetGUID=ref)
    for child in code.children:
        _code(element, ns, child, with_notes)


def _serialise(root: Any) -> bytes:
    from lxml import etree

    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def codebook_xml(model: RefiProject) -> bytes:
    """A .qdc: the codes alone (an empty <Sets/> is invalid, so none is written)."""
    from lxml import etree

    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS})
    if model.origin:
        root.set("origin", model.origin)
    codes = _element(root, CODEBOOK_NS, "Codes")
    for code in model.codes:
        _code(codes, CODEBOOK_NS, code, with_notes=False)
    return _serialise(root)


def _source(parent: Any, source: RefiSource) -> None:
    ns = PROJECT_NS
    element = _element(
        parent,
        ns,
        "TextSource",
        guid=source.guid,
        name=source.name,
        plainTextPath=source.plain_text_path,
        creatingUser=source.user_guid,
    )
    _text_child(element, ns, "Description", source.description)
    for sel in source.selections:
        name = sel.name
        if name is not None and xml_safe(name) != name:
            name = None  # a name that cannot equal the text is better left out
        sel_element = _element(
            element,
            ns,
            "PlainTextSelection",
            guid=sel.guid,
            name=name,
            startPosition=str(sel.start),
            endPosition=str(sel.end),
            creatingUser=sel.user_guid,
        )
        _text_child(sel_element, ns, "Description", sel.description)
        for coding in sel.codings:
            coding_element = _element(
                sel_element,
                ns,
                "Coding",
                guid=coding.guid,
                creatingUser=coding.user_guid,
                creationDateTime=coding.created,
            )
            _element(coding_element, ns, "CodeRef", targetGUID=coding.code_guid)
            for ref in coding.note_refs:
                _element(coding_element, ns, "NoteRef", targetGUID=ref)
        for ref in sel.note_refs:
            _element(sel_element, ns, "NoteRef", targetGUID=ref)
    for ref in source.note_refs:
        _element(element, ns, "NoteRef", targetGUID=ref)


def project_xml(model: RefiProject) -> bytes:
    """project.qde for the model; the caller validates it before it leaves the machine."""
    from lxml import etree

    ns = PROJECT_NS
    root = etree.Element(f"{{{ns}}}Project", nsmap={None: ns})
    root.set("name", xml_safe(model.name))
    if model.origin:
        root.set("origin", model.origin)
    if model.creating_user:
        root.set("creatingUserGUID", model.creating_user)
    if model.users:
        users = _element(root, ns, "Users")
        for user in model.users:
            _element(users, ns, "User", guid=user.guid, name=user.name)
    if model.codes:
        codes = _element(_element(root, ns, "CodeBook"), ns, "Codes")
        for code in model.codes:
            _code(codes, ns, code, with_notes=True)
    if model.variables:
        variables = _element(root, ns, "Variables")
        for var in model.variables:
            _element(
                variables, ns, "Variable", guid=var.guid, name=var.name, typeOfVariable=var.type
            )
    if model.cases:
        cases = _element(root, ns, "Cases")
        for case in model.cases:
            element = _element(cases, ns, "Case", guid=case.guid, name=case.name)
            _text_child(element, ns, "Description", case.description)
            for var_guid, value in case.values.items():
                vv = _element(element, ns, "VariableValue")
                _element(vv, ns, "VariableRef", targetGUID=var_guid)
                _element(vv, ns, "TextValue").text = xml_safe(value)
            for ref in case.source_refs:
                _element(element, ns, "SourceRef", targetGUID=ref)
            for ref in case.selection_refs:
                _element(element, ns, "SelectionRef", targetGUID=ref)
    if model.sources:
        sources = _element(root, ns, "Sources")
        for source in model.sources:
            _source(sources, source)
    if model.notes:
        notes = _element(root, ns, "Notes")
        for note in model.notes:
            element = _element(
                notes, ns, "Note", guid=note.guid, name=note.name, creatingUser=note.user_guid
            )
            _element(element, ns, "PlainTextContent").text = xml_safe(note.text)
    _text_child(root, ns, "Description", model.description)
    for ref in model.project_note_refs:
        _element(root, ns, "NoteRef", targetGUID=ref)
    return _serialise(root)
