"""The app on the embedded exchange for flow and snapshot tests: fixed seed, virtual clock, fixed run
id, a tmp state folder, no `.env` and no live-exchange variables, cursor blink off."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from ama_tui.engine.live_params import LiveParams
from ama_tui.engine.packer import Packer, PackerOptions
from ama_tui.engine.run_setup import StartMode, prepare_run
from ama_tui.store import StateStore, derive_wallets
from ama_tui.tui.app import AmaApp, make_app
from ama_tui.tui.app_options import AppOptions
from ama_tui.venues.base import MarketPage, VenueKind, VenueUnavailable
from ama_tui.venues.sim import SimVenue
from ama_tui.venues.sim.venue import DEFAULT_START_TIME
from ama_tui.wiring import VenueChoice, find_market

SEED = 1
RUN_ID = "00000000-0000-4000-8000-00000000feed"
SAVED_RUN_ID = "00000000-0000-4000-8000-0000000000aa"
SIZES = ((120, 40), (80, 24))
LIVE_VARIABLES = (
    "RPC_URL",
    "RPC_URL_HYPEREVM",
    "SESSION_REGISTRY_ADDRESS",
    "CHAIN_ID",
    "NEXT_PUBLIC_CHAIN_ID",
)


@pytest.fixture(autouse=True)
def _no_live_exchange(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in LIVE_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture()
def app_options(tmp_path: Path) -> AppOptions:
    env_dir = tmp_path / "env"
    env_dir.mkdir()
    return AppOptions(
        venue=VenueChoice.SIM,
        wallets=3,
        state_dir=tmp_path / "state",
        seed=SEED,
        virtual_time=True,
        run_id=RUN_ID,
        env_dir=env_dir,
        cursor_blink=False,
        virtual_pace_s=0.1,
        search_debounce_s=0.05,
    )


def build_app(options: AppOptions, *, venue: Any = None, **changes: Any) -> AmaApp:
    """The app for `options` with `changes`; an injected `venue` is described as the real one is."""
    description = None
    if venue is not None:
        description = f"embedded exchange (asked for; seed {SEED}, preset REALISTIC, virtual clock)"
    return make_app(replace(options, **changes), venue=venue, venue_description=description)


class FlakyVenue:
    """A venue whose market listing fails (the exchange is down) while `down` is set."""

    def __init__(self, inner: Any, *, down: bool = True, kind: VenueKind | None = None) -> None:
        self._inner = inner
        self.kind = kind or inner.kind
        self.clock = inner.clock
        self.down = down
        self.list_calls = 0

    def list_markets(self, **kwargs: Any) -> MarketPage:
        self.list_calls += 1
        if self.down:
            raise VenueUnavailable("connection refused (exchange down)")
        page: MarketPage = self._inner.list_markets(**kwargs)
        return page

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def sim_venue(*, start_offset_s: int = 0) -> SimVenue:
    return SimVenue(SEED, clock="virtual", start_time=DEFAULT_START_TIME + start_offset_s)


def save_a_run(state_dir: Path, *, symbol: str = "ETH-USD", wallets: int = 3, cycles: int = 2) -> str:
    """A checkpoint and journal for `symbol`, as a previous run leaves them (deterministic)."""
    venue = sim_venue()
    row, info = find_market(venue, symbol)
    fleet = list(derive_wallets(SEED, wallets))
    with StateStore(state_dir).market(info.chain_id, info.order_book) as store:
        start = prepare_run(
            store,
            market=row.to_market_ref(),
            wallets=fleet,
            mode=StartMode.FRESH,
            now=venue.clock.now(),
            run_id=SAVED_RUN_ID,
        )
        params = LiveParams(start.checkpoint.config, start.checkpoint.packer_params)
        packer = Packer(
            venue=venue,
            store=store,
            market=info,
            wallets=fleet,
            start=start,
            params=params,
            options=PackerOptions(max_in_flight=1, seed=SEED),
        )
        packer.run(threading.Event(), max_cycles=cycles)
    venue.close()
    return SAVED_RUN_ID


async def wait_for(pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    """Pause until `predicate()` holds (bounded)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")
        await pilot.pause(0.05)


def screen_name(app: AmaApp) -> str:
    return type(app.screen).__name__


async def picker_settled(pilot: Pilot[Any]) -> None:
    """The picker has its markets and every best bid/ask it asked for."""
    from ama_tui.tui.screens.picker import PickerScreen

    app = pilot.app

    def settled() -> bool:
        screen = app.screen
        if not isinstance(screen, PickerScreen):
            return False
        return screen.state == "error" or (screen.state == "ready" and not screen._tops_wanted)

    await wait_for(pilot, settled)
    await pilot.pause()
