"""The sim's market catalogue: the rows `GET /api/markets` would return, and the addresses around them.

Every address and id is derived from a fixed label with keccak256, so it is the same on every machine
and never collides with a real deployment by accident:

- `market_id_bytes32` = keccak256(symbol), as the production markets table stores it;
- the order book = the last 20 bytes of keccak256("ama-tui-sim/orderbook/" + symbol), checksummed;
- one CoreVault and one session registry, likewise from fixed labels.

The chain id is `SIM_CHAIN_ID` = 1337001: not anvil's 31337 (the devnet), not Hyperliquid's 999
(production), and not any chain listed on chainlist, so a sim state folder can never be mistaken for
a real chain's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from ama_tui.core.units import price6
from ama_tui.protocol.accounts import checksum_of
from ama_tui.protocol.keccak import keccak_text
from ama_tui.venues.base import MarketInfo, MarketPage, MarketRow

SIM_CHAIN_ID: Final = 1_337_001
DEFAULT_MARGIN_BPS: Final = 10_000
AMOUNT_DECIMALS: Final = 18
"""The `decimals` column: the base amount's decimals (amounts are 18-decimal integers on-chain)."""


def derived_address(label: str) -> str:
    """A deterministic checksummed pseudo address: the last 20 bytes of keccak256(label)."""
    return checksum_of(keccak_text(label)[12:])


def market_id_of(symbol: str) -> str:
    """`market_id_bytes32`: keccak256 of the symbol's UTF-8 bytes."""
    return "0x" + keccak_text(symbol).hex()


VAULT_ADDRESS: Final = derived_address("ama-tui-sim/core-vault")
REGISTRY_ADDRESS: Final = derived_address("ama-tui-sim/session-registry")
RELAYER_ADDRESSES: Final[tuple[str, ...]] = tuple(
    derived_address(f"ama-tui-sim/relayer/{i}") for i in range(3)
)
OUTSIDER: Final = derived_address("ama-tui-sim/outside-taker")
"""The participant behind `inject_taker` (an outside trader the tests and harness can summon)."""


@dataclass(frozen=True, slots=True)
class SimMarket:
    """One catalogue entry: the API row plus what the contracts would report (margin, vault)."""

    symbol: str
    name: str
    market_identifier: str
    tick_size: Decimal
    initial_price: Decimal
    margin_bps: int = DEFAULT_MARGIN_BPS
    status: str = "ACTIVE"
    category: str = "crypto"
    level_notional6: int = 2_000 * 10**6
    """Roughly what one liquidity-provider order is worth (USDC), so books look alike across prices."""
    order_book: str = field(init=False)
    market_id_bytes32: str = field(init=False)
    tick6: int = field(init=False)
    initial_price6: int = field(init=False)

    def __post_init__(self) -> None:
        tick6 = price6(self.tick_size, exact=True)
        initial6 = price6(self.initial_price, exact=True)
        if tick6 <= 0 or initial6 <= 0 or initial6 % tick6:
            raise ValueError(
                f"{self.symbol}: the tick and initial price must be positive, the price on the tick"
            )
        object.__setattr__(self, "order_book", derived_address(f"ama-tui-sim/orderbook/{self.symbol}"))
        object.__setattr__(self, "market_id_bytes32", market_id_of(self.symbol))
        object.__setattr__(self, "tick6", tick6)
        object.__setattr__(self, "initial_price6", initial6)

    @property
    def is_active(self) -> bool:
        return self.status.upper() == "ACTIVE"

    def row(self) -> MarketRow:
        return MarketRow(
            symbol=self.symbol,
            name=self.name,
            market_identifier=self.market_identifier,
            market_address=self.order_book,
            market_id_bytes32=self.market_id_bytes32,
            chain_id=SIM_CHAIN_ID,
            tick_size=self.tick_size,
            decimals=AMOUNT_DECIMALS,
            market_status=self.status,
            initial_price=self.initial_price,
            extra={"category": self.category, "margin_bps": self.margin_bps},
        )

    def info(self) -> MarketInfo:
        return MarketInfo(
            symbol=self.symbol,
            order_book=self.order_book,
            market_id_bytes32=self.market_id_bytes32,
            chain_id=SIM_CHAIN_ID,
            tick6=self.tick6,
            margin_bps=self.margin_bps,
            vault=VAULT_ADDRESS,
        )


CATALOGUE: Final[tuple[SimMarket, ...]] = (
    SimMarket("ETH-USD", "Ether / US Dollar", "ETH-USD-PERP", Decimal("0.01"), Decimal("3000.00")),
    SimMarket("BTC-USD", "Bitcoin / US Dollar", "BTC-USD-PERP", Decimal("0.5"), Decimal("95000.0")),
    SimMarket(
        "HENRY-HUB-PRICE",
        "Henry Hub Natural Gas Spot Price",
        "HENRY-HUB-PRICE",
        Decimal("0.01"),
        Decimal("5.00"),
        category="commodities",
    ),
    SimMarket("DOGE-USD", "Dogecoin / US Dollar", "DOGE-USD-PERP", Decimal("0.0001"), Decimal("0.1500")),
    SimMarket(
        "GOLD-OZ",
        "Gold, one troy ounce",
        "GOLD-OZ-SPOT",
        Decimal("0.1"),
        Decimal("2650.0"),
        margin_bps=5_000,
        category="commodities",
    ),
    SimMarket(
        "WTI-CRUDE-DEC25",
        "WTI Crude Oil, December 2025 (settled)",
        "WTI-CRUDE-DEC25",
        Decimal("0.01"),
        Decimal("70.00"),
        status="SETTLED",
        category="commodities",
    ),
)
"""Six markets: two priced in the thousands, one around 5.00, one on a 0.0001 tick, one with a 50 %
margin requirement (GOLD-OZ), and one that no longer trades (WTI-CRUDE-DEC25, status SETTLED)."""


class Catalogue:
    """Look-ups over a fixed list of markets (symbols and addresses case-insensitive)."""

    def __init__(self, markets: Sequence[SimMarket] = CATALOGUE) -> None:
        self.markets: tuple[SimMarket, ...] = tuple(markets)
        self._by_key: dict[str, SimMarket] = {}
        for market in self.markets:
            for key in (market.symbol, market.order_book):
                if key.lower() in self._by_key:
                    raise ValueError(f"duplicate market key {key}")
                self._by_key[key.lower()] = market

    def find(self, key: object) -> SimMarket | None:
        """The market with this symbol or order-book address (any case), or None."""
        if not isinstance(key, str):
            return None
        return self._by_key.get(key.strip().lower())

    def page(
        self, *, search: str | None = None, status: str | None = "ACTIVE", limit: int = 50, offset: int = 0
    ) -> MarketPage:
        """Like the production route: case-insensitive search over symbol, name and identifier; a
        status filter (None or empty: any); `total` counts the matches before paging."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ValueError(f"limit must be a non-negative integer, got {limit!r}")
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise ValueError(f"offset must be a non-negative integer, got {offset!r}")
        needle = (search or "").strip().lower()
        wanted_status = (status or "").strip().upper()
        matches = [
            market
            for market in self.markets
            if (not wanted_status or market.status.upper() == wanted_status)
            and (
                not needle
                or needle in market.symbol.lower()
                or needle in market.name.lower()
                or needle in market.market_identifier.lower()
            )
        ]
        rows = tuple(market.row() for market in matches[offset : offset + limit])
        return MarketPage(markets=rows, total=len(matches), limit=limit, offset=offset)
