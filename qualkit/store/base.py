"""The connection policy, transactions, migrations, backups and per-project meta values.

Connection policy (DESIGN.md "Storage discipline"): foreign keys on, WAL journal,
synchronous=FULL (a coding acknowledged to the user survives a kill -9 or power loss), a busy
timeout of several seconds, and one short ``BEGIN IMMEDIATE ... COMMIT`` per user action.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qualkit.errors import ProjectError
from qualkit.store import backups, schema

BUSY_TIMEOUT_MS = 8000
BACKUPS_KEPT = 10
DAILY_BACKUPS_KEPT = 7
# The project's identity, minted when its database is created (see project_uuid).
PROJECT_UUID_KEY = "project-uuid"
RESTORE_HINT = "run 'qualkit restore' to list the backups and bring one back"


def _insert_project_uuid(c: Any) -> None:
    # OR IGNORE: a second process creating the same project at once keeps the first's.
    c.execute(
        "INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)",
        (PROJECT_UUID_KEY, str(uuid.uuid4())),
    )


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def chunks(items: list, size: int) -> Iterator[list]:
    """Slices small enough for SQLite's limit on bound parameters."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _as_qualkit_error(path: Path, exc: sqlite3.Error) -> ProjectError:
    """A driver error as the one line a user sees; callers never handle sqlite3 errors."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return ProjectError(f"{path}: the database is locked by another program; try again")
    return ProjectError(f"{path}: database error: {text}")


def switch_to_wal(conn: Any) -> str:
    """Switch a new database to WAL. SQLite does not call the busy handler for this switch, so
    when several processes open a new file at once, one can get "database is locked" at once:
    wait and retry, within the same budget as any other lock."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.01
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            text = str(exc).lower()
            if ("locked" not in text and "busy" not in text) or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.2)


class _Connection:
    """The SQLite connection, raising qualkit errors instead of driver errors."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self._path = path
        self._raw = False  # while the store opens, driver errors pass through

    def execute(self, sql: str, args: Any = ()) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, args)
        except sqlite3.Error as exc:
            if self._raw:
                raise
            raise _as_qualkit_error(self._path, exc) from None

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        try:
            return self._conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise _as_qualkit_error(self._path, exc) from None

    def backup(self, target: sqlite3.Connection) -> None:
        try:
            self._conn.backup(target)
        except sqlite3.Error as exc:
            raise _as_qualkit_error(self._path, exc) from None

    def close(self) -> None:
        self._conn.close()


class StoreBase:
    """An open project database; the table groups build on it."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = Path(path)
        # The TUI's background workers share this connection: one writer at a time.
        self._lock = threading.RLock()
        # The daily backup is taken before this store's first write of the day.
        self._daily_checked = False
        # Transactions opened inside one already open join it (see transaction()).
        self._depth = 0
        refusal = backups.missing_database_message(self.path)
        if refusal is not None:
            # A vanished database must not silently become a new, empty project.
            raise ProjectError(refusal)
        if not self.path.exists() and not create:
            raise ProjectError(f"{self.path}: no project database (run 'qualkit init')")
        try:
            conn = sqlite3.connect(
                self.path,
                isolation_level=None,
                timeout=BUSY_TIMEOUT_MS / 1000,
                check_same_thread=False,
            )
            conn.row_factory = sqlite3.Row
            self.conn = _Connection(conn, self.path)
            # Opening reports driver errors itself: "cannot open" says more than "error".
            self.conn._raw = True
            self._configure()
            self._check_integrity()
            self._migrate()
        except sqlite3.DatabaseError as exc:
            if "locked" in str(exc) or "busy" in str(exc):  # busy, not damaged: no restore hint
                raise _as_qualkit_error(self.path, exc) from None
            raise ProjectError(
                f"{self.path}: cannot open the project database: {exc}; {RESTORE_HINT}"
            ) from None
        self.conn._raw = False

    def _configure(self) -> None:
        c = self.conn
        c.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        c.execute("PRAGMA foreign_keys = ON")
        mode = switch_to_wal(self.conn)
        if mode.lower() != "wal":
            raise ProjectError(f"{self.path}: cannot switch the database to WAL mode ({mode})")
        c.execute("PRAGMA synchronous = FULL")

    def _check_integrity(self) -> None:
        rows = self.conn.execute("PRAGMA quick_check").fetchall()
        if rows and rows[0][0] != "ok":
            detail = "; ".join(r[0] for r in rows[:3])
            raise ProjectError(
                f"{self.path}: the database failed its integrity check ({detail}); {RESTORE_HINT}"
            )

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[_Connection]:
        """One short write transaction; IMMEDIATE so a second writer waits instead of failing.

        Opened inside another on the same store, it joins the outer one: an operation made of
        several writes (a REFI-QDA import: ingest, codings, memos, its event) commits them all
        at once or none, so a process killed half-way leaves the project as it was.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.conn
                finally:
                    self._depth -= 1
                return
            if not self._daily_checked:
                self._daily_checked = True
                self.daily_backup()
            with self._immediate() as conn:
                self._depth = 1
                try:
                    yield conn
                finally:
                    self._depth = 0

    @contextmanager
    def _immediate(self) -> Iterator[_Connection]:
        self.conn.execute("BEGIN IMMEDIATE")  # a locked database: ProjectError, one line
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        version = self.schema_version
        if version > schema.SCHEMA_VERSION:
            raise ProjectError(
                f"{self.path}: made by a newer qualkit (schema {version}); upgrade qualkit"
            )
        if version == schema.SCHEMA_VERSION:
            return
        if version > 0:
            self.backup(reason=f"before-migration-{version}-to-{schema.SCHEMA_VERSION}")
        for target in range(version + 1, schema.SCHEMA_VERSION + 1):
            with self._lock, self._immediate() as c:
                # Read the version again inside the write transaction: another process
                # opening the same new project at the same moment may have migrated it.
                if c.execute("PRAGMA user_version").fetchone()[0] >= target:
                    continue
                self._before_migration(target, c)
                for statement in schema.MIGRATIONS[target].split(";"):
                    if statement.strip():
                        c.execute(statement)
                c.execute(f"PRAGMA user_version = {target}")
        if version == 0:
            self._mint_project_uuid()
        else:
            self._compact_after_migration()

    def _before_migration(self, target: int, c: Any) -> None:
        """Work a migration needs beyond its SQL (a table group overrides it)."""

    def _compact_after_migration(self) -> None:
        """A migration that dropped data (schema 3: the embedding vectors) leaves free pages
        that every backup would copy: give them back once, if nobody else has the file open."""
        pages = self.conn.execute("PRAGMA page_count").fetchone()[0]
        free = self.conn.execute("PRAGMA freelist_count").fetchone()[0]
        if pages and free / pages > 0.25:
            try:
                self.conn.execute("VACUUM")
            except sqlite3.OperationalError:
                pass  # busy: the space is reused by later writes instead

    def _mint_project_uuid(self) -> None:
        """Give a new project its identity once, at creation: exports derive their GUIDs from
        it, so a copy or clone of the project folder (database included) exports the same."""
        with self._lock, self._immediate() as c:
            _insert_project_uuid(c)

    @property
    def project_uuid(self) -> str:
        """The project's identity (minted at creation; projects made before it get one now)."""
        value = self.get_meta(PROJECT_UUID_KEY)
        if value is None:
            with self.transaction() as c:  # joins a transaction already open
                _insert_project_uuid(c)
            value = self.get_meta(PROJECT_UUID_KEY)
        return str(value)

    def backup(self, reason: str = "manual", keep: int = BACKUPS_KEPT) -> Path:
        """A checked copy in .qualkit/backups/ (see qualkit.store.backups.write_backup)."""
        with self._lock:
            try:
                return backups.write_backup(self.conn._conn, self.path, reason, keep)
            except sqlite3.Error as exc:
                raise ProjectError(f"{self.path}: backup failed: {exc}") from None
            except OSError as exc:
                raise ProjectError(
                    f"{backups.backup_folder(self.path)}: backup failed: {exc.strerror}"
                ) from None

    def latest_backup(self, reason: str) -> Path | None:
        found = backups.backup_files(self.path, reason)
        return found[-1] if found else None

    def daily_backup(self, keep: int = DAILY_BACKUPS_KEPT) -> Path | None:
        """A backup before the first write of each day (from any entry point): the new file,
        or None when today's exists or there is nothing to protect yet."""
        self._daily_checked = True
        latest = self.latest_backup("daily")
        today = datetime.now().strftime("%Y%m%d")
        if latest is not None and latest.name.startswith(f"project-{today}-"):
            return None
        if (
            self.schema_version == 0
            or not self.conn.execute("SELECT EXISTS (SELECT 1 FROM transcripts)").fetchone()[0]
        ):
            return None
        return self.backup(reason="daily", keep=keep)

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
