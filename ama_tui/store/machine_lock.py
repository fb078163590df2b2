"""The machine-wide market lock: one run per (chain, order book), whatever its state folder.

The folder lock alone lets a second run started from another directory, or with another
`--state-dir`, pack the same book with the same wallets. This lock lives in one folder per
user: `$AMA_TUI_LOCK_DIR`, else `$XDG_RUNTIME_DIR/ama-tui/locks` (when that is a writable
folder), else `~/.cache/ama-tui/locks`; folders it creates are 0700.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Final, Self

from ama_tui.store.atomic import ensure_private_dir
from ama_tui.store.errors import StateWriteError
from ama_tui.store.lock import FileLock, LockError

LOCK_DIR_ENV: Final = "AMA_TUI_LOCK_DIR"
_LOWER_ADDRESS = re.compile(r"^0x[0-9a-f]{40}$")


def machine_lock_dir() -> Path:
    """The folder of the machine-wide locks (not created here)."""
    explicit = os.environ.get(LOCK_DIR_ENV)
    if explicit:
        return Path(explicit).expanduser()
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime) and os.access(runtime, os.W_OK | os.X_OK):
        return Path(runtime) / "ama-tui" / "locks"
    return Path.home() / ".cache" / "ama-tui" / "locks"


def machine_lock_name(chain_id: int, order_book: str) -> str:
    """`<chainId>-<orderBook lower-case>.lock`."""
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id <= 0:
        raise ValueError(f"chain id must be a positive integer, got {chain_id!r}")
    book = order_book.lower()
    if not _LOWER_ADDRESS.match(book):
        raise ValueError(f"not an order book address: {order_book!r}")
    return f"{chain_id}-{book}.lock"


class MachineMarketLock(FileLock):
    """The machine-wide lock of one market.

    Without an explicit `folder`, the lock folder is found (and created) when the lock is
    taken, so a store that only reads never touches it.
    """

    def __init__(self, chain_id: int, order_book: str, folder: Path | None = None) -> None:
        self._name = machine_lock_name(chain_id, order_book)
        self._folder = folder
        super().__init__(
            folder / self._name if folder is not None else Path(self._name),  # resolved when taken
            subject=f"market {order_book.lower()} on chain {chain_id}",
        )

    def acquire(self) -> Self:
        if not self.held:
            if self._folder is None:
                try:
                    self.path = machine_lock_dir() / self._name
                except RuntimeError as exc:  # no home folder to fall back on
                    raise LockError(f"cannot find a folder for the machine-wide lock: {exc}") from exc
            try:
                ensure_private_dir(self.path.parent)
            except StateWriteError as exc:
                raise LockError(f"cannot create the machine-wide lock folder: {exc.reason}") from exc
            except OSError as exc:
                raise LockError(
                    f"cannot create the machine-wide lock folder {self.path.parent}: {exc.strerror or exc}"
                ) from exc
        return super().acquire()
