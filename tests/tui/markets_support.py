"""Two markets' tabs fed deterministic rig snapshots (fixed seeds, virtual clocks, pinned cycle
durations, a clock that stands still), for the tab and overview tests and screenshots."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from textual.app import App

from ama_tui.engine.live_params import LiveParams
from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.tui.fill_totals import FillCounter
from ama_tui.tui.markets.flow import MarketTabs
from ama_tui.tui.markets.tabs import TabWanted
from ama_tui.tui.markets_run import BudgetSplit, MarketHandles
from ama_tui.venues.base import VenueKind

from ..engine.helpers import make_rig
from .dashboard_support import OVERRIDES, RUN_ID, FakeClock, steady

SHARES = {"ETH-USD": ("0.3", Decimal(3)), "BTC-USD": ("0.1", Decimal(1))}


def _snapshots(state_dir: Path, symbol: str, share: str, cycles: int = 5) -> EngineSnapshot:
    rig = make_rig(
        state_dir,
        symbol=symbol,
        wallets=3,
        preset="GRADUAL_FILLS",
        run_id=RUN_ID,
        overrides={**OVERRIDES, "maxWalletUtilization": share},
    )
    rig.packer.ensure_sessions()
    fills = FillCounter()
    last = None
    for _ in range(cycles):
        rig.packer.cycle()
        last = steady(fills.see(rig.snapshots[-1]))
        rig.venue.advance(1.0)
    rig.close()
    assert last is not None
    return last


def two_market_snapshots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, EngineSnapshot]:
    """ETH-USD's and BTC-USD's last snapshot of a short deterministic rig run each."""
    return {
        symbol: _snapshots(tmp_path_factory.mktemp(symbol), symbol, share)
        for symbol, (share, _) in SHARES.items()
    }


class MarketsApp(App[None]):
    """The tabs of a two-market run on handles showing fixed snapshots."""

    ENABLE_COMMAND_PALETTE = False

    def __init__(self, snapshots: dict[str, EngineSnapshot]) -> None:
        super().__init__()
        handles = MarketHandles(tuple(snapshots), venue_kind=VenueKind.SIM)
        for symbol, snapshot in snapshots.items():
            handles.adopt(symbol, LiveParams(snapshot.config, snapshot.packer)).publish(snapshot)
        handles.split = BudgetSplit(
            4000,
            {s: int(Decimal(share) * 10_000) for s, (share, _) in SHARES.items()},
            {s: weight for s, (_, weight) in SHARES.items()},
        )
        self.handles = handles
        self.clock = FakeClock()

    def on_mount(self) -> None:
        self.tabs = MarketTabs(
            self,
            self.handles,
            bell=False,
            folders={},
            screen_options={"cpu_budget": None, "clock": self.clock},
        )
        self.push_screen(self.tabs.screens[0])

    def on_tab_wanted(self, message: TabWanted) -> None:
        self.tabs.switch(message)
