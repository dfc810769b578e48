"""Where a project lives: SQLite's file locks are unsafe in cloud-synced folders and on
network filesystems, so qualkit warns there."""

from __future__ import annotations

from pathlib import Path

# Folders that sync to a cloud service: SQLite's locking is unsafe there.
_SYNCED_FOLDER_NAMES = ("dropbox", "onedrive", "google drive", "googledrive", "icloud", "box sync")
_NETWORK_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smbfs", "smb3", "fuse.sshfs", "9p", "afpfs"}


def storage_warnings(root: Path) -> list[str]:
    """One warning per reason the folder is a risky place for the project database."""
    warnings = []
    lowered = str(root).casefold()
    for name in _SYNCED_FOLDER_NAMES:
        if name in lowered:
            warnings.append(
                f"{root} looks like a cloud-synced folder ({name}); keep the project "
                "on a local disk and sync exports instead, or the database can be damaged"
            )
            break
    fstype = _filesystem_type(root)
    if fstype in _NETWORK_FILESYSTEMS:
        warnings.append(
            f"{root} is on a network filesystem ({fstype}); SQLite locking is unsafe "
            "there: keep the project on a local disk"
        )
    return warnings


def _filesystem_type(path: Path) -> str | None:
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return None
    best, best_type = "", None
    target = str(path)
    for line in mounts:
        parts = line.split()
        if len(parts) >= 3 and target.startswith(parts[1]) and len(parts[1]) > len(best):
            best, best_type = parts[1], parts[2]
    return best_type
