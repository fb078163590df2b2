"""Positions and PnL over time, from FILL lines, with the engine's own integer arithmetic
(`core.pnl.PositionBook`: average entry, realized on reductions). The open position is marked to
the market's last fill price (the journal records no book); a fill line without a side, price or
size is left out and counted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb

from ama_tui.analytics.buckets import bucket_end
from ama_tui.core.pnl import PositionBook

FILLS_SQL = """
SELECT order_book, trader, ts, is_buy, price6, amount18 FROM journal
WHERE action = 'FILL' AND is_buy IS NOT NULL AND price6 > 0 AND amount18 > 0
ORDER BY order_book, ts, seq
"""


@dataclass(frozen=True)
class PnlPoint:
    ts_ms: int
    """The end of the bucket."""
    size18: int
    realized6: int
    total6: int


@dataclass
class MarketBooks:
    """One market's wallets as fills arrive."""

    books: dict[str, PositionBook] = field(default_factory=dict)
    mark6: int = 0

    def apply(self, trader: str, is_buy: bool, price6: int, amount18: int) -> None:
        book = self.books.get(trader, PositionBook())
        self.books[trader] = book.apply_fill(is_buy, price6, amount18)
        self.mark6 = price6

    def point(self, ts_ms: int) -> PnlPoint:
        size = sum(b.size18 for b in self.books.values())
        realized = sum(b.realized6 for b in self.books.values())
        unrealized = sum(b.unrealized6(self.mark6) for b in self.books.values())
        return PnlPoint(ts_ms, size, realized, realized + unrealized)


def pnl_series(
    fills: Iterable[tuple[str, str, int, bool, int, int]], width_ms: int
) -> dict[str, tuple[list[PnlPoint], MarketBooks]]:
    """Per order book, a point at the end of every bucket with fills, and the books at the end."""
    out: dict[str, tuple[list[PnlPoint], MarketBooks]] = {}
    points: list[PnlPoint] = []
    market: MarketBooks | None = None
    current: tuple[str, int] | None = None  # (order book, bucket end) of the pending point
    for order_book, trader, ts, is_buy, price6, amount18 in fills:
        end = bucket_end(ts, width_ms)
        if current is not None and market is not None and current != (order_book, end):
            points.append(market.point(current[1]))
        if order_book not in out:
            points, market = [], MarketBooks()
            out[order_book] = (points, market)
        assert market is not None
        market.apply(trader, bool(is_buy), int(price6), int(amount18))
        current = (order_book, end)
    if current is not None and market is not None:
        points.append(market.point(current[1]))
    return out


def fill_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int, bool, int, int]]:
    return con.execute(FILLS_SQL).fetchall()


def unusable_fills(con: duckdb.DuckDBPyConnection) -> int:
    """FILL lines left out of positions (no side, price or size)."""
    row = con.execute(
        "SELECT count(*) FROM journal WHERE action = 'FILL' "
        "AND NOT coalesce(is_buy IS NOT NULL AND price6 > 0 AND amount18 > 0, false)"
    ).fetchone()
    return int(row[0]) if row else 0
