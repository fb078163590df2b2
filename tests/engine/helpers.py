"""Building a packer on the embedded exchange for engine tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ama_tui.core.models import PackerParams, RunConfig
from ama_tui.engine.live_params import LiveParams
from ama_tui.engine.packer import Packer, PackerOptions
from ama_tui.engine.run_setup import RunStart, StartMode, prepare_run
from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.store import MarketStore, StateStore, WalletEntry, derive_wallets
from ama_tui.venues.base import MarketInfo, MarketRow, Venue
from ama_tui.venues.sim import SimVenue
from ama_tui.wiring import find_market


@dataclass
class Rig:
    venue: Venue
    store: MarketStore
    row: MarketRow
    info: MarketInfo
    wallets: list[WalletEntry]
    params: LiveParams
    packer: Packer
    start: RunStart
    snapshots: list[EngineSnapshot] = field(default_factory=list)

    def close(self) -> None:
        # a test that drives cycles itself never ends the run: stop a sandboxed strategy's process
        # and remove its scratch folder as the run's end would
        stop_strategy = getattr(self.packer.strategy, "stop", None)
        if callable(stop_strategy):
            stop_strategy()
        self.store.close()


def make_rig(
    state_dir: Path,
    *,
    venue: Venue | None = None,
    seed: int = 7,
    preset: str = "PERFECT_EXECUTION",
    symbol: str = "ETH-USD",
    wallets: int = 4,
    mode: StartMode = StartMode.AUTO,
    overrides: dict[str, Any] | None = None,
    options: PackerOptions | None = None,
    config: RunConfig | None = None,
    packer: PackerParams | None = None,
    run_id: str | None = None,
    strategy: str | None = None,
) -> Rig:
    venue = venue or SimVenue(seed, preset=preset, clock="virtual")
    row, info = find_market(venue, symbol)
    # each rig its own machine-wide lock folder: some tests run two rigs of one market side by side
    store = StateStore(state_dir, lock_dir=state_dir / "machine-locks").market(info.chain_id, info.order_book)
    store.open()
    fleet = list(derive_wallets(seed, wallets))
    start = prepare_run(
        store,
        market=row.to_market_ref(),
        wallets=fleet,
        mode=mode,
        now=venue.clock.now(),
        overrides=overrides,
        config=config,
        packer=packer,
        run_id=run_id,
        strategy=strategy,
    )
    params = LiveParams(start.checkpoint.config, start.checkpoint.packer_params, start.strategy_params)
    rig_snapshots: list[EngineSnapshot] = []
    engine = Packer(
        venue=venue,
        store=store,
        market=info,
        wallets=fleet,
        start=start,
        params=params,
        options=options or PackerOptions(max_in_flight=1, seed=seed),
        on_snapshot=rig_snapshots.append,
    )
    return Rig(venue, store, row, info, fleet, params, engine, start, rig_snapshots)


class Faulty:
    """Wraps a venue; `faults[name]` is a list of exceptions (or None) consumed per call of `name`.
    `land_then_fail` makes the next N submits reach the venue and then raise (the relay failing
    after submitting)."""

    def __init__(self, inner: Venue) -> None:
        self.inner = inner
        self.kind = inner.kind
        self.clock = inner.clock
        self.faults: dict[str, list[Exception | None]] = {}
        self.land_then_fail: list[Exception] = []
        self.submitted: list[Any] = []

    def _maybe_fail(self, name: str) -> None:
        queue = self.faults.get(name)
        if queue:
            fault = queue.pop(0)
            if fault is not None:
                raise fault

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if not callable(attribute) or name in {"advance", "audit", "close"}:
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self._maybe_fail(name)
            return attribute(*args, **kwargs)

        return call

    def submit(self, order_book: str, session_id: str, request: Any) -> Any:
        self._maybe_fail("submit")
        receipt = self.inner.submit(order_book, session_id, request)
        self.submitted.append(request)
        if self.land_then_fail:
            raise self.land_then_fail.pop(0)
        return receipt
