"""Ingest: read transcripts/ and participants.csv, validate everything, then plan the writes.

Nothing is written until every file has been read and every speaker resolved, so bad input
changes nothing. Re-ingesting a changed transcript re-finds each old segment's text in the new
segments: codings follow their text, and a coded segment whose text is gone is kept as
orphaned, never dropped.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualkit.errors import ProjectError, QualkitError, TranscriptError
from qualkit.ingest.segmentation import split_turns, text_hash
from qualkit.settings import Settings
from qualkit.store import IngestPlan, PlannedSegment, PlannedTranscript, Store

PARTICIPANTS_FILE = "participants.csv"
Progress = Callable[[int, int, str], None]

# Alignment: an old segment keeps its id in a new segment whose text is this similar.
MATCH_RATIO = 0.6
# Within a changed block, compare each old segment only with new ones this near (keeps a large
# edit from becoming a quadratic scan).
MATCH_WINDOW = 25


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
        if self.codings_merged:
            text += (
                f"; {self.codings_merged} duplicate coding(s) merged where two segments' text "
                "became one (logged)"
            )
        return text


def decode_table(data: bytes, shown: str) -> str:
    """A CSV table's text, decoded like a transcript (BOM, UTF-8, UTF-16, Windows-1252)."""
    from qualkit.transcripts import decode_bytes

    try:
        return decode_bytes(data, Path(shown))
    except QualkitError as exc:
        # The transcript reader words it for transcripts and names the file its own way.
        reason = str(exc).split(": ", 1)[-1].replace("text transcript", "text CSV file")
        raise ProjectError(f"{shown}: {reason}") from None


def read_participants(path: Path, shown: str) -> dict[str, dict[str, Any]]:
    """participants.csv: `participant_id` plus any attribute columns."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProjectError(f"{shown}: cannot read: {exc.strerror}") from None
    text = decode_table(data, shown)
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ProjectError(f"{shown}: line {reader.line_num}: malformed CSV: {exc}") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise ProjectError(f"{shown}: empty file; expected a header with 'participant_id'")
    header = [h.strip() for h in rows[0]]
    if "participant_id" not in header:
        raise ProjectError(
            f"{shown}: line 1: no 'participant_id' column (found: {', '.join(header)})"
        )
    if len(set(header)) != len(header):
        raise ProjectError(f"{shown}: line 1: duplicate column names")
    key = header.index("participant_id")
    participants: dict[str, dict[str, Any]] = {}
    for line_no, row in enumerate(rows[1:], start=2):
        if len(row) > len(header):
            raise ProjectError(
                f"{shown}: line {line_no}: {len(row)} values but {len(header)} columns"
            )
        row = row + [""] * (len(header) - len(row))
        pid = row[key].strip()
        if not pid:
            raise ProjectError(f"{shown}: line {line_no}: empty participant_id")
        if pid in participants:
            raise ProjectError(f"{shown}: line {line_no}: duplicate participant_id '{pid}'")
        participants[pid] = {
            h: v.strip() for i, (h, v) in enumerate(zip(header, row, strict=True)) if i != key
        }
    return participants


def read_codings_csv(text: str, shown: str, raw: bytes) -> list[tuple[int, int, str, str]]:
    """Rows of `segment_id,code[,memo]` as (line, segment_id, code, memo); errors name the line."""
    if b"\x00" in raw and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ProjectError(f"{shown}: not a text CSV file (binary content)")
    reader = csv.reader(io.StringIO(text))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ProjectError(f"{shown}: line {reader.line_num}: malformed CSV: {exc}") from None
    if not rows or not any(c.strip() for c in rows[0]):
        raise ProjectError(f"{shown}: empty file; expected columns segment_id,code[,memo]")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in ("segment_id", "code") if c not in header]
    if missing:
        raise ProjectError(
            f"{shown}: line 1: missing column(s) {', '.join(missing)} (found: {', '.join(header)})"
        )
    seg_col, code_col = header.index("segment_id"), header.index("code")
    memo_col = header.index("memo") if "memo" in header else None
    parsed = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ProjectError(f"{shown}: line {line}: {len(row)} values but {len(header)} columns")
        try:
            segment_id = int(row[seg_col].strip())
        except ValueError:
            raise ProjectError(
                f"{shown}: line {line}: segment_id '{row[seg_col]}' is not a whole number"
            ) from None
        code = row[code_col].strip()
        if not code:
            raise ProjectError(f"{shown}: line {line}: empty code")
        memo = row[memo_col].strip() if memo_col is not None else ""
        parsed.append((line, segment_id, code, memo))
    return parsed


class SpeakerResolver:
    """Speaker label -> (participant id or None for the interviewer, is_interviewer)."""

    def __init__(self, settings: Settings, participants: dict[str, dict[str, Any]] | None):
        self.settings = settings
        self.participants = participants
        self._by_folded = {pid.casefold(): pid for pid in participants or {}}

    def resolve(
        self, label: str, speakers_map: dict[str, Any], where: str
    ) -> tuple[str | None, bool]:
        mapped = _lookup(speakers_map, label)
        if mapped is not None:
            target = str(mapped).strip()
            if target.casefold() == "interviewer":
                return None, True
            if self.participants is not None and target not in self.participants:
                raise ProjectError(
                    f"{where}: speaker '{label}' maps to participant '{target}', which is not "
                    f"in transcripts/{PARTICIPANTS_FILE}"
                )
            return target, False
        if self.settings.is_interviewer_label(label):
            return None, True
        if self.participants is None:
            return label, False
        pid = self._by_folded.get(label.casefold())
        if pid is not None:
            return pid, False
        raise ProjectError(
            f"{where}: unknown speaker '{label}': add it to the front matter 'speakers:' map "
            f"or to transcripts/{PARTICIPANTS_FILE}"
        )


def _lookup(mapping: dict[str, Any], label: str) -> Any:
    if label in mapping:
        return mapping[label]
    folded = label.casefold()
    for key, value in mapping.items():
        if str(key).casefold() == folded:
            return value
    return None


def _hash_bytes(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
        digest.update(b"\x00")
    return digest.hexdigest()


def plan_ingest(
    root: Path, store: Store, settings: Settings, progress: Progress | None = None
) -> tuple[IngestPlan, IngestReport]:
    from qualkit.transcripts import SUPPORTED_SUFFIXES, read_transcript

    folder = root / "transcripts"
    if not folder.is_dir():
        raise ProjectError(f"{folder}: no transcripts folder")
    report = IngestReport()

    participants_path = folder / PARTICIPANTS_FILE
    participants = None
    participants_bytes = b""
    if participants_path.exists():
        participants = read_participants(participants_path, f"transcripts/{PARTICIPANTS_FILE}")
        participants_bytes = participants_path.read_bytes()
        report.participants = len(participants)
    resolver = SpeakerResolver(settings, participants)
    speakers_key = _hash_bytes(participants_bytes, json.dumps(settings.interviewer_labels).encode())
    ingest_key = settings.segmentation_key() + ":" + speakers_key[:16]

    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() in SUPPORTED_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    existing = {row["id"]: row for row in store.transcript_rows()}
    by_file = {row["file"]: row for row in existing.values()}

    planned: list[PlannedTranscript] = []
    remapped: dict[str, dict[int, tuple[str | None, bool]]] = {}
    seen_ids: dict[str, str] = {}
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
        if old is not None and old["content_hash"] == content_hash and not old["missing"]:
            seen_ids[old["id"]] = rel
            if old["ingest_key"] == ingest_key:
                report.unchanged.append(old["id"])
                continue
            if old["ingest_key"].split(":")[0] == settings.segmentation_key():
                # Only who-is-who changed: re-resolve speakers without re-segmenting.
                metadata = json.loads(old["metadata"])
                speakers_map = metadata.get("speakers") or {}
                remapped[old["id"]] = {
                    idx: resolver.resolve(speaker, speakers_map, f"{rel}: line {line}")
                    for idx, speaker, line in store.turn_speakers(old["id"])
                }
                report.unchanged.append(old["id"])
                continue
        try:
            parsed = read_transcript(path)
        except TranscriptError as exc:
            message = str(exc)
            # The parser names the file as it was given; name it from the project root.
            for shown in (str(path), path.name):
                if message.startswith(shown + ":"):
                    message = message[len(shown) + 1 :].lstrip()
                    break
            message = f"{rel}: {message}"
            raise TranscriptError(message) from None
        metadata = dict(parsed.metadata)
        tid = str(metadata.get("id") or path.stem).strip()
        if not tid:
            raise ProjectError(f"{rel}: empty transcript id in the front matter")
        if old is not None and old["id"] != tid:
            # Codings hang off the id: a silent change would split one interview in two.
            raise ProjectError(
                f"{rel}: its transcript id changed from '{old['id']}' to '{tid}'; an id "
                f"cannot change once ingested (set 'id: {old['id']}' in its front matter again)"
            )
        if tid in seen_ids and seen_ids[tid] != rel:
            raise ProjectError(f"{rel}: transcript id '{tid}' is already used by {seen_ids[tid]}")
        seen_ids[tid] = rel
        if tid in existing and existing[tid]["file"] != rel and not existing[tid]["missing"]:
            other = existing[tid]["file"]
            if (root / other).exists():
                raise ProjectError(f"{rel}: transcript id '{tid}' is already used by {other}")
        speakers_map = metadata.get("speakers") or {}
        if not isinstance(speakers_map, dict):
            raise ProjectError(f"{rel}: front matter 'speakers' must map labels to participants")
        turns = []
        speaking = set()
        for idx, turn in enumerate(parsed.turns):
            pid, is_interviewer = resolver.resolve(
                turn.speaker, speakers_map, f"{rel}: line {turn.line}"
            )
            if pid:
                speaking.add(pid)
            turns.append(
                (
                    idx,
                    turn.speaker,
                    pid,
                    int(is_interviewer),
                    turn.start,
                    turn.end,
                    turn.line,
                    turn.timestamp,
                )
            )
        kind = str(metadata.get("kind") or ("focus group" if len(speaking) > 1 else "interview"))
        date = metadata.get("date")
        new_segments = _segments_for(parsed.text, turns, settings)
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
            _align(store, plan, store.live_segments(tid), new_segments)
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
        if tid not in seen_ids and not row["missing"] and not (root / row["file"]).exists()
    ]
    plan = IngestPlan(
        participants=participants,
        transcripts=planned,
        remapped_turns=remapped,
        missing=report.missing,
        ingest_key=ingest_key,
    )
    return plan, report


def _segments_for(text: str, turns: list[tuple], settings: Settings) -> list[PlannedSegment]:
    spans_per_turn = split_turns(
        text, [(t[4], t[5]) for t in turns], settings.max_words, settings.segmentation
    )
    segments: list[PlannedSegment] = []
    for turn, spans in zip(turns, spans_per_turn, strict=True):
        is_interviewer = turn[3]
        # The interviewer's words stay whole: they are context, not coding units.
        if is_interviewer and len(spans) > 1:
            spans = [type(spans[0])(spans[0].start, spans[-1].end)]
        for span in spans:
            words = text[span.start : span.end]
            segments.append(
                PlannedSegment(
                    turn[0], len(segments), span.start, span.end, words, text_hash(words)
                )
            )
    return segments


def _align(store: Store, plan: PlannedTranscript, old: list, new: list[PlannedSegment]) -> None:
    """Decide, for each old segment, which new segment now holds its text."""
    owner: dict[int, int] = {}  # new index -> old segment id that keeps its id there
    matched_old: set[int] = set()
    matcher = difflib.SequenceMatcher(
        None, [o["text_hash"] for o in old], [n.text_hash for n in new], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                owner[j1 + k] = old[i1 + k]["id"]
                matched_old.add(old[i1 + k]["id"])
            continue
        if tag == "insert":
            continue
        for i in range(i1, i2):
            best = _best_match(old[i]["text"], new, j1, j2, i - i1, i2 - i1)
            if best is None:
                continue
            matched_old.add(old[i]["id"])
            if best in owner:
                plan.moved[old[i]["id"]] = owner[best]
            else:
                owner[best] = old[i]["id"]
    for j, seg in enumerate(new):
        if j in owner:
            plan.kept[owner[j]] = seg
        else:
            plan.added.append(seg)
    unmatched = [o["id"] for o in old if o["id"] not in matched_old]
    referenced = store.segment_ids_with_references(unmatched)
    plan.orphaned = [s for s in unmatched if s in referenced]
    plan.deleted = [s for s in unmatched if s not in referenced]
    # Quotes (exact sub-spans) follow their words inside the segment that now holds them.
    old_hash = {o["id"]: o["text_hash"] for o in old}
    changed = {sid: seg.text for sid, seg in plan.kept.items() if seg.text_hash != old_hash[sid]}
    targets = dict(changed)
    for old_id, new_owner in plan.moved.items():
        targets[old_id] = plan.kept[new_owner].text
    for coding_id, segment_id, quote in store.codings_with_quotes(list(targets)):
        where = targets[segment_id].find(quote)
        plan.respanned[coding_id] = (where, where + len(quote)) if where >= 0 else (None, None)


def _best_match(
    text: str, new: list[PlannedSegment], j1: int, j2: int, offset: int, block_len: int
) -> int | None:
    """Index of the new segment (in j1..j2) that best holds `text`, or None."""
    centre = j1 + round(offset * (j2 - j1) / max(block_len, 1))
    lo, hi = max(j1, centre - MATCH_WINDOW), min(j2, centre + MATCH_WINDOW + 1)
    best, best_score = None, 0.0
    folded = " ".join(text.split())
    for j in range(lo, hi):
        candidate = " ".join(new[j].text.split())
        if folded and (folded in candidate or candidate in folded):
            score = 1.0 + min(len(folded), len(candidate)) / max(len(folded), len(candidate))
        else:
            sm = difflib.SequenceMatcher(None, folded, candidate, autojunk=False)
            if sm.real_quick_ratio() < MATCH_RATIO or sm.quick_ratio() < MATCH_RATIO:
                continue
            score = sm.ratio()
            if score < MATCH_RATIO:
                continue
        if score > best_score:
            best, best_score = j, score
    return best
