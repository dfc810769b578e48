"""A journal of the project files an operation writes before its database commit (codebook.yaml,
participants.csv, new transcripts), so that a process killed in between is undone on the next
open: the files go back as they were, and the project is as before the operation.

The operation writes the journal, writes its files, then commits its database transaction with
the journal's token in the meta table, then deletes the journal. Whoever opens the project next
and finds a journal whose writer is gone (its lock is free) checks the token: committed, the
journal is stale and goes; not committed, every file is put back.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualkit.atomic_files import leftover_temporaries, write_atomically

try:  # POSIX: the writer holds a lock on the journal while it works; it dies with the process
    import fcntl
except ImportError:  # pragma: no cover - Windows: the writer's pid is checked instead
    fcntl = None  # type: ignore[assignment]

JOURNAL_FILE = "pending-files.json"
TOKEN_KEY = "file_journal.committed"


@dataclass
class FileJournal:
    """An operation's journal, open (and locked) while it runs."""

    path: Path
    token: str
    handle: Any

    @classmethod
    def begin(
        cls, state_dir: Path, root: Path, keep: list[Path], created: list[Path]
    ) -> FileJournal:
        """Record how `keep` look now and which `created` files are new, before writing any."""
        saved = {}
        for path in keep:
            relative = str(path.relative_to(root))
            saved[relative] = (
                base64.b64encode(path.read_bytes()).decode() if path.exists() else None
            )
        token = uuid.uuid4().hex
        record = {
            "token": token,
            "pid": os.getpid(),
            "keep": saved,
            "created": [str(p.relative_to(root)) for p in created if not p.exists()],
        }
        path = state_dir / JOURNAL_FILE
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        handle = open(temporary, "wb")  # noqa: SIM115 - held open for the lock until finish()
        if fcntl is not None:
            # locked before it has its name, so nobody can see it unlocked while we work
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        handle.write(json.dumps(record).encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())
        os.replace(temporary, path)
        return cls(path, token, handle)

    def finish(self) -> None:
        """The operation committed (or put its files back itself): the journal goes."""
        self.path.unlink(missing_ok=True)
        self.handle.close()


def _writer_alive(path: Path, record: dict[str, Any]) -> bool:
    if fcntl is not None:
        with open(path, "rb") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            return False
    try:  # pragma: no cover - no fcntl
        os.kill(int(record.get("pid", 0)), 0)
    except (OSError, ValueError):
        return False
    return True  # pragma: no cover


def recover(state_dir: Path, root: Path, committed_token: str | None) -> bool:
    """Undo the files of an operation killed before its commit; True when files were put back.
    `committed_token` is the token the database holds under TOKEN_KEY."""
    path = state_dir / JOURNAL_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False
    except (OSError, ValueError):
        # A journal cut short by the kill: it was written before any project file, so the
        # operation had not started writing.
        path.unlink(missing_ok=True)
        return False
    if _writer_alive(path, record):
        return False  # still working in another process
    restored = False
    if record.get("token") != committed_token:
        for relative in record.get("created", []):
            (root / relative).unlink(missing_ok=True)
        for relative, content in record.get("keep", {}).items():
            target = root / relative
            if content is None:
                target.unlink(missing_ok=True)
            else:
                write_atomically(target, base64.b64decode(content))
        restored = True
    for relative in [*record.get("created", []), *record.get("keep", {})]:
        # a file the killed writer was replacing: its temporary copy goes too
        for temporary in leftover_temporaries(root / relative):
            temporary.unlink(missing_ok=True)
    path.unlink(missing_ok=True)
    return restored
