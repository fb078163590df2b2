"""The app's runner for several markets: the headless wiring (budget split by weight, one state
folder per market, shared stop) behind one handle per market, as the dashboards read them."""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest

from ama_tui.core.models import PackerParams, RunConfig
from ama_tui.engine.packer import PackerOptions
from ama_tui.engine.run_setup import StartMode
from ama_tui.store import StateStore, derive_wallets
from ama_tui.tui.markets_run import MarketHandles, MarketsRequest, run_markets
from ama_tui.venues.base import VenueKind
from ama_tui.wiring import SetupError, find_market

from .conftest import SEED, sim_venue


def _request(venue: object, weights: dict[str, Decimal]) -> MarketsRequest:
    rows = tuple(find_market(venue, s)[0] for s in ("ETH-USD", "BTC-USD"))  # type: ignore[arg-type]
    return MarketsRequest(
        rows,
        StartMode.FRESH,
        RunConfig(min_delay_ms=50, max_delay_ms=100),
        PackerParams(max_wallet_utilization=Decimal("0.4")),
        3,
        weights=weights,
    )


def _run(tmp_path: Path, weights: dict[str, Decimal]) -> tuple[MarketHandles, list[str]]:
    venue = sim_venue()
    request = _request(venue, weights)
    state = StateStore(tmp_path / "state")
    stores = [state.market(row.chain_id, row.market_address).open() for row in request.rows]
    handles = MarketHandles(request.symbols, venue_kind=VenueKind.SIM)
    started: list[str] = []

    def stop_later() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if (
                all(h.latest is not None and h.latest.totals.cycle >= 2 for h in handles.handles)
                and len(handles.handles) == 2
            ):
                break
            time.sleep(0.02)
        handles.request_stop()

    stopper = threading.Thread(target=stop_later)
    stopper.start()
    try:
        summary = run_markets(
            venue=venue,
            state=state,
            stores=stores,
            request=request,
            fleet=list(derive_wallets(SEED, 3)),
            handles=handles,
            options=PackerOptions(max_in_flight=1, seed=SEED),
            run_id=None,
            progress=lambda report: None,
            on_started=started.append,
        )
    finally:
        stopper.join()
        venue.close()
    assert [m.symbol for m in summary.markets] == ["ETH-USD", "BTC-USD"]
    return handles, started


def test_each_market_quotes_with_its_weighted_share_and_its_own_handle(tmp_path: Path) -> None:
    handles, started = _run(tmp_path, {"ETH-USD": Decimal(3)})
    assert handles.split is not None
    assert handles.split.shares == {"ETH-USD": 3000, "BTC-USD": 1000}  # 0.4 split 3:1
    eth, btc = handles.handle("ETH-USD"), handles.handle("BTC-USD")
    assert eth is not None and btc is not None and eth is not btc
    assert eth.stop_event is btc.stop_event is handles.stop_event
    assert eth.params.current().packer.max_wallet_utilization == Decimal("0.3")
    assert btc.params.current().packer.max_wallet_utilization == Decimal("0.1")
    assert eth.latest is not None and eth.latest.market.symbol == "ETH-USD"
    assert btc.latest is not None and btc.latest.market.symbol == "BTC-USD"
    assert len(started) == 1  # the dashboard comes once, with the first market's snapshot
    # each market kept its own checkpoint, which names the run over both
    folders = sorted(p.parent.name for p in (tmp_path / "state").rglob("checkpoint.json"))
    assert len(folders) == 2


def test_stores_are_closed_when_the_setup_fails(tmp_path: Path) -> None:
    venue = sim_venue()
    request = _request(venue, {"ETH-USD": Decimal("0.0001")})  # a share under the packer's least
    state = StateStore(tmp_path / "state")
    stores = [state.market(row.chain_id, row.market_address).open() for row in request.rows]
    handles = MarketHandles(request.symbols, venue_kind=VenueKind.SIM)
    with pytest.raises(SetupError):
        run_markets(
            venue=venue,
            state=state,
            stores=stores,
            request=request,
            fleet=list(derive_wallets(SEED, 3)),
            handles=handles,
            options=PackerOptions(max_in_flight=1, seed=SEED),
            run_id=None,
            progress=lambda report: None,
            on_started=lambda run_id: None,
        )
    venue.close()
    for row in request.rows:  # the locks were given back: the markets open again at once
        state.market(row.chain_id, row.market_address).open().close()
