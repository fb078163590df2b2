"""One market's folder: `<root>/<chainId>/<orderBook lower-case>/`.

Reads work at any time (a viewer may look at a market another process is running). Writes need
the folder opened with `open()` (or `with`), which takes the one-process-per-market locks (the
folder's, and the machine-wide one that also stops a run with another state folder), repairs
a torn journal tail and removes temporary files left by a crash.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

from ama_tui.core.models import (
    CHECKPOINT_VERSION,
    ActionLogLine,
    MarketCheckpoint,
    PackerParams,
    WalletCheckpoint,
)
from ama_tui.protocol.accounts import checksum
from ama_tui.store.atomic import atomic_write_bytes, ensure_private_dir, remove_stale_temp_files
from ama_tui.store.errors import NotLockedError, StateFileError
from ama_tui.store.journal import JournalWriter
from ama_tui.store.journal_reader import JournalReadReport, JournalTail, iter_journal, read_tail
from ama_tui.store.layout import CHECKPOINT_FILE_NAME, JOURNAL_FILE_NAME
from ama_tui.store.lock import MarketLock
from ama_tui.store.machine_lock import MachineMarketLock
from ama_tui.store.packer_file import PACKER_FILE_NAME, PackerFile, SavedPacker
from ama_tui.store.state_files import (
    dumps_state,
    load_state_file,
    read_state_document,
    save_state_file,
    validate_state_document,
)

log = logging.getLogger(__name__)

VENUE_STATE_FILE_NAME: Final = "sim-exchange.state"
"""The embedded exchange's state (our addition; the original tool never had one)."""
WALLETS_FOLDER_NAME: Final = "wallets"
_WALLET_FILE = re.compile(r"^(0x[0-9a-fA-F]{40})\.json$")


def _check_checkpoint_version(path: Path, document: dict[str, Any]) -> None:
    """Refuse any version but ours; a missing one is version 1, as the original tool wrote."""
    version = document.get("version", 1)
    if isinstance(version, int) and not isinstance(version, bool) and version == CHECKPOINT_VERSION:
        return
    found = repr(version) if len(repr(version)) <= 40 else f"{repr(version)[:37]}..."
    raise StateFileError(
        path,
        f"checkpoint version {found} is not supported (this ama-tui reads version "
        f"{CHECKPOINT_VERSION}); the file is left as it is",
    )


def folder_name(order_book: str) -> str:
    """The folder name of an order book: its address in lower case (as the original tool)."""
    return checksum(order_book).lower()


class MarketStore:
    def __init__(self, root: Path, chain_id: int, order_book: str, *, lock_dir: Path | None = None) -> None:
        """`lock_dir` is where the machine-wide lock lives (default: `machine_lock.machine_lock_dir()`)."""
        if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id <= 0:
            raise ValueError(f"chain id must be a positive integer, got {chain_id!r}")
        self.chain_id = chain_id
        self.order_book = folder_name(order_book)
        """Lower-case address."""
        self.folder = Path(root) / str(chain_id) / self.order_book
        self.checkpoint_path = self.folder / CHECKPOINT_FILE_NAME
        self.journal_path = self.folder / JOURNAL_FILE_NAME
        self.wallets_folder = self.folder / WALLETS_FOLDER_NAME
        self.packer_path = self.folder / PACKER_FILE_NAME
        """The packer's params, also kept outside the checkpoint (see `store.packer_file`)."""
        self._packer_bytes: bytes | None = None
        """What `packer.json` holds, as this process last wrote or read it (None: not known)."""
        self.restored_packer: SavedPacker | None = None
        """The packer params the last `load_checkpoint` took from `packer.json` (the checkpoint had
        none: the original tool rewrote it), or None."""
        self._lock = MarketLock(self.folder)
        self._machine_lock = MachineMarketLock(chain_id, self.order_book, lock_dir)
        self._journal: JournalWriter | None = None

    def __repr__(self) -> str:
        state = "open" if self.is_open else "closed"
        return f"MarketStore({str(self.folder)!r}, {state})"

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._journal is not None

    def open(self) -> Self:
        """Lock the market for this process (or raise `LockHeldError` at once) and get it ready.

        The folder is locked first, then the market machine-wide; if either is refused, neither
        is kept.
        """
        if self._journal is not None:
            return self
        ensure_private_dir(self.wallets_folder)
        self._lock.acquire()
        try:
            self._machine_lock.acquire()
            for stale in [
                *remove_stale_temp_files(self.folder),
                *remove_stale_temp_files(self.wallets_folder),
            ]:
                log.info("removed %s, left by an interrupted write", stale)
            self._journal = JournalWriter(self.journal_path)
        except BaseException:
            self._release_locks()
            raise
        return self

    def _release_locks(self) -> None:
        try:
            self._machine_lock.release()
        finally:
            self._lock.release()

    def close(self) -> None:
        """Close the journal and release both locks (idempotent)."""
        journal, self._journal = self._journal, None
        try:
            if journal is not None:
                journal.close()
        finally:
            self._release_locks()

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _writer(self) -> JournalWriter:
        if self._journal is None:
            raise NotLockedError(f"{self.folder} is not open for writing; call open() first")
        return self._journal

    # -- checkpoint ------------------------------------------------------------------------

    def load_checkpoint(self) -> MarketCheckpoint | None:
        """The checkpoint, or None if there is none. A bad file raises `StateFileError`.

        A checkpoint of another market (a folder copied or renamed by hand) is refused too:
        resuming it would trade the wrong book. So is a version this code does not know (a newer
        tool's file): read with today's model and saved back, it would lose what it meant.

        A checkpoint without packer params (the original tool, resuming our run, rewrote it from
        its own fields) gets the user's from `packer.json` (see `restored_packer`).
        """
        self.restored_packer = None
        document = read_state_document(self.checkpoint_path, "checkpoint")
        if document is None:
            return None
        _check_checkpoint_version(self.checkpoint_path, document)
        checkpoint = validate_state_document(self.checkpoint_path, document, MarketCheckpoint, "checkpoint")
        if checkpoint.chain_id != self.chain_id or checkpoint.order_book.lower() != self.order_book:
            raise StateFileError(
                self.checkpoint_path,
                f"the checkpoint is for chain {checkpoint.chain_id} / {checkpoint.order_book}, "
                f"but lies in the folder of chain {self.chain_id} / {self.order_book}",
            )
        if checkpoint.packer is None:
            saved = self.load_saved_packer()
            if saved is not None:
                log.info("%s has no packer settings: restored them from %s", self.checkpoint_path, saved.path)
                self.restored_packer = saved
                checkpoint = checkpoint.model_copy(update={"packer": saved.params})
        return checkpoint

    def save_checkpoint(self, checkpoint: MarketCheckpoint) -> None:
        self._writer()
        if checkpoint.chain_id != self.chain_id or checkpoint.order_book.lower() != self.order_book:
            raise ValueError(
                f"checkpoint is for chain {checkpoint.chain_id} / {checkpoint.order_book}, "
                f"not this folder's market ({self.chain_id} / {self.order_book})"
            )
        if checkpoint.version != CHECKPOINT_VERSION:
            raise ValueError(
                f"checkpoint version {checkpoint.version} cannot be saved; "
                f"this ama-tui writes version {CHECKPOINT_VERSION}"
            )
        if checkpoint.packer is not None:
            self._save_packer(checkpoint, checkpoint.packer)
        save_state_file(self.checkpoint_path, checkpoint.to_json_dict())

    # -- the packer's params, kept where the original tool does not rewrite them -------------

    def _save_packer(self, checkpoint: MarketCheckpoint, packer: PackerParams) -> None:
        """Write `packer.json` (atomically) when its content changes; the checkpoint is saved
        every few seconds, its packer block far more rarely."""
        document = PackerFile(
            chain_id=checkpoint.chain_id,
            order_book=checkpoint.order_book,
            run_id=checkpoint.run.run_id,
            packer=packer,
        )
        data = dumps_state(document.to_json_dict())
        if self._packer_bytes is None:
            try:
                self._packer_bytes = self.packer_path.read_bytes()
            except OSError:
                self._packer_bytes = b""
        if data != self._packer_bytes:
            atomic_write_bytes(self.packer_path, data)
            self._packer_bytes = data

    def load_saved_packer(self) -> SavedPacker | None:
        """The packer params of `packer.json`, for a checkpoint that lacks them (the original tool
        rewrote it). None when there is no such file, or when it is another market's (a file
        copied by hand: its settings were chosen for another book). A file that cannot be read or
        does not validate raises `StateFileError`: resuming with defaults would silently change
        what the user chose."""
        try:
            document = read_state_document(self.packer_path, "packer settings file")
            if document is None:
                return None
            saved = validate_state_document(self.packer_path, document, PackerFile, "packer settings file")
        except StateFileError as exc:
            raise StateFileError(
                exc.path,
                f"{exc.reason}; the checkpoint has no packer settings, so they were to be restored "
                "from this file: fix it, or delete it to resume with the default settings",
            ) from exc
        if saved.chain_id != self.chain_id or saved.order_book.lower() != self.order_book:
            log.warning(
                "%s holds the packer settings of chain %s / %s, not of this market (%s / %s): not used",
                self.packer_path,
                saved.chain_id,
                saved.order_book,
                self.chain_id,
                self.order_book,
            )
            return None
        return SavedPacker(saved.packer, saved.run_id, self.packer_path)

    # -- wallet files ----------------------------------------------------------------------

    def wallet_path(self, address: str) -> Path:
        return self.wallets_folder / f"{checksum(address).lower()}.json"

    def load_wallet(self, address: str) -> WalletCheckpoint | None:
        return load_state_file(self.wallet_path(address), WalletCheckpoint, "wallet file")

    def load_wallets(self) -> dict[str, WalletCheckpoint]:
        """Every wallet file, keyed by lower-case address. A bad file raises `StateFileError`."""
        try:
            entries = sorted(self.wallets_folder.iterdir())
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StateFileError(self.wallets_folder, f"cannot list wallet files: {exc.strerror}") from exc
        wallets: dict[str, WalletCheckpoint] = {}
        for entry in entries:
            match = _WALLET_FILE.match(entry.name)
            if match is None or not entry.is_file():
                continue
            wallet = load_state_file(entry, WalletCheckpoint, "wallet file")
            if wallet is not None:
                wallets[match.group(1).lower()] = wallet
        return wallets

    def save_wallet(self, address: str, wallet: WalletCheckpoint) -> None:
        self._writer()
        save_state_file(self.wallet_path(address), wallet.to_json_dict())

    # -- the embedded exchange's own state ---------------------------------------------------

    @property
    def venue_state_path(self) -> Path:
        return self.folder / VENUE_STATE_FILE_NAME

    def load_venue_state(self) -> bytes | None:
        """The embedded exchange's saved state (opaque bytes), or None when there is none."""
        try:
            return self.venue_state_path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateFileError(self.venue_state_path, f"cannot read it: {exc.strerror or exc}") from exc

    def save_venue_state(self, data: bytes) -> None:
        """Save the embedded exchange's state atomically, next to the checkpoint."""
        self._writer()
        atomic_write_bytes(self.venue_state_path, data)

    def drop_venue_state(self) -> None:
        """Forget the embedded exchange's state (a fresh run starts a new exchange)."""
        self._writer()
        self.venue_state_path.unlink(missing_ok=True)

    # -- journal ---------------------------------------------------------------------------

    def _check_line(self, line: ActionLogLine) -> None:
        if line.chain_id != self.chain_id or line.order_book.lower() != self.order_book:
            raise ValueError(
                f"journal line is for chain {line.chain_id} / {line.order_book}, "
                f"not this folder's market ({self.chain_id} / {self.order_book})"
            )

    def append(self, line: ActionLogLine) -> None:
        """Journal one action; on return it is on disk."""
        writer = self._writer()
        self._check_line(line)
        writer.append(line)

    def append_many(self, lines: Iterable[ActionLogLine], *, sync: bool = True) -> int:
        """Journal a batch with one fsync (none with `sync=False`: written, so a killed process
        keeps it, but fsynced only by the next `sync_journal`); returns how many lines."""
        writer = self._writer()
        batch = list(lines)
        for line in batch:
            self._check_line(line)
        return writer.append_many(batch, sync=sync)

    def sync_journal(self) -> None:
        self._writer().sync()

    def tail(self, count: int) -> JournalTail:
        """The last `count` journal records, oldest first."""
        return read_tail(self.journal_path, count)

    def iter_journal(self, report: JournalReadReport | None = None) -> Iterator[ActionLogLine]:
        """Every journal record, oldest first, streamed."""
        return iter_journal(self.journal_path, report)
