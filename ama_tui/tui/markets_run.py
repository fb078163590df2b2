"""Running several markets for the app, off the UI thread: the same wiring as `ama-tui run --market A
--market B` (`headless_markets.open_markets`: the budget split by the fleet plan's rule, shared
sessions, one state folder, journal and lock per market, and `engine.multi_market`'s loop), with
the checkpoints decided by the screens. No textual here: the app's worker calls `run_markets` and
turns its callbacks into messages; each market's dashboard reads its own `EngineHandle`."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ama_tui.core.models import PackerParams, RunConfig
from ama_tui.engine.live_params import LiveParams
from ama_tui.engine.multi_market import MultiSummary
from ama_tui.engine.packer import PackerOptions, SessionProgress
from ama_tui.engine.run_setup import StartMode
from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.fleet.plan import BPS
from ama_tui.headless_markets import UTILIZATION, MarketPick, open_markets
from ama_tui.notify.hooks import RunNotifications
from ama_tui.store import MarketStore, StateStore, WalletEntry
from ama_tui.tui.engine_handle import EngineHandle
from ama_tui.tui.engine_run import SnapshotRelay
from ama_tui.venues.base import MarketRow, Venue, VenueKind


@dataclass(frozen=True, slots=True)
class MarketsRequest:
    """What the screens decided for a run over several markets: one form for all of them, and
    each market's weight in the wallets' budget (`maxWalletUtilization` is the wallets' total)."""

    rows: tuple[MarketRow, ...]
    mode: StartMode
    config: RunConfig
    packer: PackerParams
    wallets: int
    weights: Mapping[str, Decimal] = field(default_factory=dict)
    """By symbol; a market left out keeps its resumed weight, else 1."""
    strategy: str | None = None
    strategy_params: Mapping[str, str] = field(default_factory=dict)
    own_params: bool = False
    """Each market resumes with the parameters its checkpoint keeps (its tab's edits), not
    `config`/`packer` (cancel-all's "keep running"); `packer` still gives the wallets' total."""

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(row.symbol for row in self.rows)


@dataclass(frozen=True, slots=True)
class BudgetSplit:
    """Each market's share of the wallets' utilization (basis points) and its weight."""

    total_bps: int
    shares: Mapping[str, int]
    weights: Mapping[str, Decimal]

    def share_text(self, symbol: str) -> str:
        return f"{Decimal(self.shares.get(symbol, 0)) / BPS}"


class MarketHandle(EngineHandle):
    """One market's handle in a run over several: cancel-all is asked of every market (the
    dashboard's question says the run stops, and such a run stops as one); the rest is the
    market's own (pause, edits, cancels)."""

    def __init__(self, params: LiveParams, *, fleet: MarketHandles) -> None:
        super().__init__(
            params, venue_kind=fleet.venue_kind, dry_run=fleet.dry_run, stop_event=fleet.stop_event
        )
        self._fleet = fleet

    def request_cancel_all(self) -> None:
        for handle in self._fleet.handles:
            handle.params.request_cancel_all()


class MarketHandles:
    """The app's handles on a run over several markets: one `EngineHandle` per market (its
    dashboard's, made by the worker once the market's live parameters exist: its share of the
    budget), one stop for all of them, and the budget split."""

    def __init__(
        self, symbols: Sequence[str], *, venue_kind: VenueKind, dry_run: bool = False, paused: bool = False
    ) -> None:
        """`paused`: every market starts paused (journaled as such), quoting when `p` is pressed
        on its tab."""
        self.symbols = tuple(symbols)
        self.venue_kind = venue_kind
        self.dry_run = dry_run
        self.paused = paused
        self.stop_event = threading.Event()
        self._handles: dict[str, EngineHandle] = {}
        self.split: BudgetSplit | None = None
        """Set by the worker before the first snapshot."""

    def adopt(self, symbol: str, params: LiveParams) -> EngineHandle:
        """On the worker, before the run begins: the market's handle on its live parameters."""
        handle = MarketHandle(params, fleet=self)
        if self.paused:
            handle.toggle_pause()  # from the first cycle on
        self._handles[symbol] = handle
        return handle

    def handle(self, symbol: str) -> EngineHandle | None:
        return self._handles.get(symbol)

    @property
    def handles(self) -> list[EngineHandle]:
        return [h for s in self.symbols if (h := self._handles.get(s)) is not None]

    def request_stop(self) -> None:
        self.stop_event.set()

    @property
    def cancel_all_requested(self) -> bool:
        return any(h.params.cancel_all_requested for h in self.handles)


def run_markets(
    *,
    venue: Venue,
    state: StateStore,
    stores: Sequence[MarketStore],
    request: MarketsRequest,
    fleet: Sequence[WalletEntry],
    handles: MarketHandles,
    options: PackerOptions,
    run_id: str | None,
    progress: Callable[[SessionProgress], None],
    on_started: Callable[[str], None],
) -> MultiSummary:
    """Assemble a packer per market on its open (locked) store (`stores`, in `state`) and run
    them until the handles' stop (or the engine stops). The stores are closed before this
    returns (also on an error). `on_started` gets the first market's run id with its first
    snapshot."""
    with contextlib.ExitStack() as stack:
        for store in stores:
            stack.callback(store.close)
        picks = [MarketPick(row.symbol, row, venue.market_info(row.market_address)) for row in request.rows]
        relays: dict[str, SnapshotRelay] = {}
        callbacks: dict[str, Callable[[EngineSnapshot], None] | None] = {}
        for index, symbol in enumerate(request.symbols):
            relay = relays[symbol] = SnapshotRelay(None, on_started if index == 0 else _ignore)
            notes = stack.enter_context(RunNotifications.from_environment(relay))
            callbacks[symbol] = notes.callback
        overrides = {
            **request.strategy_params,
            UTILIZATION: str(request.packer.max_wallet_utilization),
        }
        opened = open_markets(
            venue,
            stack,
            picks=picks,
            state=state,
            wallets=fleet,
            mode=request.mode,
            options=options,
            overrides=overrides,
            weight_items=[f"{symbol}={weight}" for symbol, weight in request.weights.items()],
            strategy=request.strategy if request.mode is StartMode.FRESH else None,
            on_snapshot=callbacks,
            stores=stores,
            config=None if request.own_params else request.config,
            packer=None if request.own_params else request.packer,
            run_id=run_id,
        )
        handles.split = BudgetSplit(opened.total_bps, dict(opened.shares), dict(opened.weights))
        for pick, assembled in zip(opened.picks, opened.runs, strict=True):
            relay = relays[pick.symbol]
            relay.handle = handles.adopt(pick.symbol, assembled.params)
            relay.packer = assembled.packer
        return opened.engine(venue).run(handles.stop_event, progress=progress)


def _ignore(run_id: str) -> None:
    """The markets after the first: the dashboard comes with the first market's snapshot."""
