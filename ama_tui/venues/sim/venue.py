"""`SimVenue`: the embedded, deterministic exchange behind the `Venue` protocol.

It is production as the packer sees it — markets, books, a vault, an EIP-712 session registry, a relay
that is slow and sometimes fails — on one process and one lock:

- **Time.** On the virtual clock (`clock="virtual"`) time moves only through `advance(seconds)` and
  `clock.wait(stop, seconds)`, so one seed gives one run, bit for bit. On the wall clock each public
  call first catches the market up to `time.time()` (no background thread; at most
  `WALL_CATCH_UP_MAX_S` of activity is replayed after a long pause). Market activity runs in steps of
  `STEP_MS` of sim time.
- **Markets** come from `markets.CATALOGUE`. A market starts living (its providers post their first
  ladders and its reference price starts walking) the first time a call other than `list_markets` /
  `market_info` names it — a state change like any other — and from then on evolves from its own RNG
  (seeded from the venue seed and its symbol), so looking at one market never changes another.
  Markets that are not ACTIVE keep an empty, frozen book.
- **Relay.** Each trade submission and session creation draws its latency and its failure from a hash
  of (seed, trader, that trader's own call counter), never from a shared generator, so concurrent
  callers cannot change each other's draws. Some failures are reported after the trade has landed.
  By default an answer carries the new order's id (`relay_answers="mined"`); with
  `relay_answers="pending"` it carries only the transaction hash, as the production route's default
  answer does, and `placement_outcomes` / `placed_order_id` tell what the transaction placed.
- **Matching** is the exchange's (`book`), self-trade prevention included: an order that would match
  its own trader's resting order cancels that order (logged as a `cancel` event with reason
  `self_trade`) instead of trading with it. A market has no mark price until its first trade, and
  its last trade reads the 1.000000 placeholder until then, as on-chain.
- **Audit and event log.** Every state change is appended to an event log with a running sha256
  (`event_log_hash`); `audit()` counts what the packer must never do (take liquidity, match itself,
  cross its own quotes).
- **Persistence.** `export_state()` saves the whole exchange as bytes and `restore_state()` on a venue
  built with the same seed, preset and clock brings it back (`snapshot_state`), so a resumed run
  meets the same books, accounts and sessions, and goes on as the saved one would have.

Bad input is refused with a typed `TradeRejected` (or `UnknownMarket`) before anything changes.
"""

from __future__ import annotations

import bisect
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from ama_tui.core.margin import estimate_margin6, margin_on_notional6, notional6
from ama_tui.core.market import BookTop, OpenOrder
from ama_tui.core.units import MAX_PRICE6
from ama_tui.protocol.errors import ErrorCode
from ama_tui.protocol.keccak import keccak256
from ama_tui.protocol.methods import MethodBit, TradeMethod
from ama_tui.protocol.permits import SessionPermit
from ama_tui.protocol.relayers import relayer_set_root
from ama_tui.venues.addresses import trader_address, trader_addresses
from ama_tui.venues.base import (
    BookSnapshot,
    CancelOrder,
    Clock,
    DepthLevel,
    Fill,
    FillsPage,
    MarketInfo,
    MarketPage,
    ModifyOrder,
    OrderStatus,
    PlaceLimit,
    PlaceMarket,
    PlacementOutcome,
    PlacementState,
    Position,
    PublicTrade,
    RateLimited,
    SessionDomain,
    SessionGrant,
    TradeReceipt,
    TradeRejected,
    TradeRequest,
    UnknownMarket,
    VenueError,
    VenueKind,
    VenueUnavailable,
    check_side,
)
from ama_tui.venues.sim import snapshot_state
from ama_tui.venues.sim.audit import AuditCounters, SimAudit
from ama_tui.venues.sim.book import BookOrder, NoLiquidity, OrderBook, PlaceResult, Trade
from ama_tui.venues.sim.clock import SimWallClock, VirtualClock
from ama_tui.venues.sim.events import Event, EventLog
from ama_tui.venues.sim.market_state import MarketState, TradeRecord
from ama_tui.venues.sim.markets import (
    CATALOGUE,
    OUTSIDER,
    REGISTRY_ADDRESS,
    RELAYER_ADDRESSES,
    SIM_CHAIN_ID,
    Catalogue,
    SimMarket,
)
from ama_tui.venues.sim.presets import FAILURE_MIX, LANDED_SHARE, SimPreset, get_preset
from ama_tui.venues.sim.price_path import OhlcvReplay, PriceMode, load_ohlcv, parse_price_mode
from ama_tui.venues.sim.sessions import SessionRegistry
from ama_tui.venues.sim.vault import Vault

STEP_MS: Final = 250
"""Sim time per market step."""
DEFAULT_START_TIME: Final = 1_767_225_600
"""2026-01-01T00:00:00Z: where the virtual clock starts unless told otherwise."""
DEFAULT_FUNDING6: Final = 10_000 * 10**6
MAX_AMOUNT18: Final = 10**30
WALL_CATCH_UP_MAX_S: Final = 300
MAX_LEVELS: Final = 100
PLACEMENTS_KEPT: Final = 4_096
"""How many of the latest trade transactions `placement_outcomes` can still tell about."""
SELF_TRADE: Final = "self_trade"
"""The reason a `cancel` event gives when self-trade prevention cancelled the order."""

ClockMode = Literal["wall", "virtual"]
RelayAnswers = Literal["mined", "pending"]


class InvalidCursor(VenueError, ValueError):
    """A fills cursor this venue did not hand out."""


@dataclass(frozen=True, slots=True)
class _RelayDraw:
    latency_s: float
    failure: str | None
    landed: bool
    retry_after: float


def _unit(seed: int, trader: str, counter: int, purpose: str) -> float:
    """A uniform draw in [0, 1) from a hash: the same inputs give the same draw on every machine."""
    digest = hashlib.sha256(f"{seed}|{trader}|{counter}|{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class SimVenue:
    """The embedded exchange. Thread-safe: one re-entrant lock around all state."""

    kind: VenueKind = VenueKind.SIM
    clock: Clock

    def __init__(
        self,
        seed: int,
        preset: str = "REALISTIC",
        clock: ClockMode = "wall",
        *,
        funding6: int = DEFAULT_FUNDING6,
        start_time: int | None = None,
        ohlcv_csv: Path | str | None = None,
        ohlcv_symbol: str | None = None,
        price_mode: str | PriceMode = "MEAN",
        participants: bool = True,
        markets: Sequence[SimMarket] = CATALOGUE,
        relay_answers: RelayAnswers = "mined",
    ) -> None:
        """`ohlcv_csv` makes every active market's reference follow the bars' closes (relative to
        each market's initial price); with `ohlcv_symbol` only that market follows them, at the bars'
        own prices. `participants=False` leaves the books to the callers (no providers, no takers).
        `relay_answers` (see `relay_answers` below) may also be changed on a running venue."""
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError("seed must be an int")
        if clock not in ("wall", "virtual"):
            raise ValueError(f"clock must be 'wall' or 'virtual', got {clock!r}")
        self.seed = seed
        self.relay_answers: RelayAnswers = _relay_answers(relay_answers)
        """"mined": a trade's answer carries the new order's id and what it filled. "pending": only
        the transaction hash, as the production route answers by default (`{txHash, pending: true}`,
        never an order id); the trade is booked all the same, and `placement_outcomes` tells what it
        placed. It changes only what answers say, never the exchange, so a snapshot does not keep it."""
        self.preset: SimPreset = get_preset(preset)
        self.price_mode = parse_price_mode(price_mode)
        self.with_participants = bool(participants)
        self.virtual = clock == "virtual"
        self.catalogue = Catalogue(markets)
        self._lock = threading.RLock()
        self._closed = False
        if self.virtual:
            start = DEFAULT_START_TIME if start_time is None else int(start_time)
            self._now_us = start * 1_000_000
            self.clock = VirtualClock(self)
        else:
            self._now_us = int(time.time() * 1_000_000) if start_time is None else int(start_time) * 1_000_000
            self.clock = SimWallClock()
        self._start_ms = self._now_ms
        self._next_step_us = self._now_us + STEP_MS * 1000
        self._replay: OhlcvReplay | None = None
        self._replay_first_close6 = 0
        self._ohlcv_symbol: str | None = None
        if ohlcv_csv is not None:
            bars = load_ohlcv(Path(ohlcv_csv))
            self._replay = OhlcvReplay(bars)
            self._replay_first_close6 = int(bars[0].close * 10**6)
            if ohlcv_symbol is not None:
                found = self.catalogue.find(ohlcv_symbol)
                if found is None:
                    raise UnknownMarket(f"no sim market {ohlcv_symbol!r} to replay the bars on")
                self._ohlcv_symbol = found.symbol
        elif ohlcv_symbol is not None:
            raise ValueError("ohlcv_symbol needs ohlcv_csv")
        self._domain = SessionDomain(chain_id=SIM_CHAIN_ID, registry=REGISTRY_ADDRESS)
        self._relayer_root = relayer_set_root(RELAYER_ADDRESSES)
        self._registry = SessionRegistry(self._domain, self._relayer_root)
        self._vault = Vault(funding6)
        self._states: dict[str, MarketState] = {}
        self._participants: set[str] = {OUTSIDER}
        self._session_traders: set[str] = set()
        self._calls: dict[str, int] = {}
        self._placements: OrderedDict[str, tuple[str, str, int | None]] = OrderedDict()
        """tx hash -> (symbol, trader, the order it placed or None) of the latest trade transactions."""
        self._tx_seq = 0
        self._seed_bytes = hashlib.sha256(f"ama-tui-sim|{seed}".encode()).digest()
        self._events = EventLog()
        self._audit = AuditCounters()
        self._margin_bps = {market.symbol: market.margin_bps for market in self.catalogue.markets}

    def __repr__(self) -> str:
        mode = "virtual" if self.virtual else "wall"
        return f"SimVenue(seed={self.seed}, preset={self.preset.name}, clock={mode})"

    # ============================================================== time

    def now(self) -> float:
        """Sim time, unix seconds."""
        with self._lock:
            return self._now_us / 1_000_000

    def advance(self, seconds: float) -> None:
        """Let `seconds` of sim time pass (virtual clock only): the market steps every `STEP_MS`."""
        if not self.virtual:
            raise RuntimeError("advance() is for the virtual clock; the wall clock moves by itself")
        if not seconds >= 0:
            raise ValueError(f"cannot advance by {seconds!r} seconds")
        with self._lock:
            self._check_open()
            self._run_until(self._now_us + round(seconds * 1_000_000))

    def _run_until(self, target_us: int) -> None:
        """Step every market whose step boundary falls in (now, target], then stand at `target_us`.
        Time is kept in whole microseconds so that many small advances add up exactly."""
        dt = STEP_MS / 1000
        step_us = STEP_MS * 1000
        while self._next_step_us <= target_us:
            self._now_us = self._next_step_us
            self._next_step_us += step_us
            now_ms = self._now_ms
            for market in self.catalogue.markets:
                state = self._states.get(market.symbol)
                if state is not None:
                    state.step(now_ms, dt)
        self._now_us = max(self._now_us, target_us)

    def _catch_up(self) -> None:
        """Wall clock: replay the market up to now (at most the last `WALL_CATCH_UP_MAX_S`)."""
        self._check_open()
        if self.virtual:
            return
        target = int(time.time() * 1_000_000)
        if target - self._now_us > WALL_CATCH_UP_MAX_S * 1_000_000:
            skipped = target - WALL_CATCH_UP_MAX_S * 1_000_000 - self._now_us
            skipped -= skipped % (STEP_MS * 1000)
            self._now_us += skipped
            self._next_step_us += skipped
        self._run_until(target)

    def _check_open(self) -> None:
        if self._closed:
            raise VenueUnavailable("the sim venue is closed", code=ErrorCode.UNAVAILABLE)

    @property
    def _now_ms(self) -> int:
        return self._now_us // 1000

    @property
    def _now_s(self) -> int:
        return self._now_us // 1_000_000

    # ============================================================== markets

    def list_markets(
        self,
        *,
        search: str | None = None,
        status: str | None = "ACTIVE",
        limit: int = 50,
        offset: int = 0,
    ) -> MarketPage:
        return self.catalogue.page(search=search, status=status, limit=limit, offset=offset)

    def market_info(self, market: str) -> MarketInfo:
        return self._market(market).info()

    def _market(self, key: object) -> SimMarket:
        found = self.catalogue.find(key)
        if found is None:
            shown = key if isinstance(key, str) and len(key) <= 80 else type(key).__name__
            raise UnknownMarket(f"no sim market {shown!r}")
        return found

    def _state(self, order_book: object) -> MarketState:
        market = self._market(order_book)
        state = self._states.get(market.symbol)
        if state is None:
            state = MarketState(self, market, self._now_ms)
            self._states[market.symbol] = state
            if state.participants is not None:
                self._participants.update(state.participants.addresses)
        return state

    def reference_price6(self, order_book: str) -> int:
        """The price the market's participants quote around right now."""
        with self._lock:
            self._catch_up()
            return self._state(order_book).reference6

    # ============================================================== reads

    def book(self, order_book: str, levels: int = 10) -> BookSnapshot:
        if isinstance(levels, bool) or not isinstance(levels, int):
            raise TypeError("levels must be an int")
        levels = min(max(levels, 1), MAX_LEVELS)
        with self._lock:
            self._catch_up()
            state = self._state(order_book)
            book = state.book
            bids, asks = book.depth(levels)
            return BookSnapshot(
                top=BookTop(book.best_bid6, book.best_ask6, state.mark6(), state.last_trade6()),
                bids=tuple(DepthLevel(lvl.price6, lvl.amount18, lvl.order_count) for lvl in bids),
                asks=tuple(DepthLevel(lvl.price6, lvl.amount18, lvl.order_count) for lvl in asks),
                recent_trades=tuple(state.recent),
                timestamp=self._now_us / 1_000_000,
            )

    def open_orders(self, order_book: str, traders: Sequence[str]) -> dict[str, tuple[OpenOrder, ...]]:
        addresses = trader_addresses(traders)
        with self._lock:
            self._catch_up()
            book = self._state(order_book).book
            return {
                given: tuple(
                    OpenOrder(
                        o.order_id, o.trader, o.price6, o.amount18, o.is_buy, o.timestamp, o.margin_required6
                    )
                    for o in book.orders_of(address)
                )
                for given, address in addresses
            }

    def available_collateral(self, traders: Sequence[str]) -> dict[str, int]:
        addresses = trader_addresses(traders)
        with self._lock:
            self._catch_up()
            result: dict[str, int] = {}
            for given, address in addresses:
                self._open_account(address)
                result[given] = self._available6(address)
            return result

    def positions(self, order_book: str, traders: Sequence[str]) -> dict[str, Position]:
        addresses = trader_addresses(traders)
        with self._lock:
            self._catch_up()
            state = self._state(order_book)
            symbol = state.market.symbol
            mark6 = state.mark6()
            result: dict[str, Position] = {}
            for given, address in addresses:
                position = self._vault.position(address, symbol)
                if position is None:
                    result[given] = Position(size18=0)
                    continue
                result[given] = Position(
                    size18=position.size18,
                    entry_price6=position.entry_price6,
                    margin_locked6=position.margin_locked6(state.market.margin_bps),
                    realized_pnl6=position.realized_pnl6,
                    unrealized_pnl6=position.unrealized_pnl6(mark6),
                )
            return result

    def fills_cursor(self, order_book: str) -> str:
        with self._lock:
            self._catch_up()
            return str(self._state(order_book).book.trade_count)

    def fills_since(self, order_book: str, traders: Sequence[str], cursor: str) -> FillsPage:
        """One `Fill` per trade side of a listed trader after `cursor` (the market's trade sequence
        number). Trades between the sim's own participants are not kept, so they never show here."""
        addresses = trader_addresses(traders)
        wanted: dict[str, str] = {}
        for given, address in addresses:
            wanted.setdefault(address, given)
        with self._lock:
            self._catch_up()
            state = self._state(order_book)
            last = state.book.trade_count
            if not isinstance(cursor, str) or not cursor.strip().isdigit() or not cursor.strip().isascii():
                raise InvalidCursor(f"fills cursor must be a decimal trade sequence number, got {cursor!r}")
            after = int(cursor.strip())
            if after > last:
                raise InvalidCursor(f"fills cursor {after} is ahead of this market's {last} trades")
            symbol = state.market.symbol
            fills: list[Fill] = []
            start = bisect.bisect_right(state.record_seqs, after)
            for record in state.records[start:]:
                trade = record.trade
                tx_hash = self._tx_hash(record.tx_seq)
                maker_given = wanted.get(trade.maker)
                if maker_given is not None:
                    fills.append(
                        Fill(
                            fill_id=f"{symbol}-{trade.seq}-maker",
                            timestamp=record.time_ms / 1000,
                            trader=maker_given,
                            is_buy=not trade.taker_is_buy,
                            price6=trade.price6,
                            amount18=trade.amount18,
                            counterparty=trade.taker,
                            order_id=trade.maker_order_id,
                            is_maker=True,
                            tx_hash=tx_hash,
                            fee6=0,  # the embedded exchange charges no fee
                        )
                    )
                taker_given = wanted.get(trade.taker)
                if taker_given is not None:
                    fills.append(
                        Fill(
                            fill_id=f"{symbol}-{trade.seq}-taker",
                            timestamp=record.time_ms / 1000,
                            trader=taker_given,
                            is_buy=trade.taker_is_buy,
                            price6=trade.price6,
                            amount18=trade.amount18,
                            counterparty=trade.maker,
                            order_id=trade.taker_order_id,
                            is_maker=False,
                            tx_hash=tx_hash,
                            fee6=0,
                        )
                    )
            return FillsPage(fills=tuple(fills), cursor=str(last))

    # ============================================================== sessions

    def session_domain(self) -> SessionDomain:
        return self._domain

    def relayer_set_root(self) -> str:
        return self._relayer_root

    def session_nonce(self, trader: str) -> int:
        address = trader_address(trader)
        with self._lock:
            self._catch_up()
            return self._registry.nonce(address)

    def sessions_active(self, session_ids: Sequence[str]) -> dict[str, bool]:
        """Which of these sessions the registry holds, unexpired."""
        with self._lock:
            self._catch_up()
            return {sid: self._registry.is_active(sid, self._now_s) for sid in session_ids}

    def create_session(self, order_book: str, permit: SessionPermit, signature: str) -> SessionGrant:
        if not isinstance(permit, SessionPermit):
            raise TypeError(f"permit must be a SessionPermit, got {type(permit).__name__}")
        trader = permit.trader
        with self._lock:
            self._catch_up()
            self._state(order_book)
            draw = self._relay_draw(trader)
        self._relay_sleep(draw)
        with self._lock:
            self._catch_up()
            self._audit.relay_latency_s += draw.latency_s
            if draw.failure is not None:
                self._relay_failure(trader, draw, landed=False)
            try:
                self._registry.check_permit(permit, signature, self._now_s)
            except TradeRejected as exc:
                self._log_rejection(trader, "createSession", exc)
                raise
            session = self._registry.create(permit)
            self._open_account(trader)
            self._session_traders.add(trader)
            self._audit.sessions_created += 1
            tx_seq = self._next_tx()
            self._events.append(
                "session", self._now_ms, trader, session.expiry, permit.nonce, int(session.methods)
            )
            return SessionGrant(
                session_id=session.session_id, expiry=session.expiry, tx_hash=self._tx_hash(tx_seq)
            )

    # ============================================================== trading

    def submit(self, order_book: str, session_id: str, request: TradeRequest) -> TradeReceipt:
        trader_text = getattr(request, "trader", None)
        try:
            trader = trader_address(trader_text)
        except TradeRejected:
            trader = ""
        with self._lock:
            self._catch_up()
            state = self._state(order_book)
            if not trader:
                raise self._reject(
                    str(trader_text)[:64],
                    _method_name(request),
                    TradeRejected(ErrorCode.INVALID_TRADER, "the request's trader is not an address"),
                )
            draw = self._relay_draw(trader)
        self._relay_sleep(draw)
        with self._lock:
            self._catch_up()
            self._audit.relay_latency_s += draw.latency_s
            if draw.failure is not None and not draw.landed:
                self._relay_failure(trader, draw, landed=False)
            receipt = self._execute(state, session_id, trader, request)
            if draw.failure is not None:
                self._relay_failure(trader, draw, landed=True)
            if self.relay_answers == "pending" and not isinstance(request, CancelOrder):
                return TradeReceipt(receipt.tx_hash)  # `{txHash, pending: true}`: no id, no amount
            return receipt

    def placement_outcomes(
        self, order_book: str, sent: Sequence[tuple[str, str]]
    ) -> dict[str, PlacementOutcome]:
        """What became of trades sent as (tx hash, trader) on this book (`PlacementResolver`): LANDED
        with the order the trader placed in that transaction (None for a cancel, or when the
        transaction placed nothing of theirs on this book). The sim books a trade before it answers,
        so a transaction it sent is never pending; one it does not know (never sent, or older than
        the latest `PLACEMENTS_KEPT`) reads PENDING, as an unmined hash does on-chain."""
        with self._lock:
            self._catch_up()
            symbol = self._market(order_book).symbol
            out: dict[str, PlacementOutcome] = {}
            for tx_hash, trader in sent:
                known = self._placements.get(tx_hash.lower()) if isinstance(tx_hash, str) else None
                if known is None:
                    out[tx_hash] = PlacementOutcome(PlacementState.PENDING)
                    continue
                placed_symbol, placer, order_id = known
                try:
                    mine = placed_symbol == symbol and placer == trader_address(trader)
                except TradeRejected:
                    mine = False
                out[tx_hash] = PlacementOutcome(PlacementState.LANDED, order_id if mine else None)
            return out

    def order_status(self, order_book: str, order_ids: Sequence[int]) -> dict[int, OrderStatus]:
        """What became of these orders (`OrderStatusReader`): resting ones from the book, the
        session traders' others from what the sim saw of them (UNKNOWN: never placed, a liquidity
        provider's, or older than the latest `order_fates.KEPT` that left the book)."""
        with self._lock:
            self._catch_up()
            state = self._state(order_book)
            return {order_id: state.fates.status(state.book, order_id) for order_id in order_ids}

    def placed_order_id(self, tx_hash: str, trader: str, order_book: str) -> int | None:
        """The id of the order `trader` placed on this book in the transaction `tx_hash` (a limit or
        market order, or a modify's new order); None when it placed none or is not known."""
        return self.placement_outcomes(order_book, [(tx_hash, trader)])[tx_hash].order_id

    def _execute(
        self, state: MarketState, session_id: str, trader: str, request: TradeRequest
    ) -> TradeReceipt:
        method = _method_name(request)
        try:
            if not state.market.is_active:
                raise TradeRejected(
                    ErrorCode.MARKET_INACTIVE, f"{state.market.symbol} is {state.market.status}, not trading"
                )
            if isinstance(request, PlaceLimit):
                check_side(request.is_buy)
                self._check_price(request.price6, state.market.tick6)
                self._check_amount(request.amount18)
                bit, notional = MethodBit.PLACE_MARGIN_LIMIT, notional6(request.price6, request.amount18)
            elif isinstance(request, PlaceMarket):
                check_side(request.is_buy)
                self._check_amount(request.amount18)
                bit, notional = (
                    MethodBit.PLACE_MARGIN_MARKET,
                    _sweep_notional6(state.book, request.amount18, request.is_buy),
                )
            elif isinstance(request, ModifyOrder):
                self._check_order_id(request.order_id)
                self._check_price(request.price6, state.market.tick6)
                self._check_amount(request.amount18)
                bit, notional = MethodBit.MODIFY_ORDER, notional6(request.price6, request.amount18)
            elif isinstance(request, CancelOrder):
                self._check_order_id(request.order_id)
                bit, notional = MethodBit.CANCEL_ORDER, 0
            else:
                raise TradeRejected(ErrorCode.METHOD_NOT_ALLOWED, f"unknown request {type(request).__name__}")
            session = self._registry.authorize(session_id, trader, bit, notional, self._now_s)
            if isinstance(request, PlaceLimit):
                receipt = self._place_limit(state, trader, request)
            elif isinstance(request, PlaceMarket):
                receipt = self._place_market(state, trader, request, notional)
            elif isinstance(request, ModifyOrder):
                receipt = self._modify(state, trader, request)
            else:
                receipt = self._cancel(state, trader, request)
        except TradeRejected as exc:
            raise self._reject(trader, method, exc) from None
        session.used_notional6 += notional
        return receipt

    def _place_limit(self, state: MarketState, trader: str, request: PlaceLimit) -> TradeReceipt:
        required = estimate_margin6(request.price6, request.amount18, request.is_buy, state.market.margin_bps)
        _check_margin(required)
        self._require_collateral(trader, required, 0)
        tx_seq = self._next_tx()
        result = state.book.place_limit(trader, request.price6, request.amount18, request.is_buy, self._now_s)
        self._events.append(
            "place", self._now_ms, state.market.symbol, result.order_id, trader,
            request.price6, request.amount18, request.is_buy,
        )  # fmt: skip
        self._audit.placements += 1
        self._on_result(state, trader, result, tx_seq)
        return TradeReceipt(self._tx_hash(tx_seq), order_id=result.order_id, filled18=result.filled_amount18)

    def _place_market(
        self, state: MarketState, trader: str, request: PlaceMarket, notional: int
    ) -> TradeReceipt:
        self._require_collateral(
            trader, margin_on_notional6(notional, request.is_buy, state.market.margin_bps), 0
        )
        try:
            result = state.book.place_market(trader, request.amount18, request.is_buy, self._now_s)
        except NoLiquidity:
            raise _no_liquidity(request.is_buy) from None
        tx_seq = self._next_tx()
        self._events.append(
            "market", self._now_ms, state.market.symbol, result.order_id, trader,
            request.amount18, request.is_buy, result.filled_amount18,
        )  # fmt: skip
        self._audit.market_orders += 1
        self._on_result(state, trader, result, tx_seq)
        return TradeReceipt(self._tx_hash(tx_seq), order_id=None, filled18=result.filled_amount18)

    def _owned(self, state: MarketState, trader: str, order_id: int) -> BookOrder:
        order = state.book.get(order_id)
        if order is None:
            raise TradeRejected(ErrorCode.ORDER_NOT_FOUND, f"no resting order #{order_id}")
        if order.trader != trader:
            raise TradeRejected(ErrorCode.NOT_ORDER_OWNER, f"order #{order_id} belongs to another trader")
        return order

    def _modify(self, state: MarketState, trader: str, request: ModifyOrder) -> TradeReceipt:
        old = self._owned(state, trader, request.order_id)
        required = estimate_margin6(request.price6, request.amount18, old.is_buy, state.market.margin_bps)
        _check_margin(required)
        self._require_collateral(trader, required, old.margin_required6)
        tx_seq = self._next_tx()
        result = state.book.modify(request.order_id, request.price6, request.amount18, self._now_s)
        self._events.append(
            "modify", self._now_ms, state.market.symbol, request.order_id, result.order_id, trader,
            request.price6, request.amount18,
        )  # fmt: skip
        self._audit.modifies += 1
        self._on_result(state, trader, result, tx_seq)
        return TradeReceipt(self._tx_hash(tx_seq), order_id=result.order_id, filled18=result.filled_amount18)

    def _cancel(self, state: MarketState, trader: str, request: CancelOrder) -> TradeReceipt:
        self._owned(state, trader, request.order_id)
        tx_seq = self._next_tx()
        state.fates.cancelled(state.book.cancel(request.order_id))
        self._events.append("cancel", self._now_ms, state.market.symbol, request.order_id, trader)
        self._audit.cancels += 1
        tx_hash = self._tx_hash(tx_seq)
        self._remember(tx_hash, state.market.symbol, trader, None)
        return TradeReceipt(tx_hash, order_id=request.order_id)

    def _require_collateral(self, trader: str, required6: int, released6: int) -> None:
        available = self._available6(trader) + released6
        if required6 > available:
            raise TradeRejected(
                ErrorCode.INSUFFICIENT_COLLATERAL,
                f"needs {required6} usdc6 of margin, {available} available",
                {"available6": available, "required6": required6},
            )

    # ---------------------------------------------------------------- input checks

    @staticmethod
    def _check_price(price6: object, tick6: int) -> None:
        if price6 is None:
            raise TradeRejected(ErrorCode.MISSING_PRICE, "a limit order needs a price")
        if isinstance(price6, bool) or not isinstance(price6, int) or not 0 < price6 <= MAX_PRICE6:
            raise TradeRejected(
                ErrorCode.INVALID_PRICE,
                f"price6 must be an integer in 1..{MAX_PRICE6}",
                {"price6": repr(price6)[:40]},
            )
        if price6 % tick6:
            raise TradeRejected(
                ErrorCode.OFF_TICK, f"price6 {price6} is not a multiple of the tick {tick6}",
                {"price6": price6, "tick6": tick6},
            )  # fmt: skip

    @staticmethod
    def _check_amount(amount18: object) -> None:
        if isinstance(amount18, bool) or not isinstance(amount18, int) or not 0 < amount18 <= MAX_AMOUNT18:
            raise TradeRejected(
                ErrorCode.INVALID_AMOUNT,
                f"amount18 must be an integer in 1..{MAX_AMOUNT18}",
                {"amount18": repr(amount18)[:40]},
            )

    @staticmethod
    def _check_order_id(order_id: object) -> None:
        if isinstance(order_id, bool) or not isinstance(order_id, int) or order_id <= 0:
            raise TradeRejected(ErrorCode.ORDER_NOT_FOUND, f"no order with id {repr(order_id)[:40]}")

    # ---------------------------------------------------------------- relay

    def _relay_draw(self, trader: str) -> _RelayDraw:
        counter = self._calls.get(trader, 0) + 1
        self._calls[trader] = counter
        preset = self.preset
        latency = 0.0
        if preset.relay_latency_s > 0:
            latency = preset.relay_latency_s * (0.5 + _unit(self.seed, trader, counter, "latency"))
        if preset.failure_rate <= 0 or _unit(self.seed, trader, counter, "fail") >= preset.failure_rate:
            return _RelayDraw(latency, None, False, 0.0)
        pick = _unit(self.seed, trader, counter, "kind")
        kind = FAILURE_MIX[-1][0]
        for name, share in FAILURE_MIX:
            if pick < share:
                kind = name
                break
            pick -= share
        landed = kind == "server_error" and _unit(self.seed, trader, counter, "landed") < LANDED_SHARE
        retry_after = round(0.5 + 2.5 * _unit(self.seed, trader, counter, "retry"), 3)
        return _RelayDraw(latency, kind, landed, retry_after)

    def _relay_sleep(self, draw: _RelayDraw) -> None:
        if not self.virtual and draw.latency_s > 0:
            time.sleep(draw.latency_s)

    def _relay_failure(self, trader: str, draw: _RelayDraw, *, landed: bool) -> None:
        """Raise the failure production would show (for a landed one the trade is already booked)."""
        self._audit.relay_failures += 1
        if landed:
            self._audit.landed_failures += 1
        self._events.append("relay_failure", self._now_ms, trader, str(draw.failure), landed)
        if draw.failure == "rate_limited":
            raise RateLimited("429 Too Many Requests: rate limited", retry_after=draw.retry_after)
        if draw.failure == "circuit_open":
            raise VenueUnavailable("503: relayer circuit breaker open", code=ErrorCode.UNAVAILABLE)
        if draw.failure == "replacement_fee":
            raise VenueUnavailable("500: replacement fee too low", code=ErrorCode.REPLACEMENT_FEE_TOO_LOW)
        raise VenueUnavailable(
            "502: the relay timed out waiting for the transaction", code=ErrorCode.UNAVAILABLE
        )

    def _reject(self, trader: str, method: str, exc: TradeRejected) -> TradeRejected:
        self._log_rejection(trader, method, exc)
        return exc

    def _log_rejection(self, trader: str, method: str, exc: TradeRejected) -> None:
        self._audit.rejections[str(exc.code)] += 1
        self._events.append("reject", self._now_ms, trader, str(exc.code), method)

    # ---------------------------------------------------------------- bookkeeping

    def _next_tx(self) -> int:
        self._tx_seq += 1
        return self._tx_seq

    def _tx_hash(self, tx_seq: int) -> str:
        return "0x" + keccak256(self._seed_bytes + tx_seq.to_bytes(8, "big")).hex()

    def _open_account(self, trader: str) -> None:
        if trader in self._participants:
            return
        if self._vault.open(trader):
            self._events.append("deposit", self._now_ms, trader, self._vault.funding6)

    def _reserved6(self, trader: str) -> int:
        return sum(
            order.margin_required6
            for state in self._states.values()
            for order in state.book.orders_of(trader)
        )

    def _available6(self, trader: str) -> int:
        return self._vault.available6(trader, self._reserved6(trader), self._margin_bps)

    def _on_result(self, state: MarketState, trader: str, result: PlaceResult, tx_seq: int) -> None:
        """Book what a session trader's placement, modify or market order did (its event is logged)."""
        self._remember(self._tx_hash(tx_seq), state.market.symbol, trader, result.order_id)
        self._on_self_cancels(state, result)
        fates = state.fates
        for order in (*result.self_cancelled, *((result.replaced,) if result.replaced else ())):
            fates.cancelled(order)
        if result.trades:
            self._audit.taker_fill(result.order_id)
            self._on_trades(state, result.trades, tx_seq)
        fates.placed(result.order_id, result.resting)

    def _on_self_cancels(self, state: MarketState, result: PlaceResult) -> None:
        """Log the resting orders self-trade prevention cancelled (their margin is free at once: the
        vault reads reserved margin from the book)."""
        for order in result.self_cancelled:
            self._events.append(
                "cancel", self._now_ms, state.market.symbol, order.order_id, order.trader, SELF_TRADE
            )
            self._audit.self_trade_cancels += 1

    def _remember(self, tx_hash: str, symbol: str, trader: str, order_id: int | None) -> None:
        placements = self._placements
        placements[tx_hash] = (symbol, trader, order_id)
        while len(placements) > PLACEMENTS_KEPT:
            placements.popitem(last=False)

    def _on_trades(self, state: MarketState, trades: Iterable[Trade], tx_seq: int) -> None:
        symbol = state.market.symbol
        now_ms = self._now_ms
        participants = self._participants
        sessions = self._session_traders
        audit = self._audit
        for trade in trades:
            audit.trades += 1
            self._events.append(
                "trade", now_ms, symbol, trade.seq, trade.price6, trade.amount18, trade.maker_order_id,
                trade.taker_order_id, trade.maker, trade.taker, trade.taker_is_buy,
            )  # fmt: skip
            state.recent.appendleft(
                PublicTrade(now_ms / 1000, trade.price6, trade.amount18, trade.taker_is_buy)
            )
            maker_outside = trade.maker not in participants
            taker_outside = trade.taker not in participants
            if not (maker_outside or taker_outside):
                continue
            state.records.append(TradeRecord(trade, now_ms, tx_seq))
            state.record_seqs.append(trade.seq)
            if maker_outside:
                state.fates.fill(trade.maker_order_id, trade.amount18)
                if not trade.maker_remaining18:
                    state.fates.filled_out(trade.maker_order_id)
            if taker_outside:
                state.fates.fill(trade.taker_order_id, trade.amount18)
            if maker_outside:
                self._vault.apply_fill(
                    trade.maker, symbol, not trade.taker_is_buy, trade.price6, trade.amount18
                )
            if taker_outside:
                self._vault.apply_fill(trade.taker, symbol, trade.taker_is_buy, trade.price6, trade.amount18)
            maker_session = trade.maker in sessions
            taker_session = trade.taker in sessions
            if maker_session or taker_session:
                audit.session_trades += 1
            if maker_session:
                audit.maker_fills += 1
            if maker_session and taker_session:
                audit.self_matches += 1

    # ---------------------------------------------------------------- participants (lock held)

    def _participant_limit(
        self, state: MarketState, trader: str, price6: int, amount18: int, is_buy: bool
    ) -> int:
        result = state.book.place_limit(trader, price6, amount18, is_buy, self._now_s)
        tx_seq = self._next_tx()
        self._events.append(
            "place", self._now_ms, state.market.symbol, result.order_id, trader, price6, amount18, is_buy
        )
        self._on_self_cancels(state, result)
        if result.trades:
            self._on_trades(state, result.trades, tx_seq)
        return result.order_id

    def _participant_cancel(self, state: MarketState, order_id: int) -> None:
        order = state.book.cancel(order_id)
        self._next_tx()
        self._events.append("cancel", self._now_ms, state.market.symbol, order_id, order.trader)

    def _participant_market(
        self, state: MarketState, trader: str, amount18: int, is_buy: bool, worst_price6: int | None
    ) -> int:
        try:
            result = state.book.place_market(trader, amount18, is_buy, self._now_s, worst_price6=worst_price6)
        except NoLiquidity:
            return 0
        tx_seq = self._next_tx()
        self._events.append(
            "market", self._now_ms, state.market.symbol, result.order_id, trader, amount18, is_buy,
            result.filled_amount18,
        )  # fmt: skip
        self._on_self_cancels(state, result)
        if result.trades:
            self._on_trades(state, result.trades, tx_seq)
        return result.filled_amount18

    # ============================================================== test and harness hooks

    def inject_taker(
        self, order_book: str, is_buy: bool, amount18: int, *, worst_price6: int | None = None
    ) -> int:
        """An outside trader sends a market order now (no session, no collateral check); returns what
        filled. `TradeRejected(ob_no_liquidity_for_market)` when the opposite side is empty."""
        check_side(is_buy)
        self._check_amount(amount18)
        with self._lock:
            self._catch_up()
            state = self._state(order_book)
            if not (state.book.best_ask6 if is_buy else state.book.best_bid6):
                raise _no_liquidity(is_buy)
            return self._participant_market(state, OUTSIDER, amount18, is_buy, worst_price6)

    def deposit(self, trader: str, amount6: int) -> None:
        """Credit collateral to a wallet (funding it first if the vault has not seen it)."""
        if isinstance(amount6, bool) or not isinstance(amount6, int) or amount6 <= 0:
            raise ValueError("amount6 must be a positive integer (USDC, 6 decimals)")
        address = trader_address(trader)
        with self._lock:
            self._catch_up()
            self._open_account(address)
            self._vault.deposit(address, amount6)
            self._events.append("deposit", self._now_ms, address, amount6)

    def audit(self) -> SimAudit:
        with self._lock:
            return self._audit.snapshot()

    def event_log_hash(self, *, include_rejections: bool = True) -> str:
        """sha256 over every event so far; without rejections and relay failures when asked."""
        with self._lock:
            return self._events.hexdigest(include_rejections=include_rejections)

    def events(self, limit: int | None = None) -> tuple[Event, ...]:
        """The most recent events (all that are kept when `limit` is None)."""
        with self._lock:
            return self._events.recent(limit)

    @property
    def event_count(self) -> int:
        with self._lock:
            return len(self._events)

    def dump_state(self) -> dict[str, Any]:
        """Everything that defines the exchange's state, comparable with `==` (books, vault, sessions)."""
        with self._lock:
            return {
                "now_us": self._now_us,
                "tx_seq": self._tx_seq,
                "books": {
                    symbol: (state.book.snapshot(), state.reference6, len(state.records))
                    for symbol, state in sorted(self._states.items())
                },
                "vault": self._vault.dump(),
                "registry": self._registry.dump(),
            }

    def export_state(self) -> bytes:
        """A self-contained snapshot of the whole exchange (see `snapshot_state`), for `restore_state`.
        Only the capture holds the lock; the encoding runs after it is released."""
        with self._lock:
            plain = snapshot_state.capture(self)
        return snapshot_state.encode(plain)

    def restore_state(self, data: bytes) -> None:
        """Become the exchange `export_state` saved: same books, accounts, sessions, event hashes and
        time (on the wall clock the market then catches up to now at the next call, as after any
        pause). Raises `SimStateError` (a `ValueError`) and changes nothing when the data is truncated,
        corrupt, of another format version, or saved by a sim with another seed, preset, clock mode or
        other construction settings."""
        plain = snapshot_state.decode(data)
        with self._lock:
            self._check_open()
            snapshot_state.restore(self, plain)

    @property
    def participant_addresses(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._participants)

    def close(self) -> None:
        with self._lock:
            self._closed = True


def _check_margin(margin6: int) -> None:
    """The vault reverts an order whose margin rounds down to 0 (`CoreVault.InvalidAmount`, reference §7)."""
    if margin6 == 0:
        raise TradeRejected(
            ErrorCode.ZERO_MARGIN, "the order's margin rounds down to 0 USDC: the vault reverts it"
        )


def _no_liquidity(is_buy: bool) -> TradeRejected:
    """The route's answer to a market order on an empty opposite side (the contract: `OB: no liq`)."""
    side = "buy" if is_buy else "sell"
    return TradeRejected(ErrorCode.OB_NO_LIQUIDITY, "OB: no liq", {"side": side})


def _relay_answers(value: object) -> RelayAnswers:
    if value == "mined":
        return "mined"
    if value == "pending":
        return "pending"
    raise ValueError(f"relay_answers must be 'mined' or 'pending', got {value!r}")


def _method_name(request: object) -> str:
    return {
        PlaceLimit: TradeMethod.PLACE_MARGIN_LIMIT.value,
        PlaceMarket: TradeMethod.PLACE_MARGIN_MARKET.value,
        ModifyOrder: TradeMethod.MODIFY_ORDER.value,
        CancelOrder: TradeMethod.CANCEL_ORDER.value,
    }.get(type(request), type(request).__name__)


def _sweep_notional6(book: OrderBook, amount18: int, is_buy: bool) -> int:
    """What a market order of `amount18` would pay (or receive) walking the opposite side now."""
    bids, asks = book.depth(64)
    remaining, total, last = amount18, 0, 0
    for level in asks if is_buy else bids:
        take = min(remaining, level.amount18)
        total += notional6(level.price6, take)
        remaining -= take
        last = level.price6
        if not remaining:
            break
    if remaining and last:
        total += notional6(last, remaining)
    return total
