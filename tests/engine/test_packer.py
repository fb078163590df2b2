"""The packer loop on the embedded exchange (virtual clock): packing, live params, pause,
cancel-all, kill switch, failure handling, dry run, snapshots."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ama_tui.core.models import is_cancel
from ama_tui.engine.packer import PackerOptions, PackerStopped
from ama_tui.engine.snapshot import EngineState
from ama_tui.protocol.errors import ErrorCode
from ama_tui.venues.base import CancelOrder, PlaceLimit, RateLimited, TradeRejected, VenueUnavailable
from ama_tui.venues.sim import SimVenue

from .helpers import Faulty, make_rig


def _orders(rig):  # type: ignore[no-untyped-def]
    return rig.venue.open_orders(rig.info.order_book, [w.address for w in rig.wallets])


def _journal_actions(rig) -> list[str]:  # type: ignore[no-untyped-def]
    return [line.action for line in rig.store.iter_journal()]


def test_first_cycle_packs_both_sides_without_crossing(tmp_path: Path) -> None:
    rig = make_rig(
        tmp_path, wallets=3, overrides={"maxWalletUtilization": 0.9, "sizeMin": 0.01, "sizeMax": 0.02}
    )
    try:
        rig.packer.ensure_sessions()
        stats = rig.packer.cycle()
        orders = _orders(rig)
        top = rig.venue.book(rig.info.order_book, 1).top
        for wallet in rig.wallets:
            held = orders[wallet.address]
            assert sum(o.is_buy for o in held) == 6 and sum(not o.is_buy for o in held) == 6
            for order in held:
                assert order.price6 % rig.info.tick6 == 0
                assert (order.price6 < top.best_ask6) if order.is_buy else (order.price6 > top.best_bid6)
        assert stats.placed == 36
        actions = _journal_actions(rig)
        assert actions.count("SESSION_INIT") == 3 and actions.count("PLACE_LIMIT") == 36
        rig.packer.cycle()  # a snapshot shows the orders as read at the start of its cycle
        snap = rig.snapshots[-1]
        assert snap.state is EngineState.RUNNING and snap.totals.placed == 36
        assert {w.open_buys for w in snap.wallets} == {6} and {w.open_sells for w in snap.wallets} == {6}
        assert all(w.reserved6 <= w.cap6 or w.cap6 == 0 for w in snap.wallets)
    finally:
        rig.close()


def test_second_cycle_places_nothing_new_when_packed(tmp_path: Path) -> None:
    rig = make_rig(
        tmp_path,
        preset="NO_FILLS",
        wallets=2,
        overrides={"maxWalletUtilization": 0.9, "sizeMin": 0.01, "sizeMax": 0.02},
    )
    try:
        rig.packer.ensure_sessions()
        rig.packer.cycle()
        second = rig.packer.cycle()
        assert second.placed == 0 and second.cancelled == 0
    finally:
        rig.close()


def test_live_param_change_applies_next_cycle_and_is_journaled_and_persisted(tmp_path: Path) -> None:
    rig = make_rig(
        tmp_path,
        preset="NO_FILLS",
        wallets=2,
        overrides={"maxWalletUtilization": 0.9, "sizeMin": 0.01, "sizeMax": 0.02},
    )
    try:
        rig.packer.ensure_sessions()
        rig.packer.cycle()
        rig.params.update({"ordersPerSidePerWallet": 8})
        stats = rig.packer.cycle()
        assert stats.placed == 2 * 2 * 2
        assert "PARAMS_CHANGED" in _journal_actions(rig)
        rig.packer._persist(force=True)
        saved = rig.store.load_checkpoint()
        assert saved is not None and saved.packer_params.orders_per_side == 8
        assert rig.snapshots[-1].packer.orders_per_side == 8
    finally:
        rig.close()


def test_pause_stops_trading_and_resume_restarts_it(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, preset="NO_FILLS", wallets=2)
    try:
        rig.packer.ensure_sessions()
        rig.params.pause()
        stats = rig.packer.cycle()
        assert stats.placed == 0 and rig.snapshots[-1].state is EngineState.PAUSED
        rig.params.resume()
        assert rig.packer.cycle().placed > 0
    finally:
        rig.close()


def test_cancel_all_then_stop(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, preset="NO_FILLS", wallets=3)
    try:
        rig.packer.ensure_sessions()
        rig.packer.cycle()
        rig.packer.cycle()  # the wallets' orders are now those its read saw
        assert any(_orders(rig).values())
        assert any(w.open_buys for w in rig.snapshots[-1].wallets)
        held = sum(len(orders) for orders in _orders(rig).values())
        rig.params.request_cancel_all()
        with pytest.raises(PackerStopped):
            rig.packer.cycle()
        assert not any(_orders(rig).values())
        assert any(is_cancel(action) for action in _journal_actions(rig))
        # the dashboard saw it progress, wallet by wallet, to the end
        during = [s for s in rig.snapshots if s.cancel_progress]
        assert during and during[0].state is EngineState.STOPPING
        assert sum(done for _, done, _ in during[0].cancel_progress) < held
        final = during[-1].cancel_progress
        assert {name for name, _, _ in final} <= {w.nickname for w in rig.wallets}
        assert all(done == of for _, done, of in final) and sum(of for _, _, of in final) == held
        # and the wallets shown last hold what the exchange says: nothing
        last = rig.snapshots[-1].wallets
        assert all(w.open_buys == w.open_sells == 0 and w.reserved6 == 0 for w in last)
        assert all(w.unexplained18 == 0 for w in rig.packer.wallets), "cancelled, not taken as filled"
    finally:
        rig.close()


def test_kill_switch_after_consecutive_failing_cycles(tmp_path: Path) -> None:
    faulty = Faulty(SimVenue(3, preset="NO_FILLS", clock="virtual"))
    rig = make_rig(tmp_path, venue=faulty, wallets=2, overrides={"maxFailedCycles": 3})
    try:
        rig.packer.ensure_sessions()
        faulty.faults["book"] = [VenueUnavailable("connection refused")] * 10
        rig.packer.cycle()
        rig.packer.cycle()
        with pytest.raises(PackerStopped, match="3 consecutive"):
            rig.packer.cycle()
        errors = [line for line in rig.store.iter_journal() if line.action == "ERROR"]
        assert len(errors) >= 3 and "connection refused" in (errors[0].error or "")
    finally:
        rig.close()


def test_a_good_cycle_resets_the_failure_count(tmp_path: Path) -> None:
    faulty = Faulty(SimVenue(3, preset="NO_FILLS", clock="virtual"))
    rig = make_rig(tmp_path, venue=faulty, wallets=1, overrides={"maxFailedCycles": 2})
    try:
        rig.packer.ensure_sessions()
        faulty.faults["open_orders"] = [VenueUnavailable("x"), None, VenueUnavailable("y")]
        for _ in range(3):
            rig.packer.cycle()
        assert rig.snapshots[-1].consecutive_failed_cycles == 1
    finally:
        rig.close()


def test_rejected_trade_is_journaled_and_skipped_loop_goes_on(tmp_path: Path) -> None:
    faulty = Faulty(SimVenue(3, preset="NO_FILLS", clock="virtual"))
    rig = make_rig(tmp_path, venue=faulty, wallets=1)
    try:
        rig.packer.ensure_sessions()
        faulty.faults["submit"] = [TradeRejected(ErrorCode.MISSING_PRICE, "bad")]
        stats = rig.packer.cycle()
        assert stats.errors == 1 and stats.placed >= 1
        assert any("missing_price" in (line.error or "") for line in rig.store.iter_journal())
    finally:
        rig.close()


def test_relay_failing_after_submit_never_double_places(tmp_path: Path) -> None:
    faulty = Faulty(SimVenue(3, preset="NO_FILLS", clock="virtual"))
    rig = make_rig(
        tmp_path,
        venue=faulty,
        wallets=1,
        overrides={"maxWalletUtilization": 0.9, "sizeMin": 0.01, "sizeMax": 0.02},
    )
    try:
        rig.packer.ensure_sessions()
        faulty.land_then_fail = [
            VenueUnavailable("500 replacement fee too low", code=ErrorCode.REPLACEMENT_FEE_TOO_LOW)
        ]
        first = rig.packer.cycle()
        assert first.errors == 1 and first.placed == 0
        landed = len(_orders(rig)[rig.wallets[0].address])
        assert landed == 1, "the failed placement landed anyway"
        rig.packer.cycle()
        held = _orders(rig)[rig.wallets[0].address]
        assert sum(o.is_buy for o in held) == 6 and sum(not o.is_buy for o in held) == 6
        prices = [(o.is_buy, o.price6) for o in held]
        assert len(set(prices)) == len(prices), "a level was placed twice"
    finally:
        rig.close()


def test_rate_limit_backs_off_at_least_retry_after(tmp_path: Path) -> None:
    faulty = Faulty(SimVenue(3, preset="NO_FILLS", clock="virtual"))
    rig = make_rig(tmp_path, venue=faulty, wallets=1, overrides={"minDelayMs": 10, "maxDelayMs": 20})
    try:
        rig.packer.ensure_sessions()
        faulty.faults["submit"] = [RateLimited("429", retry_after=7.5)]
        rig.packer.cycle()
        assert rig.packer.next_delay_s() >= 7.5
        rig.packer.cycle()
        assert rig.packer.next_delay_s() < 1.0
    finally:
        rig.close()


def test_session_error_drops_the_session_and_it_is_recreated(tmp_path: Path) -> None:
    faulty = Faulty(SimVenue(3, preset="NO_FILLS", clock="virtual"))
    rig = make_rig(tmp_path, venue=faulty, wallets=1)
    try:
        rig.packer.ensure_sessions()
        faulty.faults["submit"] = [TradeRejected(ErrorCode.SESSION_UNKNOWN, "gone")]
        rig.packer.cycle()
        assert rig.packer.wallets[0].session is None
        rig.packer.cycle()
        assert rig.packer.wallets[0].session is not None
        assert _journal_actions(rig).count("SESSION_INIT") == 2
    finally:
        rig.close()


def test_dry_run_submits_nothing_and_journals_what_it_would_do(tmp_path: Path) -> None:
    faulty = Faulty(SimVenue(3, preset="NO_FILLS", clock="virtual"))
    rig = make_rig(tmp_path, venue=faulty, wallets=2, options=PackerOptions(max_in_flight=1, dry_run=True))
    try:
        rig.packer.ensure_sessions()
        stats = rig.packer.cycle()
        assert stats.placed > 0
        assert faulty.submitted == []
        assert not any(_orders(rig).values())
        actions = _journal_actions(rig)
        assert "DRY_RUN" in actions and "PLACE_LIMIT" not in actions and "SESSION_INIT" not in actions
        assert rig.snapshots[-1].dry_run
    finally:
        rig.close()


def test_fills_are_journaled_with_side_price_amount_and_move_the_position(tmp_path: Path) -> None:
    sim = SimVenue(5, preset="NO_FILLS", clock="virtual")
    rig = make_rig(tmp_path, venue=sim, wallets=1, overrides={"maxWalletUtilization": 0.9})
    try:
        rig.packer.ensure_sessions()
        rig.packer.cycle()
        rig.packer.cycle()
        best_bid = sim.book(rig.info.order_book, 1).top.best_bid6
        ours = [o for o in _orders(rig)[rig.wallets[0].address] if o.is_buy]
        assert ours
        sim.inject_taker(rig.info.order_book, False, 10**22, worst_price6=min(o.price6 for o in ours))
        rig.packer.cycle()
        fills = [line for line in rig.store.iter_journal() if line.action == "FILL"]
        assert fills, "a taker sold into our bids"
        params = fills[0].params or {}
        assert params["side"] == "BUY" and int(params["price6"]) <= best_bid and int(params["amount18"]) > 0
        wallet = rig.snapshots[-1].wallets[0]
        assert wallet.position18 > 0
        assert rig.snapshots[-1].recent_fills
    finally:
        rig.close()


def test_run_stops_within_a_long_sleep(tmp_path: Path) -> None:
    sim = SimVenue(3, preset="NO_FILLS", clock="wall")
    rig = make_rig(tmp_path, venue=sim, wallets=1, overrides={"minDelayMs": 60_000, "maxDelayMs": 60_000})
    stop = threading.Event()
    result = {}
    worker = threading.Thread(target=lambda: result.update(summary=rig.packer.run(stop)))
    try:
        worker.start()
        while not rig.snapshots or rig.snapshots[-1].last_cycle is None:
            worker.join(0.05)
            assert worker.is_alive()
        stop.set()
        worker.join(10)
        assert not worker.is_alive(), "the stop did not interrupt the 60 s sleep"
        assert result["summary"].cycles == 1
        assert _journal_actions(rig)[-1] == "RUN_STOP"
    finally:
        stop.set()
        rig.close()


def test_sequential_mode_reads_one_wallet_at_a_time(tmp_path: Path) -> None:
    batched = make_rig(tmp_path / "a", preset="NO_FILLS", wallets=5)
    sequential = make_rig(
        tmp_path / "b", preset="NO_FILLS", wallets=5, options=PackerOptions(sequential=True, seed=7)
    )
    try:
        for rig in (batched, sequential):
            rig.packer.ensure_sessions()
            rig.packer.cycle()
        b = batched.packer.cycle().venue_calls
        s = sequential.packer.cycle().venue_calls
        assert s >= b + 2 * (5 - 1)
    finally:
        batched.close()
        sequential.close()


def test_requests_are_cancels_before_placements_for_a_wallet(tmp_path: Path) -> None:
    faulty = Faulty(SimVenue(3, preset="NO_FILLS", clock="virtual"))
    rig = make_rig(
        tmp_path,
        venue=faulty,
        wallets=1,
        overrides={"maxWalletUtilization": 0.9, "sizeMin": 0.01, "sizeMax": 0.02},
    )
    try:
        rig.packer.ensure_sessions()
        rig.packer.cycle()
        rig.params.update({"ordersPerSidePerWallet": 2})
        faulty.submitted.clear()
        rig.packer.cycle()
        kinds = [type(r) for r in faulty.submitted]
        assert CancelOrder in kinds
        assert kinds == sorted(kinds, key=lambda k: k is PlaceLimit)
    finally:
        rig.close()


def test_a_stop_mid_cycle_sends_no_further_trades(tmp_path: Path) -> None:
    faulty = Faulty(SimVenue(3, preset="NO_FILLS", clock="virtual"))
    rig = make_rig(
        tmp_path, venue=faulty, wallets=2, overrides={"maxWalletUtilization": 0.9, "sizeMin": 0.01}
    )
    stop = threading.Event()
    rig.packer._stop = stop
    sent = 0
    inner_submit = faulty.submit

    def submit_then_stop(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal sent
        sent += 1
        if sent == 3:
            stop.set()
        return inner_submit(*args, **kwargs)

    faulty.submit = submit_then_stop  # type: ignore[method-assign]
    try:
        rig.packer.ensure_sessions()
        stats = rig.packer.cycle()
        assert sent == 3 and stats.placed == 3
    finally:
        rig.close()


def test_loss_kill_switch_cancels_and_stops(tmp_path: Path) -> None:
    from dataclasses import replace as dc_replace

    sim = SimVenue(5, preset="NO_FILLS", clock="virtual")
    faulty = Faulty(sim)
    crash_mark = {"on": False}
    inner_book = faulty.__getattr__("book")

    def book(order_book, levels=10):  # type: ignore[no-untyped-def]
        snap = inner_book(order_book, levels)
        if crash_mark["on"]:
            return dc_replace(snap, top=dc_replace(snap.top, mark6=snap.top.best_bid6 // 2))
        return snap

    faulty.book = book  # type: ignore[attr-defined]
    rig = make_rig(
        tmp_path,
        venue=faulty,
        wallets=1,
        overrides={"maxWalletUtilization": 0.9, "maxWalletLossFraction": 0.01},
    )
    try:
        rig.packer.ensure_sessions()
        rig.packer.cycle()
        rig.packer.cycle()
        ours = [o for o in _orders(rig)[rig.wallets[0].address] if o.is_buy]
        sim.inject_taker(rig.info.order_book, False, 10**22, worst_price6=min(o.price6 for o in ours))
        rig.packer.cycle()
        assert rig.snapshots[-1].wallets[0].position18 > 0
        crash_mark["on"] = True
        with pytest.raises(PackerStopped, match="kill switch"):
            rig.packer.cycle()
        assert not any(_orders(rig).values()), "the kill switch cancels our orders"
        assert any("kill switch" in (line.error or "") for line in rig.store.iter_journal())
    finally:
        rig.close()


def test_each_trade_is_in_the_journal_file_before_the_next_is_sent(tmp_path: Path) -> None:
    """A kill -9 between two trades must not lose the first one's line."""
    faulty = Faulty(SimVenue(3, preset="NO_FILLS", clock="virtual"))
    rig = make_rig(
        tmp_path, venue=faulty, wallets=1, overrides={"maxWalletUtilization": 0.9, "sizeMin": 0.01}
    )
    inner_submit = faulty.submit
    seen: list[tuple[int, int]] = []

    def submit(*args, **kwargs):  # type: ignore[no-untyped-def]
        on_disk = rig.store.journal_path.read_text().count('"action":"PLACE_LIMIT"')
        seen.append((len(faulty.submitted), on_disk))
        return inner_submit(*args, **kwargs)

    faulty.submit = submit  # type: ignore[method-assign]
    try:
        rig.packer.ensure_sessions()
        assert rig.packer.cycle().placed >= 3
        assert seen and all(done == on_disk for done, on_disk in seen)
    finally:
        rig.close()


def test_a_wallets_balances_read_as_unknown_until_the_first_read(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, wallets=2)
    try:
        before = rig.packer.snapshot()
        assert before.state is EngineState.STARTING
        assert [w.balances_known for w in before.wallets] == [False, False]
        rig.packer.ensure_sessions()
        rig.packer.cycle()
        after = rig.packer.snapshot().wallets
        assert all(w.balances_known and w.available6 > 0 for w in after)
    finally:
        rig.close()
