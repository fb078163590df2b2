"""One way to start a run, for the dashboard and the headless runner alike: the checkpoint it starts
from (fresh or resumed, with its strategy), its live parameters, the embedded exchange's state kept
beside the checkpoint, and the packer that will run it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ama_tui.core.models import PackerParams, RunConfig
from ama_tui.engine.live_params import LiveParams
from ama_tui.engine.packer import Packer, PackerOptions
from ama_tui.engine.run_setup import RunStart, StartMode, prepare_run
from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.engine.venue_state import attach_venue_state
from ama_tui.store import MarketStore, WalletEntry
from ama_tui.venues.base import MarketInfo, MarketRow, Venue


@dataclass(frozen=True, slots=True)
class AssembledRun:
    start: RunStart
    params: LiveParams
    packer: Packer


def assemble_run(
    venue: Venue,
    store: MarketStore,
    *,
    row: MarketRow,
    info: MarketInfo,
    wallets: Sequence[WalletEntry],
    mode: StartMode,
    options: PackerOptions,
    params: LiveParams | None = None,
    config: RunConfig | None = None,
    packer: PackerParams | None = None,
    overrides: Mapping[str, Any] | None = None,
    strategy: str | None = None,
    run_id: str | None = None,
    on_snapshot: Callable[[EngineSnapshot], None] | None = None,
    multi_market: Mapping[str, Any] | None = None,
    venue_kept_by: AssembledRun | None = None,
) -> AssembledRun:
    """`store` is open (locked). `params`: live parameters the caller already shows (the
    dashboard's), given the resumed strategy's own; None makes them from the checkpoint. Raises
    what `prepare_run` and `attach_venue_state` raise (each says what is wrong).
    `venue_kept_by`: another market of the same run that keeps the embedded exchange's state (one
    exchange, saved in one place): this market's folder keeps none, and its saves save it there."""
    start = prepare_run(
        store,
        market=row.to_market_ref(),
        wallets=wallets,
        mode=mode,
        now=venue.clock.now(),
        config=config,
        packer=packer,
        overrides=overrides,
        run_id=run_id,
        strategy=strategy,
        multi_market=multi_market,
    )
    if params is None:
        params = LiveParams(start.checkpoint.config, start.checkpoint.packer_params, start.strategy_params)
    else:
        params.adopt_strategy(start.strategy_params)
    if venue_kept_by is None:
        save_venue = attach_venue_state(venue, store, resumed=start.resumed)
    else:
        store.drop_venue_state()
        save_venue = venue_kept_by.packer.on_persist
    engine = Packer(
        venue=venue,
        store=store,
        market=info,
        wallets=wallets,
        start=start,
        params=params,
        options=options,
        on_snapshot=on_snapshot,
        on_persist=save_venue,
    )
    return AssembledRun(start, params, engine)
