"""The figures on hand-made cases whose answers are known: a single round trip, a losing streak, a
flat market, fees, order lifetimes, and the ratios on a short equity curve worked out by hand."""

from __future__ import annotations

import math

import pytest

from ama_tui.arena.equity import Sample, drawdowns6, equity_curve, max_drawdown, returns, sharpe, sortino
from ama_tui.arena.figures import SafetyCounts, as_json, compute_figures, percentile
from ama_tui.arena.ledger import fee6, read_ledger, trades_of
from ama_tui.arena.stats import spread
from tests.arena.journal_lines import START_MS, cancel, fill, place

CAPITAL6 = 1_000 * 10**6
SAFE = SafetyCounts(taker_fills=0, cap_breaches=0, self_matches=0)


def _samples(*marks: int, step_s: int = 1) -> list[Sample]:
    return [Sample(START_MS + i * step_s * 1000, mark * 10**6) for i, mark in enumerate(marks)]


def _figures(lines, samples, *, maker_fee_bps=0, taker_fee_bps=0):
    ledger = read_ledger(lines, maker_fee_bps=maker_fee_bps, taker_fee_bps=taker_fee_bps)
    trades = trades_of(ledger.fills)
    curve = equity_curve(samples, ledger.fills, CAPITAL6)
    return compute_figures(ledger, trades, curve, capital6=CAPITAL6, step_s=1.0, safety=SAFE), curve


def test_a_single_round_trip() -> None:
    """Buy 1 at 100, the mid goes to 104 (unrealized +4), sell 1 at 110: realized +10, flat."""
    lines = [fill(0.5, True, 100, 1), fill(2.5, False, 110, 1)]
    figures, curve = _figures(lines, _samples(100, 104, 108, 110))
    assert [p.equity6 - CAPITAL6 for p in curve] == [0, 4_000_000, 8_000_000, 10_000_000]
    assert [p.position18 for p in curve] == [0, 10**18, 10**18, 0]
    assert figures.realized6 == 10_000_000 and figures.unrealized6 == 0 and figures.pnl6 == 10_000_000
    assert figures.trades == 1 and figures.wins == 1 and figures.win_rate == 1.0
    assert figures.avg_win6 == 10_000_000 and figures.avg_loss6 is None
    assert figures.max_drawdown6 == 0
    assert figures.return_ratio == pytest.approx(0.01)
    assert figures.exposure_time == pytest.approx(0.5)  # 2 of the 4 samples hold the position
    figures_json = as_json(figures)
    assert figures_json["pnl"] == {
        "realized": "10.000000",
        "unrealized": "0.000000",
        "fees": "0.000000",
        "total": "10.000000",
    }
    assert figures_json["trades"]["winRate"] == 1.0
    assert figures_json["sortino"] is None, "no step lost: no downside to measure"


def test_a_losing_streak() -> None:
    """Three round trips losing 2, 3 and 5: win rate 0, average loss -10/3, drawdown 10 from the start."""
    lines = [
        fill(0.5, True, 100, 1),
        fill(1.5, False, 98, 1),
        fill(2.5, True, 100, 1),
        fill(3.5, False, 97, 1),
        fill(4.5, True, 100, 1),
        fill(5.5, False, 95, 1),
    ]
    figures, curve = _figures(lines, _samples(100, 98, 100, 97, 100, 95, 95))
    assert figures.trades == 3 and figures.wins == 0 and figures.losses == 3
    assert figures.win_rate == 0.0
    assert figures.avg_loss6 == -3_333_334  # -10/3 USDC, floored as every integer division here
    assert figures.pnl6 == -10_000_000
    assert figures.max_drawdown6 == 10_000_000
    assert figures.max_drawdown_ratio == pytest.approx(0.01)
    assert [p.equity6 - CAPITAL6 for p in curve] == [0, -2e6, -2e6, -5e6, -5e6, -10e6, -10e6]
    assert figures.sharpe is not None and figures.sharpe < 0


def test_a_flat_market() -> None:
    """No fill at all: every figure zero or absent, nothing divided by zero."""
    figures, curve = _figures([place(0, 1, 10**18), cancel(30, 1)], _samples(*([100] * 60)))
    assert figures.pnl6 == 0 and figures.max_drawdown6 == 0
    assert figures.sharpe is None and figures.sortino is None
    assert figures.trades == 0 and figures.win_rate is None
    assert figures.fills == 0 and figures.fill_rate == 0.0
    assert figures.exposure_time == 0.0
    assert figures.lifetimes_ms == (30_000,)
    assert all(p.equity6 == CAPITAL6 for p in curve)


def test_fees_by_liquidity() -> None:
    """2 bps on the maker fill, 10 bps on the taker one, taken from the equity."""
    lines = [fill(0.5, True, 1_000, 2, maker=True), fill(1.5, False, 1_000, 2, maker=False)]
    figures, _ = _figures(lines, _samples(1_000, 1_000, 1_000), maker_fee_bps=2, taker_fee_bps=10)
    assert figures.fees6 == 400_000 + 2_000_000
    assert figures.pnl6 == -2_400_000
    assert figures.maker_fills == 1 and figures.taker_side_fills == 1
    assert fee6(1_000_000, -5) == -500, "a negative fee is a rebate"


def test_order_lifetimes_and_fill_rate() -> None:
    lines = [
        place(0, 1, 2 * 10**18),
        place(0, 2, 10**18),
        place(1, 3, 10**18),
        fill(1, True, 100, 1, order_id=1),  # half of order 1
        cancel(2, 2),
        fill(5, True, 100, 1, order_id=1),  # order 1 complete after 5 s
    ]
    figures, _ = _figures(lines, _samples(100, 100))
    assert figures.lifetimes_ms == (2_000, 5_000)
    assert figures.placed == 3 and figures.orders_filled == 1 and figures.open_at_end == 1
    assert figures.fill_rate == pytest.approx(1 / 3)
    assert figures.lifetime_percentile_ms(50) == 2_000
    assert figures.lifetime_percentile_ms(90) == 5_000
    assert as_json(figures)["orderLifetimeS"]["p50"] == "2.000"


def test_the_ratios_by_hand() -> None:
    equity = [100, 110, 99, 120]
    assert drawdowns6(equity) == [0, 0, 11, 0]
    assert max_drawdown(equity) == (11, pytest.approx(0.1))
    steps = returns(equity, 100)
    assert steps == pytest.approx([0.10, -0.11, 0.21])
    mean = 0.2 / 3
    sd = math.sqrt(((0.1 - mean) ** 2 + (-0.11 - mean) ** 2 + (0.21 - mean) ** 2) / 2)
    per_year = math.sqrt(365 * 86_400 / 60)
    assert sharpe(steps, 60) == pytest.approx(mean / sd * per_year)
    assert sortino(steps, 60) == pytest.approx(mean / math.sqrt(0.11**2 / 3) * per_year)
    assert sharpe([0.01, 0.01], 60) is None, "no variation: no Sharpe"


def test_percentiles_are_nearest_rank() -> None:
    values = list(range(1, 11))
    assert percentile(values, 50) == 5 and percentile(values, 90) == 9 and percentile(values, 99) == 10
    assert percentile([], 50) is None


def test_the_confidence_interval() -> None:
    from decimal import Decimal

    result = spread([Decimal(v) for v in ("1", "2", "3", "4")])
    assert result is not None
    assert result.mean == Decimal("2.5")
    assert result.stdev == Decimal("1.290994")
    # t(3) = 3.182: 2.5 +- 3.182 * 1.2909944 / 2 = 2.5 +- 2.0539721
    assert result.ci_low == Decimal("0.446028") and result.ci_high == Decimal("4.553972")
    single = spread([Decimal(7)])
    assert single is not None and single.stdev is None and single.ci_low is None
