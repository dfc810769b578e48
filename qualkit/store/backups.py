"""Backups of the project database: written to a temporary file, checked, then renamed; listed
with their date, kind and counts; and restored after saving the current state.

A backup that fails its check never replaces anything and never pushes a good one out of the
rotation. Files live in ``.qualkit/backups/`` as ``project-YYYYmmdd-HHMMSS-ffffff-KIND.db``.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from qualkit.errors import ProjectError

BACKUP_GLOB = "project-*.db"
_NAME = re.compile(r"^project-(\d{8}-\d{6}-\d{6})-(.+)\.db$")
_TEMP_PREFIX = ".partial-"
# Counted in every backup and compared with the source, so a truncated copy is caught.
_COUNTED = ("transcripts", "segments", "codings")
# Pages copied per step: between steps Ctrl-C is noticed and the partial file removed.
_PAGES_PER_STEP = 512


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    taken: datetime
    kind: str
    counts: dict[str, int] | None  # None when the file cannot be read
    problem: str | None = None

    def describe(self) -> str:
        when = self.taken.strftime("%Y-%m-%d %H:%M:%S")
        if self.counts is None:
            return f"{when}  {self.kind:<24} unreadable ({self.problem})"
        shown = ", ".join(f"{n} {name}" for name, n in self.counts.items())
        return f"{when}  {self.kind:<24} {shown}"


def backup_folder(db_path: Path) -> Path:
    return Path(db_path).parent / "backups"


def backup_files(db_path: Path, kind: str | None = None) -> list[Path]:
    """Backup files, oldest first (their names sort by time)."""
    folder = backup_folder(db_path)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob(BACKUP_GLOB):
        match = _NAME.match(path.name)
        if match and (kind is None or match.group(2) == kind):
            found.append(path)
    return sorted(found, key=lambda p: p.name)


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {name: conn.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0] for name in _COUNTED}


def check_file(path: Path) -> dict[str, int]:
    """Open a database file read-only, run quick_check and return its counts; raises
    ProjectError saying what is wrong."""
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ProjectError(f"{path}: cannot open: {exc}") from None
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
        if not rows or rows[0][0] != "ok":
            detail = "; ".join(r[0] for r in rows[:2]) or "no answer"
            raise ProjectError(f"{path}: failed its integrity check ({detail})")
        return table_counts(conn)
    except sqlite3.Error as exc:
        raise ProjectError(f"{path}: not a readable project database ({exc})") from None
    finally:
        conn.close()


def describe(path: Path) -> BackupInfo:
    match = _NAME.match(path.name)
    stamp, kind = (match.group(1), match.group(2)) if match else ("", "?")
    try:
        taken = datetime.strptime(stamp, "%Y%m%d-%H%M%S-%f")
    except ValueError:
        taken = datetime.fromtimestamp(path.stat().st_mtime)
    try:
        return BackupInfo(path, taken, kind, check_file(path))
    except ProjectError as exc:
        return BackupInfo(path, taken, kind, None, str(exc).split(": ", 1)[-1])


def list_backups(db_path: Path) -> list[BackupInfo]:
    """Every backup, newest first, with its date, kind and counts."""
    return [describe(p) for p in reversed(backup_files(db_path))]


def write_backup(conn: sqlite3.Connection, db_path: Path, kind: str, keep: int) -> Path:
    """Copy the open database with SQLite's backup API into a temporary file, check it
    (quick_check, and the same counts as the source), rename it into place, then rotate.

    An interrupted or failed backup leaves no file behind and rotates nothing out.
    """
    folder = backup_folder(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(folder)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    final = folder / f"project-{stamp}-{kind}.db"
    partial = folder / f"{_TEMP_PREFIX}{os.getpid()}-{stamp}-{kind}.db"
    try:
        # One read transaction: the counts and the copy see the same snapshot.
        own_transaction = not conn.in_transaction
        if own_transaction:
            conn.execute("BEGIN")
        try:
            expected = table_counts(conn)
            dest = sqlite3.connect(partial)
            try:
                conn.backup(dest, pages=_PAGES_PER_STEP, progress=_noticing_signals)
                dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            finally:
                dest.close()
        finally:
            if own_transaction:
                conn.execute("COMMIT")
        found = check_file(partial)
        if found != expected:
            raise ProjectError(
                f"{final.name}: the backup's counts {found} differ from the database's "
                f"{expected}; the backup was not kept"
            )
        _fsync(partial)
        os.replace(partial, final)
        _fsync(folder)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise
    # Rotation per kind, and only after a good backup exists: frequent automatic backups
    # never push out the one taken before a migration, and a failure never pushes out any.
    if keep > 0:
        for old in backup_files(db_path, kind)[:-keep]:
            with contextlib.suppress(OSError):
                old.unlink()
    return final


def _noticing_signals(status: int, remaining: int, total: int) -> None:
    """Progress callback: running Python between steps lets Ctrl-C interrupt the copy."""


def _remove_stale_partials(folder: Path) -> None:
    # A killed backup leaves its partial file; one an hour old belongs to no running backup.
    for path in folder.glob(f"{_TEMP_PREFIX}*"):
        with contextlib.suppress(OSError):
            if time.time() - path.stat().st_mtime > 3600:
                path.unlink()


def _fsync(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def resolve_backup(db_path: Path, choice: str) -> Path:
    """A backup named by its number in the list (1 = newest), its file name, or a path."""
    backups = list(reversed(backup_files(db_path)))
    if choice.isdigit():
        n = int(choice)
        if not 1 <= n <= len(backups):
            raise ProjectError(f"no backup number {n}: there are {len(backups)}")
        return backups[n - 1]
    by_name = backup_folder(db_path) / choice
    if by_name.is_file():
        return by_name
    path = Path(choice).expanduser()
    if path.is_file():
        return path
    raise ProjectError(f"{choice}: no such backup (run 'qualkit restore' to list them)")


def database_state(db_path: Path) -> str:
    """'missing', 'empty' (0 bytes), 'damaged' or 'ok'."""
    if not db_path.exists():
        return "missing"
    if db_path.stat().st_size == 0:
        return "empty"
    try:
        conn = sqlite3.connect(db_path)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return "damaged"
    return "ok" if rows and rows[0][0] == "ok" else "damaged"


def restore(db_path: Path, backup: Path) -> tuple[Path | None, dict[str, int]]:
    """Replace the project database with `backup`, saving the current one first.

    Returns (where the current state was saved, or None when there was none; the restored
    counts). The current database is saved as a checked backup when it opens, or moved aside
    as a 'damaged' file when it does not.
    """
    check_file(backup)  # refuse a bad backup before touching anything
    state = database_state(db_path)
    saved: Path | None = None
    if state == "ok":
        conn = sqlite3.connect(db_path)
        try:
            saved = write_backup(conn, db_path, "before-restore", keep=10)
        finally:
            conn.close()
    elif state == "damaged":
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        saved = backup_folder(db_path) / f"project-{stamp}-damaged.db"
        saved.parent.mkdir(parents=True, exist_ok=True)
        os.replace(db_path, saved)
        for suffix in ("-wal", "-shm"):
            side = Path(f"{db_path}{suffix}")
            if side.exists():
                os.replace(side, Path(f"{saved}{suffix}"))
    elif state == "empty":
        db_path.unlink()
    # Through SQLite's backup API into the live file: other connections see either the old
    # or the restored database, never a half-copied file.
    source = sqlite3.connect(f"{Path(backup).resolve().as_uri()}?mode=ro", uri=True)
    dest = sqlite3.connect(db_path)
    try:
        source.backup(dest)
    finally:
        source.close()
        dest.close()
    return saved, check_file(db_path)


def missing_database_message(db_path: Path) -> str | None:
    """The refusal for a vanished or 0-byte database while backups exist (else None)."""
    if db_path.exists() and db_path.stat().st_size > 0:
        return None
    backups = backup_files(db_path)
    if not backups:
        return None
    what = "is missing" if not db_path.exists() else "is empty (0 bytes)"
    latest = backups[-1].name
    return (
        f"{db_path} {what} but {len(backups)} backup(s) exist; the latest is {latest}: "
        f"run 'qualkit restore {latest}' (or 'qualkit restore' to list them)"
    )
