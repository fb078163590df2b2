"""A run over two markets with the same wallets, on the embedded exchange (virtual clock): every
wallet's orders over both markets stay within its total `maxWalletUtilization`, checked against
the exchange's own figures after every placement; one session per wallet covers both markets."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

import ama_tui.headless_markets as headless_markets
from ama_tui.engine.multi_market import MultiSummary
from ama_tui.engine.packer import PackerOptions
from ama_tui.engine.run_setup import StartMode
from ama_tui.headless_markets import MarketsRun, find_markets, market_shares, open_markets, parse_weights
from ama_tui.store import StateStore, WalletEntry, derive_wallets
from ama_tui.venues.base import PlaceLimit, TradeReceipt, TradeRequest
from ama_tui.venues.sim import SimVenue
from ama_tui.wiring import SetupError

MARKETS = ("ETH-USD", "BTC-USD")
TOTAL = "0.5"
TOTAL_BPS = 5_000
SIZES = {"sizeMinUsd": "500", "sizeMaxUsd": "1500"}
"""Orders big enough that the cap, not the order count, decides how many rest."""


class CapCheckedSim(SimVenue):
    """The embedded exchange, checking after each placement, from its own books and vault, that
    the trader's orders over all `books` reserve at most TOTAL of its collateral outside positions."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.books: list[str] = []
        self.breaches: list[str] = []
        self.peak_bps = 0
        self.checks = 0

    def submit(self, order_book: str, session_id: str, request: TradeRequest) -> TradeReceipt:
        receipt = super().submit(order_book, session_id, request)
        if isinstance(request, PlaceLimit) and self.books:
            self._check(request.trader)
        return receipt

    def _check(self, trader: str) -> None:
        held = sum(
            order.margin_required6
            for book in self.books
            for order in self.open_orders(book, [trader])[trader]
        )
        free = self.available_collateral([trader])[trader]
        budget = (free + held) * TOTAL_BPS // 10_000
        self.checks += 1
        if budget:
            self.peak_bps = max(self.peak_bps, held * 10_000 // budget)
        if held > budget:
            self.breaches.append(f"{trader}: {held} held over both markets, budget {budget}")


def _wallets() -> list[WalletEntry]:
    return list(derive_wallets(0, 3))


def _run(
    venue: SimVenue,
    state: Path,
    *,
    cycles: int | None,
    weights: Sequence[str] = (),
    mode: StartMode = StartMode.AUTO,
    session_ttl_s: int | None = None,
    wall_s: float | None = None,
) -> tuple[MarketsRun, MultiSummary]:
    """`wall_s`: a run of that long on the wall clock (the venue's clock must be too), a cycle
    every 0.2-0.4 s; else on the virtual clock."""
    virtual = wall_s is None
    options = PackerOptions.for_run(virtual_time=virtual, max_in_flight=None, dry_run=False, seed=0)
    delays = {} if virtual else {"minDelayMs": "200", "maxDelayMs": "400"}
    if session_ttl_s is not None:
        options = replace(options, session_ttl_s=session_ttl_s)
    picks = find_markets(venue, MARKETS, app_url=None)
    if isinstance(venue, CapCheckedSim):
        venue.books = [p.info.order_book for p in picks]
    with contextlib.ExitStack() as stack:
        opened = open_markets(
            venue,
            stack,
            picks=picks,
            state=StateStore(state),
            wallets=_wallets(),
            mode=mode,
            options=options,
            overrides={"maxWalletUtilization": TOTAL, **SIZES, **delays},
            weight_items=weights,
            strategy=None,
            on_snapshot={},
        )
        summary = opened.engine(venue).run(threading.Event(), max_cycles=cycles, duration_s=wall_s)
    return opened, summary


def test_two_markets_hold_every_wallets_total_cap_on_the_exchange(tmp_path: Path) -> None:
    venue = CapCheckedSim(0, "REALISTIC", clock="virtual")
    opened, summary = _run(venue, tmp_path / "st", cycles=12, weights=["ETH-USD=3"])
    assert opened.shares == {"ETH-USD": 3_750, "BTC-USD": 1_250}
    assert all(m.summary.cycles == 12 for m in summary.markets)
    assert all(m.summary.placed > 0 for m in summary.markets), "both markets quoted"
    assert venue.checks > 20
    assert venue.breaches == []
    assert venue.peak_bps > 5_000, f"the cap should bind (peak {venue.peak_bps} bps of the budget)"


class TimedCapCheckedSim(CapCheckedSim):
    """CapCheckedSim that also notes when each placement was in flight, per order book."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.spans: list[tuple[str, float, float]] = []
        self._spans_lock = threading.Lock()

    def submit(self, order_book: str, session_id: str, request: TradeRequest) -> TradeReceipt:
        began = time.monotonic()
        try:
            return super().submit(order_book, session_id, request)
        finally:
            if isinstance(request, PlaceLimit):
                with self._spans_lock:
                    self.spans.append((order_book, began, time.monotonic()))


def test_on_the_wall_clock_with_relay_latency_both_markets_trade_at_once_within_the_cap(
    tmp_path: Path,
) -> None:
    """The markets' cycles run side by side on a real clock: a placement on one market is in flight
    while one on the other is (one after the other, never), so a round over two markets waits for
    the relay once. The wallets' totals over both markets still hold at every placement, checked
    on the exchange; one session per wallet serves both."""
    venue = TimedCapCheckedSim(0, "REALISTIC", clock="wall")  # ~1 s a trade, 2 % failing
    opened, summary = _run(venue, tmp_path / "st", cycles=None, weights=["ETH-USD=3"], wall_s=9.0)
    assert all(m.summary.placed > 0 for m in summary.markets), "both markets quoted"
    assert not summary.kill_switch
    first, second = (p.info.order_book for p in opened.picks)
    overlapping = [
        (a0, b0)
        for book_a, a0, a1 in venue.spans
        if book_a == first
        for book_b, b0, b1 in venue.spans
        if book_b == second and a0 < b1 and b0 < a1
    ]
    assert overlapping, f"no placement on {second} was in flight with one on {first}"
    assert venue.checks >= 10
    assert venue.breaches == []
    assert venue.peak_bps > 5_000, f"the cap should bind (peak {venue.peak_bps} bps of the budget)"
    assert venue.audit().sessions_created == len(_wallets()), "one session per wallet, never two"


def test_without_the_split_the_same_run_goes_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: each market quoting with the whole total breaks it."""
    monkeypatch.setattr(
        headless_markets, "market_shares", lambda total, weights, wallets: dict.fromkeys(weights, total)
    )
    venue = CapCheckedSim(0, "REALISTIC", clock="virtual")
    _run(venue, tmp_path / "st", cycles=12)
    assert venue.breaches


def test_one_session_per_wallet_covers_both_markets(tmp_path: Path) -> None:
    venue = SimVenue(0, "PERFECT_EXECUTION", clock="virtual")
    opened, _ = _run(venue, tmp_path / "st", cycles=3)
    wallets = _wallets()
    assert venue.audit().sessions_created == len(wallets)
    ids = sorted(p.info.market_id_bytes32.lower() for p in opened.picks)
    sessions = venue.dump_state()["registry"]["sessions"]
    assert [markets for _, _, _, markets, _ in sessions] == [ids] * len(wallets)
    lead, follower = (store.journal_path for store in opened.stores)
    lead_inits = _sessions(lead)
    follower_inits = _sessions(follower)
    assert {p["sessionId"] for p in lead_inits} == {p["sessionId"] for p in follower_inits}
    assert all(p["sharedWith"] == opened.picks[0].info.order_book for p in follower_inits)
    assert all(sorted(p["allowedMarkets"]) == ids for p in lead_inits)
    for store in opened.stores:
        checkpoint = store.load_checkpoint()
        assert checkpoint is not None
        assert {w.session_id for w in checkpoint.wallets.values()} == {p["sessionId"] for p in lead_inits}


def test_the_sessions_are_renewed_as_one_for_both_markets(tmp_path: Path) -> None:
    """Sessions that last 30 s past the renewal margin, a run of a few minutes: every renewal is
    one new session per wallet, listing both markets, taken by both markets."""
    venue = SimVenue(0, "PERFECT_EXECUTION", clock="virtual")
    opened, summary = _run(venue, tmp_path / "st", cycles=40, session_ttl_s=330)
    wallets = len(_wallets())
    sessions = venue.dump_state()["registry"]["sessions"]
    assert len(sessions) >= 2 * wallets, "renewed at least once"
    ids = sorted(p.info.market_id_bytes32.lower() for p in opened.picks)
    assert all(markets == ids for _, _, _, markets, _ in sessions)
    lead, follower = (_sessions(store.journal_path) for store in opened.stores)
    assert len({p["sessionId"] for p in lead}) == len(sessions)
    assert {p["sessionId"] for p in follower} == {p["sessionId"] for p in lead}
    assert all(m.summary.errors == 0 for m in summary.markets)


def test_a_resume_keeps_both_markets_their_runs_sessions_and_split(tmp_path: Path) -> None:
    first = SimVenue(0, "PERFECT_EXECUTION", clock="virtual")
    before, _ = _run(first, tmp_path / "st", cycles=3, weights=["BTC-USD=2"])
    again = SimVenue(0, "PERFECT_EXECUTION", clock="virtual")
    after, summary = _run(again, tmp_path / "st", cycles=2, mode=StartMode.RESUME)
    assert [r.start.resumed for r in after.runs] == [True, True]
    assert [r.start.checkpoint.run.run_id for r in after.runs] == [
        r.start.checkpoint.run.run_id for r in before.runs
    ]
    assert after.shares == before.shares == {"ETH-USD": 1_666, "BTC-USD": 3_333}  # the kept weights
    # the restored exchange still holds the sessions: none opened again
    assert len(again.dump_state()["registry"]["sessions"]) == len(_wallets())
    assert not (after.stores[1].folder / "sim-exchange.state").exists()  # kept once, by the lead
    assert all(m.summary.errors == 0 for m in summary.markets)


def test_weights_and_shares_are_checked() -> None:
    venue = SimVenue(0, "PERFECT_EXECUTION", clock="virtual")
    picks = find_markets(venue, MARKETS, app_url=None)
    assert parse_weights(["eth-usd=2.5"], picks) == {"ETH-USD": Decimal("2.5")}
    for bad in ("SOL-USD=2", "ETH-USD", "ETH-USD=0", "ETH-USD=-1", "ETH-USD=x", "ETH-USD=nan"):
        with pytest.raises(SetupError, match="--market-weight"):
            parse_weights([bad], picks)
    with pytest.raises(SetupError, match="give each market once"):
        find_markets(venue, ("ETH-USD", "eth-usd"), app_url=None)
    wallets = _wallets()
    shares = market_shares(2_000, {"A": Decimal(1), "B": Decimal(1), "C": Decimal(1)}, wallets)
    assert shares == {"A": 666, "B": 666, "C": 666}
    with pytest.raises(SetupError, match="under the 2 %"):
        market_shares(300, {"A": Decimal(1), "B": Decimal(1)}, wallets)


def _sessions(journal: Path) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    return [line["params"] for line in lines if line["action"] == "SESSION_INIT"]
