"""Trader addresses as venues take them: checksummed once (checksumming hashes, and a cycle names
every wallet), and anything that is not an address refused with a typed rejection."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from ama_tui.protocol.accounts import InvalidAddress, checksum
from ama_tui.venues.base import TradeRejected

_CACHE_SIZE = 100_000


@lru_cache(maxsize=_CACHE_SIZE)
def _checksummed(text: str) -> str | None:
    try:
        return checksum(text)
    except InvalidAddress:
        return None


def trader_address(trader: object) -> str:
    """The checksummed address, or `TradeRejected("invalid_address")` (never echoing long input)."""
    if isinstance(trader, str):
        address = _checksummed(trader)
        if address is not None:
            return address
    shown = trader if isinstance(trader, str) and len(trader) <= 64 else type(trader).__name__
    raise TradeRejected("invalid_address", f"not an address: {shown!r}")


def trader_addresses(traders: Sequence[str]) -> list[tuple[str, str]]:
    """(as given, checksummed) for each trader; one string instead of a list is a TypeError."""
    if isinstance(traders, str):
        raise TypeError("traders must be a sequence of addresses, not one string")
    return [(given, trader_address(given)) for given in traders]
