"""Every figure of a tiny journal, worked out by hand.

Alice (one market, one run):
  t=0     SESSION_INIT, RUN_START
  t=0     place #1 buy  2 @ 100, margin 20      t=3000 fill #1 1 @ 100 maker (part)
  t=1000  place #2 sell 1 @ 110, margin 11      t=4000 fill #1 1 @ 100 maker: #1 ends, lived 4000 ms
  t=2000  place #3 buy  1 @ 99,  margin 9.9     t=5000 cancel #3 (legacy spelling): lived 3000 ms
  t=8000  place #4 buy  1 @ 98,  margin 5       t=7000 fill #2 1 @ 110 taker: #2 ends, lived 6000 ms
  t=8500  place (pending), margin 3 -> t=8700 PLACE_MINED #5 -> t=9200 cancel #5: lived 700 ms
  t=9000  ERROR (Alice, HTTP 429)   t=9500 ERROR (no wallet, "fetch failed")   t=9900 RUN_STOP
Placements 5, fills 3, cancels 2: fill rate 3/5, churn 2/5. Lifetimes 700, 3000, 4000, 6000; #4 open.
PnL: buy 1 @100, buy 1 @100 (size 2, entry 100), sell 1 @110: realized 10, size 1; marked to the
last fill (110): unrealized 10, total 20.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ama_tui.analytics.model import Point, Report
from ama_tui.analytics.report import build_report
from tests.analytics.journal_builder import ALICE, E18, cancel, fill, line, place, write_journal

MS = 1_767_225_600_000


def hand_journal() -> list[str]:
    return [
        line(0, "RUN_START", trader=None, nickname=None, params={"dryRun": False, "wallets": 1}),
        line(0, "SESSION_INIT", params={"expiry": 1_767_312_000, "sessionId": "0x01"}, tx="0x5e"),
        place(0, 1, True, 100_000_000, 2 * E18, 20_000_000),
        place(1000, 2, False, 110_000_000, E18, 11_000_000),
        place(2000, 3, True, 99_000_000, E18, 9_900_000),
        fill(3000, 1, True, 100_000_000, E18, maker=True),
        fill(4000, 1, True, 100_000_000, E18, maker=True),
        cancel(5000, 3, action="CANCEL"),
        fill(7000, 2, False, 110_000_000, E18, maker=False),
        place(8000, 4, True, 98_000_000, E18, 5_000_000),
        place(8500, None, True, 97_000_000, E18, 3_000_000, tx="0x" + "ab" * 32),
        line(
            8700,
            "PLACE_MINED",
            params={
                "isBuy": True,
                "price6": "97000000",
                "amount18": str(E18),
                "margin6": "3000000",
                "orderId": "5",
                "placeTx": "0x" + "AB" * 32,
            },
            tx="0x" + "ab" * 32,
        ),
        cancel(9200, 5, reason="cancel-all"),
        line(9000, "ERROR", error="place buy level 0 failed: 429 Too Many Requests: rate limited"),
        line(9500, "ERROR", trader=None, nickname=None, error="fetch failed"),
        line(9900, "RUN_STOP", trader=None, nickname=None, params={"reason": "2 cycles done"}),
    ]


@pytest.fixture
def report(tmp_path: Path) -> Report:
    path = write_journal(tmp_path / "state", hand_journal())
    return build_report([path])


def test_counts_fill_rate_and_churn(report: Report) -> None:
    assert report.lines == 16 and report.malformed == 0
    orders = report.orders
    assert (orders.placements, orders.fills, orders.cancels, orders.filled_orders) == (5, 3, 2, 2)
    assert orders.fill_rate == Decimal("0.6")
    assert orders.churn == Decimal("0.4")
    assert {(c.key, c.count) for c in orders.cancel_reasons} == {("out-of-band", 1), ("cancel-all", 1)}
    assert report.first_ms == MS and report.last_ms == MS + 9900


def test_lifetimes_by_order_id(report: Report) -> None:
    life = report.lifetimes
    assert (life.orders, life.ended, life.cancelled, life.filled, life.still_open) == (5, 4, 2, 2, 1)
    assert (life.min_ms, life.max_ms) == (700, 6000)
    # [700, 3000, 4000, 6000], interpolated: p50 between 3000 and 4000, p90 at 0.7 of 4000..6000
    assert life.p50_ms == 3500.0
    assert life.p90_ms == pytest.approx(5400.0)
    assert life.p99_ms == pytest.approx(5940.0)
    assert life.mean_ms == 3425.0
    counts = {b.label: b.count for b in life.histogram}
    assert counts["0 – 1 s"] == 1 and counts["1 s – 5 s"] == 2 and counts["5 s – 30 s"] == 1
    assert sum(counts.values()) == life.ended


def test_pnl_and_position(report: Report) -> None:
    (market,) = report.markets
    assert market.position == Decimal(1)
    assert market.realized_pnl == Decimal(10)
    assert market.total_pnl == Decimal(20)
    assert market.last_price == Decimal(110)
    (series,) = report.series
    # 1 s buckets; a point at the end of each bucket holding a fill
    assert series.position == (
        Point(MS + 4000, Decimal(1)),
        Point(MS + 5000, Decimal(2)),
        Point(MS + 8000, Decimal(1)),
    )
    assert [p.value for p in series.realized_pnl] == [0, 0, 10]
    assert [p.value for p in series.total_pnl] == [0, 0, 20]


def test_resting_margin_over_time(report: Report) -> None:
    (series,) = report.series
    assert report.bucket_ms == 1000
    assert [(p.ts_ms - MS, p.value) for p in series.resting_margin] == [
        (1000, Decimal(20)),  # #1
        (2000, Decimal(31)),  # + #2
        (3000, Decimal("40.9")),  # + #3
        (5000, Decimal("20.9")),  # #1 filled in full at 4000
        (6000, Decimal(11)),  # #3 cancelled at 5000
        (8000, Decimal(0)),  # #2 filled at 7000
        (9000, Decimal(8)),  # #4 and the pending #5 (from its PLACE_LIMIT at 8500)
        (10000, Decimal(5)),  # #5 cancelled at 9200
    ]


def test_maker_taker(report: Report) -> None:
    m = report.maker_taker
    assert (m.maker_fills, m.taker_fills, m.unknown_fills) == (2, 1, 0)
    assert (m.maker_volume, m.taker_volume) == (Decimal(2), Decimal(1))


def test_errors_sessions_and_runs(report: Report) -> None:
    assert {(c.key, c.count) for c in report.errors_by_code} == {("HTTP 429", 1), ("fetch failed", 1)}
    assert {(c.key, c.count) for c in report.errors_by_wallet} == {("Alice", 1), ("(no wallet)", 1)}
    assert {(c.key, c.count) for c in report.session_counts} == {
        ("RUN_START", 1),
        ("SESSION_INIT", 1),
        ("RUN_STOP", 1),
    }
    assert [e.action for e in report.sessions] == ["RUN_START", "SESSION_INIT", "RUN_STOP"]
    assert report.sessions[1].detail == "expires 2026-01-02 00:00 UTC"
    assert report.sessions[1].wallet == "Alice"
    (run,) = report.runs
    assert (run.lines, run.placements, run.fills, run.errors, run.stop_reason) == (
        16,
        5,
        3,
        2,
        "2 cycles done",
    )
    assert report.notes == ()


def test_actions_use_one_name_for_cancels(report: Report) -> None:
    counts = {c.key: c.count for c in report.actions}
    assert counts["CANCEL_ORDER"] == 2 and "CANCEL" not in counts


def test_two_wallets_keep_their_own_books(tmp_path: Path) -> None:
    from tests.analytics.journal_builder import BOB

    lines = [
        place(0, 1, True, 100_000_000, E18, 1),
        place(0, 2, False, 100_000_000, E18, 1, trader=BOB, nickname="Bob"),
        fill(1000, 1, True, 100_000_000, E18, maker=True),
        fill(1000, 2, False, 100_000_000, E18, maker=True, trader=BOB, nickname="Bob"),
        fill(2000, 1, True, 120_000_000, E18, maker=True),  # Alice buys again at 120
    ]
    report = build_report([write_journal(tmp_path / "s", lines)])
    (market,) = report.markets
    # Alice: 2 long at 110 average; Bob: 1 short at 100. Net 1. No position was reduced.
    assert market.position == Decimal(1) and market.realized_pnl == 0
    # marked at 120: Alice +20, Bob -20
    assert market.total_pnl == Decimal(0)
    assert ALICE.lower() != BOB.lower()
