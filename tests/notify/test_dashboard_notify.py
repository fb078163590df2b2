"""The dashboard's engine thread (`tui.engine_run.run_packer`) notifies like the headless run."""

from __future__ import annotations

from pathlib import Path

import pytest

from ama_tui.core.models import PackerParams, RunConfig
from ama_tui.engine.live_params import LiveParams
from ama_tui.engine.packer import PackerOptions
from ama_tui.engine.run_setup import StartMode
from ama_tui.store import StateStore, derive_wallets
from ama_tui.tui.engine_handle import EngineHandle
from ama_tui.tui.engine_run import StartRequest, run_packer
from ama_tui.venues.base import VenueKind
from ama_tui.venues.sim import SimVenue
from ama_tui.wiring import find_market

from .receiver import local_receiver


def test_a_dashboard_run_tells_its_start_and_stop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    venue = SimVenue(7, preset="PERFECT_EXECUTION", clock="virtual")
    row, info = find_market(venue, "ETH-USD")
    store = StateStore(tmp_path / "st", lock_dir=tmp_path / "locks").market(info.chain_id, info.order_book)
    store.open()
    handle = EngineHandle(LiveParams(RunConfig(), PackerParams()), venue_kind=VenueKind.SIM)
    monkeypatch.chdir(tmp_path)
    with local_receiver() as receiver:
        (tmp_path / ".env").write_text(f"AMA_NOTIFY_URLS={receiver.url('tui')}\n")
        try:
            summary = run_packer(
                venue=venue,
                store=store,
                request=StartRequest(row, StartMode.FRESH, RunConfig(), PackerParams(), wallets=2),
                fleet=list(derive_wallets(7, 2)),
                handle=handle,
                options=PackerOptions(max_in_flight=1, seed=7),
                run_id=None,
                progress=lambda report: None,
                on_started=lambda run_id: handle.stop_event.set(),  # one cycle, then stop
            )
        finally:
            store.close()
        posts = receiver.matching("/tui")
    assert [p.payload["title"] for p in posts] == [
        "ama-tui: run started (ETH-USD)",
        "ama-tui: run stopped (ETH-USD)",
    ]
    assert summary.run_id in posts[0].payload["message"]
    assert handle.latest is not None, "the dashboard still gets every snapshot"
