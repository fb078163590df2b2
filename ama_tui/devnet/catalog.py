"""The devnet's market catalogue: what to deploy, how `/api/markets` lists it, how deep to seed it.

One `MarketListing` per market joins the on-chain spec (tick, margin, initial price) with the
listing fields the web app shows (name, category, status) and the resting depth the seeder lays.
`UNDEPLOYED_MARKETS` are listed by the relay only (status `PENDING`, no contracts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from ama_tui.devnet.deploy import MarketSpec

UNIT18: Final = 10**18
USDC6: Final = 10**6


@dataclass(frozen=True)
class DepthPlan:
    """Resting depth on each side: level i sits `spread_ticks + i * step_ticks` ticks from the
    initial price, `amount18` per level."""

    levels: int = 5
    amount18: int = UNIT18
    spread_ticks: int = 1
    step_ticks: int = 1


@dataclass(frozen=True)
class MarketListing:
    symbol: str
    name: str
    category: str
    tick6: int
    margin_bps: int
    initial_price6: int
    depth: DepthPlan = field(default_factory=DepthPlan)
    status: str = "ACTIVE"

    @property
    def spec(self) -> MarketSpec:
        return MarketSpec(self.symbol, self.tick6, self.margin_bps, self.initial_price6)


DEFAULT_MARKETS: Final[tuple[MarketListing, ...]] = (
    MarketListing(
        symbol="ETH-USD",
        name="Ethereum / US Dollar",
        category="crypto",
        tick6=10_000,  # 0.01
        margin_bps=1_000,
        initial_price6=3_000 * USDC6,
        depth=DepthPlan(levels=5, amount18=2 * UNIT18, spread_ticks=50, step_ticks=25),
    ),
    MarketListing(
        symbol="BTC-USD",
        name="Bitcoin / US Dollar",
        category="crypto",
        tick6=1_000_000,  # 1.00
        margin_bps=1_000,
        initial_price6=60_000 * USDC6,
        depth=DepthPlan(levels=5, amount18=UNIT18 // 10, spread_ticks=10, step_ticks=5),
    ),
    MarketListing(
        symbol="HENRY-HUB-PRICE",
        name="Henry Hub Natural Gas Spot Price",
        category="commodities",
        tick6=10_000,  # 0.01
        margin_bps=2_000,
        initial_price6=5 * USDC6,
        depth=DepthPlan(levels=5, amount18=500 * UNIT18, spread_ticks=2, step_ticks=1),
    ),
)
"""ETH-USD ~3000 (tick 0.01), BTC-USD ~60000 (tick 1), HENRY-HUB-PRICE ~5.00 (tick 0.01)."""

UNDEPLOYED_MARKETS: Final[tuple[MarketListing, ...]] = (
    MarketListing(
        symbol="GOLD-USD",
        name="Gold Spot / US Dollar",
        category="commodities",
        tick6=100_000,  # 0.10
        margin_bps=1_000,
        initial_price6=2_400 * USDC6,
        status="PENDING",
    ),
)
"""Listed but not deployed (production lists such markets with a null address and market id):
the relay lists them, nothing deploys or seeds them."""


def listing_for(
    symbol: str, listings: tuple[MarketListing, ...] | list[MarketListing]
) -> MarketListing | None:
    for listing in listings:
        if listing.symbol == symbol:
            return listing
    return None
