"""The web app's answers as the venue's types: market rows, depth levels, public trades."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from ama_tui.core.units import UnitError, amount18, price6
from ama_tui.venues.base import DepthLevel, MarketRow, PublicTrade
from ama_tui.venues.dexetra.api_models import MarketRowModel, OrderbookData

UNDEPLOYED: Final = "UNDEPLOYED"
"""The status shown for a row the app lists as ACTIVE but without an order book (never tradable)."""


def market_row(model: MarketRowModel) -> MarketRow:
    """A row of `/api/markets`. A market not deployed yet (reference section 7: PENDING rows with
    null `market_address`/`market_id_bytes32`) stays visible, not tradable: empty address and id,
    and a status that is never ACTIVE. The venue never resolves a market to such a row."""
    extra = dict(model.model_extra or {})  # extra="allow" without aliases: never a declared field
    status = model.market_status
    if not model.deployed and status.strip().upper() == "ACTIVE":
        status = UNDEPLOYED
    return MarketRow(
        symbol=model.symbol,
        name=model.name,
        market_identifier=model.market_identifier,
        market_address=model.market_address or "",
        market_id_bytes32=model.market_id_bytes32 or "",
        chain_id=model.chain_id,
        tick_size=model.tick_size,
        decimals=model.decimals,
        market_status=status,
        initial_price=model.initial_price,
        extra=extra,
    )


def is_deployed(row: MarketRow) -> bool:
    return bool(row.market_address and row.market_id_bytes32)


def depth_levels(data: OrderbookData, levels: int) -> tuple[tuple[DepthLevel, ...], tuple[DepthLevel, ...]]:
    """Bids best first, asks best first; both empty when the app could not read the depth."""
    book = data.depth
    if book is None:
        return (), ()

    def side(prices: Sequence[Any], amounts: Sequence[Any], best_first: bool) -> tuple[DepthLevel, ...]:
        merged: dict[int, int] = {}
        for price, amount in zip(prices, amounts, strict=True):
            p6, a18 = price6(price), amount18(amount)
            if p6 > 0 and a18 > 0:
                merged[p6] = merged.get(p6, 0) + a18
        ordered = sorted(merged.items(), reverse=best_first)[:levels]
        return tuple(DepthLevel(p6, a18) for p6, a18 in ordered)

    return side(book.bidPrices, book.bidAmounts, True), side(book.askPrices, book.askAmounts, False)


def public_trade(raw: Any) -> PublicTrade | None:
    """A `recentTrades` entry (its shape is not part of the reference: unreadable entries are skipped)."""
    if not isinstance(raw, dict):
        return None
    try:
        price = price6(raw["price"])
        size = amount18(raw["amount"] if "amount" in raw else raw["size"])
        stamp = float(raw["timestamp"])
    except (KeyError, TypeError, ValueError, UnitError):
        return None
    if price <= 0 or size <= 0 or stamp <= 0:
        return None
    if stamp > 1e11:  # milliseconds
        stamp /= 1000
    side = raw.get("takerIsBuy", raw.get("isBuy"))
    if not isinstance(side, bool):
        text = str(raw.get("side", "")).lower()
        side = True if text in ("buy", "bid") else False if text in ("sell", "ask") else None
    return PublicTrade(timestamp=stamp, price6=price, amount18=size, taker_is_buy=side)
