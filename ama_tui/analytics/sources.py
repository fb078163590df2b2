"""Which journals a command reads: one market's, or every market's under a state folder.

The state folder is `<root>/<chainId>/<orderBook lower-case>/actions.jsonl`. A market is named
by its order-book address or by the symbol in its checkpoint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ama_tui.store.errors import StateFileError
from ama_tui.store.layout import CHECKPOINT_FILE_NAME, JOURNAL_FILE_NAME
from ama_tui.store.state_files import read_state_document

_ADDRESS: Final = re.compile(r"^0x[0-9a-fA-F]{40}$")
_MARKET_FOLDER: Final = re.compile(r"^0x[0-9a-f]{40}$")


class SourceError(ValueError):
    """The state folder or market cannot be read as asked (a one-line message for the user)."""


@dataclass(frozen=True)
class JournalSource:
    path: Path
    chain_id: int
    order_book: str
    """Lower-case address (the folder's name)."""
    symbol: str | None
    """From the market's checkpoint, when it has one."""

    @property
    def label(self) -> str:
        return self.symbol or self.order_book


def _symbol(folder: Path) -> str | None:
    try:
        document = read_state_document(folder / CHECKPOINT_FILE_NAME, "checkpoint")
    except StateFileError:
        return None
    market = document.get("market") if document else None
    symbol = market.get("symbol") if isinstance(market, dict) else None
    return symbol if isinstance(symbol, str) and symbol else None


def _market_folders(root: Path) -> list[tuple[int, Path]]:
    try:
        chains = sorted(path for path in root.iterdir() if path.name.isdigit() and path.is_dir())
    except OSError as exc:
        raise SourceError(f"cannot list the state folder {root}: {exc.strerror or exc}") from exc
    found: list[tuple[int, Path]] = []
    for chain in chains:
        try:
            books = sorted(path for path in chain.iterdir() if _MARKET_FOLDER.match(path.name))
        except OSError as exc:
            raise SourceError(f"cannot list {chain}: {exc.strerror or exc}") from exc
        found.extend((int(chain.name), book) for book in books if (book / JOURNAL_FILE_NAME).is_file())
    return found


def find_journals(state_dir: Path, market: str | None = None) -> list[JournalSource]:
    """The journals under `state_dir` (all markets, or the one named by `market`). Raises
    `SourceError` when the folder is missing, holds no journal, or has no such market."""
    if not state_dir.exists():
        raise SourceError(f"state folder {state_dir} does not exist")
    if not state_dir.is_dir():
        raise SourceError(f"state folder {state_dir} is not a folder")
    sources = [
        JournalSource(folder / JOURNAL_FILE_NAME, chain_id, folder.name, _symbol(folder))
        for chain_id, folder in _market_folders(state_dir)
    ]
    if not sources:
        raise SourceError(f"no journal ({JOURNAL_FILE_NAME}) under {state_dir}")
    if market is None:
        return sources
    wanted = market.strip()
    if _ADDRESS.match(wanted):
        chosen = [s for s in sources if s.order_book == wanted.lower()]
    else:
        chosen = [s for s in sources if s.symbol is not None and s.symbol.lower() == wanted.lower()]
    if not chosen:
        known = ", ".join(sorted({s.label for s in sources}))
        raise SourceError(f"no journal for market {wanted!r} under {state_dir} (found: {known})")
    return chosen
