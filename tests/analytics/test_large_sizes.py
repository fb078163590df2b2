"""Sizes past int64 (more than 9.2 units of 18 decimals) keep every digit through positions and
PnL: the fills are fetched from DuckDB as int64 when every size fits, as two halves otherwise."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from ama_tui.analytics.report import build_report
from tests.analytics.journal_builder import E18, fill, place, write_journal


def test_a_size_past_int64_keeps_every_digit(tmp_path: Path) -> None:
    big = 25 * E18 + 1  # past 2**63 - 1
    lines = [
        place(0, 1, True, 100_000_000, big, 500_000_000),
        fill(1000, 1, True, 100_000_000, big, maker=True),
        fill(2000, 2, False, 110_000_000, 10 * E18, maker=False),
    ]
    report = build_report([write_journal(tmp_path / "state", lines)])
    (market,) = report.markets
    assert market.position == Decimal("15.000000000000000001")
    assert market.realized_pnl == Decimal(100)  # 10 units sold 10 USDC above the entry
    assert market.total_pnl == Decimal(250)  # and 15 still held, marked to the last fill
    assert report.maker_taker.maker_volume == Decimal("25.000000000000000001")
