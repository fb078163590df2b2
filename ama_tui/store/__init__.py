"""The state folder: checkpoint, journal, per-wallet files, the wallets CSV. Crash-safe.

The names below load with the module that holds them, on first use (PEP 562): a reader that needs
one module of the store (the report's `store.layout`, `store.state_files`) does not pay for the
models of every other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ama_tui.core.lazy_names import lazy_names

if TYPE_CHECKING:
    from ama_tui.store.errors import NotLockedError, StateFileError, StateWriteError, StoreError
    from ama_tui.store.journal_reader import JournalReadReport, JournalTail
    from ama_tui.store.lock import LockError, LockHeldError
    from ama_tui.store.market_store import MarketStore
    from ama_tui.store.packer_file import PACKER_FILE_NAME, SavedPacker
    from ama_tui.store.state_store import StateStore, StoredMarket
    from ama_tui.store.wallets_csv import (
        InvalidWalletRows,
        LoadedWallets,
        NotEnoughWallets,
        RowError,
        WalletEntry,
        WalletsCsvError,
        WalletsFileEmpty,
        WalletsFileNotFound,
        WalletsFileUnreadable,
        load_wallets_csv,
    )
    from ama_tui.store.wallets_derived import derive_wallets

_HOME = {
    "errors": ("NotLockedError", "StateFileError", "StateWriteError", "StoreError"),
    "journal_reader": ("JournalReadReport", "JournalTail"),
    "lock": ("LockError", "LockHeldError"),
    "market_store": ("MarketStore",),
    "packer_file": ("PACKER_FILE_NAME", "SavedPacker"),
    "state_store": ("StateStore", "StoredMarket"),
    "wallets_csv": (
        "InvalidWalletRows",
        "LoadedWallets",
        "NotEnoughWallets",
        "RowError",
        "WalletEntry",
        "WalletsCsvError",
        "WalletsFileEmpty",
        "WalletsFileNotFound",
        "WalletsFileUnreadable",
        "load_wallets_csv",
    ),
    "wallets_derived": ("derive_wallets",),
}
_MODULE_OF = {name: module for module, names in _HOME.items() for name in names}

__all__ = [
    "PACKER_FILE_NAME",
    "InvalidWalletRows",
    "JournalReadReport",
    "JournalTail",
    "LoadedWallets",
    "LockError",
    "LockHeldError",
    "MarketStore",
    "NotEnoughWallets",
    "NotLockedError",
    "RowError",
    "SavedPacker",
    "StateFileError",
    "StateStore",
    "StateWriteError",
    "StoreError",
    "StoredMarket",
    "WalletEntry",
    "WalletsCsvError",
    "WalletsFileEmpty",
    "WalletsFileNotFound",
    "WalletsFileUnreadable",
    "derive_wallets",
    "load_wallets_csv",
]


__getattr__ = lazy_names(__name__, _MODULE_OF, globals())


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
