"""Read a REFI-QDA project or codebook into the model, leniently: what real tools emit.

Elements are matched on local names (files use several namespace variants), GUIDs in any
case with or without braces, ``sources/`` or ``Sources/``, paths with or without
``internal://``, colours as ``#RGB``, ``#RRGGBB``, ``#RRGGBBAA`` or ``rgb()``. What cannot be
carried (pictures, audio, video, PDF regions, sources whose text is missing) is listed in
``RefiProject.skipped`` instead of failing the import.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator
from typing import Any

from qualkit.exchange.refi_model import (
    RefiCase,
    RefiCode,
    RefiCoding,
    RefiLink,
    RefiNote,
    RefiProject,
    RefiSelection,
    RefiSet,
    RefiSource,
    RefiUser,
    RefiVariable,
    canonical_guid,
)
from qualkit.exchange.safe_archive import ExchangeError, local

TextLookup = Callable[[str], bytes | None]
_RGB = re.compile(r"rgba?\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})")
_HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")


def parse_color(raw: str | None) -> str | None:
    """'#abc', '#AABBCC', '#AABBCCDD' (alpha dropped) or 'rgb(1,2,3)' as '#aabbcc'."""
    if not raw:
        return None
    value = raw.strip()
    m = _RGB.match(value)
    if m:
        parts = [min(int(p), 255) for p in m.groups()]
        return "#" + "".join(f"{p:02x}" for p in parts)
    m = _HEX.fullmatch(value)
    if not m:
        return None
    digits = m.group(1).lower()
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return "#" + digits[:6]


def decode_text(data: bytes) -> tuple[str, bool]:
    """A source text file's text with line ends as written, and whether it had a BOM."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), True
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace"), True
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), False


def _children(element: Any, name: str) -> Iterator[Any]:
    # "{*}name" matches the name in any namespace or none (files use several variants).
    return element.iterchildren(f"{{*}}{name}")


def _child(element: Any, name: str) -> Any | None:
    return next(_children(element, name), None)


def _text_of(element: Any, name: str) -> str | None:
    child = _child(element, name)
    if child is None:
        return None
    text = child.text or ""
    return text if text.strip() else None


def _refs(element: Any, name: str) -> list[str]:
    """Targets of reference children; MemberCode uses @guid in codebooks."""
    found = []
    for child in _children(element, name):
        target = child.get("targetGUID") or child.get("guid")
        if target:
            found.append(canonical_guid(target))
    return found


def _code(element: Any) -> RefiCode:
    codable = (element.get("isCodable") or "true").strip().lower() not in ("false", "0")
    return RefiCode(
        guid=canonical_guid(element.get("guid")),
        name=(element.get("name") or "").strip() or "(unnamed code)",
        codable=codable,
        color=parse_color(element.get("color")),
        description=_text_of(element, "Description"),
        children=[_code(c) for c in _children(element, "Code")],
        note_refs=_refs(element, "NoteRef"),
    )


def read_codes(codes_parent: Any | None) -> list[RefiCode]:
    if codes_parent is None:
        return []
    codes = _child(codes_parent, "Codes")
    if codes is None:
        return []
    return [_code(c) for c in _children(codes, "Code")]


def _value(vv: Any) -> tuple[str, str] | None:
    ref = _child(vv, "VariableRef")
    if ref is None or not ref.get("targetGUID"):
        return None
    for child in vv:
        name = local(child.tag)
        if name.endswith("Value") and name != "VariableValue":
            return canonical_guid(ref.get("targetGUID")), (child.text or "").strip()
    return None


def _values(element: Any) -> dict[str, str]:
    found = {}
    for vv in _children(element, "VariableValue"):
        pair = _value(vv)
        if pair is not None:
            found[pair[0]] = pair[1]
    return found


def _selection(element: Any) -> RefiSelection | None:
    try:
        start = int(element.get("startPosition"))
        end = int(element.get("endPosition"))
    except (TypeError, ValueError):
        return None
    return RefiSelection(
        guid=canonical_guid(element.get("guid")),
        start=start,
        end=end,
        name=element.get("name"),
        description=_text_of(element, "Description"),
        user_guid=canonical_guid(element.get("creatingUser")) or None,
        created=element.get("creationDateTime"),
        codings=[c for c in map(_coding, _children(element, "Coding")) if c is not None],
        note_refs=_refs(element, "NoteRef"),
    )


def _coding(element: Any) -> RefiCoding | None:
    ref = _child(element, "CodeRef")
    if ref is None or not ref.get("targetGUID"):
        return None
    return RefiCoding(
        guid=canonical_guid(element.get("guid")),
        code_guid=canonical_guid(ref.get("targetGUID")),
        user_guid=canonical_guid(element.get("creatingUser")) or None,
        created=element.get("creationDateTime"),
        note_refs=_refs(element, "NoteRef"),
    )


def _resolve_path(path: str | None, lookup: TextLookup) -> bytes | None:
    if not path:
        return None
    path = path.strip()
    for prefix in ("internal://", "relative:///", "relative://", "file:///"):
        if path.lower().startswith(prefix):
            path = path[len(prefix) :]
            break
    # relative:// and absolute paths point at the author's machine; only the file name is ours.
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return lookup(name) if name else None


def _text_source(
    element: Any,
    lookup: TextLookup,
    project: RefiProject,
    guid: str | None = None,
    name: str | None = None,
) -> RefiSource:
    source_guid = guid or canonical_guid(element.get("guid"))
    path = element.get("plainTextPath")
    # qc writes no name: its text file's name is the best one there is.
    from_path = (path or "").replace("\\", "/").rsplit("/", 1)[-1] or None
    shown = name or element.get("name") or from_path or source_guid
    inline = _child(element, "PlainTextContent")
    raw: str | None = None
    had_bom = False
    if inline is not None and inline.text is not None:
        raw = inline.text
    elif path:
        data = _resolve_path(path, lookup)
        if data is None:
            project.skipped.append(f"source '{shown}': its text file {path} is not in the archive")
        else:
            raw, had_bom = decode_text(data)
    else:
        project.skipped.append(f"source '{shown}': no text (neither PlainTextContent nor a path)")
    selections = []
    for sel in _children(element, "PlainTextSelection"):
        parsed = _selection(sel)
        if parsed is None:
            project.skipped.append(f"source '{shown}': a selection without numeric positions")
        else:
            selections.append(parsed)
    return RefiSource(
        guid=source_guid,
        name=str(shown),
        raw_text=raw,
        plain_text_path=path,
        description=_text_of(element, "Description"),
        user_guid=canonical_guid(element.get("creatingUser")) or None,
        created=element.get("creationDateTime"),
        selections=selections,
        note_refs=_refs(element, "NoteRef"),
        variables=_values(element),
        had_bom=had_bom,
    )


def _note(element: Any, lookup: TextLookup) -> RefiNote:
    text = _text_of(element, "PlainTextContent")
    if text is None and element.get("plainTextPath"):
        data = _resolve_path(element.get("plainTextPath"), lookup)
        if data is not None:
            text = decode_text(data)[0]
    if text is None:
        text = _text_of(element, "Description") or ""
    return RefiNote(
        guid=canonical_guid(element.get("guid")),
        name=element.get("name"),
        text=text.replace("\r\n", "\n").replace("\r", "\n").strip(),
        user_guid=canonical_guid(element.get("creatingUser")) or None,
        created=element.get("creationDateTime"),
    )


def project_header(root: Any, shown: str) -> RefiProject:
    """The model of a project.qde's root element alone; its parts are read by read_part."""
    if local(root.tag) != "Project":
        raise ExchangeError(f"{shown}: not a REFI-QDA project (root element <{local(root.tag)}>)")
    return RefiProject(
        name=root.get("name") or "",
        origin=root.get("origin"),
        creating_user=canonical_guid(root.get("creatingUserGUID")) or None,
        created=root.get("creationDateTime"),
    )


def read_part(project: RefiProject, element: Any, lookup: TextLookup) -> None:
    """Add one child of <Project> other than <Sources> (users, codebook, cases...) to the model.

    One element at a time, so a streaming reader can clear each part once it is read.
    """
    kind = local(element.tag)
    if kind == "Users":
        for user in _children(element, "User"):
            guid = canonical_guid(user.get("guid"))
            name = (user.get("name") or user.get("id") or guid).strip()
            project.users.append(RefiUser(guid, name))
    elif kind == "CodeBook":
        project.codes.extend(read_codes(element))
    elif kind == "Variables":
        for var in _children(element, "Variable"):
            project.variables.append(
                RefiVariable(
                    canonical_guid(var.get("guid")),
                    (var.get("name") or "").strip() or "variable",
                    var.get("typeOfVariable") or "Text",
                    _text_of(var, "Description"),
                )
            )
    elif kind == "Cases":
        for case in _children(element, "Case"):
            project.cases.append(
                RefiCase(
                    guid=canonical_guid(case.get("guid")),
                    name=(case.get("name") or "").strip() or None,
                    description=_text_of(case, "Description"),
                    values=_values(case),
                    source_refs=_refs(case, "SourceRef"),
                    selection_refs=_refs(case, "SelectionRef"),
                )
            )
    elif kind == "Notes":
        project.notes.extend(_note(note, lookup) for note in _children(element, "Note"))
    elif kind == "Links":
        for link in _children(element, "Link"):
            project.links.append(
                RefiLink(
                    canonical_guid(link.get("guid")),
                    canonical_guid(link.get("originGUID")) or None,
                    canonical_guid(link.get("targetGUID")) or None,
                )
            )
    elif kind == "Sets":
        project.sets.extend(read_sets(element))
    elif kind == "Description" and (element.text or "").strip():
        project.description = element.text
    elif kind == "NoteRef" and (element.get("targetGUID") or element.get("guid")):
        project.project_note_refs.append(
            canonical_guid(element.get("targetGUID") or element.get("guid"))
        )


def read_source(project: RefiProject, element: Any, lookup: TextLookup) -> RefiSource | None:
    """One child of <Sources> as a text source with its selections, or None (listed in
    project.skipped) when qualkit cannot carry it."""
    kind = local(element.tag)
    name = element.get("name") or canonical_guid(element.get("guid"))
    if kind == "TextSource":
        return _text_source(element, lookup, project)
    if kind != "PDFSource":
        if kind:  # comments and processing instructions have no name
            project.skipped.append(f"{kind} '{name}': not text (qualkit codes text only)")
        return None
    rep = _child(element, "Representation")
    regions = len(list(_children(element, "PDFSelection")))
    if regions:
        project.skipped.append(
            f"PDF '{name}': {regions} region selection(s) on the page image (only its "
            "text representation's selections can be carried)"
        )
    if rep is None:
        project.skipped.append(f"PDF '{name}': no text representation")
        return None
    source = _text_source(rep, lookup, project, guid=canonical_guid(element.get("guid")), name=name)
    source.kind = "PDFSource"
    return source


def read_project(root: Any, lookup: TextLookup, shown: str) -> RefiProject:
    """The model of a parsed project.qde; `lookup(name)` returns a sources/ file's bytes."""
    project = project_header(root, shown)
    for element in root:
        if local(element.tag) == "Sources":
            for child in element:
                source = read_source(project, child, lookup)
                if source is not None:
                    project.sources.append(source)
        else:
            read_part(project, element, lookup)
    return project


def read_sets(sets: Any | None) -> list[RefiSet]:
    """Sets; an empty <Sets/> (Taguette) is accepted and simply has none."""
    if sets is None:
        return []
    return [
        RefiSet(
            guid=canonical_guid(s.get("guid")),
            name=(s.get("name") or "").strip(),
            description=_text_of(s, "Description"),
            member_codes=_refs(s, "MemberCode"),
            member_sources=_refs(s, "MemberSource"),
        )
        for s in _children(sets, "Set")
    ]


def read_codebook(root: Any, shown: str) -> RefiProject:
    """A .qdc codebook as a project with codes (and code sets) only."""
    if local(root.tag) != "CodeBook":
        raise ExchangeError(f"{shown}: not a REFI-QDA codebook (root element <{local(root.tag)}>)")
    project = RefiProject(name="", origin=root.get("origin"))
    project.codes = read_codes(root)
    project.sets = read_sets(_child(root, "Sets"))
    return project
