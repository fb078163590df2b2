"""The packer loop: keep every wallet packed, resumable at any instant.

One cycle: read the book, every wallet's open orders and collateral, and new fills in batched
calls; plan each wallet (`core.planner`); carry the plans out (cancels, then placements)
concurrently across wallets; journal every action; persist the wallet files and the checkpoint;
publish an immutable snapshot; then wait a seeded random delay on the stop event.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Final, NoReturn

from ama_tui.core.margin import reserved_margin6
from ama_tui.core.market import BookTop, MarketRules, OpenOrder
from ama_tui.core.models import ActionKind, ActionLogLine, MarketCheckpoint
from ama_tui.core.planner import WalletPlan, wallet_cap6
from ama_tui.engine.backoff import FleetBackoff
from ama_tui.engine.cancel_all import cancel_orders
from ama_tui.engine.checkpoint_keeper import CheckpointKeeper
from ama_tui.engine.concurrency import AdaptiveLimit
from ama_tui.engine.executor import (
    DEFAULT_CANCEL_WAIT_S,
    WalletOutcome,
    WalletTurn,
    plan_steps,
    tops_fields,
)
from ama_tui.engine.fills import FillLedger
from ama_tui.engine.journaling import JournalContext, amount_fields, price_fields
from ama_tui.engine.kill_switch import KILL_SWITCH_PREFIX as KILL_SWITCH_PREFIX  # the TUI reads it here
from ama_tui.engine.kill_switch import KillSwitch
from ama_tui.engine.live_params import LiveParams, ParamsView
from ama_tui.engine.market_risk import LATENCY_PRIOR_S
from ama_tui.engine.pending_placements import PendingPlacements
from ama_tui.engine.pipeline import run_pipelined
from ama_tui.engine.planning import DecidedPlans, TakerWindow, guarded_plans, tick_view
from ama_tui.engine.resume_report import resume_findings, stored_sessions
from ama_tui.engine.run_setup import RunStart
from ama_tui.engine.safety_floor import SafetyFloor
from ama_tui.engine.session_keeper import NoSessions, SessionKeeper, SessionProgress
from ama_tui.engine.sessions import DEFAULT_SESSION_TTL_S
from ama_tui.engine.shared_sessions import SharedSessions
from ama_tui.engine.skips import SkipLog
from ama_tui.engine.snapshot import CycleStats, EngineSnapshot, EngineState
from ama_tui.engine.snapshot_builder import build_snapshot, mark6_of
from ama_tui.engine.venue_wrappers import CountingVenue
from ama_tui.engine.wallet_state import WalletRuntime
from ama_tui.sandbox import StrategyStopped
from ama_tui.store import MarketStore, WalletEntry
from ama_tui.strategies.packer import PackerStrategy
from ama_tui.strategy import Strategy, TickView
from ama_tui.venues.base import (
    BookSnapshot,
    InFlightReader,
    MarketInfo,
    MarketRead,
    MarketReadRequest,
    SessionVenue,
    TopReader,
    Venue,
    VenueError,
    is_realtime,
)

log = logging.getLogger(__name__)

JOURNAL_TAIL: Final = 200
RECENT_FILLS: Final = 100
TAKER_CONTEXT_KEEP: Final = 4096
"""Placed orders whose decision tops are remembered, to explain a fill that ends up taker."""
WATCH_JOIN_S: Final = 5.0
"""How long the first cycle waits for the market watch's read in flight (else it reads anew)."""
FIRST_BOOK_MAX_AGE_S: Final = 2.5
"""The oldest (from when its read began) the watch's book may be for the first cycle to use it:
about two relay round trips. The first orders go out on the prior's wide floor, and each is
checked against the top read again just before it is sent."""
FIRST_PACK_HOLD_S: Final = 30.0
"""While the run's first pack lands (for at most this long after its first placements), the safety
floor stays on its wide prior even once the market's moves are measured: bringing it in replaces
every order, and on a slow relay the wallets whose orders landed would re-quote while the others'
still land (twice the trades, and never the whole fleet's orders at once). Wider is the safe side."""
STRATEGY_STOPPED_PREFIX: Final = "strategy stopped: "
TAKEN_ON_PURPOSE: Final = "taken on purpose (a taker strategy's take)"
STRATEGY_LOG_LINES: Final = 20
"""The most log lines of a user strategy journaled per cycle."""
SETTLE_PENDING_S: Final = 10.0
"""At a clean stop, how long to wait for placements answered `pending` to be mined (a block or
a few), so the journal names their orders."""
SETTLE_POLL_S: Final = 0.25
MARKET_CLOSED_PREFIX: Final = "market cannot trade: "
MAX_IN_FLIGHT_CAP: Final = 512
"""The most trades in flight for the whole fleet (and the trade workers' count). At 256 a 50 x 6
first pack (600 placements) went out in three waves a relay round trip apart; at 512 in two (the
devnet behind a 1 s proxy, 1 s blocks: median 10.6 s instead of 10.8-11.9 s, 2026-12-03). The
adaptive limit still halves on the relay's 429/503s and timeouts."""


def fleet_limit(wallets: int, orders_per_side: int = 0, *, pipelined: bool = False) -> int:
    """The starting limit for a fleet (it adapts from there): pipelined, the first cycle's whole
    pack at once (every wallet's orders on both sides, MAX_IN_FLIGHT_CAP at most); one trade per
    wallet at a time, a trade per wallet (64 at most). 8 at the least."""
    if pipelined:
        return max(8, min(MAX_IN_FLIGHT_CAP, wallets * 2 * orders_per_side))
    return max(8, min(64, wallets))


@dataclass(frozen=True, slots=True)
class PackerOptions:
    max_in_flight: int | None = None
    """Trades (and session requests) in flight at once for the whole fleet, to start with: the
    limit then adapts to the relay (`AdaptiveLimit`). None: sized to the fleet. 1: one trade at a
    time, wallets taking turns (deterministic on a virtual clock)."""
    max_in_flight_cap: int = MAX_IN_FLIGHT_CAP
    """The most the adaptive limit may grow to (and the trade workers' count)."""
    pipeline: bool = True
    """A wallet's whole plan in flight at once; False: one trade per wallet at a time, wallets
    side by side within the limit (the earlier engine, kept for the benchmark's comparison)."""
    sequential: bool = False
    """Behave like the original tool: one call at a time, one read per wallet (benchmark only)."""
    dry_run: bool = False
    session_ttl_s: int = DEFAULT_SESSION_TTL_S
    depth_levels: int = 25
    seed: int = 0
    """Seeds the delay between cycles."""
    latency_prior_s: float = LATENCY_PRIOR_S
    """The relay round trip assumed until the packer has measured its own trades (on a clock
    that is not realtime, nothing moves during a call: 0)."""
    top_max_age_s: float = 0.05
    """How old the top re-read before a placement may be (shared by wallets sending at once; on
    a clock that is not realtime it is read before every placement)."""

    @classmethod
    def for_run(
        cls,
        *,
        virtual_time: bool,
        max_in_flight: int | None,
        dry_run: bool,
        seed: int,
        pipeline: bool = True,
    ) -> PackerOptions:
        """Options for a user's run: on a virtual clock trades go one at a time, so the same seed
        gives the same run (concurrent submissions would reach the venue in any order)."""
        limit = 1 if virtual_time else max_in_flight
        return cls(max_in_flight=limit, dry_run=dry_run, seed=seed, pipeline=pipeline)


@dataclass(frozen=True, slots=True)
class RunSummary:
    run_id: str
    cycles: int
    placed: int
    cancelled: int
    fills: int
    errors: int
    stop_reason: str
    skipped: int = 0
    kill_switch: bool = False
    """The run was stopped by the kill switch (not by the user or its budget)."""
    market_closed: bool = False
    """The run stopped because the venue said the market cannot trade."""
    strategy_stopped: bool = False
    """A user strategy was stopped for what it did (the reason says what)."""

    @property
    def cancels_per_cycle(self) -> float:
        return self.cancelled / self.cycles if self.cycles else 0.0


class PackerStopped(RuntimeError):
    """Raised inside a cycle when the kill switch trips."""


class Packer:
    def __init__(
        self,
        *,
        venue: Venue,
        store: MarketStore,
        market: MarketInfo,
        wallets: Sequence[WalletEntry],
        start: RunStart,
        params: LiveParams,
        options: PackerOptions | None = None,
        on_snapshot: Callable[[EngineSnapshot], None] | None = None,
        on_persist: Callable[[], None] | None = None,
    ) -> None:
        """`on_persist` runs after every checkpoint save (the embedded exchange saves its own
        state there, so the two stay together on disk)."""
        self.options = options or PackerOptions()
        self.on_persist = on_persist
        self.venue = CountingVenue(venue)
        self.store = store
        self.market = market
        self.params = params
        self.on_snapshot = on_snapshot
        self._keeper = CheckpointKeeper(
            store,
            start.checkpoint,
            now=self.venue.clock.now,
            on_saved=on_persist,
            quiet=lambda: self._sessions.in_flight == 0,
        )
        self.strategy: Strategy = start.strategy or PackerStrategy()
        self._takers = TakerWindow()
        self.context = JournalContext(
            run_id=self.checkpoint.run.run_id,
            chain_id=self.checkpoint.chain_id,
            order_book=self.checkpoint.order_book,
            market_id_bytes32=market.market_id_bytes32,
        )
        self.rules = MarketRules(tick6=market.tick6, margin_bps=market.margin_bps)
        self.wallets = [
            WalletRuntime(
                index=i,
                entry=entry,
                session=start.sessions.get(entry.address.lower()),
                last_action_at=start.last_action_at.get(entry.address.lower()),
            )
            for i, entry in enumerate(wallets)
        ]
        self._rng = random.Random(self.options.seed)
        asked = self.options.max_in_flight
        per_side = params.current().packer.orders_per_side
        sized = fleet_limit(len(wallets), per_side, pipelined=self.options.pipeline)
        start_limit = 1 if self.options.sequential else asked or sized
        self._pipelined = start_limit > 1 and self.options.pipeline
        self._limit = AdaptiveLimit(
            start_limit,
            maximum=max(start_limit, self.options.max_in_flight_cap) if self._pipelined else start_limit,
            holds=is_realtime(self.venue.clock),
        )
        self._workers = self._limit.maximum
        self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="packer-trade")
        self._journal_tail: deque[ActionLogLine] = deque(store.tail(JOURNAL_TAIL).lines, maxlen=JOURNAL_TAIL)
        self._fills = FillLedger(RECENT_FILLS)
        self._fills_cursor: str | None = None
        self._book: BookSnapshot | None = None
        self._state = EngineState.STARTING
        self._started_at = self.venue.clock.now()
        self._totals = CycleStats(0, 0.0, 0, 0, 0, 0, 0)
        self._last_cycle: CycleStats | None = None
        self._kill_switch = KillSwitch()
        self._backoff = FleetBackoff()
        self._stop_reason: str | None = None
        self._notices: deque[str] = deque(start.notes, maxlen=5)
        self._params_view: ParamsView = params.current()
        self._stop = threading.Event()
        """The run's stop event (set by `run`); trades not yet sent are skipped once it is set."""
        self._ended = False
        self._strategy_failed = False
        self._cancel_progress: dict[int, list[int]] = {}
        """Per wallet index, [cancelled, orders it had] while (and once) cancel-all runs."""
        self._market_closed = False
        self._first_placed_at: float | None = None
        self._first_pack_landed = False
        realtime = is_realtime(self.venue.clock)
        self._safety = SafetyFloor(
            read_top=self._read_top,
            read_book=lambda: self.venue.book(self.market.order_book, self.options.depth_levels),
            clock=self.venue.clock,
            tick6=market.tick6,
            latency_prior_s=self.options.latency_prior_s if realtime else 0.0,
            top_max_age_s=self.options.top_max_age_s if realtime else 0.0,
        )
        self._skips = SkipLog(self.context)
        self._taker_context: dict[int, dict[str, str]] = {}
        self._pending = PendingPlacements()
        """Placements answered `pending` (no order id yet), until a read says what became of them."""
        self._watcher: threading.Thread | None = None
        """The market watch run while the sessions are opened (its last book may start cycle 1)."""
        self._sessions: SessionKeeper | SharedSessions | NoSessions = (
            self._session_keeper(self.venue, start)
            if isinstance(self.venue, SessionVenue)
            else NoSessions(self.wallets)
        )
        self._journaled_orders: frozenset[int] | None = start.journaled_order_ids or None
        """Checked once against the first read: orders a killed run placed but never journaled."""
        self._resumed_from: dict[str, str | None] | None = (
            stored_sessions(self.wallets) if start.resumed else None
        )
        """A resumed run's sessions as found on disk, until its first read says what it found."""

    def _session_keeper(self, venue: SessionVenue, start: RunStart) -> SessionKeeper:
        return SessionKeeper(
            venue=venue,
            market=self.market,
            wallets=self.wallets,
            ttl_s=self.options.session_ttl_s,
            pending=start.pending_sessions,
            journal=self._journal,
            line=self._line,
            now_ms=self._now_ms,
            note_failure=self._note_failure,
            notices=self._notices,
            persist=self._persist_session,
            run_all=self._map,
            lock=self._keeper.lock,
        )

    # ------------------------------------------------------------------------------------
    # helpers

    def _read_top(self) -> BookTop:
        """The top alone (the chain's best prices where the venue can read them so), else the
        top of a one-level book."""
        if isinstance(self.venue, TopReader):
            return self.venue.top(self.market.order_book)
        return self.venue.book(self.market.order_book, 1).top

    def _now_ms(self) -> int:
        return int(self.venue.clock.now() * 1000)

    def _journal(self, lines: Iterable[ActionLogLine], *, sync: bool = True) -> None:
        batch = list(lines)
        if not batch:
            return
        self.store.append_many(batch, sync=sync)
        self._journal_tail.extend(batch)

    def _emit(self, line: ActionLogLine) -> None:
        """Write one trade's line now (a kill -9 keeps it); fsynced when the wallet's turn ends."""
        self._journal([line], sync=False)

    def _line(self, action: ActionKind, **kwargs: object) -> ActionLogLine:
        return self.context.line(action, ts_ms=self._now_ms(), **kwargs)  # type: ignore[arg-type]

    def _map(
        self, fn: Callable[[WalletRuntime], WalletOutcome], wallets: Sequence[WalletRuntime]
    ) -> list[WalletOutcome]:
        """`fn` for each wallet on the trade pool, within the fleet's concurrency limit (session
        creations and renewals go out together, as many at once as trades would)."""

        def limited(wallet: WalletRuntime) -> WalletOutcome:
            self._limit.acquire()
            try:
                return fn(wallet)
            finally:
                self._limit.release()

        return list(self._pool.map(limited, wallets))

    @property
    def addresses(self) -> list[str]:
        return [w.address for w in self.wallets]

    # ------------------------------------------------------------------------------------
    # sessions

    def ensure_sessions(self, progress: Callable[[SessionProgress], None] | None = None) -> int:
        """Create the missing or expiring sessions; returns how many failed (see SessionKeeper)."""
        if self.options.dry_run:
            return 0
        return self._sessions.ensure(progress)

    # ------------------------------------------------------------------------------------
    # reads

    def _first_book(self) -> BookSnapshot | None:
        """The book the market watch read while the sessions were opened, if that read is recent:
        one relay round trip less before the first placements (each is checked against the top
        read again just before it is sent). A recent book is taken at once; else the watch's read
        in flight is waited for."""
        watcher, self._watcher = self._watcher, None
        if watcher is None:
            return None
        book = self._safety.fresh_watched_book(FIRST_BOOK_MAX_AGE_S)
        if book is not None:
            return book  # a read still in flight would only cost its round trip again
        watcher.join(WATCH_JOIN_S)
        return self._safety.watched_book(FIRST_BOOK_MAX_AGE_S)

    def _first_pack_landing(self) -> bool:
        """Is the run's first pack still landing: placements of the fleet in flight since its
        first, for at most FIRST_PACK_HOLD_S? (Decided after this cycle's read; once over, over.)"""
        if self._first_pack_landed or self._first_placed_at is None:
            return False
        flying = len(self._pending) > 0 or any(wallet.in_flight for wallet in self.wallets)
        if not flying or self.venue.clock.now() - self._first_placed_at > FIRST_PACK_HOLD_S:
            self._first_pack_landed = True
        return not self._first_pack_landed

    def _report_resume(self, orders: Mapping[str, Sequence[OpenOrder]]) -> None:
        """Once, after a resumed run's first read: RUN_RESUMED (what it found, what it renewed),
        also in the notices the dashboard and the headless progress show."""
        stored, self._resumed_from = self._resumed_from, None
        if stored is None:
            return
        findings = resume_findings(self.wallets, stored, orders, strategy=self.strategy.info.name)
        self._journal([self._line(ActionKind.RUN_RESUMED, params=findings.params())])
        self._notices.append(findings.message())

    def read_request(self) -> MarketReadRequest | None:
        """What this market's next cycle reads first, for a run that reads its markets together
        (`MarketsReader`); None when it reads alone (one trade per wallet at a time reads wallet by
        wallet; a cancel-all reads nothing first)."""
        if self.options.sequential or self.params.cancel_all_requested:
            return None
        return MarketReadRequest(self.market.order_book, tuple(self.addresses), self.options.depth_levels)

    def _read(
        self, prefetched: MarketRead | VenueError | None = None
    ) -> tuple[BookSnapshot, dict[str, tuple[OpenOrder, ...]], dict[str, int]]:
        """The book, every wallet's orders and free collateral (read for this market alone, or
        `prefetched` with the run's other markets: a failed read fails this cycle as its own would)."""
        if isinstance(prefetched, VenueError):
            raise prefetched
        ob = self.market.order_book
        addresses = self.addresses
        orders: dict[str, tuple[OpenOrder, ...]]
        available: dict[str, int]
        if prefetched is not None:
            self._watcher = None  # the read together is fresher than the watch's
            book, orders, available = prefetched.book, dict(prefetched.orders), dict(prefetched.available)
        elif self.options.sequential:
            book = self._first_book() or self.venue.book(ob, self.options.depth_levels)
            orders, available = {}, {}
            for address in addresses:
                book = self.venue.book(ob, self.options.depth_levels)
                orders.update(self.venue.open_orders(ob, [address]))
                available.update(self.venue.available_collateral([address]))
        else:
            book = self._first_book() or self.venue.book(ob, self.options.depth_levels)
            orders = self.venue.open_orders(ob, addresses)
            available = self.venue.available_collateral(addresses)
        if isinstance(self.venue, InFlightReader):  # settled by the open-orders read just made
            flying = self.venue.placements_in_flight(ob, addresses)
            for wallet in self.wallets:
                wallet.in_flight = flying.get(wallet.address, ())
        # before the fills: a taker fill of an order seen mined only now is explained by its tops

        self._resolve_pending()
        if self._fills_cursor is None:
            self._fills_cursor = self.venue.fills_cursor(ob)
        else:
            self._read_fills(addresses)
        return book, orders, available

    def _read_fills(self, addresses: list[str]) -> None:
        """Journal our fills since the last read (FILL lines; positions and PnL follow)."""
        if self._fills_cursor is None:
            return
        page = self.venue.fills_since(self.market.order_book, addresses, self._fills_cursor)
        self._fills_cursor = page.cursor
        self._journal(
            self._fills.record(page.fills, self.wallets, self.context, self._now_ms, self._taker_context.get)
        )

    def _seed_positions(self) -> None:
        unknown = [w for w in self.wallets if not w.position_known]
        if not unknown:
            return
        positions = self.venue.positions(self.market.order_book, [w.address for w in unknown])
        for wallet in unknown:
            position = positions.get(wallet.address)
            if position is not None:
                wallet.position = replace(
                    wallet.position, size18=position.size18, entry6=position.entry_price6
                )
            wallet.position_known = True

    # ------------------------------------------------------------------------------------
    # one cycle

    def cycle(self, prefetched: MarketRead | VenueError | None = None) -> CycleStats:
        """One cycle: read, plan, trade, persist. `prefetched`: this market's first reads, read
        together with the run's other markets (`read_request`)."""
        started = time.perf_counter()
        calls_before = self.venue.calls
        self._apply_param_changes()
        view = self._params_view
        if self.params.cancel_all_requested:
            self.cancel_all()
            self._stop_reason = "cancelled all orders and stopped"
            raise PackerStopped(self._stop_reason)

        placed = cancelled = errors = 0
        skipped_before = sum(self._skips.totals.values())
        fills_before = self._fills.total
        failed = False
        try:
            session_failures = self.ensure_sessions()  # create the missing, renew the expiring
            if session_failures:
                errors += session_failures
                if not any(w.session is not None for w in self.wallets):
                    failed = True  # no wallet can trade: the kill switch counts it
            book, orders, available = self._read(prefetched)
            self._seed_positions()
            self._report_resume(orders)
        except VenueError as exc:
            failed = True
            errors += 1
            self._note_failure(exc, "read")
            book = None
        if book is not None:
            self._book = book
            ours = [order for held in orders.values() for order in held]
            self._safety.update(
                book, ours, float(view.packer.safety_sigmas), hold_prior=self._first_pack_landing()
            )
            self._absorb(orders, available, book)
            if self.params.paused:
                self._state = EngineState.PAUSED
            else:
                self._state = EngineState.RUNNING
                try:
                    plans = self._plans(view, book.top)
                except StrategyStopped as exc:
                    self._strategy_stopped(exc, view)
                outcomes = self._execute(plans, view)
                if self._first_placed_at is None and any(outcome.placed for outcome in outcomes):
                    self._first_placed_at = self.venue.clock.now()
                for outcome in outcomes:
                    placed += outcome.placed
                    cancelled += outcome.cancelled
                    errors += outcome.errors
                attempted = sum(o.attempted for o in outcomes)
                if attempted and all(o.errors == o.attempted for o in outcomes if o.attempted):
                    failed = True
                closed = next((o.market_closed for o in outcomes if o.market_closed), None)
                if closed is not None:
                    self._stop_market(closed)
                if not self._backoff.after_trades(plans, outcomes, self.venue.clock.now()) and not failed:
                    self._backoff.clear()
            self._check_losses(view)

        self._kill_switch.cycle_done(failed)
        self._persist()
        skipped = sum(self._skips.totals.values()) - skipped_before
        stats = CycleStats(
            cycle=self._totals.cycle + 1,
            duration_ms=(time.perf_counter() - started) * 1000,
            venue_calls=self.venue.calls - calls_before,
            placed=placed,
            cancelled=cancelled,
            fills=self._fills.total - fills_before,
            errors=errors,
            skipped=skipped,
        )
        self._last_cycle = stats
        self._totals = CycleStats(
            cycle=stats.cycle,
            duration_ms=self._totals.duration_ms + stats.duration_ms,
            venue_calls=self._totals.venue_calls + stats.venue_calls,
            placed=self._totals.placed + placed,
            cancelled=self._totals.cancelled + cancelled,
            fills=self._totals.fills + stats.fills,
            errors=self._totals.errors + errors,
            skipped=self._totals.skipped + skipped,
        )
        self._publish()
        if self._market_closed:
            raise PackerStopped(self._stop_reason or MARKET_CLOSED_PREFIX)
        failing = self._kill_switch.failing_cycles(view.packer.max_failed_cycles)
        if failing is not None:
            self._stop_reason = failing
            self._journal([self._line(ActionKind.ERROR, error=self._stop_reason)])
            raise PackerStopped(self._stop_reason)
        return stats

    def _apply_param_changes(self) -> None:
        for change in self.params.take_changes():
            self._journal(
                [
                    self._line(
                        ActionKind.PARAMS_CHANGED,
                        params={"before": dict(change.before), "after": dict(change.after)},
                    )
                ]
            )
        view = self.params.current()
        if view.version != self._params_view.version:
            update: dict[str, object] = {"config": view.config, "packer": view.packer}
            if view.strategy is not None and self.checkpoint.strategy is not None:
                update["strategy"] = self.checkpoint.strategy.model_copy(
                    update={"params": view.strategy.model_dump(by_alias=True, mode="json")}
                )
            self._keeper.update(**update)
        self._params_view = view

    def _absorb(
        self, orders: dict[str, tuple[OpenOrder, ...]], available: dict[str, int], book: BookSnapshot
    ) -> None:
        packer_params = self._params_view.packer
        if self._journaled_orders is not None:
            self._journal_unknown_orders(orders, self._journaled_orders)
            self._journaled_orders = None
        for wallet in self.wallets:
            current = orders.get(wallet.address, ())
            self._fills.reconcile(wallet, current, self.context, self._now_ms, self._journal)
            wallet.orders = current
            wallet.available6 = available.get(wallet.address, 0)
            wallet.balances_known = wallet.address in available
            wallet.reserved6 = reserved_margin6(current)
            wallet.cap6 = wallet_cap6(wallet.available6, wallet.reserved6, packer_params)
            if wallet.initial_equity6 is None:
                wallet.initial_equity6 = wallet.available6 + wallet.reserved6

    def _journal_unknown_orders(
        self, orders: dict[str, tuple[OpenOrder, ...]], known: frozenset[int]
    ) -> None:
        """An order on the venue with no PLACE_LIMIT line was placed by a run killed while the
        trade was in flight (the relay completed it): journal it now, marked recovered, so the
        journal accounts for every order. Ids older than the oldest one remembered are taken as
        journaled (a book's ids grow; the start keeps only the newest ids of a long journal)."""
        oldest = min(known)
        lines = [
            self._line(
                ActionKind.PLACE_LIMIT,
                trader=wallet.address,
                nickname=wallet.entry.nickname,
                params={
                    "isBuy": order.is_buy,
                    **price_fields(order.price6),
                    **amount_fields(order.amount18),
                    "orderId": str(order.order_id),
                    "recovered": True,
                },
            )
            for wallet in self.wallets
            for order in orders.get(wallet.address, ())
            if order.order_id not in known and order.order_id > oldest
        ]
        if lines:
            self._notices.append(
                f"{len(lines)} orders on the venue had no journal line (placed as a run died)"
            )
            self._journal(lines)

    def _plans(
        self,
        view: ParamsView,
        top: BookTop,
        *,
        closing: Callable[[TickView], Mapping[int, WalletPlan]] | None = None,
    ) -> list[tuple[WalletRuntime, WalletPlan]]:
        """Ask the run's strategy (with `closing`, for its closing plan), then hold its plans to
        the engine's guards (`engine.planning`)."""
        tick = tick_view(
            view,
            top,
            self.rules,
            self.wallets,
            now_s=self.venue.clock.now(),
            floor_ticks=self._safety.floor_ticks,
            book=self._book,
            fills=self._fills.recent(),
        )
        strategy: Strategy = self.strategy
        if closing is not None:
            strategy = DecidedPlans(self.strategy, closing(tick))
        plans, skip_lines = guarded_plans(
            strategy,
            tick,
            self.wallets,
            self._skips,
            dry_run=self.options.dry_run,
            now_ms=self._now_ms,
            takers=self._takers,
        )
        self._journal_strategy_logs()
        self._journal(skip_lines)
        return plans

    def _execute(
        self, plans: list[tuple[WalletRuntime, WalletPlan]], view: ParamsView
    ) -> list[WalletOutcome]:
        recheck = not (self.options.dry_run or self.options.sequential)
        decision_top = self._book.top if self._book is not None else BookTop(0, 0)
        guard6 = self._safety.guard6(view.packer.min_distance_ticks, view.packer.max_distance_ticks)
        stop = self._stop
        turns = [
            WalletTurn(
                venue=self.venue,
                order_book=self.market.order_book,
                wallet=wallet,
                plan=plan,
                context=self.context,
                now_ms=self._now_ms,
                decision_top=decision_top,
                guard6=guard6,
                dry_run=self.options.dry_run,
                stopping=stop.is_set,
                emit=self._emit,
                on_latency=self._safety.latency.add,
                clock=self.venue.clock.now,
                # a turn replacing what it cancelled sends its placements even once a stop is asked
                send=lambda call, replacing=False: self._limit.run(call, None if replacing else stop),
                cancel_wait_s=DEFAULT_CANCEL_WAIT_S if is_realtime(self.venue.clock) else 0.0,
            )
            for wallet, plan in plans
        ]
        fresh_top = self._safety.fresh_top.get if recheck else None
        if self._pipelined:
            outcomes = run_pipelined(turns, self._pool, fresh_top)
            self.store.sync_journal()
        else:
            outcomes = self._interleave([plan_steps(turn, fresh_top) for turn in turns])
        now_s = self.venue.clock.now()
        skip_lines: list[ActionLogLine] = []
        for (wallet, _), outcome in zip(plans, outcomes, strict=True):
            if outcome.last_action_ms is not None:
                wallet.last_action_at = outcome.last_action_ms
            if outcome.last_error is not None:
                wallet.note_error(outcome.last_error, now_s)
            elif outcome.placed or outcome.cancelled:
                wallet.clear_error()
            if outcome.session_lost:
                wallet.session = None
            for reason, message, params in outcome.skips:
                line = self._skips.note(
                    wallet, reason, message, now_s=now_s, now_ms=self._now_ms, params=params
                )
                skip_lines.extend([line] if line else [])
            for order_id, decided, sent in outcome.placed_tops:
                self._taker_context[order_id] = tops_fields(decided, sent)
            for order_id in outcome.taken_ids:
                self._taker_context[order_id] = {"takerWhy": TAKEN_ON_PURPOSE}
            for tx_hash, params, decided, sent in outcome.pending:
                self._pending.add(tx_hash, wallet, params, decided, sent, now_s)
        learn = getattr(self.strategy, "learn", None)
        if callable(learn):
            for (wallet, _), outcome in zip(plans, outcomes, strict=True):
                learn(wallet.index, outcome.tagged)
        while len(self._taker_context) > TAKER_CONTEXT_KEEP:
            del self._taker_context[next(iter(self._taker_context))]
        self._journal(skip_lines)
        return outcomes

    def _interleave(self, jobs: list[Generator[None, None, WalletOutcome]]) -> list[WalletOutcome]:
        """Run the wallets' step generators on the pool, work-conserving: a worker takes the next
        ready wallet, sends one of its trades, and puts it back at the end of the line. A wallet is
        in the line at most once, so its own trades go out one at a time and in order, while every
        worker stays busy until the last trade (instead of idling behind the longest wallet)."""
        outcomes: list[WalletOutcome | None] = [None] * len(jobs)
        ready: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        for index in range(len(jobs)):
            ready.put(index)
        workers = min(self._workers, len(jobs))
        lock = threading.Lock()
        remaining = len(jobs)
        failure: list[BaseException] = []

        def finish(index: int, outcome: WalletOutcome) -> None:
            nonlocal remaining
            outcomes[index] = outcome
            self.store.sync_journal()  # its lines were written as they happened; now make them durable
            with lock:
                remaining -= 1
                last = remaining == 0
            if last:
                for _ in range(workers):
                    ready.put(None)

        def work() -> None:
            while (index := ready.get()) is not None:
                try:
                    next(jobs[index])
                except StopIteration as done:
                    finish(index, done.value)
                except BaseException as exc:  # a bug, not a venue failure: surface it after the cycle
                    failure.append(exc)
                    finish(index, WalletOutcome())
                else:
                    ready.put(index)

        for future in [self._pool.submit(work) for _ in range(workers)]:
            future.result()
        if failure:
            raise failure[0]
        return [outcome or WalletOutcome() for outcome in outcomes]

    # ------------------------------------------------------------------------------------
    # failures, kill switch

    def _note_failure(self, exc: VenueError, what: str) -> None:
        message = f"{what} failed: {exc}"
        self._notices.append(message)
        self._journal([self._line(ActionKind.ERROR, error=message)])
        self._backoff.after_failure(exc)

    def _stop_market(self, why: str) -> None:
        """The venue said this market cannot trade (settled, not deployed, not set up in the vault,
        margin trading off): stop quoting it and say why (the cycle ends with PackerStopped once
        its totals are counted). Resting orders are left as they are (a cancel would fail the
        same way); the user decides."""
        self._market_closed = True
        self._stop_reason = f"{MARKET_CLOSED_PREFIX}{why}"
        self._notices.append(self._stop_reason)
        self._journal([self._line(ActionKind.ERROR, error=self._stop_reason)])

    def _check_losses(self, view: ParamsView) -> None:
        """A wallet over its loss limit stops the run (`engine.kill_switch`), its orders cancelled."""
        lost = self._kill_switch.loss(
            self.wallets, mark6_of(self._book), view.packer.max_wallet_loss_fraction
        )
        if lost is None:
            return
        wallet, self._stop_reason = lost
        self._journal(
            [
                self._line(
                    ActionKind.ERROR,
                    trader=wallet.address,
                    nickname=wallet.entry.nickname,
                    error=self._stop_reason,
                )
            ]
        )
        self.cancel_all()
        raise PackerStopped(self._stop_reason)

    # ------------------------------------------------------------------------------------
    # cancel all

    def cancel_all(self) -> int:
        """Cancel every open order of our wallets (best effort, journaled); returns how many. A
        placement still in flight when the book was read (answered `pending`, or its answer lost)
        may land after it: for up to SETTLE_PENDING_S the book is read again while any is in
        flight, and what landed is cancelled too, so "cancelled all" leaves no order behind."""
        if self.options.dry_run:
            return 0
        try:
            orders = self.venue.open_orders(self.market.order_book, self.addresses)
        except VenueError as exc:
            self._note_failure(exc, "cancel-all read")
            return 0

        self._state = EngineState.STOPPING
        self._cancel_progress = {w.index: [0, len(orders.get(w.address, ()))] for w in self.wallets}
        self._publish()
        total = self._cancel_orders(orders)
        sent = {o.order_id for held in orders.values() for o in held}
        clock = self.venue.clock
        deadline = clock.now() + SETTLE_PENDING_S
        pause = threading.Event()
        while is_realtime(clock) and clock.now() < deadline:
            try:
                self._resolve_pending()
                flying = self._placements_flying()
                if not flying:
                    break
                clock.wait(pause, SETTLE_POLL_S)
                landed = self.venue.open_orders(self.market.order_book, self.addresses)
            except VenueError as exc:
                self._note_failure(exc, "cancel-all read")
                break
            late = {
                address: tuple(o for o in held if o.order_id not in sent) for address, held in landed.items()
            }
            sent |= {o.order_id for held in late.values() for o in held}
            if any(late.values()):
                for wallet in self.wallets:
                    counts = self._cancel_progress.setdefault(wallet.index, [0, 0])
                    counts[1] += len(late.get(wallet.address, ()))
                total += self._cancel_orders(late)
        self._totals = replace(self._totals, cancelled=self._totals.cancelled + total)
        self._read_after_cancel_all()
        return total

    def _read_after_cancel_all(self) -> None:
        """What the wallets hold once cancel-all is done, read once and shown (else the dashboard
        keeps showing the orders of the last cycle's read, though they are gone)."""
        if self._book is None:
            return
        try:
            orders = self.venue.open_orders(self.market.order_book, self.addresses)
            available = self.venue.available_collateral(self.addresses)
        except VenueError as exc:
            self._note_failure(exc, "read after cancel-all")
            return
        self._absorb(orders, available, self._book)
        self._publish()

    def _cancel_orders(self, orders: Mapping[str, tuple[OpenOrder, ...]]) -> int:
        return cancel_orders(
            orders,
            self.wallets,
            self._cancel_progress,
            venue=self.venue,
            order_book=self.market.order_book,
            line=self._line,
            journal=self._journal,
            run_all=self._map,
            publish=self._publish,
        )

    def _placements_flying(self) -> bool:
        """Any placement of the fleet that may still land (answered `pending`, or its outcome
        unknown to the venue)?"""
        if len(self._pending):
            return True
        if isinstance(self.venue, InFlightReader):
            flying = self.venue.placements_in_flight(self.market.order_book, self.addresses)
            return any(flying.values())
        return False

    # ------------------------------------------------------------------------------------
    # persistence and snapshots

    def _persist_session(self, wallet: WalletRuntime | None) -> None:
        self._keeper.session_saved(self.wallets, wallet)

    def _persist(self, *, force: bool = False, only: WalletRuntime | None = None) -> None:
        """Save what changed (`engine.checkpoint_keeper`)."""
        self._keeper.save(self.wallets, force=force, only=only)

    @property
    def checkpoint(self) -> MarketCheckpoint:
        return self._keeper.checkpoint

    def snapshot(self) -> EngineSnapshot:
        return build_snapshot(
            run_id=self.context.run_id,
            state=self._state,
            market=self.market,
            book=self._book,
            wallets=self.wallets,
            journal_tail=self._journal_tail,
            fills=self._fills,
            last_cycle=self._last_cycle,
            totals=self._totals,
            consecutive_failed_cycles=self._kill_switch.consecutive_failures,
            params=self._params_view,
            started_at=self._started_at,
            now=self.venue.clock.now(),
            dry_run=self.options.dry_run,
            stop_reason=self._stop_reason,
            notices=self._notices,
            safety=self._safety,
            skips=self._skips,
            concurrency_limit=self._limit.limit,
            strategy=self.strategy.info.name,
            cancel_progress=self._cancel_progress,
        )

    def _publish(self) -> None:
        if self.on_snapshot is not None:
            self.on_snapshot(self.snapshot())

    # ------------------------------------------------------------------------------------
    # the loop

    def next_delay_s(self) -> float:
        """The configured delay (or the backoff); after a cycle in which nothing happened, at least
        the venue's own refresh interval (`refresh_s`, when it has one): with `minDelayMs=0` a
        quiet loop would otherwise re-read a book that cannot have changed, many times a second."""
        config = self._params_view.config
        delay = self._rng.randint(config.min_delay_ms, config.max_delay_ms) / 1000
        last = self._last_cycle
        if last is not None and not (last.placed or last.cancelled or last.fills or last.errors):
            refresh = getattr(self.venue, "refresh_s", 0.0)
            if isinstance(refresh, int | float):
                delay = max(delay, float(refresh))
        return max(delay, self._backoff.delay_s)

    def run(
        self,
        stop: threading.Event,
        *,
        max_cycles: int | None = None,
        duration_s: float | None = None,
        progress: Callable[[SessionProgress], None] | None = None,
    ) -> RunSummary:
        """Run until `stop` is set (or the cycle/duration budget is spent, or the kill switch)."""
        clock = self.venue.clock
        deadline = clock.now() + duration_s if duration_s is not None else None
        try:
            self.begin(stop, progress)
            while not stop.is_set():
                if not self.step(max_cycles):
                    break
                delay = self.next_delay_s()
                if deadline is not None:
                    remaining = deadline - clock.now()
                    if remaining <= 0:
                        self._stop_reason = "duration reached"
                        break
                    delay = min(delay, remaining)
                if clock.wait(stop, delay):
                    break
                if deadline is not None and clock.now() >= deadline:
                    self._stop_reason = "duration reached"
                    break
        except BaseException:
            self.abort()
            raise
        return self.end()

    def begin(self, stop: threading.Event, progress: Callable[[SessionProgress], None] | None = None) -> None:
        """The run's first steps (`run` is begin, `step` until it says no, `end`; a run over
        several markets drives its packers the same way): RUN_START, the sessions."""
        self._stop = stop
        self._journal(
            [
                self._line(
                    ActionKind.RUN_START,
                    params={"dryRun": self.options.dry_run, "wallets": len(self.wallets)},
                )
            ]
        )
        failures = self._sessions_while_watching(progress)
        self._totals = replace(self._totals, errors=self._totals.errors + failures)
        self._publish()

    def step(self, max_cycles: int | None = None, prefetched: MarketRead | VenueError | None = None) -> bool:
        """One cycle; False when the run is over (the kill switch, a closed market, cancel-all, a
        stopped strategy, or `max_cycles` done: `stop_reason` says which)."""
        try:
            self.cycle(prefetched)
        except PackerStopped:
            return False
        if max_cycles is not None and self._totals.cycle >= max_cycles:
            self._stop_reason = f"{max_cycles} cycles done"
            return False
        return True

    def end(self, reason: str | None = None) -> RunSummary:
        """The run's last steps (a strategy's closing plan after a clean end, the last fills,
        RUN_STOP, the checkpoint); `reason` when none was set (the budget, the user)."""
        if self._ended:
            return self.summary()
        self._ended = True
        try:
            if self._stop_reason is None:
                self._stop_reason = reason or "stopped"
            self._close_strategy()
        finally:
            self._state = EngineState.STOPPED
            self._finish()
        return self.summary()

    def abort(self) -> None:
        """`end` after a failure of ours (a bug, not the venue's): no closing plan, only the last
        lines and the checkpoint."""
        if self._ended:
            return
        self._ended = True
        self._state = EngineState.STOPPED
        self._finish()

    def summary(self) -> RunSummary:
        return RunSummary(
            run_id=self.context.run_id,
            cycles=self._totals.cycle,
            placed=self._totals.placed,
            cancelled=self._totals.cancelled,
            fills=self._totals.fills,
            errors=self._totals.errors,
            stop_reason=self._stop_reason or "stopped",
            skipped=self._totals.skipped,
            kill_switch=self._kill_switch.tripped,
            market_closed=self._market_closed,
            strategy_stopped=self._strategy_failed,
        )

    @property
    def stop_reason(self) -> str | None:
        return self._stop_reason

    def open_sessions_for(self, markets: Sequence[MarketInfo]) -> None:
        """This packer's sessions are its wallets' sessions for all of `markets` (its own among
        them): each permit lists them all (on a venue without sessions, nothing). Before `begin`."""
        if isinstance(self._sessions, NoSessions):
            return
        if not isinstance(self._sessions, SessionKeeper):
            raise ValueError("a packer that shares another's sessions opens none")
        self._sessions.allowed_markets = tuple(m.market_id_bytes32 for m in markets)

    def share_sessions_of(self, lead: Packer) -> None:
        """Trade with `lead`'s sessions (`engine.shared_sessions`) instead of opening its own.
        Before `begin`; `lead` must outlive this packer's last cycle. On a venue without sessions
        there is nothing to share."""
        if isinstance(lead._sessions, NoSessions) and isinstance(self._sessions, NoSessions):
            return
        if not isinstance(lead._sessions, SessionKeeper):
            raise ValueError("the lead packer must open its own sessions")
        self._sessions = SharedSessions(
            lead=lead._sessions,
            lead_wallets=lead.wallets,
            lead_market=lead.market.order_book,
            wallets=self.wallets,
            journal=self._journal,
            line=self._line,
            persist=self._persist_session,
        )

    def _sessions_while_watching(self, progress: Callable[[SessionProgress], None] | None) -> int:
        """Open the sessions; meanwhile (on a realtime clock) the safety floor starts watching the
        market, so the first cycle's warm-up is shorter by the time the sessions took."""
        if not is_realtime(self.venue.clock) or self.options.dry_run:
            return self.ensure_sessions(progress)
        done = threading.Event()

        def ours() -> list[OpenOrder]:
            held = self.venue.open_orders(self.market.order_book, self.addresses)
            return [order for orders in held.values() for order in orders]

        watcher = threading.Thread(
            target=self._safety.prewarm, args=(done, ours), name="packer-prewarm", daemon=True
        )
        watcher.start()
        self._watcher = watcher
        try:
            return self.ensure_sessions(progress)
        finally:
            done.set()  # not joined: the first cycle takes a recent book without its read in flight

    def _resolve_pending(self) -> None:
        """Journal what became of the placements answered `pending` (PLACE_MINED or ERROR) and note
        why a fill of theirs may be a taker one: the tops it was decided on, or a take on purpose.
        Before any fills are read, so a fill never outruns its order's explanation."""
        mined_lines, landed = self._pending.resolve(
            self.venue, self.market.order_book, self.venue.clock.now(), self._line
        )
        for order_id, decided, sent in landed:
            self._taker_context[order_id] = tops_fields(decided, sent)
        for line in mined_lines:  # a take answered `pending`: its taker fills are on purpose
            mined = line.params or {}
            if mined.get("taker") and "orderId" in mined:
                self._taker_context[int(mined["orderId"])] = {"takerWhy": TAKEN_ON_PURPOSE}
        self._journal(mined_lines)

    def _settle_pending(self) -> None:
        """Before the run's last line: what became of the placements still answered only `pending`
        (batched receipt reads, for up to SETTLE_PENDING_S while some are not mined yet), so a clean
        stop leaves the journal naming every order it placed. One still not mined stays as it is
        (the next start finds it on the book and journals it)."""
        clock = self.venue.clock
        deadline = clock.now() + SETTLE_PENDING_S
        pause = threading.Event()
        while len(self._pending):
            try:
                self._resolve_pending()
            except VenueError:
                return
            if not len(self._pending) or clock.now() >= deadline or not is_realtime(clock):
                return
            clock.wait(pause, SETTLE_POLL_S)

    def _close_strategy(self) -> None:
        """A run that ends cleanly (its budget, the user's stop; not the kill switch, a closed
        market or a failed strategy) lets a strategy that has a `closing` plan send it: a user's
        `close_session`, which by default flattens its position. One fresh read, the same guard,
        and the trades go even though the stop was asked for."""
        closing = getattr(self.strategy, "closing", None)
        if not callable(closing) or self._kill_switch.tripped or self._market_closed or self._strategy_failed:
            return
        view = self._params_view
        try:
            book, orders, available = self._read()
            self._book = book
            self._absorb(orders, available, book)
            plans = self._plans(view, book.top, closing=closing)
            asked, self._stop = self._stop, threading.Event()
            try:
                outcomes = self._execute(plans, view)
            finally:
                self._stop = asked
            self._totals = replace(
                self._totals,
                placed=self._totals.placed + sum(o.placed for o in outcomes),
                cancelled=self._totals.cancelled + sum(o.cancelled for o in outcomes),
                errors=self._totals.errors + sum(o.errors for o in outcomes),
            )
        except (VenueError, StrategyStopped) as exc:
            self._journal([self._line(ActionKind.ERROR, error=f"closing the strategy failed: {exc}")])

    def _journal_strategy_logs(self) -> None:
        """A user strategy's own log lines, as STRATEGY_LOG lines under its wallet (at most
        STRATEGY_LOG_LINES a cycle; the rest are counted in the last one)."""
        take = getattr(self.strategy, "take_logs", None)
        if not callable(take):
            return
        index, lines = take()
        if not lines or not 0 <= index < len(self.wallets):
            return
        wallet = self.wallets[index]
        kept = lines[:STRATEGY_LOG_LINES]
        if len(lines) > len(kept):
            kept[-1] = f"{kept[-1]} (and {len(lines) - len(kept)} more lines this tick, not journaled)"
        self._journal(
            [
                self._line(
                    ActionKind.STRATEGY_LOG,
                    trader=wallet.address,
                    nickname=wallet.entry.nickname,
                    params={"message": line},
                )
                for line in kept
            ]
        )

    def _strategy_stopped(self, exc: StrategyStopped, view: ParamsView) -> NoReturn:
        """A user strategy broke a limit or failed: the run stops, saying what it did; its open
        orders are cancelled or left as its `onStop` parameter says (left by default)."""
        self._strategy_failed = True
        self._stop_reason = f"{STRATEGY_STOPPED_PREFIX}{exc}"
        self._journal([self._line(ActionKind.ERROR, error=self._stop_reason)])
        if getattr(view.strategy, "on_stop", "leave") == "cancel":
            self.cancel_all()
        raise PackerStopped(self._stop_reason)

    def _finish(self) -> None:
        stop_strategy = getattr(self.strategy, "stop", None)
        if callable(stop_strategy):
            stop_strategy()
        try:
            self._settle_pending()
            # the last cycle's trades may have filled since its read: journal those fills too
            with contextlib.suppress(VenueError):
                self._read_fills(self.addresses)
            self._journal(
                [self._line(ActionKind.RUN_STOP, params={"reason": self._stop_reason or "stopped"})]
            )
            self._persist(force=True)
        finally:
            self._pool.shutdown(wait=True)
            self._publish()

    def carry_out(self, commands: Sequence[object]) -> int:
        """The dashboard's commands (`order_commands`: cancel some of our orders, journal a pause),
        between cycles on the engine thread; returns how many orders were cancelled."""
        from ama_tui.engine.order_commands import carry_out

        done = carry_out(
            commands,
            venue=self.venue,
            order_book=self.market.order_book,
            wallets=self.wallets,
            line=self._line,
            now=self.venue.clock.now,
            dry_run=self.options.dry_run,
        )
        self._journal(done.lines)
        self._totals = replace(
            self._totals,
            cancelled=self._totals.cancelled + done.cancelled,
            errors=self._totals.errors + done.errors,
        )
        return done.cancelled
