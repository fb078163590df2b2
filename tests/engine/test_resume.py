"""Resume or fresh: the run id, the sessions and the last-action times survive a restart;
open orders always come from the venue."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from ama_tui.core.models import MarketRef
from ama_tui.engine.packer import PackerOptions
from ama_tui.engine.run_setup import ResumeError, StartMode, prepare_run
from ama_tui.store import StateStore, WalletEntry, derive_wallets
from ama_tui.venues.sim import SimVenue

from .helpers import make_rig

FIXTURE_BOOK = "0x4e5d6f497fcf4070a8d87a5abb019f83e16c64bb"


def _run(rig, cycles: int) -> None:  # type: ignore[no-untyped-def]
    rig.packer.run(threading.Event(), max_cycles=cycles)
    rig.close()


def test_resume_keeps_run_id_and_sessions(tmp_path: Path) -> None:
    sim = SimVenue(9, preset="NO_FILLS", clock="virtual")
    first = make_rig(tmp_path, venue=sim, wallets=3)
    _run(first, 3)
    run_id = first.start.checkpoint.run.run_id
    nonces = [sim.session_nonce(w.address) for w in first.wallets]

    second = make_rig(tmp_path, venue=sim, wallets=3, mode=StartMode.RESUME)
    assert second.start.resumed and second.start.checkpoint.run.run_id == run_id
    _run(second, 2)
    assert [sim.session_nonce(w.address) for w in second.wallets] == nonces, "no second session"
    lines = list(second.store.iter_journal())
    assert {line.run_id for line in lines} == {run_id}
    assert sum(line.action == "SESSION_INIT" for line in lines) == 3
    assert set(second.start.last_action_at) == {w.address.lower() for w in second.wallets}


def test_fresh_gets_a_new_run_id_but_reuses_valid_sessions(tmp_path: Path) -> None:
    sim = SimVenue(9, preset="NO_FILLS", clock="virtual")
    first = make_rig(tmp_path, venue=sim, wallets=2)
    _run(first, 1)
    nonces = [sim.session_nonce(w.address) for w in first.wallets]
    second = make_rig(tmp_path, venue=sim, wallets=2, mode=StartMode.FRESH)
    assert not second.start.resumed
    assert second.start.checkpoint.run.run_id != first.start.checkpoint.run.run_id
    _run(second, 1)
    assert [sim.session_nonce(w.address) for w in second.wallets] == nonces


def test_sessions_are_renewed_when_fewer_than_five_minutes_remain(tmp_path: Path) -> None:
    sim = SimVenue(9, preset="NO_FILLS", clock="virtual")
    rig = make_rig(tmp_path, venue=sim, wallets=1, options=PackerOptions(max_in_flight=1, session_ttl_s=600))
    try:
        rig.packer.ensure_sessions()
        first = rig.packer.wallets[0].session
        rig.packer.cycle()
        sim.advance(200)
        rig.packer.cycle()
        assert rig.packer.wallets[0].session == first, "still 400 s left: no renewal"
        sim.advance(120)
        rig.packer.cycle()
        renewed = rig.packer.wallets[0].session
        assert renewed is not None and first is not None and renewed.session_id != first.session_id
        assert renewed.expiry > first.expiry
        saved = rig.store.load_wallet(rig.wallets[0].address)
        assert saved is not None and saved.session_id == renewed.session_id
    finally:
        rig.close()


def test_resume_without_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ResumeError, match="nothing to resume"):
        make_rig(tmp_path, wallets=1, mode=StartMode.RESUME)


def test_resume_of_the_original_tools_state(ts_state_copy: Path) -> None:
    store = StateStore(ts_state_copy).market(999, FIXTURE_BOOK).open()
    try:
        original = store.load_checkpoint()
        assert original is not None
        wallets = [
            WalletEntry(nickname=w.nickname, address=address, key=key.key)
            for (address, w), key in zip(original.wallets.items(), derive_wallets(1, 10), strict=True)
        ]
        start = prepare_run(
            store, market=original.market, wallets=wallets, mode=StartMode.RESUME, now=1_771_017_400
        )
        assert start.resumed and start.checkpoint.run.run_id == "d15ca95d-08a2-46ca-af87-858e25c78b9c"
        assert start.checkpoint.config == original.config
        assert len(start.sessions) == 10
        newest: dict[str, int] = {}
        journal = store.journal_path.read_text().splitlines()
        for raw in journal:
            line = json.loads(raw)
            trader = line["trader"].lower()
            if trader.startswith("0x"):
                newest[trader] = max(newest.get(trader, 0), line["ts"])
        for address, ts in newest.items():
            assert start.last_action_at[address] >= ts
        store.save_checkpoint(start.checkpoint)
        saved = json.loads(store.checkpoint_path.read_text())
        assert saved["packer"]["ordersPerSidePerWallet"] == 6
        raw_original = original.to_json_dict()
        for key in raw_original:
            assert key in saved
        assert set(saved["config"]) == set(raw_original["config"])
    finally:
        store.close()


def test_market_ref_mismatch_does_not_lose_old_market_fields(ts_state_copy: Path) -> None:
    store = StateStore(ts_state_copy).market(999, FIXTURE_BOOK).open()
    try:
        original = store.load_checkpoint()
        assert original is not None
        slim = MarketRef(
            symbol="HENRY-HUB-PRICE",
            market_address=original.market.market_address,
            market_id_bytes32=original.market.market_id_bytes32,
            chain_id=999,
            tick_size=original.market.tick_size,
        )
        start = prepare_run(store, market=slim, wallets=[], mode=StartMode.RESUME, now=1_771_017_400)
        assert start.checkpoint.market.market_identifier == "HENRY-HUB-PRICE"
        assert len(start.checkpoint.wallets) == 10
    finally:
        store.close()
