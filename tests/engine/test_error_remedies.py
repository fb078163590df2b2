"""The engine acts on what each venue error means (reference section 7's table, `Remedy`), and
follows placements answered `pending` until their order id is known."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ama_tui.core.models import ActionKind
from ama_tui.engine.packer import MARKET_CLOSED_PREFIX, PackerStopped
from ama_tui.engine.run_setup import read_journal_facts
from ama_tui.headless import EXIT_MARKET_CLOSED, exit_code
from ama_tui.protocol.errors import SESSION_INVALID, ErrorCode
from ama_tui.venues.base import (
    PlaceLimit,
    PlacementOutcome,
    PlacementResolver,
    PlacementState,
    TradeReceipt,
    TradeRejected,
    Venue,
)
from ama_tui.venues.dexetra.api_errors import RelayRefused
from ama_tui.venues.sim import SimVenue

from .helpers import Faulty, make_rig


def _lines(rig: Any, action: str) -> list[Any]:
    return [line for line in rig.store.iter_journal() if line.action == action]


@pytest.mark.parametrize("code", sorted(SESSION_INVALID, key=str))
def test_every_session_error_opens_a_new_session(tmp_path: Path, code: ErrorCode) -> None:
    faulty = Faulty(SimVenue(7, preset="PERFECT_EXECUTION", clock="virtual"))
    rig = make_rig(tmp_path, venue=faulty, wallets=1)  # type: ignore[arg-type]
    try:
        rig.packer.ensure_sessions()
        first = rig.packer.wallets[0].session
        assert first is not None
        faulty.faults["submit"] = [TradeRejected(code, "gone")]
        stats = rig.packer.cycle()
        assert stats.placed == 0  # the turn ended at the first refusal
        assert rig.packer.wallets[0].session is None
        rig.venue.advance(2.0)  # type: ignore[attr-defined]
        stats = rig.packer.cycle()
        second = rig.packer.wallets[0].session
        assert second is not None and second.session_id != first.session_id
        assert stats.placed > 0
        assert len(_lines(rig, ActionKind.SESSION_INIT)) == 2
    finally:
        rig.close()


@pytest.mark.parametrize(
    "code",
    [ErrorCode.OB_SETTLED, ErrorCode.MARGIN_NOT_ENABLED, ErrorCode.VAULT_MARKET_NOT_ASSIGNED],
)
def test_a_market_that_cannot_trade_stops_quoting_and_says_why(tmp_path: Path, code: ErrorCode) -> None:
    faulty = Faulty(SimVenue(7, preset="PERFECT_EXECUTION", clock="virtual"))
    rig = make_rig(tmp_path, venue=faulty, wallets=2)  # type: ignore[arg-type]
    try:
        rig.packer.ensure_sessions()
        faulty.faults["submit"] = [TradeRejected(code, "no trading here")]
        with pytest.raises(PackerStopped, match=MARKET_CLOSED_PREFIX):
            rig.packer.cycle()
        errors = [line.error for line in _lines(rig, ActionKind.ERROR)]
        assert any(e.startswith(MARKET_CLOSED_PREFIX) and str(code) in e for e in errors)
        assert any(str(code) in notice for notice in rig.packer.snapshot().notices)
    finally:
        rig.close()


def test_a_run_on_a_market_that_cannot_trade_ends_with_its_own_exit_code(tmp_path: Path) -> None:
    faulty = Faulty(SimVenue(7, preset="PERFECT_EXECUTION", clock="virtual"))
    rig = make_rig(tmp_path, venue=faulty, wallets=2)  # type: ignore[arg-type]
    try:
        faulty.faults["submit"] = [None, None, TradeRejected(ErrorCode.OB_SETTLED, "settled")]
        summary = rig.packer.run(threading.Event(), max_cycles=20)
        assert summary.market_closed and not summary.kill_switch
        assert summary.cycles == 1 and summary.stop_reason.startswith(MARKET_CLOSED_PREFIX)
        assert exit_code(summary) == EXIT_MARKET_CLOSED != exit_code(replace(summary, market_closed=False))
        last = list(rig.store.iter_journal())[-1]
        assert last.action == ActionKind.RUN_STOP
        assert (last.params or {})["reason"].startswith(MARKET_CLOSED_PREFIX)
    finally:
        rig.close()


@pytest.mark.parametrize("code", [ErrorCode.ORDER_NOT_FOUND, ErrorCode.CROSSES_SPOT_LIQUIDITY])
def test_market_state_errors_skip_that_order_only(tmp_path: Path, code: ErrorCode) -> None:
    faulty = Faulty(SimVenue(7, preset="PERFECT_EXECUTION", clock="virtual"))
    rig = make_rig(tmp_path, venue=faulty, wallets=1)  # type: ignore[arg-type]
    try:
        rig.packer.ensure_sessions()
        faulty.faults["submit"] = [TradeRejected(code, "moved")]
        stats = rig.packer.cycle()
        planned = stats.placed + 1
        assert stats.placed >= 1 and stats.errors == 1  # the rest of the plan went out
        assert rig.packer.wallets[0].session is not None
        assert rig.packer.wallets[0].trade_failures == 0  # no backoff for a refusal
        assert len(faulty.submitted) == planned - 1
    finally:
        rig.close()


def test_a_mined_revert_is_not_an_outage(tmp_path: Path) -> None:
    faulty = Faulty(SimVenue(7, preset="PERFECT_EXECUTION", clock="virtual"))
    rig = make_rig(tmp_path, venue=faulty, wallets=1)  # type: ignore[arg-type]
    try:
        rig.packer.ensure_sessions()
        faulty.faults["submit"] = [TradeRejected(ErrorCode.TX_REVERTED, "mined and reverted")]
        stats = rig.packer.cycle()
        assert stats.errors == 1 and stats.placed >= 1
        assert rig.packer.wallets[0].trade_failures == 0
        assert rig.packer.next_delay_s() < 5  # no fleet backoff
    finally:
        rig.close()


def test_a_503_with_retry_after_holds_the_fleet_back_that_long(tmp_path: Path) -> None:
    faulty = Faulty(SimVenue(7, preset="PERFECT_EXECUTION", clock="virtual"))
    rig = make_rig(tmp_path, venue=faulty, wallets=1)  # type: ignore[arg-type]
    try:
        rig.packer.ensure_sessions()
        faulty.faults["submit"] = [
            RelayRefused("503", code=ErrorCode.ALL_RELAYERS_INSUFFICIENT_FUNDS, retry_after=60)
        ]
        rig.packer.cycle()
        assert rig.packer.next_delay_s() >= 60
    finally:
        rig.close()


class PendingVenue(Faulty):
    """Answers placements like the production route: a tx hash, no order id; `placement_outcomes`
    says PENDING until `mine()` is called, then LANDED with the real id (or REVERTED)."""

    def __init__(self, inner: Venue) -> None:
        super().__init__(inner)
        self.sent: dict[str, int | None] = {}
        self.mined = False
        self.revert: set[str] = set()
        self.asked: list[int] = []

    def submit(self, order_book: str, session_id: str, request: Any) -> Any:
        receipt = super().submit(order_book, session_id, request)
        if not isinstance(request, PlaceLimit):
            return receipt
        tx = f"0x{len(self.sent) + 1:064x}"
        self.sent[tx] = receipt.order_id
        return TradeReceipt(tx_hash=tx, order_id=None, filled18=receipt.filled18)

    def placement_outcomes(
        self, order_book: str, sent: Sequence[tuple[str, str]]
    ) -> dict[str, PlacementOutcome]:
        self.asked.append(len(sent))
        out = {}
        for tx, _ in sent:
            if not self.mined:
                out[tx] = PlacementOutcome(PlacementState.PENDING)
            elif tx in self.revert:
                out[tx] = PlacementOutcome(PlacementState.REVERTED)
            else:
                out[tx] = PlacementOutcome(PlacementState.LANDED, self.sent[tx])
        return out


def test_pending_placements_get_their_order_ids_from_later_reads(tmp_path: Path) -> None:
    venue = PendingVenue(SimVenue(7, preset="PERFECT_EXECUTION", clock="virtual"))
    assert isinstance(venue, PlacementResolver)
    rig = make_rig(tmp_path, venue=venue, wallets=2)  # type: ignore[arg-type]
    try:
        rig.packer.ensure_sessions()
        stats = rig.packer.cycle()
        assert stats.placed > 0
        places = _lines(rig, ActionKind.PLACE_LIMIT)
        assert all((line.params or {}).get("pending") is True for line in places)
        assert all("orderId" not in (line.params or {}) for line in places)
        reverted = places[0].tx_hash
        venue.revert.add(reverted)
        rig.venue.advance(2.0)  # type: ignore[attr-defined]
        rig.packer.cycle()  # still pending: nothing journaled, and nothing placed twice
        assert _lines(rig, ActionKind.PLACE_MINED) == []
        venue.mined = True
        before = dict(venue.sent)  # this cycle's own placements are learned at the next read
        rig.venue.advance(2.0)  # type: ignore[attr-defined]
        rig.packer.cycle()
        mined = _lines(rig, ActionKind.PLACE_MINED)
        landed = {tx: oid for tx, oid in before.items() if tx != reverted}
        assert {line.tx_hash: int((line.params or {})["orderId"]) for line in mined} == {
            tx: oid for tx, oid in landed.items() if oid is not None
        }
        assert all(line.params and line.params["placeTx"] == line.tx_hash for line in mined)
        errors = [line for line in _lines(rig, ActionKind.ERROR) if line.tx_hash == reverted]
        assert len(errors) == 1 and "reverted on chain" in (errors[0].error or "")
        assert max(venue.asked) >= 2  # all of them in one batched question
        facts = read_journal_facts(rig.store)
        assert {oid for oid in landed.values() if oid is not None} <= facts.order_ids
        rig.venue.advance(2.0)  # type: ignore[attr-defined]
        rig.packer.cycle()
        again = [line.tx_hash for line in _lines(rig, ActionKind.PLACE_MINED)]
        assert len(again) == len(set(again)) > len(mined)  # each said once, the newer ones too
    finally:
        rig.close()


def test_a_wallets_last_error_shows_its_age_and_clears_once_it_trades_cleanly(tmp_path: Path) -> None:
    faulty = Faulty(SimVenue(7, preset="PERFECT_EXECUTION", clock="virtual"))
    rig = make_rig(tmp_path, venue=faulty, wallets=1, overrides={"ordersPerSidePerWallet": 3})  # type: ignore[arg-type]
    try:
        rig.packer.ensure_sessions()
        faulty.faults["submit"] = [TradeRejected(ErrorCode.ORDER_NOT_FOUND, "moved")]
        rig.packer.cycle()
        (view,) = rig.packer.snapshot().wallets
        assert view.last_error is not None and "moved" in view.last_error
        assert view.last_error_age_s == 0.0
        rig.venue.advance(5.0)  # type: ignore[attr-defined]
        (view,) = rig.packer.snapshot().wallets
        assert view.last_error_age_s == 5.0
        for _ in range(10):  # the skipped level is placed on a later cycle: a clean trade
            stats = rig.packer.cycle()
            if stats.placed:
                break
            rig.venue.advance(1.0)  # type: ignore[attr-defined]
        assert stats.placed and stats.errors == 0
        (view,) = rig.packer.snapshot().wallets
        assert view.last_error is None and view.last_error_age_s is None
        assert any(line.action == ActionKind.ERROR for line in rig.store.iter_journal())  # history kept
    finally:
        rig.close()


def test_a_clean_stop_journals_the_ids_of_placements_answered_pending(tmp_path: Path) -> None:
    venue = SimVenue(7, preset="PERFECT_EXECUTION", clock="virtual", relay_answers="pending")
    rig = make_rig(tmp_path, venue=venue, wallets=2)
    try:
        summary = rig.packer.run(threading.Event(), max_cycles=1)  # stops right after placing
        assert summary.placed > 0
        lines = list(rig.store.iter_journal())
        pending = {line.tx_hash for line in lines if line.action == ActionKind.PLACE_LIMIT}
        mined = {
            line.tx_hash: (line.params or {}).get("orderId")
            for line in lines
            if line.action == ActionKind.PLACE_MINED
        }
        assert pending and set(mined) == pending and all(mined.values())
        assert lines[-1].action == ActionKind.RUN_STOP  # named before the run's last line
        resting = rig.venue.open_orders(rig.info.order_book, [w.address for w in rig.wallets])
        assert {str(o.order_id) for held in resting.values() for o in held} <= set(mined.values())
    finally:
        rig.close()
