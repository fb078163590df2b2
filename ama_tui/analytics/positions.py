"""Positions and PnL over time, from FILL lines, with the engine's own integer arithmetic
(`core.pnl.PositionBook`: average entry, realized on reductions), fills applied in journal order
as the engine applied them. The open position is marked to the market's last fill price (the
journal records no book). A fill line without a side, price or size is left out and counted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb

from ama_tui.analytics.buckets import bucket_end
from ama_tui.core.pnl import PositionBook

_SPLIT = 10**12
"""amount18 leaves DuckDB as two BIGINTs (quotient and remainder by this): numpy has no 128-bit int."""

_USABLE = "action = 'FILL' AND is_buy IS NOT NULL AND price6 > 0 AND amount18 > 0"
OWNERS_SQL = f"""
CREATE OR REPLACE TEMP TABLE fill_owners AS
SELECT order_book, trader, (row_number() OVER (ORDER BY order_book, trader) - 1)::INTEGER AS code
FROM (SELECT DISTINCT order_book, trader FROM journal WHERE {_USABLE})
"""
FILLS_SQL = f"""
SELECT o.code, f.ts, f.is_buy, f.price6,
    (f.amount18 // {_SPLIT})::BIGINT AS amount_high, (f.amount18 % {_SPLIT})::BIGINT AS amount_low
FROM journal f JOIN fill_owners o USING (order_book, trader)
WHERE {_USABLE}
ORDER BY f.seq
"""
"""The usable fills in journal order; the wallet and market as a small integer (strings are what
makes fetching slow)."""


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

    def point(self, ts_ms: int) -> PnlPoint:
        size = sum(b.size18 for b in self.books.values())
        realized = sum(b.realized6 for b in self.books.values())
        unrealized = sum(b.unrealized6(self.mark6) for b in self.books.values())
        return PnlPoint(ts_ms, size, realized, realized + unrealized)


Fill = tuple[str, str, int, bool, int, int]
"""(order book, trader, ts, is_buy, price6, amount18)."""


@dataclass
class _Tracker:
    """A market's books and the bucket of its pending point."""

    market: MarketBooks = field(default_factory=MarketBooks)
    points: list[PnlPoint] = field(default_factory=list)
    bucket: int = -1
    latest: int = 0


def pnl_series(fills: Iterable[Fill], width_ms: int) -> dict[str, tuple[list[PnlPoint], MarketBooks]]:
    """Per order book: a point at the end of every bucket that had fills, and the books at the end.
    `fills` in journal order."""
    trackers: dict[str, _Tracker] = {}
    empty = PositionBook()
    for order_book, trader, ts, is_buy, price6, amount18 in fills:
        tracker = trackers.get(order_book)
        if tracker is None:
            tracker = trackers[order_book] = _Tracker(latest=ts)
        tracker.latest = latest = max(tracker.latest, ts)  # a line a little out of time order stays put
        here = latest // width_ms
        market = tracker.market
        if here != tracker.bucket:
            if tracker.bucket >= 0:
                tracker.points.append(market.point(bucket_end(tracker.bucket * width_ms, width_ms)))
            tracker.bucket = here
        books = market.books
        books[trader] = books.get(trader, empty).apply_fill(is_buy, price6, amount18)
        market.mark6 = price6
    for tracker in trackers.values():
        if tracker.bucket >= 0:
            tracker.points.append(tracker.market.point(bucket_end(tracker.bucket * width_ms, width_ms)))
    return {book: (t.points, t.market) for book, t in trackers.items()}


def fill_rows(con: duckdb.DuckDBPyConnection) -> list[Fill]:
    """The usable FILL lines in journal order (fetched as columns: far faster than as rows)."""
    con.execute(OWNERS_SQL)
    owners = con.execute("SELECT order_book, trader FROM fill_owners ORDER BY code").fetchall()
    columns = con.execute(FILLS_SQL).fetchnumpy()
    who = [owners[code] for code in columns["code"].tolist()]
    amounts = [
        high * _SPLIT + low
        for high, low in zip(columns["amount_high"].tolist(), columns["amount_low"].tolist(), strict=True)
    ]
    return [
        (book, trader, ts, is_buy, price6, amount18)
        for (book, trader), ts, is_buy, price6, amount18 in zip(
            who,
            columns["ts"].tolist(),
            columns["is_buy"].tolist(),
            columns["price6"].tolist(),
            amounts,
            strict=True,
        )
    ]


def unusable_fills(con: duckdb.DuckDBPyConnection) -> int:
    """FILL lines left out of positions (no side, price or size)."""
    row = con.execute(
        "SELECT count(*) FROM journal WHERE action = 'FILL' "
        "AND NOT coalesce(is_buy IS NOT NULL AND price6 > 0 AND amount18 > 0, false)"
    ).fetchone()
    return int(row[0]) if row else 0
