"""The rows of GET /api/markets: one per deployed market, and one per listing not deployed yet
(production lists those too, e.g. `PENDING`, with `market_address` and `market_id_bytes32` null)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from ama_tui.devnet.catalog import MarketListing, listing_for
from ama_tui.devnet.deploy import DevnetDeployment, DevnetMarket
from ama_tui.devnet.relay.contracts import human

PRICE_DECIMALS: Final = 6


def _row(
    deployment: DevnetDeployment,
    *,
    symbol: str,
    name: str,
    category: str,
    status: str,
    tick6: int,
    initial_price6: int,
    margin_bps: int,
    market: DevnetMarket | None,
) -> dict[str, Any]:
    return {
        "id": market.market_id_bytes32 if market else f"undeployed:{symbol.lower()}",
        "symbol": symbol,
        "name": name,
        "market_identifier": symbol,
        "category": category,
        "market_address": market.order_book if market else None,
        "market_id_bytes32": market.market_id_bytes32 if market else None,
        "chain_id": deployment.chain_id,
        "network": "devnet",
        "tick_size": human(tick6, PRICE_DECIMALS),
        "decimals": PRICE_DECIMALS,
        "market_status": status,
        "is_active": status.upper() == "ACTIVE",
        "initial_price": human(initial_price6, PRICE_DECIMALS),
        "margin_requirement_bps": margin_bps,
        "central_vault_address": deployment.vault if market else None,
    }


def market_row(
    deployment: DevnetDeployment, market: DevnetMarket, listing: MarketListing | None
) -> dict[str, Any]:
    """The row of a deployed market (ACTIVE unless its listing says otherwise)."""
    return _row(
        deployment,
        symbol=market.symbol,
        name=listing.name if listing else market.symbol,
        category=listing.category if listing else "devnet",
        status=listing.status if listing else "ACTIVE",
        tick6=market.tick6,
        initial_price6=market.initial_price6,
        margin_bps=market.margin_bps,
        market=market,
    )


def undeployed_row(deployment: DevnetDeployment, listing: MarketListing) -> dict[str, Any]:
    """The row of a listed market with no contracts yet: no address, no market id."""
    return _row(
        deployment,
        symbol=listing.symbol,
        name=listing.name,
        category=listing.category,
        status=listing.status,
        tick6=listing.tick6,
        initial_price6=listing.initial_price6,
        margin_bps=listing.margin_bps,
        market=None,
    )


def market_rows(deployment: DevnetDeployment, listings: Sequence[MarketListing]) -> list[dict[str, Any]]:
    """Every deployed market, then every listing that names no deployed market."""
    listed = list(listings)
    deployed = {market.symbol for market in deployment.markets}
    return [market_row(deployment, m, listing_for(m.symbol, listed)) for m in deployment.markets] + [
        undeployed_row(deployment, listing) for listing in listed if listing.symbol not in deployed
    ]
