"""Crash-safe file writes: a reader sees the old file or the new one, never half of either.

A write goes to a temporary file in the same folder, is flushed to disk, renamed over the
target and the folder itself is synced, so the rename survives a power cut. Files are 0600 and
folders this module creates are 0700: the state folder tells which wallets trade which market.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Final

from ama_tui.store.errors import StateWriteError

PRIVATE_FILE_MODE: Final = 0o600
PRIVATE_DIR_MODE: Final = 0o700

_TEMP_NAME = re.compile(r"^\..+\.\d+\.[0-9a-f]{8}\.tmp$")


def _temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def write_all(fd: int, data: bytes) -> None:
    """`os.write` until every byte is written (a single call may write fewer)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def fsync_dir(folder: Path) -> None:
    """Make the folder's entries (a new or renamed file) durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_private_dir(folder: Path) -> None:
    """Create `folder` and its missing parents with mode 0700. Existing folders are left alone."""
    missing: list[Path] = []
    cursor = folder
    while not cursor.exists():
        missing.append(cursor)
        cursor = cursor.parent
    if not cursor.is_dir():
        raise StateWriteError(folder, f"{cursor} exists and is not a folder")
    for new in reversed(missing):
        try:
            os.mkdir(new, PRIVATE_DIR_MODE)
        except FileExistsError:
            continue
        except OSError as exc:
            raise StateWriteError(folder, f"cannot create folder {new}: {exc.strerror or exc}") from exc
        os.chmod(new, PRIVATE_DIR_MODE)  # the umask may have taken bits away
        fsync_dir(new.parent)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically (mode 0600). On failure the old file is untouched."""
    temp = _temp_path(path)
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE_MODE)
        try:
            os.fchmod(fd, PRIVATE_FILE_MODE)
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise StateWriteError(path, exc.strerror or str(exc)) from exc
    try:
        fsync_dir(path.parent)
    except OSError as exc:
        raise StateWriteError(
            path, f"the new file is in place but its folder could not be synced: {exc.strerror or exc}"
        ) from exc


def remove_stale_temp_files(folder: Path) -> list[Path]:
    """Delete temporary files left by writes that crashed before their rename.

    Call only while holding the market lock, so no live write's temporary file is removed.
    """
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        if _TEMP_NAME.match(entry.name) and entry.is_file():
            entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed
