"""Import a REFI-QDA project (.qdpx, or a bare .qde) into a new or existing qualkit project.

The file is streamed (see refi_stream.py), so memory does not grow with its codings: one
pass reads the header (users, codebook, cases, notes, sets), one plans each text source in
turn (and checks a file qualkit wrote against the XSD and our rules), and nothing is written
before both have passed. Then, in one database transaction (a file journal puts the files
back if the process dies before it commits): codes go into codebook.yaml, participants into
transcripts/participants.csv, each text source into transcripts/ as a file, and one ingest
segments them; a last pass reads each source's selections again and stores its codings in
batches (import_codings.py); then the memos. If any of it fails, the files are put back as
they were.
"""

from __future__ import annotations

import json
import tempfile
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qualkit import file_journal
from qualkit.atomic_files import write_atomically
from qualkit.exchange.import_codes import import_codes
from qualkit.exchange.import_codings import (
    CodingContext,
    CodingWriter,
    Memos,
    all_note_refs,
    coder_of,
    links_by_target,
    plan_codings,
)
from qualkit.exchange.import_people import (
    attribute_sets,
    coder_names,
    merge_participants,
    participant_rows,
)
from qualkit.exchange.import_sources import PlannedSource, SourcePlanner, front_matter
from qualkit.exchange.refi_model import RefiProject
from qualkit.exchange.refi_stream import StreamedProject
from qualkit.exchange.safe_archive import ExchangeError

if TYPE_CHECKING:
    from qualkit.project import Project

GUID_MEMORY_KEY = "refi-guids"


@dataclass
class ImportReport:
    file: str
    origin: str | None
    transcripts_added: list[str] = field(default_factory=list)
    transcripts_reused: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    codes_added: int = 0
    codes_reused: int = 0
    codings_added: int = 0
    codings_present: int = 0
    codings_carried: int = 0  # the file's codings that landed on imported text
    coders: list[str] = field(default_factory=list)
    participants_added: list[str] = field(default_factory=list)
    memos: int = 0
    conventions: dict[str, str] = field(default_factory=dict)
    names_checked: int = 0
    names_matched: int = 0
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"{self.file} ({self.origin or 'unknown program'}): "
            f"{len(self.transcripts_added)} transcript(s) added "
            f"({len(self.documents)} as documents), {len(self.transcripts_reused)} already here; "
            f"{self.codes_added} code(s) added, {self.codes_reused} already here; "
            f"{self.codings_carried} coding(s) of the file carried as {self.codings_added} new "
            f"segment coding(s) ({self.codings_present} already here); "
            f"{len(self.participants_added)} participant(s) added; {self.memos} memo(s)",
        ]
        if self.coders:
            lines.append("coders: " + ", ".join(self.coders))
        for name, convention in sorted(self.conventions.items()):
            lines.append(f"offsets of '{name}': {convention}")
        if self.names_checked and not self.names_matched:
            # e.g. QualCoder's "line:12": nothing is wrong with the offsets
            lines.append(
                f"the {self.names_checked} selections' names (@name) are not their text in "
                "this file, so nothing could be checked against them; the offsets placed them"
            )
        elif self.names_checked:
            lines.append(
                f"selected text checked against @name: {self.names_matched} of "
                f"{self.names_checked} match"
            )
        lines.extend(f"not imported: {line}" for line in self.skipped)
        return "\n".join(lines)


def remembered_guids(project: Project) -> dict[str, dict[str, str]]:
    raw = project.store.get_meta(GUID_MEMORY_KEY)
    memory = json.loads(raw) if raw else {}
    for kind in ("code", "transcript", "participant", "coder"):
        memory.setdefault(kind, {})
    return memory


def import_qdpx(project: Project, path: Path) -> ImportReport:
    """Import `path` into `project`; returns what came in and what could not."""
    with StreamedProject(Path(path)) as stream:
        return _import(project, stream)


def _plan_all(
    project: Project, stream: StreamedProject, report: ImportReport
) -> list[PlannedSource]:
    """Read and plan every source, one at a time; a file qualkit wrote is checked as well.
    Each plan keeps its text and offset converter, not its selections."""
    from qualkit.exchange.validate import PROJECT_XSD, SemanticCheck, model_guids, source_guids

    refi = stream.header
    store = project.store
    check = SemanticCheck(refi, stream.entry_names) if _is_qualkit(refi.origin) else None
    existing_texts = {r.id: store.transcript_text(r.id) for r in store.transcript_rows()}
    taken = {tid.casefold() for tid in existing_texts}
    taken |= {p.stem.casefold() for p in (project.root / "transcripts").glob("*")}
    plans: list[PlannedSource] = []
    text_missing = False
    with tempfile.TemporaryDirectory(prefix="qualkit-import-") as tmp:
        planner = SourcePlanner(refi, existing_texts, taken, project.settings, Path(tmp))
        for source in stream.sources():
            text_missing = text_missing or source.raw_text is None
            if check is not None:
                check.add_source(source)
            plan = planner.plan(source)
            if plan is not None:
                source.selections = []  # read again, one source at a time, when coding
                plans.append(plan)
    if check is not None:
        from qualkit.exchange.validate import xml_schema

        def every_guid() -> Iterator[str]:
            yield from model_guids(refi)
            for source in stream.sources(read_text=False):
                yield from source_guids(source)

        problems = stream.schema_errors(xml_schema(PROJECT_XSD)) + check.finish(every_guid)
        if problems:
            raise ExchangeError(f"{stream.shown}: written by qualkit but invalid: {problems[0]}")
    if text_missing and stream.archive is None:
        refi.skipped.insert(
            0,
            f"{stream.shown} is a bare .qde without its sources/ folder: source texts are missing",
        )
    report.skipped = list(refi.skipped) + planner.skipped
    return plans


def _import(project: Project, stream: StreamedProject) -> ImportReport:
    refi = stream.header
    report = ImportReport(stream.shown, refi.origin)
    store = project.store
    memory = remembered_guids(project)
    # Bring the folder up to date first, so the import's own ingest adds only its files and
    # needs no backup inside its transaction.
    project.ingest()
    plans = _plan_all(project, stream, report)
    users = coder_names(refi)
    attribute_sets(refi, plans)

    book = project.codebook
    codebook_before = project.codebook_path.read_bytes()
    participants_path = project.root / "transcripts" / "participants.csv"
    participants_before = participants_path.read_bytes() if participants_path.exists() else None
    targets = [
        project.root / "transcripts" / f"{plan.transcript_id}.txt"
        for plan in plans
        if not plan.reuse
    ]
    # Files first, then one database transaction for everything else; the journal puts the
    # files back if the process dies before that commit (qualkit/file_journal.py).
    journal = file_journal.FileJournal.begin(
        project.root / ".qualkit", project.root, [project.codebook_path, participants_path], targets
    )
    written: list[Path] = []
    try:
        with store.transaction():
            codes = import_codes(book, refi.codes, refi.origin, memory["code"])
            book.save()
            rows = participant_rows(refi, plans)
            report.participants_added = merge_participants(project, participants_path, rows)
            for plan in plans:
                if plan.reuse:
                    report.transcripts_reused.append(plan.transcript_id)
                    continue
                target = project.root / "transcripts" / f"{plan.transcript_id}.txt"
                body = front_matter(plan, refi.origin, report.file) + plan.text
                target.write_bytes(body.encode("utf-8"))
                written.append(target)
                report.transcripts_added.append(plan.transcript_id)
                if plan.kind == "document":
                    report.documents.append(plan.transcript_id)
            if written:
                project.ingest()
            report.codes_added, report.codes_reused = len(codes.added), codes.reused
            _codings_and_memos(project, stream, plans, codes.ids, users, report)
            _remember_guids(project, refi, plans, codes.ids, users, memory)
            store.log_event(
                "system",
                "import-qdpx",
                {
                    "file": report.file,
                    "transcripts": report.transcripts_added,
                    "codes": codes.added,
                    "codings": report.codings_added,
                },
            )
            store.set_meta(file_journal.TOKEN_KEY, journal.token)
    except BaseException:
        # The transaction rolled back: the files go back too.
        for target in written:
            target.unlink(missing_ok=True)
        write_atomically(project.codebook_path, codebook_before)
        if participants_before is None:
            participants_path.unlink(missing_ok=True)
        else:
            write_atomically(participants_path, participants_before)
        raise
    finally:
        journal.finish()
    return report


def _codings_and_memos(
    project: Project,
    stream: StreamedProject,
    plans: list[PlannedSource],
    code_ids: dict[str, str],
    users: dict[str, str],
    report: ImportReport,
) -> None:
    """Read each source's selections once more and store its codings (in batches), then the
    memos; inside the import's transaction."""
    refi = stream.header
    store = project.store
    notes = {n.guid: n for n in refi.notes}
    memos = Memos()
    linked = links_by_target(refi)
    used_notes: set[str] = set()
    writer = CodingWriter(store, report)
    waiting: dict[str, deque[PlannedSource]] = {}
    for plan in plans:
        waiting.setdefault(plan.source.guid, deque()).append(plan)
    # The file is read once more, one source at a time, in the order the plans were made.
    for source in stream.sources(read_text=False):
        queue = waiting.get(source.guid)
        if not queue:
            continue
        plan = queue.popleft()
        for sel in source.selections:
            used_notes.update(all_note_refs(sel) + linked.get(sel.guid, []))
        context = CodingContext(refi, code_ids, users, notes, linked, memos, report, store)
        for coder, by_key in plan_codings(plan, source, context).items():
            writer.add(coder, list(by_key.values()))
        source.selections = []
    writer.flush()
    report.coders = sorted(writer.coders)

    _plan_memos(refi, plans, code_ids, users, notes, memos, linked, used_notes)
    for (kind, target, coder), texts in memos.items.items():
        before = project.memo(kind, target, coder) or ""
        fresh = [t for t in texts if t not in before]
        if fresh:
            project.set_memo(kind, target, coder, "\n\n".join([before, *fresh]).strip())
            report.memos += 1


def _remember_guids(
    project: Project,
    refi: RefiProject,
    plans: list[PlannedSource],
    code_ids: dict[str, str],
    users: dict[str, str],
    memory: dict[str, dict[str, str]],
) -> None:
    """Keep the file's GUIDs, so a later export gives each thing the GUID it came with."""
    for guid, code_id in code_ids.items():
        memory["code"].setdefault(code_id, guid)
    for plan in plans:
        memory["transcript"].setdefault(plan.transcript_id, plan.source.guid)
    for user_guid, name in users.items():
        memory["coder"].setdefault(name, user_guid)
    for case in refi.cases:
        if case.name:
            memory["participant"].setdefault(case.name.strip(), case.guid)
    project.store.set_meta(GUID_MEMORY_KEY, json.dumps(memory, sort_keys=True))


def _is_qualkit(origin: str | None) -> bool:
    return (origin or "").lower().startswith("qualkit")


def _plan_memos(
    refi: RefiProject,
    plans: list[PlannedSource],
    code_ids: dict[str, str],
    users: dict[str, str],
    notes: dict,
    memos: Memos,
    linked: dict[str, list[str]],
    used_notes: set[str],
) -> None:
    """Memos on codes, sources and the project; `used_notes` are the notes already carried
    with a selection or coding."""
    used = set(used_notes)
    for code in refi.all_codes():
        code_id = code_ids.get(code.guid)
        for ref in code.note_refs + linked.get(code.guid, []):
            if code_id and ref in notes:
                note = notes[ref]
                memos.add("code", code_id, coder_of(refi, users, note.user_guid), note.text)
                used.add(ref)
    for plan in plans:
        source = plan.source
        tid = plan.transcript_id
        if source.description:
            memos.add(
                "transcript", tid, coder_of(refi, users, source.user_guid), source.description
            )
        for ref in source.note_refs + linked.get(source.guid, []):
            if ref in notes:
                note = notes[ref]
                memos.add("transcript", tid, coder_of(refi, users, note.user_guid), note.text)
                used.add(ref)
    if refi.description:
        memos.add("project", "project", coder_of(refi, users), refi.description)
    for note in refi.notes:
        if note.guid in used and note.guid not in refi.project_note_refs:
            continue
        text = note.text
        if note.name and note.name.strip() and not note.name.startswith("qualkit:"):
            text = f"{note.name.strip()}\n\n{text}" if text else note.name.strip()
        memos.add("project", "project", coder_of(refi, users, note.user_guid), text)
