"""Replacing a project file so that a crash leaves the old file or the new one, never half.

The temporary file sits beside the target as ``.NAME.*.tmp``; `leftover_temporaries` finds
what a killed writer left, so recovery (file_journal) can remove it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so a crash leaves the old file or the new, never half."""
    directory = path.parent
    mode = None
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        else:
            # mkstemp makes 0600; a new codebook should be as readable as any file the user
            # creates (umask applies), so collaborators and git see it normally.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # some platforms cannot open folders; the replace itself is still atomic
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def leftover_temporaries(path: Path) -> list[Path]:
    """Temporary files a writer of ``path`` killed mid-write left beside it."""
    return sorted(path.parent.glob(f".{path.name}.*.tmp"))
