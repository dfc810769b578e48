"""Bringing a project back from a backup: list the backups, restore one after saving the
current state. Works on a folder whose database is missing, empty or damaged, which is why it
does not go through :class:`~qualkit.project.Project`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from qualkit.errors import ProjectError
from qualkit.store import backups
from qualkit.store.backups import BackupInfo

STATE_DIR = ".qualkit"
DB_FILE = "project.db"


@dataclass(frozen=True)
class Restored:
    backup: Path
    saved: Path | None  # the state before the restore, kept as a backup (None: there was none)
    counts: dict[str, int]


def database_path(project: str | os.PathLike[str]) -> Path:
    root = Path(project).expanduser().resolve()
    if not root.is_dir():
        raise ProjectError(f"{root}: no such folder")
    return root / STATE_DIR / DB_FILE


def list_backups(project: str | os.PathLike[str]) -> list[BackupInfo]:
    """The project's backups, newest first, each with its date, kind and counts."""
    return backups.list_backups(database_path(project))


def restore(project: str | os.PathLike[str], choice: str) -> Restored:
    """Restore the backup named by `choice` (its number in list_backups, 1 = newest, its file
    name, or a path). The current database is saved first: as a checked backup when it opens,
    or moved aside as a '-damaged' file when it does not."""
    db = database_path(project)
    chosen = backups.resolve_backup(db, choice)
    saved, counts = backups.restore(db, chosen)
    return Restored(chosen, saved, counts)
