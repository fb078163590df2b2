"""One protocol for every venue: the embedded exchange, the local devnet and production Dexetra.

Synchronous and thread-friendly: the packer calls it from one worker thread and may fan trade
submissions out over a small thread pool, so implementations must be safe to call concurrently.
Every read that a packer cycle needs for many wallets takes the whole list of traders at once,
so a venue can answer it in O(1) round trips. Failures are typed (see the bottom of this file).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final, Protocol, runtime_checkable

from ama_tui.core.market import BookTop, InFlightPlacement, OpenOrder
from ama_tui.core.models import MarketRef
from ama_tui.core.units import price6
from ama_tui.protocol.errors import ErrorCode
from ama_tui.protocol.permits import SessionPermit


class VenueKind(StrEnum):
    SIM = "SIM"
    DEVNET = "DEVNET"
    LIVE = "LIVE"


# ---------------------------------------------------------------------------------------------
# Markets


@dataclass(frozen=True, slots=True)
class MarketRow:
    """A row of `GET /api/markets` (the reference's fields; `tick_size` and prices human decimals)."""

    symbol: str
    name: str
    market_identifier: str
    market_address: str
    market_id_bytes32: str
    chain_id: int
    tick_size: Decimal
    decimals: int
    market_status: str
    initial_price: Decimal | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def tick6(self) -> int:
        return price6(self.tick_size)

    @property
    def is_active(self) -> bool:
        return self.market_status.upper() == "ACTIVE"

    def to_market_ref(self) -> MarketRef:
        return MarketRef(
            symbol=self.symbol,
            market_identifier=self.market_identifier,
            market_address=self.market_address,
            market_id_bytes32=self.market_id_bytes32,
            chain_id=self.chain_id,
            tick_size=self.tick_size,
        )


@dataclass(frozen=True, slots=True)
class MarketPage:
    markets: tuple[MarketRow, ...]
    total: int
    limit: int
    offset: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.markets) < self.total


@dataclass(frozen=True, slots=True)
class MarketInfo:
    """What the packer needs about one market, read from the chain (or the sim)."""

    symbol: str
    order_book: str
    market_id_bytes32: str
    chain_id: int
    tick6: int
    margin_bps: int
    vault: str


# ---------------------------------------------------------------------------------------------
# Book, positions, fills


@dataclass(frozen=True, slots=True)
class DepthLevel:
    price6: int
    amount18: int
    order_count: int = 0
    """How many orders rest at the level (0 when the venue does not say)."""


@dataclass(frozen=True, slots=True)
class PublicTrade:
    timestamp: float
    """Unix seconds."""
    price6: int
    amount18: int
    taker_is_buy: bool | None = None


@dataclass(frozen=True, slots=True)
class BookSnapshot:
    top: BookTop
    bids: tuple[DepthLevel, ...] = ()
    """Best first."""
    asks: tuple[DepthLevel, ...] = ()
    """Best first."""
    recent_trades: tuple[PublicTrade, ...] = ()
    """Newest first."""
    timestamp: float = 0.0


@dataclass(frozen=True, slots=True)
class Position:
    size18: int
    """Signed: positive long, negative short."""
    entry_price6: int = 0
    margin_locked6: int = 0
    realized_pnl6: int = 0
    unrealized_pnl6: int = 0


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution involving one of our traders (one row per trader side)."""

    fill_id: str
    """Unique and stable across reads (sim: sequence; chain: tx hash + log index)."""
    timestamp: float
    trader: str
    is_buy: bool
    price6: int
    amount18: int
    counterparty: str
    order_id: int | None = None
    is_maker: bool | None = None
    tx_hash: str | None = None
    fee6: int | None = None
    """usdc6 the trader paid for this fill, taken from its collateral: 0 when no fee was charged,
    None when the venue does not say."""


@dataclass(frozen=True, slots=True)
class FillsPage:
    fills: tuple[Fill, ...]
    cursor: str
    """Pass back to `fills_since` to get only later fills."""


# ---------------------------------------------------------------------------------------------
# Sessions and trades


@dataclass(frozen=True, slots=True)
class SessionDomain:
    """What a permit is signed against: the EIP-712 domain's chain id and verifying contract."""

    chain_id: int
    registry: str


@dataclass(frozen=True, slots=True)
class SessionGrant:
    session_id: str
    expiry: int
    tx_hash: str | None = None


@dataclass(frozen=True, slots=True)
class PlaceLimit:
    trader: str
    price6: int
    amount18: int
    is_buy: bool


@dataclass(frozen=True, slots=True)
class PlaceMarket:
    trader: str
    amount18: int
    is_buy: bool


@dataclass(frozen=True, slots=True)
class ModifyOrder:
    trader: str
    order_id: int
    price6: int
    amount18: int


@dataclass(frozen=True, slots=True)
class CancelOrder:
    trader: str
    order_id: int


TradeRequest = PlaceLimit | PlaceMarket | ModifyOrder | CancelOrder


@dataclass(frozen=True, slots=True)
class TradeReceipt:
    tx_hash: str | None
    order_id: int | None = None
    """The new order's id for a placement or a modify, when the venue tells it."""
    filled18: int | None = None
    pending: bool = False
    """Sent, not mined yet (the production route's default answer): a cancel answered so may
    still leave its order resting for a few blocks."""


# ---------------------------------------------------------------------------------------------
# Time


class Clock(Protocol):
    """The venue's notion of time. The packer sleeps only through `wait`, so a virtual clock
    makes a run deterministic and a wall clock lets a stop land at once."""

    def now(self) -> float:
        """Unix seconds."""
        ...

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Let `seconds` pass (or less if `stop` is set); True when `stop` is set."""
        ...


def is_realtime(clock: Clock) -> bool:
    """Does the market move while a call is in flight? (False only for a virtual clock.)"""
    return bool(getattr(clock, "realtime", True))


class WallClock:
    realtime = True

    def now(self) -> float:
        return time.time()

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        return stop.wait(max(0.0, seconds))


# ---------------------------------------------------------------------------------------------
# Failures


class VenueError(Exception):
    """Base of every venue failure. Messages never contain secrets."""

    retryable = False


class TradeRejected(VenueError):
    """The venue refused the request; retrying the same request will fail the same way."""

    def __init__(self, code: ErrorCode | str, message: str = "", details: Mapping[str, Any] | None = None):
        self.code = code
        self.details = dict(details or {})
        super().__init__(f"{code}: {message}" if message else str(code))


def check_side(is_buy: object) -> None:
    """A request's side must be a real bool (a truthy string or 1 is refused, not guessed)."""
    if not isinstance(is_buy, bool):
        raise TradeRejected("invalid_request", f"is_buy must be a bool, got {type(is_buy).__name__}")


class RateLimited(VenueError):
    retryable = True

    def __init__(self, message: str = "rate limited", retry_after: float | None = None):
        self.retry_after = retry_after
        super().__init__(message)


class VenueUnavailable(VenueError):
    """Network failure, 5xx, circuit breaker open: retry later. A trade that failed this way may
    still have landed (the relay can fail after submitting): check before retrying."""

    retryable = True

    def __init__(self, message: str, *, code: ErrorCode | str | None = None, unsent: bool = False):
        self.code = code
        self.unsent = unsent
        """The request never left (no connection was made): nothing of it can land."""
        super().__init__(message)


class UnknownMarket(VenueError):
    pass


# ---------------------------------------------------------------------------------------------
# Capabilities some venues have


@runtime_checkable
class SessionChecker(Protocol):
    """A `SessionVenue` that can say whether sessions it issued are still active (a resume asks it
    before reusing a session found on disk, rather than learning it at the first trade)."""

    def sessions_active(self, session_ids: Sequence[str]) -> dict[str, bool]: ...


@runtime_checkable
class TopReader(Protocol):
    """A venue that can read the top of book alone, faster than a full `book` read (the chain's
    best prices, without the web app's depth): what the never-cross guard re-reads before a
    burst of placements."""

    def top(self, order_book: str) -> BookTop: ...


class PlacementState(StrEnum):
    PENDING = "pending"
    """Not mined yet as far as the venue can tell: it may still land."""
    LANDED = "landed"
    """Mined and ran: `order_id` is the order it placed (None if it placed none)."""
    REVERTED = "reverted"
    """Mined and reverted: nothing was placed."""


@dataclass(frozen=True, slots=True)
class PlacementOutcome:
    state: PlacementState
    order_id: int | None = None


@runtime_checkable
class PlacementResolver(Protocol):
    """A venue whose trade answers can come before mining (`TradeReceipt.order_id` None with a
    tx hash): it tells, in one batched read, what became of those transactions."""

    def placement_outcomes(
        self, order_book: str, sent: Sequence[tuple[str, str]]
    ) -> dict[str, PlacementOutcome]:
        """For each (tx hash, trader) sent: its outcome, keyed by the tx hash as given."""
        ...


# ---------------------------------------------------------------------------------------------
# The protocol


@runtime_checkable
class InFlightReader(Protocol):
    """A venue whose placements can be sent before they are mined (or whose answer was lost): it
    tells which may still land, as of its last open-orders read, so a plan counts them as held."""

    def placements_in_flight(
        self, order_book: str, traders: Sequence[str]
    ) -> dict[str, tuple[InFlightPlacement, ...]]:
        """For each trader as given: its placements that may still land (none: absent or empty)."""
        ...


@dataclass(frozen=True, slots=True)
class MarketReadRequest:
    """One market's part of `MarketsReader.read_markets`: what a cycle of it reads first."""

    order_book: str
    traders: tuple[str, ...]
    levels: int = 10


@dataclass(frozen=True, slots=True)
class MarketRead:
    """What `book`, `open_orders` and `available_collateral` would have answered for one market."""

    book: BookSnapshot
    orders: dict[str, tuple[OpenOrder, ...]]
    available: dict[str, int]


@runtime_checkable
class MarketsReader(Protocol):
    """A venue that reads several markets' books, orders and collateral in the round trips of
    one (a run over several markets reads them together instead of one after the other). What it
    settles on the way (placements in flight, prefetched fills) is as after `open_orders`."""

    def read_markets(self, requests: Sequence[MarketReadRequest]) -> dict[str, MarketRead]:
        """By each request's `order_book` as given; raises as the reads it stands for would."""
        ...


class OrderState(StrEnum):
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    """Resting, part of it filled."""
    FILLED = "filled"
    CANCELLED = "cancelled"
    """Gone without being filled in full (what was filled before stays filled)."""
    UNKNOWN = "unknown"
    """Never seen, or too old for the venue to remember."""


@dataclass(frozen=True, slots=True)
class OrderStatus:
    order_id: int
    state: OrderState
    filled18: int = 0
    remaining18: int = 0
    """What still rests (0 unless the order is open)."""


@runtime_checkable
class OrderStatusReader(Protocol):
    """A venue that can say what became of orders by id (what a strategy's `get_order_status` asks)."""

    def order_status(self, order_book: str, order_ids: Sequence[int]) -> dict[int, OrderStatus]:
        """For each id: its state and how much of it filled, in one read."""
        ...


class RootMemory(Protocol):
    """Where a relayer-set root read from the venue is remembered between launches."""

    def recall(self) -> str | None: ...

    def remember(self, root: str) -> None: ...


@runtime_checkable
class StartWarmer(Protocol):
    """A venue that can begin, in the background, the reads a run needs first (so they overlap
    the market look-up instead of following it). With `roots`, the relayer-set root it read last
    time is offered as a hint (`RelayerRootHinter`) and the one it reads now is remembered."""

    def warm_start(self, roots: RootMemory | None = None) -> None: ...


@runtime_checkable
class RelayerRootHinter(Protocol):
    """A session venue that may know the relayer-set root before it has read it: the root of the
    last run, while the live read is still in flight."""

    def relayer_root_hint(self) -> str | None:
        """The remembered root, once, while the live read has not answered yet; else None (then
        `relayer_set_root()` answers at once or reads). A session opened with the hint must be
        checked against `relayer_set_root()` before it trades."""
        ...


@runtime_checkable
class RowKeeper(Protocol):
    """A venue that resolves markets through a listing it reads over the network, and can be told
    a row it listed before (a remembered row saves the look-up; `market_info` still checks it
    against the chain)."""

    def know_rows(self, rows: Sequence[MarketRow]) -> None: ...


@runtime_checkable
class Venue(Protocol):
    kind: VenueKind
    clock: Clock

    def list_markets(
        self,
        *,
        search: str | None = None,
        status: str | None = "ACTIVE",
        limit: int = 50,
        offset: int = 0,
    ) -> MarketPage: ...

    def market_info(self, market: str) -> MarketInfo:
        """By symbol or order-book address. Raises UnknownMarket."""
        ...

    def book(self, order_book: str, levels: int = 10) -> BookSnapshot: ...

    def open_orders(self, order_book: str, traders: Sequence[str]) -> dict[str, tuple[OpenOrder, ...]]:
        """Every trader's live resting orders (keys: the traders as given)."""
        ...

    def available_collateral(self, traders: Sequence[str]) -> dict[str, int]:
        """usdc6 free collateral per trader."""
        ...

    def positions(self, order_book: str, traders: Sequence[str]) -> dict[str, Position]: ...

    def fills_cursor(self, order_book: str) -> str:
        """A cursor at 'now': `fills_since` with it returns only later fills."""
        ...

    def fills_since(self, order_book: str, traders: Sequence[str], cursor: str) -> FillsPage: ...

    def submit(self, order_book: str, session_id: str, request: TradeRequest) -> TradeReceipt:
        """`session_id`: the trader's session on a `SessionVenue`; `NO_SESSION` on a venue
        without sessions (which ignores it)."""
        ...

    def close(self) -> None: ...


NO_SESSION: Final = ""
"""The session id a venue without sessions is sent with each trade."""


@runtime_checkable
class SessionVenue(Venue, Protocol):
    """A venue whose trades go through gasless sessions (Dexetra, the devnet, the embedded exchange):
    each trader signs a permit once and the relay trades for it under the session's id. A venue
    without this capability trades with `NO_SESSION`, and the engine opens none."""

    def session_domain(self) -> SessionDomain: ...

    def relayer_set_root(self) -> str: ...

    def session_nonce(self, trader: str) -> int: ...

    def create_session(self, order_book: str, permit: SessionPermit, signature: str) -> SessionGrant: ...
