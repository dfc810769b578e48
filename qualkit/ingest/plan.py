"""Ingest: read transcripts/ and participants.csv, validate everything, then plan the writes.

Nothing is written until every file has been read and every speaker resolved, so bad input
changes nothing. Re-ingesting a changed transcript re-finds each old segment's text in the new
segments: codings follow their text, and a coded segment whose text is gone is kept as
orphaned, never dropped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qualkit.errors import ProjectError
from qualkit.ingest.align import align_segments, plan_segments, revive_orphans
from qualkit.ingest.file_checks import check_transcript_file, check_transcript_id
from qualkit.ingest.participants import PARTICIPANTS_FILE, SpeakerResolver, read_participants
from qualkit.ingest.planned import IngestPlan, PlannedTranscript, PlannedTurn
from qualkit.settings import Settings
from qualkit.store import Store

Progress = Callable[[int, int, str], None]


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    segments_added: int = 0
    segments_kept: int = 0
    orphaned: int = 0
    participants: int = 0
    codings_merged: int = 0  # a moved coding the segment already had (same code and coder)
    skipped: list[str] = field(default_factory=list)  # files in transcripts/ qualkit cannot read
    revived: int = 0  # orphaned segments whose exact text came back (codings with it)

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.updated)} updated",
            f"{len(self.unchanged)} unchanged",
        ]
        if self.missing:
            parts.append(f"{len(self.missing)} missing (kept)")
        text = "transcripts: " + ", ".join(parts)
        text += f"; segments: {self.segments_added} new, {self.segments_kept} kept"
        if self.orphaned:
            text += f"; {self.orphaned} coded segment(s) orphaned (text gone; codings kept)"
        if self.revived:
            text += f"; {self.revived} orphaned segment(s) found their text again (codings back)"
        if self.codings_merged:
            text += (
                f"; {self.codings_merged} duplicate coding(s) merged where two segments' text "
                "became one (logged)"
            )
        if self.skipped:
            shown = ", ".join(self.skipped[:5]) + (", ..." if len(self.skipped) > 5 else "")
            text += (
                f"; {len(self.skipped)} file(s) not read ({shown}): qualkit reads "
                ".txt, .md, .docx, .vtt and .srt"
            )
        return text


def _hash_bytes(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
        digest.update(b"\x00")
    return digest.hexdigest()


def plan_ingest(
    root: Path, store: Store, settings: Settings, progress: Progress | None = None
) -> tuple[IngestPlan, IngestReport]:
    from qualkit.transcripts import SUPPORTED_SUFFIXES, parse_transcript

    folder = root / "transcripts"
    if not folder.is_dir():
        raise ProjectError(f"{folder}: no transcripts folder")
    report = IngestReport()

    participants_path = folder / PARTICIPANTS_FILE
    participants = None
    participants_bytes = b""
    if participants_path.exists():
        check_transcript_file(participants_path, root)
        participants = read_participants(participants_path, f"transcripts/{PARTICIPANTS_FILE}")
        participants_bytes = participants_path.read_bytes()
        report.participants = len(participants)
    resolver = SpeakerResolver(settings, participants)
    speakers_key = _hash_bytes(participants_bytes, json.dumps(settings.interviewer_labels).encode())
    ingest_key = settings.segmentation_key() + ":" + speakers_key[:16]

    visible = [
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    ]
    files = sorted(p for p in visible if p.suffix.lower() in SUPPORTED_SUFFIXES)
    # Said in the summary, not an error: a consent form or a PDF copy beside the transcripts
    # must not block ingest, but a transcript saved as .pdf or .rtf must not vanish unseen.
    report.skipped = sorted(
        p.relative_to(folder).as_posix()
        for p in visible
        if p.suffix.lower() not in SUPPORTED_SUFFIXES and p != participants_path
    )
    existing = {row.id: row for row in store.transcript_rows()}
    by_file = {row.file: row for row in existing.values()}

    planned: list[PlannedTranscript] = []
    remapped: dict[str, dict[int, tuple[str | None, bool]]] = {}
    seen_ids: dict[str, str] = {}
    for path in files:
        check_transcript_file(path, root)
    for n, path in enumerate(files):
        rel = path.relative_to(root).as_posix()
        if progress:
            progress(n, len(files), rel)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ProjectError(f"{rel}: cannot read: {exc.strerror}") from None
        content_hash = hashlib.sha256(raw).hexdigest()
        old = by_file.get(rel)
        if old is not None and old.content_hash == content_hash and not old.missing:
            seen_ids[old.id] = rel
            if old.ingest_key == ingest_key:
                report.unchanged.append(old.id)
                continue
            if old.ingest_key.split(":")[0] == settings.segmentation_key():
                # Only who-is-who changed: re-resolve speakers without re-segmenting.
                speakers_map = old.metadata.get("speakers") or {}
                remapped[old.id] = {
                    idx: resolver.resolve(speaker, speakers_map, f"{rel}: line {line}")
                    for idx, speaker, line in store.turn_speakers(old.id)
                }
                report.unchanged.append(old.id)
                continue
        # The bytes read (and hashed) above are parsed; errors name the file from the root.
        parsed = parse_transcript(raw, path, rel)
        metadata = dict(parsed.metadata)
        tid = str(metadata.get("id") or path.stem).strip()
        if not tid:
            raise ProjectError(f"{rel}: empty transcript id in the front matter")
        check_transcript_id(tid, rel)
        if old is not None and old.id != tid:
            # Codings hang off the id: a silent change would split one interview in two.
            raise ProjectError(
                f"{rel}: its transcript id changed from '{old.id}' to '{tid}'; an id "
                f"cannot change once ingested (set 'id: {old.id}' in its front matter again)"
            )
        if tid in seen_ids and seen_ids[tid] != rel:
            raise ProjectError(f"{rel}: transcript id '{tid}' is already used by {seen_ids[tid]}")
        seen_ids[tid] = rel
        if tid in existing and existing[tid].file != rel and not existing[tid].missing:
            other = existing[tid].file
            if (root / other).exists():
                raise ProjectError(f"{rel}: transcript id '{tid}' is already used by {other}")
        speakers_map = metadata.get("speakers") or {}
        if not isinstance(speakers_map, dict):
            raise ProjectError(f"{rel}: front matter 'speakers' must map labels to participants")
        turns: list[PlannedTurn] = []
        speaking = set()
        document = metadata.get("kind") == "document"
        for idx, turn in enumerate(parsed.turns):
            if document:
                # A document (paper, field notes) has no speakers; front matter may name the
                # one participant it is from.
                pid = resolver.document_participant(metadata.get("participant"), rel)
                is_interviewer = False
            else:
                pid, is_interviewer = resolver.resolve(
                    turn.speaker, speakers_map, f"{rel}: line {turn.line}"
                )
            if pid:
                speaking.add(pid)
            turns.append(
                PlannedTurn(
                    idx=idx,
                    speaker=turn.speaker,
                    participant_id=pid,
                    is_interviewer=is_interviewer,
                    start=turn.start,
                    end=turn.end,
                    line=turn.line,
                    timestamp=turn.timestamp,
                )
            )
        kind = str(metadata.get("kind") or ("focus group" if len(speaking) > 1 else "interview"))
        date = metadata.get("date")
        new_segments = plan_segments(parsed.text, turns, settings)
        prior = existing.get(tid)
        plan = PlannedTranscript(
            id=tid,
            file=rel,
            content_hash=content_hash,
            ingest_key=ingest_key,
            kind=kind,
            date=str(date) if date is not None else None,
            metadata=metadata,
            text=parsed.text,
            turns=turns,
            kept={},
            added=[],
            moved={},
            orphaned=[],
            deleted=[],
            respanned={},
        )
        if prior is None:
            plan.added = new_segments
            report.added.append(tid)
        else:
            align_segments(store, plan, store.live_segments(tid), new_segments)
            report.revived += revive_orphans(plan, store.orphaned_segments(tid))
            report.updated.append(tid)
        report.segments_added += len(plan.added)
        report.segments_kept += len(plan.kept)
        report.orphaned += len(plan.orphaned)
        planned.append(plan)
    if progress:
        progress(len(files), len(files), "")

    report.missing = [
        tid
        for tid, row in existing.items()
        if tid not in seen_ids and not row.missing and not (root / row.file).exists()
    ]
    plan = IngestPlan(
        participants=participants,
        transcripts=planned,
        remapped_turns=remapped,
        missing=report.missing,
        ingest_key=ingest_key,
    )
    return plan, report
