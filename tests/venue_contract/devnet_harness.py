"""The contract suite on the local devnet: `DexetraVenue` against anvil + the relay API.

One `DevnetStack` serves the whole contract suite (started on first use, stopped at exit); each
test gets a fresh harness with its own freshly funded traders and its own venue, so tests never
see each other's orders, positions or nonces even though they share the chain and its books.
The stack lists one extra market with no resting depth, for the empty-book contract.

Time: the venue's clock follows the chain's. `advance` moves the chain with `evm_increaseTime`
and mines a block, and the harness's clock is re-synchronised from the latest block, so
`harness.now()` is what the contracts see as `block.timestamp`.
"""

from __future__ import annotations

import atexit
import math
import threading
import time
import uuid
from typing import Final

from ama_tui.devnet.catalog import DEFAULT_MARKETS, DepthPlan, MarketListing
from ama_tui.devnet.deploy import connect, market_order_as
from ama_tui.devnet.node import rpc_request
from ama_tui.devnet.seeding import fund_many
from ama_tui.devnet.stack import DevnetStack
from ama_tui.protocol.accounts import address_of
from ama_tui.settings import LiveSettings
from ama_tui.venues.base import VenueKind
from ama_tui.venues.dexetra import DexetraVenue

from ..conftest import ensure_node_modules
from .harness import VenueHarness, derived_test_key

SYMBOL: Final = "ETH-USD"
EMPTY_SYMBOL: Final = "EMPTY-USD"
OTHER_SYMBOL: Final = "BTC-USD"
TRADER_FUNDS6: Final = 100_000 * 10**6
EMPTY_MARKET: Final = MarketListing(
    symbol=EMPTY_SYMBOL,
    name="A market nobody quotes",
    category="devnet",
    tick6=10_000,
    margin_bps=1_000,
    initial_price6=100 * 10**6,
    depth=DepthPlan(levels=0),
)
CONTRACT_MARKETS: Final = (*DEFAULT_MARKETS, EMPTY_MARKET)


class ChainClock:
    """Wall time plus the chain's lead over it (anvil's clock moves ahead with evm_increaseTime)."""

    def __init__(self, rpc_url: str) -> None:
        self._rpc_url = rpc_url
        self.offset = 0.0
        self.sync()

    def sync(self) -> None:
        rpc_request(self._rpc_url, "evm_mine")
        block = rpc_request(self._rpc_url, "eth_getBlockByNumber", ["latest", False])
        self.offset = int(block["timestamp"], 16) - time.time()

    def now(self) -> float:
        return time.time() + self.offset

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        return stop.wait(max(0.0, seconds))


def settings_of(stack: DevnetStack) -> LiveSettings:
    env = stack.env()
    return LiveSettings(
        rpc_url=env["RPC_URL"],
        session_registry=env["SESSION_REGISTRY_ADDRESS"],
        chain_id=int(env["CHAIN_ID"]),
        app_url=env["APP_URL"],
    )


def fund(stack: DevnetStack, addresses: list[str], amount6: int = TRADER_FUNDS6) -> None:
    fund_many(connect(stack.rpc_url), stack.deployment, [(address, amount6) for address in addresses])


_shared: DevnetStack | None = None
_shared_lock = threading.Lock()


def shared_stack() -> DevnetStack:
    """The contract suite's devnet (started once per test process, stopped at exit)."""
    global _shared
    with _shared_lock:
        if _shared is None or not _shared.healthy:
            ensure_node_modules()  # anvil comes from the project's node_modules
            stack = DevnetStack(wallets=1, markets=CONTRACT_MARKETS).start()
            atexit.register(stack.stop)
            _shared = stack
        return _shared


class DevnetHarness(VenueHarness):
    name = "devnet"
    reports_order_counts = False

    def __init__(self, *, trader_count: int = 4) -> None:
        self.stack = shared_stack()
        self.clock = ChainClock(self.stack.rpc_url)
        self.venue = self.dexetra = DexetraVenue(
            settings_of(self.stack), kind=VenueKind.DEVNET, clock=self.clock, http_timeout=30.0
        )
        self.order_book = self.stack.deployment.market(SYMBOL).order_book
        label = uuid.uuid4().hex
        keys = [derived_test_key(f"devnet {label} trader {i}") for i in range(trader_count)]
        self.traders = [(address_of(key), key) for key in keys]
        fund(self.stack, [address for address, _ in self.traders])

    def cause_taker_trade(self, is_buy: bool, amount18: int) -> None:
        """The seeded taker (not one of the traders) sends a direct market order."""
        market_order_as(self.stack.deployment, SYMBOL, self.stack.seeded.taker, amount18, is_buy)  # type: ignore[union-attr]

    def advance(self, seconds: float) -> None:
        rpc_request(self.stack.rpc_url, "evm_increaseTime", [max(1, math.ceil(seconds))])
        self.clock.sync()

    def empty_order_book(self) -> str | None:
        return self.stack.deployment.market(EMPTY_SYMBOL).order_book

    def fresh_order_book(self) -> str | None:
        """EMPTY-USD: no depth is seeded there and no test trades on it."""
        return self.stack.deployment.market(EMPTY_SYMBOL).order_book

    def other_order_book(self) -> str | None:
        return self.stack.deployment.market(OTHER_SYMBOL).order_book

    def answer_pending(self) -> None:
        """The relay answers `{txHash, pending: true}` by default, as production does."""

    def close(self) -> None:
        self.dexetra.close()
