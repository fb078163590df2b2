"""Saying why nothing happens (SKIP lines, rate-limited; the wallet's row) and sessions that
survive anything (saved the moment they exist, found again in the journal, failures counted,
backed off and honouring Retry-After, the kill switch tripping on them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ama_tui.core.market import BookTop
from ama_tui.core.models import ActionKind
from ama_tui.engine.fills import FillLedger
from ama_tui.engine.journaling import JournalContext
from ama_tui.engine.packer import PackerStopped
from ama_tui.engine.run_setup import StartMode
from ama_tui.engine.wallet_state import WalletRuntime
from ama_tui.store import derive_wallets
from ama_tui.venues.base import Fill, RateLimited, VenueUnavailable
from ama_tui.venues.sim import SimVenue

from .helpers import Faulty, make_rig


def _lines(rig, action: str) -> list:  # type: ignore[no-untyped-def]
    return [line for line in rig.store.iter_journal() if line.action == action]


def test_a_wallet_that_cannot_place_says_why_once_a_minute(tmp_path: Path) -> None:
    # BTC-USD with sizes of whole coins: one order is worth more than the cap
    rig = make_rig(tmp_path, symbol="BTC-USD", wallets=2, overrides={"sizeMin": 1, "sizeMax": 2})
    try:
        rig.packer.ensure_sessions()
        for _ in range(5):
            stats = rig.packer.cycle()
            rig.venue.advance(2.0)  # type: ignore[attr-defined]
        assert rig.packer.snapshot().totals.placed == 0
        assert stats.skipped > 0
        skips = _lines(rig, ActionKind.SKIP)
        reasons = {(line.trader, (line.params or {})["reason"]) for line in skips}
        assert {reason for _, reason in reasons} == {"BELOW_MIN_SIZE"}
        assert len(skips) == len(reasons) == 2  # 5 cycles in 10 s: one line per wallet and reason
        assert "below the minimum" in (skips[0].params or {})["message"]
        snap = rig.packer.snapshot()
        assert all(w.skip_reason and w.skip_reason.startswith("BELOW_MIN_SIZE") for w in snap.wallets)
        assert dict(snap.skips_by_reason)["BELOW_MIN_SIZE"] == snap.totals.skipped
        rig.venue.advance(61.0)  # type: ignore[attr-defined]
        rig.packer.cycle()
        assert len(_lines(rig, ActionKind.SKIP)) == 4  # a minute later: said again
    finally:
        rig.close()


def test_notional_sizes_fit_a_60000_dollar_asset(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, symbol="BTC-USD", wallets=2, overrides={"sizeMinUsd": 20, "sizeMaxUsd": 60})
    try:
        rig.packer.ensure_sessions()
        stats = rig.packer.cycle()
        assert stats.placed > 0
        for line in _lines(rig, ActionKind.PLACE_LIMIT):
            params = line.params or {}
            notional = int(params["price6"]) * int(params["amount18"]) // 10**18
            assert 19_000_000 <= notional <= 61_000_000
    finally:
        rig.close()


def test_each_session_is_on_disk_before_the_next_is_created(tmp_path: Path) -> None:
    """Its SESSION_INIT line (what a restart trusts) is written and fsynced the moment it exists;
    the wallet files and the checkpoint hold every session once the round of creations ends."""
    sim = SimVenue(3, preset="NO_FILLS", clock="virtual")
    faulty = Faulty(sim)
    rig = make_rig(tmp_path, venue=faulty, wallets=3)
    seen_on_disk: list[int] = []
    create = sim.create_session

    def create_and_look(*args, **kwargs):  # type: ignore[no-untyped-def]
        journal = rig.store.journal_path.read_text() if rig.store.journal_path.exists() else ""
        seen_on_disk.append(journal.count('"action":"SESSION_INIT"'))
        return create(*args, **kwargs)

    faulty.inner = type("Spy", (), {"__getattr__": lambda self, n: getattr(sim, n)})()
    faulty.inner.create_session = create_and_look  # type: ignore[attr-defined]
    rig.packer.options = rig.packer.options.__class__(max_in_flight=1, seed=3)
    try:
        assert rig.packer.ensure_sessions() == 0
        assert seen_on_disk == [0, 1, 2]  # the k-th creation finds k-1 sessions already journaled
        files = sorted(rig.store.wallets_folder.glob("*.json"))
        assert len(files) == 3 and all(json.loads(f.read_text()).get("sessionId") for f in files)
        checkpoint = json.loads(rig.store.checkpoint_path.read_text())
        assert all(w.get("sessionId") for w in checkpoint["wallets"].values())
    finally:
        rig.close()


def test_sessions_in_the_journal_are_reused_without_a_checkpoint(tmp_path: Path) -> None:
    sim = SimVenue(3, preset="NO_FILLS", clock="virtual")
    first = make_rig(tmp_path, venue=sim, wallets=2)
    try:
        first.packer.ensure_sessions()
        run_id = first.start.checkpoint.run.run_id
    finally:
        first.close()
    # a kill before any checkpoint held them: only the journal knows the sessions
    (next(tmp_path.rglob("checkpoint.json"))).unlink()
    for wallet_file in tmp_path.rglob("wallets/*.json"):
        wallet_file.unlink()
    again = make_rig(tmp_path, venue=sim, wallets=2, mode=StartMode.RESUME)
    try:
        assert again.start.resumed and again.start.checkpoint.run.run_id == run_id
        assert len(again.start.sessions) == 2
        assert again.packer.ensure_sessions() == 0
        again.packer.cycle()
        assert len(_lines(again, ActionKind.SESSION_INIT)) == 2  # no second session
        assert again.packer.snapshot().totals.placed > 0  # and the reused sessions trade
    finally:
        again.close()


def test_failed_session_creations_count_back_off_and_trip_the_kill_switch(tmp_path: Path) -> None:
    faulty = Faulty(SimVenue(3, preset="NO_FILLS", clock="virtual"))
    rig = make_rig(tmp_path, venue=faulty, wallets=2, overrides={"maxFailedCycles": 4})
    faulty.faults["create_session"] = [RateLimited("429", retry_after=20.0)] * 2 + [
        VenueUnavailable("down")
    ] * 100
    try:
        assert rig.packer.ensure_sessions() == 2
        attempts = len(_lines(rig, ActionKind.ERROR))
        stats = rig.packer.cycle()  # within the Retry-After: no new attempt
        assert len(_lines(rig, ActionKind.ERROR)) == attempts
        assert stats.errors == 0
        rig.venue.advance(21.0)  # type: ignore[attr-defined]
        with pytest.raises(PackerStopped, match="kill switch"):
            for _ in range(40):
                stats = rig.packer.cycle()
                rig.venue.advance(40.0)  # type: ignore[attr-defined]
        assert rig.packer.snapshot().totals.errors >= 4
        errors = [line.error or "" for line in _lines(rig, ActionKind.ERROR)]
        assert any("next try in 20.0 s" in e for e in errors)
    finally:
        rig.close()


def test_a_taker_fill_is_journaled_with_the_tops_it_was_decided_on() -> None:
    wallet = WalletRuntime(index=0, entry=next(iter(derive_wallets(1, 1))))
    context = JournalContext(run_id="r", chain_id=1, order_book="0x" + "1" * 40, market_id_bytes32=None)
    tops = {"decisionBid6": "100", "decisionAsk6": "110", "sendBid6": "90", "sendAsk6": "95"}
    fill = Fill("f1", 0.0, wallet.address, True, 95, 10**18, "0x" + "2" * 40, order_id=7, is_maker=False)
    (line,) = FillLedger(10).record([fill], [wallet], context, lambda: 0, {7: tops}.get)
    assert (line.params or {})["isMaker"] is False
    assert {k: (line.params or {})[k] for k in tops} == tops
    maker = Fill("f2", 0.0, wallet.address, True, 95, 10**18, "0x" + "2" * 40, order_id=8, is_maker=True)
    (plain,) = FillLedger(10).record([maker], [wallet], context, lambda: 0, {8: tops}.get)
    assert "decisionBid6" not in (plain.params or {})


def test_the_top_is_read_again_before_each_placement_and_a_move_stops_the_wallet(tmp_path: Path) -> None:
    sim = SimVenue(3, preset="NO_FILLS", clock="virtual")
    faulty = Faulty(sim)
    rig = make_rig(
        tmp_path,
        venue=faulty,
        wallets=1,
        overrides={"ordersPerSidePerWallet": 3, "sizeMin": 0.001, "sizeMax": 0.002},
    )
    reads = []
    real_book = sim.book

    def book(order_book, levels=10):  # type: ignore[no-untyped-def]
        snap = real_book(order_book, levels)
        reads.append(levels)
        if levels == 1 and len([r for r in reads if r == 1]) >= 3:
            # from the third re-read on, the ask has fallen onto our bids
            top = snap.top
            return type(snap)(
                BookTop(top.best_bid6 - 3_000_000, top.best_bid6 - 2_000_000), timestamp=snap.timestamp
            )
        return snap

    faulty.book = book  # type: ignore[method-assign]
    try:
        rig.packer.ensure_sessions()
        stats = rig.packer.cycle()
        assert stats.placed == 2  # two placements, each after its own re-read; the third stops it
        skips = _lines(rig, ActionKind.SKIP)
        assert [(line.params or {})["reason"] for line in skips] == ["TOP_MOVED"]
        params = skips[0].params or {}
        assert {"decisionBid6", "decisionAsk6", "sendBid6", "sendAsk6"} <= set(params)
        assert sim.audit().taker_fills == 0
    finally:
        rig.close()


def test_saved_sessions_the_venue_no_longer_holds_are_replaced_before_trading(tmp_path: Path) -> None:
    first = make_rig(tmp_path, venue=SimVenue(3, preset="NO_FILLS", clock="virtual"), wallets=2)
    try:
        first.packer.ensure_sessions()
    finally:
        first.close()
    # the same state folder meets a new exchange (its state was lost): the saved sessions are dead
    again = make_rig(
        tmp_path, venue=SimVenue(3, preset="NO_FILLS", clock="virtual"), wallets=2, mode=StartMode.RESUME
    )
    try:
        assert len(again.start.sessions) == 2
        assert again.packer.ensure_sessions() == 0
        stats = again.packer.cycle()
        assert stats.errors == 0 and stats.placed > 0
        errors = [line.error or "" for line in _lines(again, ActionKind.ERROR)]
        assert sum("no longer active on the venue" in e for e in errors) == 2
        assert not [e for e in errors if "session_unknown" in e]
        assert len(_lines(again, ActionKind.SESSION_INIT)) == 4
    finally:
        again.close()


def test_a_session_sent_but_never_confirmed_is_adopted_not_doubled(tmp_path: Path) -> None:
    sim = SimVenue(3, preset="NO_FILLS", clock="virtual")
    faulty = Faulty(sim)
    first = make_rig(tmp_path, venue=faulty, wallets=1)
    created = sim.create_session

    def create_then_die(*args, **kwargs):  # type: ignore[no-untyped-def]
        created(*args, **kwargs)  # the venue creates it ...
        raise KeyboardInterrupt  # ... and the process dies before it hears back

    faulty.create_session = create_then_die  # type: ignore[method-assign]
    try:
        with pytest.raises(KeyboardInterrupt):
            first.packer.ensure_sessions()
        assert [line.action for line in first.store.iter_journal()][-1] == ActionKind.SESSION_PENDING
    finally:
        first.close()
    trader = first.wallets[0].address
    nonce = sim.session_nonce(trader)
    again = make_rig(tmp_path, venue=sim, wallets=1, mode=StartMode.RESUME)
    try:
        assert again.packer.ensure_sessions() == 0
        assert sim.session_nonce(trader) == nonce  # no second session
        (init,) = _lines(again, ActionKind.SESSION_INIT)
        assert (init.params or {})["recovered"] is True
        assert again.packer.cycle().placed > 0
        saved = json.loads(again.store.checkpoint_path.read_text())
        assert saved["wallets"][trader.lower()]["sessionId"] == (init.params or {})["sessionId"]
    finally:
        again.close()


def test_an_order_placed_as_a_run_died_is_journaled_as_recovered(tmp_path: Path) -> None:
    from ama_tui.venues.base import PlaceLimit

    sim = SimVenue(3, preset="NO_FILLS", clock="virtual")
    first = make_rig(tmp_path, venue=sim, wallets=1, overrides={"ordersPerSidePerWallet": 2})
    try:
        first.packer.ensure_sessions()
        first.packer.cycle()
        wallet = first.packer.wallets[0]
        assert wallet.session is not None
        # the relay lands one more trade the dead runner never heard back from
        top = sim.book(first.info.order_book, 1).top
        lost = sim.submit(
            first.info.order_book,
            wallet.session.session_id,
            PlaceLimit(wallet.address, top.best_bid6 - 500 * first.info.tick6, 10**15, True),
        )
    finally:
        first.close()
    again = make_rig(
        tmp_path, venue=sim, wallets=1, mode=StartMode.RESUME, overrides={"ordersPerSidePerWallet": 2}
    )
    try:
        again.packer.ensure_sessions()
        again.packer.cycle()
        recovered = [
            line for line in _lines(again, ActionKind.PLACE_LIMIT) if (line.params or {}).get("recovered")
        ]
        assert [(line.params or {})["orderId"] for line in recovered] == [str(lost.order_id)]
        again.packer.cycle()
        assert (
            len(
                [
                    line
                    for line in _lines(again, ActionKind.PLACE_LIMIT)
                    if (line.params or {}).get("recovered")
                ]
            )
            == 1
        )
    finally:
        again.close()


def test_one_wallets_relay_failures_hold_only_that_wallet_back(tmp_path: Path) -> None:
    sim = SimVenue(3, preset="NO_FILLS", clock="virtual")
    faulty = Faulty(sim)
    rig = make_rig(
        tmp_path,
        venue=faulty,
        wallets=4,
        overrides={"minDelayMs": 10, "maxDelayMs": 20, "sizeMin": 0.001, "sizeMax": 0.002},
    )
    try:
        rig.packer.ensure_sessions()
        unlucky = rig.wallets[0].address
        real_submit = faulty.submit

        def submit(order_book, session_id, request):  # type: ignore[no-untyped-def]
            if request.trader == unlucky:
                raise VenueUnavailable("502: the relay timed out")
            return real_submit(order_book, session_id, request)

        faulty.submit = submit  # type: ignore[method-assign]
        first = rig.packer.cycle()
        assert first.errors == 1 and first.placed > 0
        assert rig.packer.next_delay_s() < 1.0  # the fleet keeps its pace
        faulty.submit = real_submit  # type: ignore[method-assign]
        second = rig.packer.cycle()  # at once: the unlucky wallet is still held back
        assert second.placed == 0
        skips = [line for line in _lines(rig, ActionKind.SKIP) if (line.params or {})["reason"] == "BACKOFF"]
        assert [line.trader for line in skips] == [unlucky]
        rig.venue.advance(1.0)  # type: ignore[attr-defined]
        assert rig.packer.cycle().placed > 0  # its hold is over
    finally:
        rig.close()
