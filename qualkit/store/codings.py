"""Codings (one layer per coder), memos and done marks; undo and redo are in ``history``."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from qualkit.errors import ProjectError
from qualkit.store.base import chunks, now
from qualkit.store.events import CLEARED, EventLog
from qualkit.store.rows import Coding, CodingRow, LayerCoding, MemoRow, SegmentCoding


def _coding(r: sqlite3.Row) -> Coding:
    return Coding(
        id=int(r["id"]),
        segment_id=int(r["segment_id"]),
        code_id=r["code_id"],
        coder=r["coder"],
        created=r["created"],
        span_start=r["span_start"],
        span_end=r["span_end"],
        quote=r["quote"],
        memo=r["memo"],
        starred=bool(r["starred"]),
        source=r["source"],
        removed=bool(r["removed"]),
    )


class CodingTables(EventLog):
    def active_coding(self, segment_id: int, code_id: str, coder: str) -> Coding | None:
        row = self.conn.execute(
            "SELECT * FROM codings WHERE segment_id = ? AND code_id = ? AND coder = ? "
            "AND removed = 0",
            (segment_id, code_id, coder),
        ).fetchone()
        return None if row is None else _coding(row)

    def coding(self, coding_id: int) -> Coding | None:
        row = self.conn.execute("SELECT * FROM codings WHERE id = ?", (coding_id,)).fetchone()
        return None if row is None else _coding(row)

    def add_codings(
        self, rows: Sequence[dict[str, Any]], coder: str, action: str = "code"
    ) -> list[int]:
        """Insert codings and log them as ONE undoable action; returns one id per row."""
        return self.insert_codings(rows, coder, action)[0]

    def insert_codings(
        self, rows: Sequence[dict[str, Any]], coder: str, action: str = "code"
    ) -> tuple[list[int], list[int]]:
        """Insert codings as one undoable action: (one id per row, the ids newly added).

        A row whose segment already has that code in the coder's layer keeps the live coding
        (its id is returned). The check runs inside the write transaction, so two processes of
        the same coder cannot both insert it.
        """
        ids: list[int] = []
        added: list[int] = []
        with self.transaction() as c:
            for r in rows:
                live = c.execute(
                    "SELECT id FROM codings WHERE segment_id = ? AND code_id = ? AND coder = ? "
                    "AND removed = 0",
                    (r["segment_id"], r["code_id"], coder),
                ).fetchone()
                if live is not None:
                    ids.append(int(live[0]))
                    continue
                cur = c.execute(
                    "INSERT INTO codings(segment_id, code_id, coder, created, span_start, "
                    "span_end, quote, memo, source) VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        r["segment_id"],
                        r["code_id"],
                        coder,
                        now(),
                        r.get("span_start"),
                        r.get("span_end"),
                        r.get("quote"),
                        r.get("memo"),
                        r.get("source", "manual"),
                    ),
                )
                ids.append(int(cur.lastrowid))
                added.append(ids[-1])
            if added:
                self._log(c, coder, action, {"codings": added})
        return ids, added

    def _live_coding_id(
        self, c: sqlite3.Connection, segment_id: int, code_id: str, coder: str
    ) -> int:
        row = c.execute(
            "SELECT id FROM codings WHERE segment_id = ? AND code_id = ? AND coder = ? "
            "AND removed = 0",
            (segment_id, code_id, coder),
        ).fetchone()
        if row is None:
            raise ProjectError(f"segment {segment_id} has no code '{code_id}' by {coder}")
        return int(row[0])

    def remove_coding(
        self, segment_id: int, code_id: str, coder: str, action: str = "uncode"
    ) -> int:
        """Remove the coder's live coding of a segment with a code (an undoable event)."""
        with self.transaction() as c:
            coding_id = self._live_coding_id(c, segment_id, code_id, coder)
            c.execute("UPDATE codings SET removed = 1 WHERE id = ?", (coding_id,))
            self._log(c, coder, action, {"codings": [coding_id]})
        return coding_id

    def set_removed(self, coding_ids: Sequence[int], coder: str, action: str) -> None:
        with self.transaction() as c:
            c.executemany("UPDATE codings SET removed = 1 WHERE id = ?", [(i,) for i in coding_ids])
            self._log(c, coder, action, {"codings": list(coding_ids)})

    def change_coding(
        self, segment_id: int, code_id: str, coder: str, action: str, **fields: Any
    ) -> None:
        """Change fields (starred, memo) of the coder's live coding; logged unless unchanged."""
        with self.transaction() as c:
            coding_id = self._live_coding_id(c, segment_id, code_id, coder)
            self._update_fields(c, coding_id, coder, action, fields)

    def update_coding(self, coding_id: int, coder: str, action: str, **fields: Any) -> None:
        with self.transaction() as c:
            self._update_fields(c, coding_id, coder, action, fields)

    def _update_fields(
        self, c: sqlite3.Connection, coding_id: int, coder: str, action: str, fields: dict
    ) -> None:
        row = c.execute("SELECT * FROM codings WHERE id = ?", (coding_id,)).fetchone()
        if row is None:
            raise ProjectError(f"unknown coding id {coding_id}")
        before = {k: row[k] for k in fields}
        if before == fields:
            return
        sets = ", ".join(f"{k} = ?" for k in fields)
        c.execute(f"UPDATE codings SET {sets} WHERE id = ?", (*fields.values(), coding_id))
        self._log(c, coder, action, {"coding": coding_id, "before": before, "after": fields})

    def codings_per_coder(self) -> dict[str, int]:
        """Live codings per coder, counted in the database (the codings_by_coder index)."""
        return {
            coder: int(n)
            for coder, n in self.conn.execute(
                "SELECT coder, COUNT(*) FROM codings WHERE removed = 0 GROUP BY coder"
            )
        }

    def codings_rows(
        self,
        coder: str | None = None,
        include_removed: bool = False,
        transcript: str | None = None,
    ) -> list[CodingRow]:
        sql = (
            "SELECT c.id AS coding_id, c.segment_id, s.transcript_id AS transcript, "
            "t.participant_id AS participant, t.speaker, c.code_id AS code, c.coder, c.created, "
            "c.starred, c.memo, c.span_start, c.span_end, c.quote, c.source, c.removed, "
            "s.orphaned, s.text FROM codings c JOIN segments s ON s.id = c.segment_id "
            "LEFT JOIN turns t ON t.transcript_id = s.transcript_id AND t.idx = s.turn WHERE 1=1 "
        )
        args: list[Any] = []
        if coder is not None:
            # With a transcript, the unary + keeps SQLite from walking the coder's index (every
            # coding of theirs: 0.4 s at 1,000,000 segments) instead of the transcript's.
            sql += "AND +c.coder = ? " if transcript is not None else "AND c.coder = ? "
            args.append(coder)
        if transcript is not None:
            sql += "AND s.transcript_id = ? "
            args.append(transcript)
        if not include_removed:
            sql += "AND c.removed = 0 "
        sql += "ORDER BY s.transcript_id, s.position, c.id"
        return [
            CodingRow(
                **{
                    **dict(r),
                    "starred": bool(r["starred"]),
                    "removed": bool(r["removed"]),
                    "orphaned": bool(r["orphaned"]),
                }
            )
            for r in self.conn.execute(sql, args)
        ]

    def layer_codings(self, coder: str, with_text: bool = True) -> list[LayerCoding]:
        """One coder's live codings with what exports need: the segment's place, words and
        speaker, in transcript order (orphaned segments included, flagged). Without text,
        the words columns (memo, quote, text) are NULL: counting needs none of them."""
        memo, quote, text = ("c.memo", "c.quote", "s.text") if with_text else ("NULL",) * 3
        rows = self.conn.execute(
            "SELECT c.id AS coding_id, c.segment_id, c.code_id AS code, c.starred, "
            f"{memo} AS memo, c.span_start, c.span_end, {quote} AS quote, "
            f"s.transcript_id AS transcript, s.turn, s.position, {text} AS text, s.text_hash, "
            "s.orphaned, "
            "t.participant_id AS participant, t.speaker "
            "FROM codings c JOIN segments s ON s.id = c.segment_id "
            "LEFT JOIN turns t ON t.transcript_id = s.transcript_id AND t.idx = s.turn "
            "WHERE c.coder = ? AND c.removed = 0 ORDER BY s.transcript_id, s.position, c.id",
            (coder,),
        )
        return [
            LayerCoding(
                **{**dict(r), "starred": bool(r["starred"]), "orphaned": bool(r["orphaned"])}
            )
            for r in rows
        ]

    def set_coding_span(
        self, coding_id: int, coder: str, span: tuple[int, int] | None, quote: str | None
    ) -> None:
        """Store (or clear) the trimmed quote of a coding as one undoable action."""
        start, end = span if span is not None else (None, None)
        self.update_coding(coding_id, coder, "span", span_start=start, span_end=end, quote=quote)

    def segment_codings(self, segment_id: int) -> list[SegmentCoding]:
        return [
            SegmentCoding(r[0], r[1], r[2], bool(r[3]), r[4], r[5])
            for r in self.conn.execute(
                "SELECT id, code_id, coder, starred, memo, quote FROM codings "
                "WHERE segment_id = ? AND removed = 0 ORDER BY id",
                (segment_id,),
            )
        ]

    def code_usage(self, coder: str | None = None) -> dict[str, int]:
        """Live codings per code id (all coders, or one)."""
        sql = "SELECT code_id, COUNT(*) FROM codings WHERE removed = 0"
        args: tuple = ()
        if coder is not None:
            sql += " AND coder = ?"
            args = (coder,)
        return dict(self.conn.execute(sql + " GROUP BY code_id", args).fetchall())

    def coded_segments_by_code(self, coder: str | None = None) -> dict[str, set[int]]:
        """Code id -> the segments coded with it, from live codings on live text (all coders, or
        one): what the codebook's rolled-up counts are made of.

        Read from the partial index of live codings, which holds (segment, code, coder) itself:
        joining each coding to its segment row for the orphaned flag cost twice as long at
        1,000,000 codings, and orphaned segments are few, so they are left out by id instead.
        """
        sql = (
            "SELECT segment_id, code_id FROM codings INDEXED BY codings_active "
            "WHERE removed = 0 AND segment_id NOT IN (SELECT id FROM segments WHERE orphaned = 1)"
        )
        args: tuple = ()
        if coder is not None:
            sql += " AND coder = ?"
            args = (coder,)
        by_code: dict[str, set[int]] = {}
        for segment_id, code_id in self.conn.execute(sql, args):
            segments = by_code.get(code_id)
            if segments is None:
                segments = by_code[code_id] = set()
            segments.add(segment_id)
        return by_code

    def coded_pairs(
        self, coder: str | None = None, transcripts: Sequence[str] | None = None
    ) -> list[tuple[int, str, str]]:
        """(segment id, code id, coder) of every live coding on live text (all coders, or one;
        all transcripts, or these)."""
        sql = (
            "SELECT c.segment_id, c.code_id, c.coder FROM codings c "
            "JOIN segments s ON s.id = c.segment_id WHERE c.removed = 0 AND s.orphaned = 0"
        )
        args: tuple = ()
        if coder is not None:
            sql += " AND c.coder = ?"
            args = (coder,)
        if transcripts is None:
            return [(int(r[0]), str(r[1]), str(r[2])) for r in self.conn.execute(sql, args)]
        found = []
        for chunk in chunks(list(transcripts), 900):
            marks = ",".join("?" * len(chunk))
            found += [
                (int(r[0]), str(r[1]), str(r[2]))
                for r in self.conn.execute(
                    f"{sql} AND s.transcript_id IN ({marks})", (*args, *chunk)
                )
            ]
        return found

    def review_pairs(self, transcripts: Sequence[str] | None = None) -> list[tuple[int, str]]:
        """(segment id, coder) of every reviewed mark (in all transcripts, or these)."""
        if transcripts is None:
            return [
                (int(r[0]), str(r[1]))
                for r in self.conn.execute("SELECT segment_id, coder FROM reviews")
            ]
        found = []
        for chunk in chunks(list(transcripts), 900):
            marks = ",".join("?" * len(chunk))
            found += [
                (int(r[0]), str(r[1]))
                for r in self.conn.execute(
                    "SELECT r.segment_id, r.coder FROM reviews r JOIN segments s "
                    f"ON s.id = r.segment_id WHERE s.transcript_id IN ({marks})",
                    chunk,
                )
            ]
        return found

    def coded_unit_counts(self) -> dict[tuple[str, str], int]:
        """(transcript, coder) -> number of live coding units with at least one code."""
        return {
            (r[0], r[1]): r[2]
            for r in self.conn.execute(
                "SELECT s.transcript_id, c.coder, COUNT(DISTINCT s.id) FROM codings c "
                "JOIN segments s ON s.id = c.segment_id WHERE c.removed = 0 AND s.orphaned = 0 "
                "GROUP BY s.transcript_id, c.coder"
            )
        }

    def coded_or_reviewed_counts(self) -> dict[tuple[str, str], int]:
        """(transcript, coder) -> live units coded or marked reviewed (nothing to code)."""
        return {
            (r[0], r[1]): r[2]
            for r in self.conn.execute(
                "SELECT s.transcript_id, x.coder, COUNT(DISTINCT s.id) FROM ("
                "SELECT segment_id, coder FROM codings WHERE removed = 0 "
                "UNION SELECT segment_id, coder FROM reviews) x "
                "JOIN segments s ON s.id = x.segment_id WHERE s.orphaned = 0 "
                "GROUP BY s.transcript_id, x.coder"
            )
        }

    def reviewed_segments(self, coder: str, transcript: str | None = None) -> set[int]:
        sql = "SELECT r.segment_id FROM reviews r"
        args: tuple = (coder,)
        if transcript is not None:
            sql += (
                " JOIN segments s ON s.id = r.segment_id WHERE r.coder = ? AND s.transcript_id = ?"
            )
            args = (coder, transcript)
        else:
            sql += " WHERE r.coder = ?"
        return {row[0] for row in self.conn.execute(sql, args)}

    def set_reviewed(self, segment_ids: Sequence[int], coder: str, reviewed: bool) -> None:
        """Mark segments reviewed by the coder (nothing to code), or clear the mark; undoable."""
        with self.transaction() as c:
            self._write_reviews(c, segment_ids, coder, reviewed)
            self._log(
                c,
                coder,
                "review" if reviewed else "unreview",
                {"segments": list(segment_ids), "coder": coder},
            )

    def _write_reviews(
        self, c: sqlite3.Connection, segment_ids: Sequence[int], coder: str, reviewed: bool
    ) -> None:
        if reviewed:
            c.executemany(
                "INSERT OR IGNORE INTO reviews(segment_id, coder, time) VALUES (?,?,?)",
                [(s, coder, now()) for s in segment_ids],
            )
        else:
            c.executemany(
                "DELETE FROM reviews WHERE segment_id = ? AND coder = ?",
                [(s, coder) for s in segment_ids],
            )

    def coders(self) -> list[str]:
        return [
            r[0] for r in self.conn.execute("SELECT DISTINCT coder FROM codings ORDER BY coder")
        ]

    def recode(self, source: str, target: str, actor: str, action: str) -> int:
        """Re-point every coding of code `source` to `target` (merge / delete-with-remap)."""
        with self.transaction() as c:
            moved = []
            merged = []
            for row in c.execute(
                "SELECT id, segment_id, coder, removed FROM codings WHERE code_id = ?", (source,)
            ).fetchall():
                clash = (
                    row["removed"] == 0
                    and c.execute(
                        "SELECT 1 FROM codings WHERE segment_id = ? AND code_id = ? AND coder = ? "
                        "AND removed = 0",
                        (row["segment_id"], target, row["coder"]),
                    ).fetchone()
                )
                if clash:
                    # Two live codings would say the same thing: keep one, and say so.
                    c.execute("UPDATE codings SET removed = 1 WHERE id = ?", (row["id"],))
                    merged.append(row["id"])
                c.execute("UPDATE codings SET code_id = ? WHERE id = ?", (target, row["id"]))
                moved.append(row["id"])
            c.execute(
                "UPDATE OR IGNORE memos SET target = ? WHERE kind = 'code' AND target = ?",
                (target, source),
            )
            self._log(
                c,
                actor,
                action,
                {"from": source, "to": target, "codings": moved, "merged": merged},
                state=CLEARED,
            )
        return len(moved)

    def memo(self, kind: str, target: str, coder: str) -> str | None:
        row = self.conn.execute(
            "SELECT text FROM memos WHERE kind = ? AND target = ? AND coder = ?",
            (kind, target, coder),
        ).fetchone()
        return row[0] if row else None

    def set_memo(self, kind: str, target: str, coder: str, text: str) -> None:
        before = self.memo(kind, target, coder)
        with self.transaction() as c:
            self._write_memo(c, kind, target, coder, text)
            self._log(
                c,
                coder,
                "memo",
                {"kind": kind, "target": target, "coder": coder, "before": before, "after": text},
            )

    def _write_memo(
        self, c: sqlite3.Connection, kind: str, target: str, coder: str, text: str | None
    ) -> None:
        if not text:
            c.execute(
                "DELETE FROM memos WHERE kind = ? AND target = ? AND coder = ?",
                (kind, target, coder),
            )
            return
        c.execute(
            "INSERT INTO memos(kind, target, coder, text, updated) VALUES (?,?,?,?,?) "
            "ON CONFLICT(kind, target, coder) DO UPDATE SET text = excluded.text, "
            "updated = excluded.updated",
            (kind, target, coder, text, now()),
        )

    def memo_targets(self, kind: str, coder: str) -> set[str]:
        """What this coder has a memo on, of one kind (segment ids as text, codes, ...)."""
        rows = self.conn.execute(
            "SELECT target FROM memos WHERE kind = ? AND coder = ?", (kind, coder)
        )
        return {r[0] for r in rows}

    def memo_rows(self) -> list[MemoRow]:
        return [
            MemoRow(*r)
            for r in self.conn.execute(
                "SELECT kind, target, coder, text, updated FROM memos ORDER BY kind, target, coder"
            )
        ]

    def set_done(self, transcript_id: str, coder: str, done: bool) -> None:
        with self.transaction() as c:
            if done:
                c.execute(
                    "INSERT OR REPLACE INTO transcript_done(transcript_id, coder, time) "
                    "VALUES (?,?,?)",
                    (transcript_id, coder, now()),
                )
            else:
                c.execute(
                    "DELETE FROM transcript_done WHERE transcript_id = ? AND coder = ?",
                    (transcript_id, coder),
                )
            self._log(
                c,
                coder,
                "done" if done else "not-done",
                {"transcript": transcript_id},
                state=CLEARED,
            )

    def done_marks(self) -> set[tuple[str, str]]:
        return {
            (r[0], r[1])
            for r in self.conn.execute("SELECT transcript_id, coder FROM transcript_done")
        }
