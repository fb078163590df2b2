"""Running the packer for the app, off the UI thread: the same wiring as `ama-tui run`, with the
checkpoint decided by the screens (resume or fresh, the form's values). No textual here: the app's
worker calls `run_packer` and turns its callbacks into messages."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ama_tui.core.models import MarketCheckpoint, PackerParams, RunConfig
from ama_tui.engine.live_params import ParamsError
from ama_tui.engine.packer import Packer, PackerOptions, RunSummary, SessionProgress
from ama_tui.engine.run_assembly import assemble_run
from ama_tui.engine.run_setup import ResumeError, StartMode, iso_now
from ama_tui.engine.snapshot import EngineSnapshot, EngineState
from ama_tui.engine.venue_state import VenueStateError
from ama_tui.notify.hooks import RunNotifications
from ama_tui.store import MarketStore, StoreError, WalletEntry
from ama_tui.tui.engine_handle import EngineHandle
from ama_tui.tui.fill_totals import FillCounter
from ama_tui.tui.widgets.text import ago_text
from ama_tui.venues.base import Clock, MarketRow, Venue, VenueError
from ama_tui.wiring import SetupError


@dataclass(frozen=True, slots=True)
class StartRequest:
    """Everything the screens decided: which market, resume or fresh, and the form's values."""

    row: MarketRow
    mode: StartMode
    config: RunConfig
    packer: PackerParams
    wallets: int
    strategy: str | None = None
    """None: the resumed run's own, or the packer."""
    strategy_params: dict[str, str] = field(default_factory=dict)


class PacedClock:
    """A virtual clock that also lets a little real time pass per wait, so an engine on the
    virtual clock (tests) does not spin flat out and starve the UI thread."""

    def __init__(self, inner: Clock, pace_s: float) -> None:
        self._inner = inner
        self._pace_s = pace_s

    def now(self) -> float:
        return self._inner.now()

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        if self._pace_s > 0 and stop.wait(self._pace_s):
            return True
        return self._inner.wait(stop, seconds)


class PacedVenue:
    """The venue as is, behind a `PacedClock`."""

    def __init__(self, inner: Venue, pace_s: float) -> None:
        self._inner = inner
        self.kind = inner.kind
        self.clock = PacedClock(inner.clock, pace_s)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def describe_error(exc: BaseException) -> str:
    """One line for the screen (never a traceback; venue and store messages carry no secrets)."""
    if isinstance(exc, SetupError | ParamsError | ResumeError | StoreError | VenueStateError):
        return str(exc)
    if isinstance(exc, VenueError):
        return f"the exchange failed: {exc}"
    return f"{type(exc).__name__}: {exc}"


class SnapshotRelay:
    """The engine's snapshot callback for one market's handle, on the engine thread after each
    cycle: publish (with the run's fills added up), then carry out what the dashboard asked
    meanwhile (cancels, pause notes) and publish again so it shows at once. `on_started` gets the
    run id with the first snapshot. `handle` and `packer` may be given once the run is assembled
    (before it begins)."""

    def __init__(self, handle: EngineHandle | None, on_started: Callable[[str], None]) -> None:
        self.handle = handle
        self.packer: Packer | None = None
        self.on_started = on_started
        self.started = threading.Event()
        self.fills = FillCounter()
        self._carrying_out = False

    def __call__(self, snapshot: EngineSnapshot) -> None:
        handle = self.handle
        if handle is None:
            return
        handle.publish(self.fills.see(snapshot))
        if not self.started.is_set():
            self.started.set()
            self.on_started(snapshot.run_id)
        packer = self.packer
        if (
            self._carrying_out
            or packer is None
            or not len(handle.commands)
            or snapshot.state in (EngineState.STOPPING, EngineState.STOPPED)
        ):
            return
        self._carrying_out = True
        try:
            packer.carry_out(handle.commands.take())
            handle.publish(self.fills.see(packer.snapshot()))
        finally:
            self._carrying_out = False


def run_packer(
    *,
    venue: Venue,
    store: MarketStore,
    request: StartRequest,
    fleet: Sequence[WalletEntry],
    handle: EngineHandle,
    options: PackerOptions,
    run_id: str | None,
    progress: Callable[[SessionProgress], None],
    on_started: Callable[[str], None],
) -> RunSummary:
    """Prepare the checkpoint and run the packer until `handle.stop_event` (or the engine stops).

    `store` is open (locked) and stays so for the whole run; the caller closes it. `on_started`
    gets the run id once the sessions are done and the first snapshot is out.
    """
    relay = SnapshotRelay(handle, on_started)
    notes = RunNotifications.from_environment(relay)
    run = assemble_run(
        venue,
        store,
        row=request.row,
        info=venue.market_info(request.row.market_address),
        wallets=fleet,
        mode=request.mode,
        options=options,
        params=handle.params,
        config=request.config,
        packer=request.packer,
        overrides=request.strategy_params or None,
        strategy=request.strategy if request.mode is not StartMode.RESUME else None,
        run_id=run_id,
        on_snapshot=notes.callback,
    )
    relay.packer = run.packer
    with notes:
        return run.packer.run(handle.stop_event, progress=progress)


@dataclass(frozen=True, slots=True)
class CheckpointSummary:
    """What the resume dialog shows about a market's checkpoint."""

    symbol: str
    run_id: str
    started_at: str
    wallets: int
    last_action: str | None
    """ISO time of the newest `lastActionAt`, with how long ago (venue clock)."""
    config: str


def describe_params(config: RunConfig, packer: PackerParams) -> str:
    return (
        f"delay {config.min_delay_ms}–{config.max_delay_ms} ms · size {config.size_min}–{config.size_max} · "
        f"{packer.orders_per_side} orders/side · utilization ≤ {packer.max_wallet_utilization} · "
        f"distance {packer.min_distance_ticks}–{packer.max_distance_ticks} ticks · "
        f"kill switch {packer.max_failed_cycles} failed cycles or {packer.max_wallet_loss_fraction} loss"
    )


def summarize_checkpoint(checkpoint: MarketCheckpoint, now: float) -> CheckpointSummary:
    """`now`: the venue clock (unix seconds), so the same checkpoint reads the same in tests."""
    stamps = [w.last_action_at for w in checkpoint.wallets.values() if w.last_action_at]
    last_action = None
    if stamps:
        newest = max(stamps)
        last_action = f"{iso_now(newest / 1000)} ({ago_text(now - newest / 1000)})"
    return CheckpointSummary(
        symbol=checkpoint.market.symbol,
        run_id=checkpoint.run.run_id,
        started_at=checkpoint.run.started_at,
        wallets=len(checkpoint.wallets),
        last_action=last_action,
        config=describe_params(checkpoint.config, checkpoint.packer_params),
    )
