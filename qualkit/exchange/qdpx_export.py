"""Export a project as REFI-QDA: .qdpx (project.qde + sources/) and .qdc (the codebook).

Users are the coders; codes keep hierarchy, descriptions (with include, exclude and examples
under headings) and colours, and a parent that is never itself applied is non-codable.
Sources are the stored transcript texts as UTF-8 without BOM; codings are PlainTextSelections
in code points over exactly that text, with the selected text in ``@name`` and
``@creatingUser`` always set; memos are Notes; participants are Cases with Variables.
GUIDs are uuid5 of the project's identity (a UUID in its database) and each thing's stable
id (or the GUID it was imported with), so exporting twice, or exporting a copy of the project
folder on another machine, gives the same GUIDs. Both files are validated against
the XSDs and our semantic checks before they are written.
"""

from __future__ import annotations

import io
import os
import uuid
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualkit.exchange.import_codes import compose_description
from qualkit.exchange.qdpx_import import remembered_guids
from qualkit.exchange.refi_model import (
    RefiCase,
    RefiCode,
    RefiCoding,
    RefiNote,
    RefiProject,
    RefiSelection,
    RefiSource,
    RefiUser,
    RefiVariable,
)
from qualkit.exchange.refi_write import codebook_xml, project_xml
from qualkit.exchange.safe_archive import ExchangeError

if TYPE_CHECKING:
    from qualkit.project import Project

LEGACY_PROJECT_KEY = "refi-project-key"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same project gives the same bytes


def origin() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"qualkit {version('qualkit')}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "qualkit"


@dataclass
class ExportReport:
    path: Path
    sources: int
    codes: int
    codings: int
    users: int
    cases: int
    notes: int
    orphaned_left_out: int

    def summary(self) -> str:
        text = (
            f"{self.path}: {self.sources} source(s), {self.codes} code(s), "
            f"{self.codings} coding(s) by {self.users} user(s), {self.cases} case(s), "
            f"{self.notes} note(s); valid against the REFI-QDA schema and semantic checks"
        )
        if self.orphaned_left_out:
            text += f"; {self.orphaned_left_out} coding(s) on orphaned text left out"
        return text


class _Guids:
    """Stable GUIDs: the one a thing was imported with, else uuid5(project key, kind, id)."""

    def __init__(self, project: Project) -> None:
        # The project's identity lives in its database, never in its path or the machine's
        # name, so a copy or clone of the folder exports the same GUIDs. A key minted by an
        # earlier export (before projects had an identity) keeps the GUIDs it gave.
        key = project.store.get_meta(LEGACY_PROJECT_KEY) or project.store.project_uuid
        self.namespace = uuid.UUID(key)
        self.memory = remembered_guids(project)

    def __call__(self, kind: str, *parts: object) -> str:
        if len(parts) == 1 and kind in self.memory and str(parts[0]) in self.memory[kind]:
            return self.memory[kind][str(parts[0])]
        return str(uuid.uuid5(self.namespace, "\x1f".join([kind, *map(str, parts)])))


def _codes(project: Project, guid: _Guids, applied: set[str], code_notes: dict) -> list[RefiCode]:
    book = project.codebook

    def build(code_id: str) -> RefiCode:
        code = book.get(code_id)
        return RefiCode(
            guid=guid("code", code.id),
            name=code.name,
            codable=not code.children or code.id in applied,
            color=code.color,
            description=compose_description(
                code.description, code.include, code.exclude, code.examples
            )
            or None,
            children=[build(child) for child in code.children],
            note_refs=code_notes.get(code.id, []),
        )

    return [build(code.id) for code in book.roots()]


def build_model(project: Project) -> tuple[RefiProject, int]:
    """The project as a REFI model, and how many codings on orphaned text were left out."""
    store = project.store
    guid = _Guids(project)
    segments = {int(r.segment_id): r for r in store.segment_rows()}
    codings = [r for r in store.codings_rows() if not r.orphaned]
    orphaned = sum(1 for r in store.codings_rows() if r.orphaned)
    memos = [r for r in store.memo_rows()]
    coder_names = sorted({r.coder for r in codings} | {r.coder for r in memos})
    users = [RefiUser(guid("coder", name), name) for name in coder_names]
    user_of = {u.name: u.guid for u in users}

    notes: list[RefiNote] = []
    by_target: dict[tuple[str, str], list[str]] = defaultdict(list)
    for memo in sorted(memos, key=lambda r: (r.kind, r.target, r.coder)):
        note_guid = guid("memo", memo.kind, memo.target, memo.coder)
        notes.append(
            RefiNote(
                note_guid,
                f"qualkit: {memo.kind} memo by {memo.coder}",
                memo.text,
                user_guid=user_of[memo.coder],
            )
        )
        by_target[(memo.kind, str(memo.target))].append(note_guid)
    code_notes = {target: refs for (kind, target), refs in by_target.items() if kind == "code"}

    book = project.codebook
    applied = {r.code for r in codings}
    model = RefiProject(
        name=project.root.name,
        origin=origin(),
        creating_user=users[0].guid if users else None,
        users=users,
        codes=_codes(project, guid, applied, code_notes),
        project_note_refs=by_target.get(("project", "project"), []),
    )
    # A memo on a code no longer in the codebook has nothing to hang on: keep it project-wide.
    for (kind, target), refs in by_target.items():
        if (kind == "code" and target not in book) or (kind == "project" and target != "project"):
            model.project_note_refs.extend(refs)

    sources: dict[str, RefiSource] = {}
    selections: dict[tuple[str, int, int], RefiSelection] = {}
    texts: dict[str, str] = {}
    for row in store.transcript_rows():
        tid = row.id
        source_guid = guid("transcript", tid)
        texts[tid] = store.transcript_text(tid)
        sources[tid] = RefiSource(
            guid=source_guid,
            name=tid,
            raw_text=texts[tid],
            plain_text_path=f"internal://{source_guid}.txt",
            note_refs=by_target.get(("transcript", tid), []),
        )

    def selection(tid: str, start: int, end: int, user: str | None) -> RefiSelection:
        key = (tid, start, end)
        if key not in selections:
            selections[key] = RefiSelection(
                guid=guid("selection", tid, start, end),
                start=start,
                end=end,
                name=texts[tid][start:end],
                user_guid=user,
            )
        return selections[key]

    for r in sorted(codings, key=lambda r: (r.transcript, r.code, r.coder)):
        seg = segments[int(r.segment_id)]
        start = seg.start + (r.span_start if r.span_start is not None else 0)
        end = seg.start + (r.span_end if r.span_end is not None else len(seg.text))
        sel = selection(r.transcript, start, end, user_of[r.coder])
        coding = RefiCoding(
            guid=guid("coding", r.transcript, start, end, r.code, r.coder),
            code_guid=guid("code", r.code),
            user_guid=user_of[r.coder],
            created=r.created,
        )
        if r.memo:
            note_guid = guid("coding-memo", coding.guid)
            notes.append(RefiNote(note_guid, "qualkit: coding memo", r.memo, user_of[r.coder]))
            coding.note_refs.append(note_guid)
        sel.codings.append(coding)
    for (kind, target), refs in by_target.items():
        if kind != "segment":
            continue
        seg = segments.get(int(target))
        if seg is None or seg.orphaned:
            model.project_note_refs.extend(refs)
            continue
        sel = selection(seg.transcript, seg.start, seg.end, notes_user(notes, refs))
        sel.note_refs.extend(refs)

    attribute_names = sorted({k for attrs in store.participants().values() for k in attrs})
    variables = {name: RefiVariable(guid("variable", name), name) for name in attribute_names}
    model.variables = list(variables.values())
    participants_of = store.transcript_participants()
    speaks_in: dict[str, list[str]] = defaultdict(list)
    for tid, pids in participants_of.items():
        for pid in pids:
            speaks_in[pid].append(tid)
    first_turn: dict[tuple[str, str], Any] = {}
    for seg in sorted(segments.values(), key=lambda s: (s.transcript, s.position or 0)):
        if not seg.orphaned and seg.participant:
            first_turn.setdefault((seg.transcript, seg.participant), seg)
    people = store.participants()
    for pid in sorted(set(people) | set(speaks_in)):
        case = RefiCase(guid=guid("participant", pid), name=pid)
        for name, value in sorted(people.get(pid, {}).items()):
            if value not in (None, ""):
                case.values[variables[name].guid] = str(value)
        for tid in sorted(speaks_in.get(pid, [])):
            case.source_refs.append(sources[tid].guid)
            # Where several participants speak, the case points at its first segment, so a
            # reader (qualkit included) can tell which speaker label is whose.
            seg = first_turn.get((tid, pid))
            if len(participants_of.get(tid, [])) > 1 and seg is not None:
                case.selection_refs.append(
                    selection(tid, seg.start, seg.end, model.creating_user).guid
                )
        model.cases.append(case)
    for (tid, _start, _end), sel in sorted(selections.items()):
        sources[tid].selections.append(sel)
    if any(sel.user_guid is None for sel in selections.values()):
        fallback = RefiUser(guid("coder", "qualkit"), "qualkit")
        model.users.append(fallback)
        model.creating_user = model.creating_user or fallback.guid
        for sel in selections.values():
            sel.user_guid = sel.user_guid or fallback.guid
    model.sources = [sources[tid] for tid in sorted(sources)]
    model.notes = notes
    return model, orphaned


def notes_user(notes: list[RefiNote], refs: list[str]) -> str | None:
    for note in notes:
        if note.guid in refs:
            return note.user_guid
    return None


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def qdpx_bytes(model: RefiProject) -> bytes:
    """The .qdpx archive for a model: project.qde and sources/<guid>.txt, fixed timestamps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        entries = [("project.qde", project_xml(model))]
        for source in model.sources:
            name = "sources/" + (source.plain_text_path or "")[len("internal://") :]
            entries.append((name, (source.raw_text or "").encode("utf-8")))
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def export_qdpx(project: Project, path: Path) -> ExportReport:
    """Write the project to `path` as .qdpx, after checking it against the XSD and ours."""
    from qualkit.exchange.validate import check_project

    model, orphaned = build_model(project)
    data = qdpx_bytes(model)
    entry_names = {"project.qde"} | {
        "sources/" + (s.plain_text_path or "")[len("internal://") :] for s in model.sources
    }
    problems = check_project(project_xml(model), entry_names, model)
    if problems:
        raise ExchangeError(f"{path}: the export failed its own checks: {problems[0]}")
    _write_atomic(Path(path), data)
    return ExportReport(
        Path(path),
        sources=len(model.sources),
        codes=len(model.all_codes()),
        codings=sum(len(sel.codings) for s in model.sources for sel in s.selections),
        users=len(model.users),
        cases=len(model.cases),
        notes=len(model.notes),
        orphaned_left_out=orphaned,
    )


def export_qdc(project: Project, path: Path) -> int:
    """Write the codebook alone as .qdc; returns the number of codes."""
    from qualkit.exchange.validate import check_codebook

    guid = _Guids(project)
    model = RefiProject(name="", origin=origin(), codes=_codes(project, guid, set(), {}))
    # Without codings every parent counts as a category: non-codable, as tools expect.
    data = codebook_xml(model)
    problems = check_codebook(data, model)
    if problems:
        raise ExchangeError(f"{path}: the export failed its own checks: {problems[0]}")
    _write_atomic(Path(path), data)
    return len(model.all_codes())
