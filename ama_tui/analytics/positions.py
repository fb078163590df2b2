"""Positions and PnL over time, from FILL lines, with the engine's own integer arithmetic
(`core.pnl.PositionBook`: average entry, realized on reductions), fills applied in journal order
as the engine applied them. The open position is marked to the market's last fill price (the
journal records no book). A fill line without a side, price or size is left out and counted."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import duckdb

from ama_tui.analytics.buckets import bucket_end
from ama_tui.core.pnl import PositionBook, position_after_fill, unrealized6

_SPLIT = 10**12
"""A size past int64 leaves DuckDB as two BIGINTs (quotient and remainder by this): numpy has no
128-bit int."""

_USABLE = "action = 'FILL' AND is_buy IS NOT NULL AND price6 > 0 AND amount18 > 0"
UNUSABLE = "NOT coalesce(is_buy IS NOT NULL AND price6 > 0 AND amount18 > 0, false)"
"""A FILL line left out of positions (no side, price or size)."""
OWNERS_SQL = f"""
CREATE OR REPLACE TEMP TABLE fill_owners AS
SELECT order_book, trader, (row_number() OVER (ORDER BY order_book, trader) - 1)::INTEGER AS code
FROM (SELECT DISTINCT order_book, trader FROM journal WHERE {_USABLE})
"""
FILLS_SQL = f"""
SELECT o.code, f.ts, f.is_buy, f.price6, TRY_CAST(f.amount18 AS BIGINT) AS amount18
FROM journal f JOIN fill_owners o USING (order_book, trader)
WHERE {_USABLE}
ORDER BY f.seq
"""
"""The usable fills in journal order; the wallet and market as a small integer (strings are what
makes fetching slow). A size past int64 (9.2 units of 18 decimals) comes out NULL: then the sizes
are fetched again with `SPLIT_SIZES_SQL` (splitting every size costs as much as the rest)."""
SPLIT_SIZES_SQL = f"""
SELECT (amount18 // {_SPLIT})::BIGINT AS high, (amount18 % {_SPLIT})::BIGINT AS low
FROM journal f JOIN fill_owners o USING (order_book, trader)
WHERE {_USABLE}
ORDER BY f.seq
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


Fill = tuple[str, str, int, bool, int, int]
"""(order book, trader, ts, is_buy, price6, amount18)."""
_Book = tuple[int, int, int]
"""A wallet's (size18, entry6, realized6): `PositionBook`'s fields, kept as a plain tuple in the loop."""


def _point(ts_ms: int, books: dict[str, _Book], mark6: int) -> PnlPoint:
    """The market's position and PnL: its wallets summed, marked to `mark6`."""
    size = realized = unrealized = 0
    for size18, entry6, realized6 in books.values():
        size += size18
        realized += realized6
        unrealized += unrealized6(size18, entry6, mark6)
    return PnlPoint(ts_ms, size, realized, realized + unrealized)


@dataclass
class _Tracker:
    """A market's books and the bucket of its pending point."""

    books: dict[str, _Book] = field(default_factory=dict)
    mark6: int = 0
    points: list[PnlPoint] = field(default_factory=list)
    bucket: int = -1
    latest: int = 0


def pnl_series(fills: Iterable[Fill], width_ms: int) -> dict[str, tuple[list[PnlPoint], MarketBooks]]:
    """Per order book: a point at the end of every bucket that had fills, and the books at the end.
    `fills` in journal order. One pass, the current market's state in locals (a journal's fills
    come in runs of one market): this loop is the report's only work per fill in Python, so it
    keeps each wallet's book as a tuple (`core.pnl.position_after_fill`, the arithmetic
    `PositionBook` uses): a frozen dataclass per fill was half its time."""
    trackers: dict[str, _Tracker] = {}
    current: str | None = None
    tracker = _Tracker()
    books: dict[str, _Book] = {}
    points: list[PnlPoint] = []
    flat: _Book = (0, 0, 0)
    after_fill = position_after_fill
    latest = bucket = mark = 0
    for order_book, trader, ts, is_buy, price6, amount18 in fills:
        if order_book != current:
            if current is not None:
                tracker.latest, tracker.bucket, tracker.mark6 = latest, bucket, mark
            found = trackers.get(order_book)
            tracker = found if found is not None else trackers.setdefault(order_book, _Tracker(latest=ts))
            current, books, points = order_book, tracker.books, tracker.points
            latest, bucket, mark = tracker.latest, tracker.bucket, tracker.mark6
        if ts > latest:
            latest = ts  # a line a little out of time order stays put
        here = latest // width_ms
        if here != bucket:
            if bucket >= 0:
                points.append(_point(bucket_end(bucket * width_ms, width_ms), books, mark))
            bucket = here
        books[trader] = after_fill(*books.get(trader, flat), is_buy, price6, amount18)
        mark = price6
    if current is not None:
        tracker.latest, tracker.bucket, tracker.mark6 = latest, bucket, mark
    for tracker in trackers.values():
        if tracker.bucket >= 0:
            tracker.points.append(
                _point(bucket_end(tracker.bucket * width_ms, width_ms), tracker.books, tracker.mark6)
            )
    return {
        book: (t.points, MarketBooks({w: PositionBook(*b) for w, b in t.books.items()}, t.mark6))
        for book, t in trackers.items()
    }


def fill_rows(con: duckdb.DuckDBPyConnection) -> Iterator[Fill]:
    """The usable FILL lines in journal order (fetched as columns: far faster than as rows)."""
    con.execute(OWNERS_SQL)
    owners = con.execute("SELECT order_book, trader FROM fill_owners ORDER BY code").fetchall()
    columns = con.execute(FILLS_SQL).fetchnumpy()
    codes = columns["code"].tolist()
    sizes = columns["amount18"]
    mask = getattr(sizes, "mask", None)  # a masked array: some size did not fit int64
    if mask is not None and mask.any():
        split = con.execute(SPLIT_SIZES_SQL).fetchnumpy()
        amounts = [
            h * _SPLIT + lo for h, lo in zip(split["high"].tolist(), split["low"].tolist(), strict=True)
        ]
    else:
        amounts = sizes.tolist()
    return zip(
        map([book for book, _ in owners].__getitem__, codes),
        map([trader for _, trader in owners].__getitem__, codes),
        columns["ts"].tolist(),
        columns["is_buy"].tolist(),
        columns["price6"].tolist(),
        amounts,
        strict=True,
    )
