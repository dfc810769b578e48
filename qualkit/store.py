"""The project database: SQLite schema, migrations, transactions, backups.

All SQL in qualkit lives here, so that a server-backed store can replace this one later.

Connection policy (DESIGN.md "Storage discipline"): foreign keys on, WAL journal,
synchronous=FULL (a coding acknowledged to the user survives a kill -9 or power loss), a busy
timeout of several seconds, and one short ``BEGIN IMMEDIATE ... COMMIT`` per user action.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from qualkit.errors import ProjectError

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 8000
BACKUPS_KEPT = 10

# Event states: an action can be undone (0 -> 1) and redone (1 -> 0); a new action by the same
# coder clears that coder's redo stack (1 -> 2). Actions that cannot be undone start at 2.
DONE, UNDONE, CLEARED = 0, 1, 2

_SCHEMA_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE participants (
    id TEXT PRIMARY KEY,
    attributes TEXT NOT NULL            -- JSON object: group, service, role, ...
);
CREATE TABLE transcripts (
    id TEXT PRIMARY KEY,
    file TEXT NOT NULL UNIQUE,          -- path relative to the project root
    content_hash TEXT NOT NULL,
    ingest_key TEXT NOT NULL,           -- hash of the settings that shaped its segments
    kind TEXT NOT NULL,
    date TEXT,
    metadata TEXT NOT NULL,             -- JSON front matter
    text TEXT NOT NULL,                 -- normalised text: all offsets index into it
    missing INTEGER NOT NULL DEFAULT 0, -- the file has gone from transcripts/ (kept, not dropped)
    ingested_at TEXT NOT NULL
);
CREATE TABLE turns (
    transcript_id TEXT NOT NULL REFERENCES transcripts(id),
    idx INTEGER NOT NULL,
    speaker TEXT NOT NULL,
    participant_id TEXT,                -- NULL for the interviewer
    is_interviewer INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    line INTEGER,
    timestamp TEXT,
    PRIMARY KEY (transcript_id, idx)
) WITHOUT ROWID;
CREATE TABLE segments (
    id INTEGER PRIMARY KEY,             -- stable: kept when re-ingest re-finds the text
    transcript_id TEXT NOT NULL REFERENCES transcripts(id),
    turn INTEGER,                       -- NULL when orphaned
    position INTEGER,                   -- order in the transcript, NULL when orphaned
    start INTEGER,
    end INTEGER,
    text TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    orphaned INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX segments_by_transcript ON segments (transcript_id, position);
CREATE INDEX segments_by_hash ON segments (text_hash);
CREATE TABLE codings (
    id INTEGER PRIMARY KEY,
    segment_id INTEGER NOT NULL REFERENCES segments(id),
    code_id TEXT NOT NULL,
    coder TEXT NOT NULL,
    created TEXT NOT NULL,
    span_start INTEGER,                 -- optional exact quote: offsets within the segment text
    span_end INTEGER,
    quote TEXT,
    memo TEXT,
    starred INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL DEFAULT 'manual',
    removed INTEGER NOT NULL DEFAULT 0  -- removal is an event, never a DELETE
);
CREATE UNIQUE INDEX codings_active ON codings (segment_id, code_id, coder) WHERE removed = 0;
CREATE INDEX codings_by_coder ON codings (coder, removed);
CREATE TABLE memos (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('segment', 'code', 'transcript', 'project')),
    target TEXT NOT NULL,
    coder TEXT NOT NULL,
    text TEXT NOT NULL,
    updated TEXT NOT NULL,
    UNIQUE (kind, target, coder)
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    coder TEXT NOT NULL,
    action TEXT NOT NULL,
    payload TEXT NOT NULL,              -- JSON
    state INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_by_coder ON events (coder, state);
CREATE TABLE transcript_done (
    transcript_id TEXT NOT NULL REFERENCES transcripts(id),
    coder TEXT NOT NULL,
    time TEXT NOT NULL,
    PRIMARY KEY (transcript_id, coder)
) WITHOUT ROWID;
CREATE TABLE embeddings (
    model_id TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,               -- float32, little endian
    PRIMARY KEY (model_id, text_hash)
) WITHOUT ROWID;
CREATE TABLE suggestion_log (
    id INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    coder TEXT NOT NULL,
    segment_id INTEGER NOT NULL,
    code_id TEXT NOT NULL,
    score REAL,
    rank INTEGER,
    accepted INTEGER NOT NULL
);
"""

MIGRATIONS: dict[int, str] = {1: _SCHEMA_V1}


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Event:
    id: int
    time: str
    coder: str
    action: str
    payload: dict[str, Any]
    state: int


class Store:
    """One project's SQLite database."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = Path(path)
        # The TUI's background workers share this connection: one writer at a time.
        self._lock = threading.RLock()
        if not self.path.exists() and not create:
            raise ProjectError(f"{self.path}: no project database (run 'qualkit init')")
        try:
            self.conn = sqlite3.connect(
                self.path,
                isolation_level=None,
                timeout=BUSY_TIMEOUT_MS / 1000,
                check_same_thread=False,
            )
            self.conn.row_factory = sqlite3.Row
            self._configure()
            self._check_integrity()
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise ProjectError(f"{self.path}: cannot open the project database: {exc}") from None

    # -- connection --------------------------------------------------------------------------

    def _configure(self) -> None:
        c = self.conn
        c.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        c.execute("PRAGMA foreign_keys = ON")
        mode = c.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise ProjectError(f"{self.path}: cannot switch the database to WAL mode ({mode})")
        c.execute("PRAGMA synchronous = FULL")

    def _check_integrity(self) -> None:
        rows = self.conn.execute("PRAGMA quick_check").fetchall()
        if rows and rows[0][0] != "ok":
            detail = "; ".join(r[0] for r in rows[:3])
            raise ProjectError(
                f"{self.path}: the database failed its integrity check ({detail}); "
                "restore the latest file from .qualkit/backups/"
            )

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction; IMMEDIATE so a second writer waits instead of failing."""
        with self._lock:
            with self._immediate() as conn:
                yield conn

    @contextmanager
    def _immediate(self) -> Iterator[sqlite3.Connection]:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise ProjectError(
                    f"{self.path}: the database is locked by another program; try again"
                ) from None
            raise
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    # -- schema ------------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise ProjectError(
                f"{self.path}: made by a newer qualkit (schema {version}); upgrade qualkit"
            )
        if version == SCHEMA_VERSION:
            return
        if version > 0:
            self.backup(reason=f"before-migration-{version}-to-{SCHEMA_VERSION}")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction() as c:
                for statement in MIGRATIONS[target].split(";"):
                    if statement.strip():
                        c.execute(statement)
                c.execute(f"PRAGMA user_version = {target}")

    # -- backups -----------------------------------------------------------------------------

    def backup(self, reason: str = "manual", keep: int = BACKUPS_KEPT) -> Path:
        """Copy the database with SQLite's backup API (never a file copy) and rotate old ones."""
        folder = self.path.parent / "backups"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        target = folder / f"project-{stamp}-{reason}.db"
        dest = sqlite3.connect(target)
        try:
            self.conn.backup(dest)
        finally:
            dest.close()
        backups = sorted(folder.glob("project-*.db"))
        for old in backups[:-keep] if keep > 0 else []:
            old.unlink()
        return target

    # -- meta (per-project local values, e.g. the remembered coder) --------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- participants, transcripts, turns, segments ------------------------------------------

    def participants(self) -> dict[str, dict[str, Any]]:
        rows = self.conn.execute("SELECT id, attributes FROM participants ORDER BY id")
        return {r["id"]: json.loads(r["attributes"]) for r in rows}

    def transcript_rows(self) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT id, file, content_hash, ingest_key, kind, date, metadata, missing, ingested_at "
            "FROM transcripts ORDER BY id"
        ).fetchall()

    def transcript_text(self, transcript_id: str) -> str:
        row = self.conn.execute(
            "SELECT text FROM transcripts WHERE id = ?", (transcript_id,)
        ).fetchone()
        if row is None:
            raise ProjectError(f"unknown transcript '{transcript_id}'")
        return row[0]

    def live_segments(self, transcript_id: str) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT id, turn, position, start, end, text, text_hash FROM segments "
            "WHERE transcript_id = ? AND orphaned = 0 ORDER BY position",
            (transcript_id,),
        ).fetchall()

    def segment_rows(self, transcript_id: str | None = None) -> list[sqlite3.Row]:
        sql = (
            "SELECT s.id AS segment_id, s.transcript_id AS transcript, s.turn, s.position, "
            "t.speaker, t.participant_id AS participant, COALESCE(t.is_interviewer, 0) "
            "AS is_interviewer, s.start, s.end, s.text, s.text_hash, s.orphaned "
            "FROM segments s LEFT JOIN turns t "
            "ON t.transcript_id = s.transcript_id AND t.idx = s.turn "
        )
        if transcript_id is None:
            sql += "ORDER BY s.transcript_id, s.orphaned, s.position, s.id"
            return self.conn.execute(sql).fetchall()
        sql += "WHERE s.transcript_id = ? ORDER BY s.orphaned, s.position, s.id"
        return self.conn.execute(sql, (transcript_id,)).fetchall()

    def segment_row(self, segment_id: int) -> sqlite3.Row | None:
        return self.conn.execute(
            "SELECT s.id AS segment_id, s.transcript_id AS transcript, s.turn, s.position, "
            "t.speaker, t.participant_id AS participant, COALESCE(t.is_interviewer, 0) "
            "AS is_interviewer, s.start, s.end, s.text, s.text_hash, s.orphaned "
            "FROM segments s LEFT JOIN turns t "
            "ON t.transcript_id = s.transcript_id AND t.idx = s.turn WHERE s.id = ?",
            (segment_id,),
        ).fetchone()

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
        for chunk in _chunks(list(segment_ids), 500):
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
        for chunk in _chunks(list(segment_ids), 500):
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

    def write_ingest(self, plan: IngestPlan) -> None:
        """Apply a fully validated ingest in ONE transaction: all of it or none of it."""
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
                    [(t.id, *turn) for turn in t.turns],
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
                    self._move_references(c, old_id, new_id)
                for seg_id in t.orphaned:
                    c.execute(
                        "UPDATE segments SET orphaned = 1, turn = NULL, position = NULL "
                        "WHERE id = ?",
                        (seg_id,),
                    )
                c.executemany("DELETE FROM segments WHERE id = ?", [(s,) for s in t.deleted])
                for coding_id, span in t.respanned.items():
                    c.execute(
                        "UPDATE codings SET span_start = ?, span_end = ? WHERE id = ?",
                        (*span, coding_id),
                    )
            for tid in plan.missing:
                c.execute("UPDATE transcripts SET missing = 1 WHERE id = ?", (tid,))
            if plan.transcripts or plan.missing:
                self._log(
                    c,
                    "system",
                    "ingest",
                    {
                        "transcripts": [t.id for t in plan.transcripts],
                        "missing": plan.missing,
                        "orphaned": sum(len(t.orphaned) for t in plan.transcripts),
                    },
                    state=CLEARED,
                )

    def _move_references(self, c: sqlite3.Connection, old_id: int, new_id: int) -> None:
        """Point codings and memos of a segment whose text now lies in another segment there."""
        for row in c.execute(
            "SELECT id, code_id, coder FROM codings WHERE segment_id = ? AND removed = 0",
            (old_id,),
        ).fetchall():
            clash = c.execute(
                "SELECT id FROM codings WHERE segment_id = ? AND code_id = ? AND coder = ? "
                "AND removed = 0",
                (new_id, row["code_id"], row["coder"]),
            ).fetchone()
            if clash:
                c.execute("UPDATE codings SET removed = 1 WHERE id = ?", (row["id"],))
        c.execute("UPDATE codings SET segment_id = ? WHERE segment_id = ?", (new_id, old_id))
        c.execute(
            "UPDATE OR IGNORE memos SET target = ? WHERE kind = 'segment' AND target = ?",
            (str(new_id), str(old_id)),
        )
        c.execute("DELETE FROM segments WHERE id = ?", (old_id,))

    # -- codings -----------------------------------------------------------------------------

    def active_coding(self, segment_id: int, code_id: str, coder: str) -> sqlite3.Row | None:
        return self.conn.execute(
            "SELECT * FROM codings WHERE segment_id = ? AND code_id = ? AND coder = ? "
            "AND removed = 0",
            (segment_id, code_id, coder),
        ).fetchone()

    def coding(self, coding_id: int) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM codings WHERE id = ?", (coding_id,)).fetchone()

    def add_codings(
        self, rows: Sequence[dict[str, Any]], coder: str, action: str = "code"
    ) -> list[int]:
        """Insert codings and log them as ONE undoable action."""
        ids: list[int] = []
        with self.transaction() as c:
            for r in rows:
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
            self._log(c, coder, action, {"codings": ids})
        return ids

    def set_removed(self, coding_ids: Sequence[int], coder: str, action: str) -> None:
        with self.transaction() as c:
            c.executemany("UPDATE codings SET removed = 1 WHERE id = ?", [(i,) for i in coding_ids])
            self._log(c, coder, action, {"codings": list(coding_ids)})

    def update_coding(self, coding_id: int, coder: str, action: str, **fields: Any) -> None:
        row = self.coding(coding_id)
        assert row is not None
        before = {k: row[k] for k in fields}
        sets = ", ".join(f"{k} = ?" for k in fields)
        with self.transaction() as c:
            c.execute(f"UPDATE codings SET {sets} WHERE id = ?", (*fields.values(), coding_id))
            self._log(c, coder, action, {"coding": coding_id, "before": before, "after": fields})

    def codings_rows(
        self,
        coder: str | None = None,
        include_removed: bool = False,
        transcript: str | None = None,
    ) -> list:
        sql = (
            "SELECT c.id AS coding_id, c.segment_id, s.transcript_id AS transcript, "
            "t.participant_id AS participant, t.speaker, c.code_id AS code, c.coder, c.created, "
            "c.starred, c.memo, c.span_start, c.span_end, c.quote, c.source, c.removed, "
            "s.orphaned, s.text FROM codings c JOIN segments s ON s.id = c.segment_id "
            "LEFT JOIN turns t ON t.transcript_id = s.transcript_id AND t.idx = s.turn WHERE 1=1 "
        )
        args: list[Any] = []
        if coder is not None:
            sql += "AND c.coder = ? "
            args.append(coder)
        if transcript is not None:
            sql += "AND s.transcript_id = ? "
            args.append(transcript)
        if not include_removed:
            sql += "AND c.removed = 0 "
        sql += "ORDER BY s.transcript_id, s.position, c.id"
        return self.conn.execute(sql, args).fetchall()

    def segment_codings(self, segment_id: int) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT id AS coding_id, code_id AS code, coder, starred, memo, quote FROM codings "
            "WHERE segment_id = ? AND removed = 0 ORDER BY id",
            (segment_id,),
        ).fetchall()

    def code_usage(self, coder: str | None = None) -> dict[str, int]:
        """Live codings per code id (all coders, or one)."""
        sql = "SELECT code_id, COUNT(*) FROM codings WHERE removed = 0"
        args: tuple = ()
        if coder is not None:
            sql += " AND coder = ?"
            args = (coder,)
        return dict(self.conn.execute(sql + " GROUP BY code_id", args).fetchall())

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

    def coders(self) -> list[str]:
        return [
            r[0] for r in self.conn.execute("SELECT DISTINCT coder FROM codings ORDER BY coder")
        ]

    def recode(self, source: str, target: str, actor: str, action: str) -> int:
        """Re-point every coding of code `source` to `target` (merge / delete-with-remap)."""
        with self.transaction() as c:
            moved = []
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
                    c.execute("UPDATE codings SET removed = 1 WHERE id = ?", (row["id"],))
                c.execute("UPDATE codings SET code_id = ? WHERE id = ?", (target, row["id"]))
                moved.append(row["id"])
            c.execute(
                "UPDATE OR IGNORE memos SET target = ? WHERE kind = 'code' AND target = ?",
                (target, source),
            )
            self._log(
                c, actor, action, {"from": source, "to": target, "codings": moved}, state=CLEARED
            )
        return len(moved)

    # -- memos -------------------------------------------------------------------------------

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

    def memo_rows(self) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT kind, target, coder, text, updated FROM memos ORDER BY kind, target, coder"
        ).fetchall()

    # -- done marks --------------------------------------------------------------------------

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

    # -- events, undo and redo ---------------------------------------------------------------

    def _log(
        self, c: sqlite3.Connection, coder: str, action: str, payload: dict, state: int = DONE
    ) -> int:
        if state == DONE:
            # A new undoable action ends the coder's redo stack.
            c.execute(
                "UPDATE events SET state = ? WHERE coder = ? AND state = ?",
                (CLEARED, coder, UNDONE),
            )
        cur = c.execute(
            "INSERT INTO events(time, coder, action, payload, state) VALUES (?,?,?,?,?)",
            (now(), coder, action, json.dumps(payload), state),
        )
        return int(cur.lastrowid)

    def log_event(self, actor: str, action: str, payload: dict[str, Any]) -> int:
        """Record a change that is not undone through the log (e.g. a codebook edit)."""
        with self.transaction() as c:
            return self._log(c, actor, action, payload, state=CLEARED)

    def events(self, coder: str | None = None, limit: int | None = None) -> list[Event]:
        sql = "SELECT * FROM events"
        args: list[Any] = []
        if coder is not None:
            sql += " WHERE coder = ?"
            args.append(coder)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [
            Event(r["id"], r["time"], r["coder"], r["action"], json.loads(r["payload"]), r["state"])
            for r in self.conn.execute(sql, args)
        ]

    def undo(self, coder: str) -> Event | None:
        """Reverse the coder's latest action that is still done; None when nothing to undo."""
        with self.transaction() as c:
            row = c.execute(
                "SELECT * FROM events WHERE coder = ? AND state = ? ORDER BY id DESC LIMIT 1",
                (coder, DONE),
            ).fetchone()
            if row is None:
                return None
            self._apply(c, row["action"], json.loads(row["payload"]), reverse=True)
            c.execute("UPDATE events SET state = ? WHERE id = ?", (UNDONE, row["id"]))
            c.execute(
                "INSERT INTO events(time, coder, action, payload, state) VALUES (?,?,?,?,?)",
                (now(), coder, "undo", json.dumps({"event": row["id"]}), CLEARED),
            )
        return Event(
            row["id"], row["time"], coder, row["action"], json.loads(row["payload"]), UNDONE
        )

    def redo(self, coder: str) -> Event | None:
        """Re-apply the action the coder undid most recently."""
        with self.transaction() as c:
            row = c.execute(
                "SELECT e.* FROM events e WHERE e.coder = ? AND e.state = ? ORDER BY "
                "(SELECT MAX(u.id) FROM events u WHERE u.action = 'undo' AND u.coder = e.coder "
                "AND json_extract(u.payload, '$.event') = e.id) DESC LIMIT 1",
                (coder, UNDONE),
            ).fetchone()
            if row is None:
                return None
            self._apply(c, row["action"], json.loads(row["payload"]), reverse=False)
            c.execute("UPDATE events SET state = ? WHERE id = ?", (DONE, row["id"]))
            c.execute(
                "INSERT INTO events(time, coder, action, payload, state) VALUES (?,?,?,?,?)",
                (now(), coder, "redo", json.dumps({"event": row["id"]}), CLEARED),
            )
        return Event(row["id"], row["time"], coder, row["action"], json.loads(row["payload"]), DONE)

    def _apply(self, c: sqlite3.Connection, action: str, payload: dict, reverse: bool) -> None:
        if action in ("code", "import"):
            removed = 1 if reverse else 0
            c.executemany(
                "UPDATE codings SET removed = ? WHERE id = ?",
                [(removed, i) for i in payload["codings"]],
            )
        elif action == "uncode":
            removed = 0 if reverse else 1
            c.executemany(
                "UPDATE codings SET removed = ? WHERE id = ?",
                [(removed, i) for i in payload["codings"]],
            )
        elif action in ("star", "coding-memo", "span"):
            values = payload["before"] if reverse else payload["after"]
            sets = ", ".join(f"{k} = ?" for k in values)
            c.execute(
                f"UPDATE codings SET {sets} WHERE id = ?", (*values.values(), payload["coding"])
            )
        elif action == "memo":
            text = payload["before"] if reverse else payload["after"]
            self._write_memo(c, payload["kind"], payload["target"], payload["coder"], text)
        else:  # pragma: no cover - guarded by the states written in _log
            raise ProjectError(f"cannot undo '{action}'")

    # -- embeddings cache --------------------------------------------------------------------

    def get_embeddings(self, model_id: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for chunk in _chunks(list(dict.fromkeys(hashes)), 900):
            marks = ",".join("?" * len(chunk))
            for r in self.conn.execute(
                f"SELECT text_hash, vector FROM embeddings WHERE model_id = ? "
                f"AND text_hash IN ({marks})",
                (model_id, *chunk),
            ):
                found[r[0]] = np.frombuffer(r[1], dtype="<f4")
        return found

    def put_embeddings(self, model_id: str, vectors: dict[str, np.ndarray]) -> None:
        with self.transaction() as c:
            c.executemany(
                "INSERT OR REPLACE INTO embeddings(model_id, text_hash, dim, vector) "
                "VALUES (?,?,?,?)",
                [
                    (model_id, h, int(v.shape[0]), np.asarray(v, dtype="<f4").tobytes())
                    for h, v in vectors.items()
                ],
            )

    def embedding_count(self, model_id: str | None = None) -> int:
        if model_id is None:
            return self.conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
        return self.conn.execute(
            "SELECT COUNT(*) FROM embeddings WHERE model_id = ?", (model_id,)
        ).fetchone()[0]

    # -- suggestion provenance ---------------------------------------------------------------

    def record_suggestion(
        self,
        coder: str,
        segment_id: int,
        code_id: str,
        score: float | None,
        rank: int | None,
        accepted: bool,
    ) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT INTO suggestion_log(time, coder, segment_id, code_id, score, rank, "
                "accepted) VALUES (?,?,?,?,?,?,?)",
                (now(), coder, segment_id, code_id, score, rank, int(accepted)),
            )

    def suggestion_rows(self) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT time, coder, segment_id, code_id, score, rank, accepted "
            "FROM suggestion_log ORDER BY id"
        ).fetchall()


@dataclass
class PlannedSegment:
    turn: int
    position: int
    start: int
    end: int
    text: str
    text_hash: str


@dataclass
class PlannedTranscript:
    id: str
    file: str
    content_hash: str
    ingest_key: str
    kind: str
    date: str | None
    metadata: dict[str, Any]
    text: str
    # (idx, speaker, participant_id, is_interviewer, start, end, line, timestamp)
    turns: list[tuple]
    kept: dict[int, PlannedSegment]  # existing segment id -> its new place
    added: list[PlannedSegment]
    moved: dict[int, int]  # old segment id -> segment id that now holds its text
    orphaned: list[int]
    deleted: list[int]
    respanned: dict[int, tuple[int | None, int | None]]


@dataclass
class IngestPlan:
    participants: dict[str, dict[str, Any]] | None
    transcripts: list[PlannedTranscript]
    remapped_turns: dict[str, dict[int, tuple[str | None, bool]]]
    missing: list[str]
    ingest_key: str


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
