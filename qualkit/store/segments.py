"""Participants, transcripts, turns and segments: read them, and write a planned ingest."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from qualkit.errors import ProjectError
from qualkit.store.base import chunks, now
from qualkit.store.events import CLEARED, EventLog
from qualkit.store.rows import SegmentRow, TranscriptRow

if TYPE_CHECKING:
    from qualkit.ingest.planned import IngestPlan


_SEGMENTS = (
    "SELECT s.id AS segment_id, s.transcript_id AS transcript, s.turn, s.position, "
    "t.speaker, t.participant_id AS participant, COALESCE(t.is_interviewer, 0) "
    "AS is_interviewer, s.start, s.end, s.text, s.text_hash, s.orphaned "
    "FROM segments s LEFT JOIN turns t "
    "ON t.transcript_id = s.transcript_id AND t.idx = s.turn "
)


def _segment(r: sqlite3.Row) -> SegmentRow:
    return SegmentRow(
        segment_id=int(r["segment_id"]),
        transcript=r["transcript"],
        turn=r["turn"],
        position=r["position"],
        speaker=r["speaker"],
        participant=r["participant"],
        is_interviewer=bool(r["is_interviewer"]),
        start=r["start"],
        end=r["end"],
        text=r["text"],
        text_hash=r["text_hash"],
        orphaned=bool(r["orphaned"]),
    )


class SegmentTables(EventLog):
    def participants(self) -> dict[str, dict[str, Any]]:
        rows = self.conn.execute("SELECT id, attributes FROM participants ORDER BY id")
        return {r["id"]: json.loads(r["attributes"]) for r in rows}

    def transcript_ids(self) -> list[str]:
        """Every transcript's id, in order (without reading their texts or metadata)."""
        return [r[0] for r in self.conn.execute("SELECT id FROM transcripts ORDER BY id")]

    def transcript_rows(self) -> list[TranscriptRow]:
        return [
            TranscriptRow(
                id=r["id"],
                file=r["file"],
                content_hash=r["content_hash"],
                ingest_key=r["ingest_key"],
                kind=r["kind"],
                date=r["date"],
                metadata=json.loads(r["metadata"]),
                missing=bool(r["missing"]),
                ingested_at=r["ingested_at"],
            )
            for r in self.conn.execute(
                "SELECT id, file, content_hash, ingest_key, kind, date, metadata, missing, "
                "ingested_at FROM transcripts ORDER BY id"
            )
        ]

    def transcript_text(self, transcript_id: str) -> str:
        row = self.conn.execute(
            "SELECT text FROM transcripts WHERE id = ?", (transcript_id,)
        ).fetchone()
        if row is None:
            raise ProjectError(f"unknown transcript '{transcript_id}'")
        return row[0]

    def segment_rows(self, transcript_id: str | None = None) -> list[SegmentRow]:
        """Segments in transcript order, orphaned ones last."""
        if transcript_id is None:
            sql = _SEGMENTS + "ORDER BY s.transcript_id, s.orphaned, s.position, s.id"
            return [_segment(r) for r in self.conn.execute(sql)]
        sql = _SEGMENTS + "WHERE s.transcript_id = ? ORDER BY s.orphaned, s.position, s.id"
        return [_segment(r) for r in self.conn.execute(sql, (transcript_id,))]

    def live_segments(self, transcript_id: str) -> list[SegmentRow]:
        """The transcript's segments that are not orphaned, in order."""
        sql = _SEGMENTS + "WHERE s.transcript_id = ? AND s.orphaned = 0 ORDER BY s.position"
        return [_segment(r) for r in self.conn.execute(sql, (transcript_id,))]

    def orphaned_segments(self, transcript_id: str) -> list[SegmentRow]:
        """The transcript's orphaned segments (text gone, codings kept), oldest first."""
        sql = _SEGMENTS + "WHERE s.transcript_id = ? AND s.orphaned = 1 ORDER BY s.id"
        return [_segment(r) for r in self.conn.execute(sql, (transcript_id,))]

    def segment_row(self, segment_id: int) -> SegmentRow | None:
        row = self.conn.execute(_SEGMENTS + "WHERE s.id = ?", (segment_id,)).fetchone()
        return None if row is None else _segment(row)

    def transcript_participants(self) -> dict[str, list[str]]:
        """Transcript id -> the participants who speak in it (first turn order)."""
        found: dict[str, list[str]] = {}
        for tid, pid in self.conn.execute(
            "SELECT transcript_id, participant_id FROM turns WHERE participant_id IS NOT NULL "
            "GROUP BY transcript_id, participant_id ORDER BY transcript_id, MIN(idx)"
        ):
            found.setdefault(tid, []).append(pid)
        return found

    def turn_speakers(self, transcript_id: str) -> list[tuple[int, str, int | None]]:
        return [
            (r[0], r[1], r[2])
            for r in self.conn.execute(
                "SELECT idx, speaker, line FROM turns WHERE transcript_id = ? ORDER BY idx",
                (transcript_id,),
            )
        ]

    def codings_with_quotes(self, segment_ids: Sequence[int]) -> list[tuple[int, int, str]]:
        found: list[tuple[int, int, str]] = []
        for chunk in chunks(list(segment_ids), 500):
            marks = ",".join("?" * len(chunk))
            found.extend(
                (r[0], r[1], r[2])
                for r in self.conn.execute(
                    f"SELECT id, segment_id, quote FROM codings WHERE quote IS NOT NULL "
                    f"AND segment_id IN ({marks})",
                    chunk,
                )
            )
        return found

    def segment_ids_with_references(self, segment_ids: Sequence[int]) -> set[int]:
        """Segments that codings or memos point at: these are never deleted."""
        referenced: set[int] = set()
        for chunk in chunks(list(segment_ids), 500):
            marks = ",".join("?" * len(chunk))
            referenced.update(
                r[0]
                for r in self.conn.execute(
                    f"SELECT DISTINCT segment_id FROM codings WHERE segment_id IN ({marks})", chunk
                )
            )
            referenced.update(
                int(r[0])
                for r in self.conn.execute(
                    f"SELECT DISTINCT target FROM memos WHERE kind = 'segment' "
                    f"AND target IN ({marks})",
                    [str(s) for s in chunk],
                )
            )
        return referenced

    def write_ingest(self, plan: IngestPlan) -> list[dict[str, Any]]:
        """Apply a fully validated ingest in ONE transaction: all of it or none of it.

        Returns the codings merged into a live coding that says the same (see the event)."""
        # Every change to a coding is named in the ingest's event.
        moved: list[int] = []
        merged: list[dict[str, Any]] = []
        unchanged_people = plan.participants is None or plan.participants == self.participants()
        if unchanged_people and not (plan.transcripts or plan.remapped_turns or plan.missing):
            return merged  # nothing to write: an unchanged folder changes nothing
        with self.transaction() as c:
            if plan.participants is not None:
                c.execute("DELETE FROM participants")
                c.executemany(
                    "INSERT INTO participants(id, attributes) VALUES (?, ?)",
                    [(pid, json.dumps(attrs)) for pid, attrs in plan.participants.items()],
                )
            for tid, mapping in plan.remapped_turns.items():
                c.executemany(
                    "UPDATE turns SET participant_id = ?, is_interviewer = ? "
                    "WHERE transcript_id = ? AND idx = ?",
                    [(pid, int(inter), tid, idx) for idx, (pid, inter) in mapping.items()],
                )
                c.execute(
                    "UPDATE transcripts SET ingest_key = ? WHERE id = ?", (plan.ingest_key, tid)
                )
            for t in plan.transcripts:
                c.execute(
                    "INSERT INTO transcripts(id, file, content_hash, ingest_key, kind, date, "
                    "metadata, text, missing, ingested_at) VALUES (?,?,?,?,?,?,?,?,0,?) "
                    "ON CONFLICT(id) DO UPDATE SET file = excluded.file, "
                    "content_hash = excluded.content_hash, ingest_key = excluded.ingest_key, "
                    "kind = excluded.kind, date = excluded.date, metadata = excluded.metadata, "
                    "text = excluded.text, missing = 0, ingested_at = excluded.ingested_at",
                    (
                        t.id,
                        t.file,
                        t.content_hash,
                        t.ingest_key,
                        t.kind,
                        t.date,
                        json.dumps(t.metadata, default=str),
                        t.text,
                        now(),
                    ),
                )
                c.execute("DELETE FROM turns WHERE transcript_id = ?", (t.id,))
                c.executemany(
                    "INSERT INTO turns(transcript_id, idx, speaker, participant_id, "
                    "is_interviewer, start, end, line, timestamp) VALUES (?,?,?,?,?,?,?,?,?)",
                    [
                        (
                            t.id,
                            turn.idx,
                            turn.speaker,
                            turn.participant_id,
                            int(turn.is_interviewer),
                            turn.start,
                            turn.end,
                            turn.line,
                            turn.timestamp,
                        )
                        for turn in t.turns
                    ],
                )
                # Park live segments at negative positions so the new order can be written
                # row by row without colliding.
                c.execute(
                    "UPDATE segments SET position = -1 - position "
                    "WHERE transcript_id = ? AND orphaned = 0",
                    (t.id,),
                )
                for seg_id, seg in t.kept.items():
                    c.execute(
                        "UPDATE segments SET turn = ?, position = ?, start = ?, end = ?, "
                        "text = ?, text_hash = ?, orphaned = 0 WHERE id = ?",
                        (
                            seg.turn,
                            seg.position,
                            seg.start,
                            seg.end,
                            seg.text,
                            seg.text_hash,
                            seg_id,
                        ),
                    )
                c.executemany(
                    "INSERT INTO segments(transcript_id, turn, position, start, end, text, "
                    "text_hash) VALUES (?,?,?,?,?,?,?)",
                    [
                        (t.id, s.turn, s.position, s.start, s.end, s.text, s.text_hash)
                        for s in t.added
                    ],
                )
                for old_id, new_id in t.moved.items():
                    self._move_references(c, old_id, new_id, moved, merged)
                for seg_id in t.orphaned:
                    c.execute(
                        "UPDATE segments SET orphaned = 1, turn = NULL, position = NULL "
                        "WHERE id = ?",
                        (seg_id,),
                    )
                # A "reviewed, nothing to code" mark goes with the words it was about.
                c.executemany("DELETE FROM reviews WHERE segment_id = ?", [(s,) for s in t.deleted])
                c.executemany("DELETE FROM segments WHERE id = ?", [(s,) for s in t.deleted])
                for coding_id, span in t.respanned.items():
                    c.execute(
                        "UPDATE codings SET span_start = ?, span_end = ? WHERE id = ?",
                        (*span, coding_id),
                    )
            for tid in plan.missing:
                c.execute("UPDATE transcripts SET missing = 1 WHERE id = ?", (tid,))
            if plan.transcripts or plan.missing or moved:
                self._log(
                    c,
                    "system",
                    "ingest",
                    {
                        "transcripts": [t.id for t in plan.transcripts],
                        "missing": plan.missing,
                        "orphaned": sum(len(t.orphaned) for t in plan.transcripts),
                        # Codings whose text moved to another segment, those merged into
                        # a live coding saying the same there, and quotes re-found.
                        "codings_moved": moved,
                        "codings_merged": merged,
                        "codings_respanned": sorted(
                            cid for t in plan.transcripts for cid in t.respanned
                        ),
                    },
                    state=CLEARED,
                )
        return merged

    def _move_references(
        self,
        c: sqlite3.Connection,
        old_id: int,
        new_id: int,
        moved: list[int],
        merged: list[dict[str, Any]],
    ) -> None:
        """Point codings and memos of a segment whose text now lies in another segment there.

        A live coding that the new segment already has (same code, same coder) is merged into
        it: marked removed and recorded in `merged`, so the change is in the ingest's event.
        """
        for row in c.execute(
            "SELECT id, code_id, coder, removed FROM codings WHERE segment_id = ?", (old_id,)
        ).fetchall():
            moved.append(int(row["id"]))
            if row["removed"]:
                continue
            clash = c.execute(
                "SELECT id FROM codings WHERE segment_id = ? AND code_id = ? AND coder = ? "
                "AND removed = 0",
                (new_id, row["code_id"], row["coder"]),
            ).fetchone()
            if clash:
                c.execute("UPDATE codings SET removed = 1 WHERE id = ?", (row["id"],))
                merged.append(
                    {
                        "coding": int(row["id"]),
                        "into": int(clash["id"]),
                        "segment": new_id,
                        "code": row["code_id"],
                        "coder": row["coder"],
                    }
                )
        c.execute("UPDATE codings SET segment_id = ? WHERE segment_id = ?", (new_id, old_id))
        c.execute(
            "UPDATE OR IGNORE memos SET target = ? WHERE kind = 'segment' AND target = ?",
            (str(new_id), str(old_id)),
        )
        c.execute(
            "UPDATE OR IGNORE reviews SET segment_id = ? WHERE segment_id = ?", (new_id, old_id)
        )
        c.execute("DELETE FROM reviews WHERE segment_id = ?", (old_id,))
        c.execute("DELETE FROM segments WHERE id = ?", (old_id,))

    def remove_transcript(self, transcript_id: str, actor: str) -> dict[str, int]:
        """Delete a transcript with its turns, segments, codings, reviews, done marks and
        segment memos, in one transaction; log it (not undoable: the caller takes a backup
        first, and `qualkit restore` brings it back). Returns what was removed, by kind."""
        with self.transaction() as c:
            if not c.execute("SELECT 1 FROM transcripts WHERE id = ?", (transcript_id,)).fetchone():
                raise ProjectError(f"unknown transcript '{transcript_id}'")
            ids = [
                str(r[0])
                for r in c.execute(
                    "SELECT id FROM segments WHERE transcript_id = ?", (transcript_id,)
                )
            ]
            removed = {
                "codings": c.execute(
                    "SELECT COUNT(*) FROM codings WHERE removed = 0 AND segment_id IN "
                    "(SELECT id FROM segments WHERE transcript_id = ?)",
                    (transcript_id,),
                ).fetchone()[0],
                "segments": len(ids),
            }
            for chunk in chunks(ids, 500):
                marks = ",".join("?" * len(chunk))
                c.execute(
                    f"DELETE FROM memos WHERE kind = 'segment' AND target IN ({marks})", chunk
                )
            for table in ("codings", "reviews"):
                c.execute(
                    f"DELETE FROM {table} WHERE segment_id IN "
                    "(SELECT id FROM segments WHERE transcript_id = ?)",
                    (transcript_id,),
                )
            c.execute(
                "DELETE FROM memos WHERE kind = 'transcript' AND target = ?", (transcript_id,)
            )
            for table in ("segments", "turns", "transcript_done"):
                c.execute(f"DELETE FROM {table} WHERE transcript_id = ?", (transcript_id,))
            c.execute("DELETE FROM transcripts WHERE id = ?", (transcript_id,))
            self._log(
                c,
                actor,
                "remove-transcript",
                # counts under their own names: "segments"/"codings" in a payload list ids
                {"transcript": transcript_id, **{f"{k}_removed": n for k, n in removed.items()}},
                state=CLEARED,
            )
        return removed
