"""The wallets panel's sort orders (pure): the snapshot's order, or by utilization, position, PnL or
errors, biggest first (what a trader looks for: the wallet nearest its cap, the largest exposure,
the best PnL, the wallets with an error); reversed on demand. Ties keep the snapshot's order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from ama_tui.engine.snapshot import WalletView

SNAPSHOT_ORDER: Final = "wallet"
"""The default: the wallets as the snapshot lists them (its header carries no arrow)."""
SORT_KEYS: Final = (SNAPSHOT_ORDER, "util", "position", "pnl", "status")
"""`s` steps through these (the keys of the columns they sort, in the columns' order)."""
DESCENDING: Final = "▼"
ASCENDING: Final = "▲"


def error_count(wallet: WalletView) -> tuple[int, int]:
    """Errors in the run so far, then whether the wallet is failing now (the Status column shows
    its last error until it recovers)."""
    return wallet.errors, 1 if wallet.last_error else 0


def _util(wallet: WalletView) -> tuple[int, int]:
    return (wallet.utilization_bps if wallet.balances_known else -1), 0  # not read yet: below all


SORT_VALUES: Final[dict[str, Callable[[WalletView], tuple[int, int]]]] = {
    "util": _util,
    "position": lambda wallet: (abs(wallet.position18), 0),  # the exposure, long or short
    "pnl": lambda wallet: (wallet.pnl6, 0),
    "status": error_count,
}


def sorted_wallets(wallets: Sequence[WalletView], key: str, *, reverse: bool) -> list[WalletView]:
    """The wallets in the order shown: by `key`, biggest first (`reverse`: smallest first); the
    snapshot's order (`reverse`: backwards) for `SNAPSHOT_ORDER`. Ties keep the snapshot's order
    either way (Python's sort is stable, also with `reverse=True`)."""
    if key == SNAPSHOT_ORDER:
        return list(reversed(wallets)) if reverse else list(wallets)
    return sorted(wallets, key=SORT_VALUES[key], reverse=not reverse)


def sort_arrow(key: str, *, reverse: bool) -> str:
    """The mark after the sorted column's label: ▼ biggest first, ▲ smallest first; nothing for the
    snapshot's order (the header looks as it always did), ▼ for it backwards."""
    if key == SNAPSHOT_ORDER:
        return DESCENDING if reverse else ""
    return ASCENDING if reverse else DESCENDING


def next_sort_key(key: str) -> str:
    return SORT_KEYS[(SORT_KEYS.index(key) + 1) % len(SORT_KEYS)]
