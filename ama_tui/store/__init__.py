"""The state folder: checkpoint, journal, per-wallet files, the wallets CSV. Crash-safe."""

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
