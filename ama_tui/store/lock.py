"""One process per market: exclusive `flock`s, on `<market>/.lock` and machine-wide.

The kernel drops a lock when its holder dies (even on SIGKILL), so a crash never leaves a
stale lock behind. The holder writes its PID into the file so the refusal can say who holds it.
A lock file is never deleted: unlinking a lock file lets two processes lock different files.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType
from typing import Final, Self

from ama_tui.store.atomic import PRIVATE_FILE_MODE, write_all
from ama_tui.store.errors import StoreError

LOCK_FILE_NAME: Final = ".lock"


class LockHeldError(StoreError):
    """Another process (or another handle in this one) holds the market's lock."""

    def __init__(self, path: Path, pid: int | None, subject: str | None = None) -> None:
        self.path = path
        self.pid = pid
        what = subject if subject is not None else str(path.parent)
        if pid == os.getpid():
            message = f"{what} is already open in this process (PID {pid})"
        else:
            holder = f"PID {pid}" if pid is not None else "its PID is not recorded yet"
            message = (
                f"{what} is in use by another ama-tui process ({holder}); "
                "stop that process first, or pick another market"
            )
        super().__init__(message)


class LockError(StoreError):
    """The lock file could not be opened or locked for a reason other than contention."""


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


class FileLock:
    """An exclusive, non-blocking lock on one file. Use as a context manager.

    `subject` is what the lock guards, as the refusal names it (default: the file's folder).
    """

    def __init__(self, path: Path, subject: str | None = None) -> None:
        self.path = path
        self.subject = subject
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> Self:
        """Take the lock or fail at once with `LockHeldError` naming the holder's PID."""
        if self._fd is not None:
            return self
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE_MODE)
        except OSError as exc:
            raise LockError(f"cannot open lock file {self.path}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise LockHeldError(self.path, pid, self.subject) from None
        except OSError as exc:
            os.close(fd)
            raise LockError(f"cannot lock {self.path}: {exc.strerror or exc}") from exc
        try:
            os.fchmod(fd, PRIVATE_FILE_MODE)
            os.ftruncate(fd, 0)
            write_all(fd, f"{os.getpid()}\n".encode("ascii"))
        except OSError as exc:
            os.close(fd)  # closing drops the flock
            raise LockError(f"cannot record our PID in {self.path}: {exc.strerror or exc}") from exc
        self._fd = fd
        return self

    def release(self) -> None:
        """Drop the lock (idempotent). The PID is erased first so nobody reads a stale one."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
        except OSError:
            pass  # the lock is dropped below whatever happens; a stale PID is only cosmetic
        finally:
            os.close(fd)

    def __enter__(self) -> Self:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class MarketLock(FileLock):
    """The lock of one market folder: two runs sharing a state folder never pack together."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder / LOCK_FILE_NAME)
