"""The state folder: one sub-folder per market, `<root>/<chainId>/<orderBook lower-case>/`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ama_tui.store.errors import StateFileError
from ama_tui.store.layout import CHECKPOINT_FILE_NAME
from ama_tui.store.market_store import MarketStore

_MARKET_FOLDER = re.compile(r"^0x[0-9a-f]{40}$")


@dataclass(frozen=True)
class StoredMarket:
    """A market that has a checkpoint, i.e. a run that can be resumed."""

    chain_id: int
    order_book: str
    """Lower-case address."""
    folder: Path
    checkpoint_modified: float
    """Unix seconds."""


class StateStore:
    def __init__(self, root: Path | str, *, lock_dir: Path | None = None) -> None:
        """`lock_dir`: where the machine-wide market locks live (default: the user's runtime folder)."""
        self.root = Path(root)
        self.lock_dir = lock_dir

    def __repr__(self) -> str:
        return f"StateStore({str(self.root)!r})"

    def market(self, chain_id: int, order_book: str) -> MarketStore:
        """A market's folder, not yet locked: reads work, writes need `open()`."""
        return MarketStore(self.root, chain_id, order_book, lock_dir=self.lock_dir)

    def open_market(self, chain_id: int, order_book: str) -> MarketStore:
        """A market's folder, locked for this process (`LockHeldError` if another has it)."""
        return self.market(chain_id, order_book).open()

    def list_markets(self) -> list[StoredMarket]:
        """Markets with a checkpoint, most recently saved first."""
        try:
            chains = [path for path in self.root.iterdir() if path.name.isdigit() and path.is_dir()]
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StateFileError(self.root, f"cannot list the state folder: {exc.strerror}") from exc
        found: list[StoredMarket] = []
        for chain in chains:
            try:
                books = [path for path in chain.iterdir() if _MARKET_FOLDER.match(path.name)]
            except OSError as exc:
                raise StateFileError(chain, f"cannot list the folder: {exc.strerror}") from exc
            for book in books:
                checkpoint = book / CHECKPOINT_FILE_NAME
                try:
                    modified = checkpoint.stat().st_mtime
                except (FileNotFoundError, NotADirectoryError):
                    continue
                found.append(StoredMarket(int(chain.name), book.name, book, modified))
        found.sort(key=lambda market: (-market.checkpoint_modified, market.chain_id, market.order_book))
        return found
