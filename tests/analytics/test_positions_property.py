"""The PnL series against a plain replay of the same fills through `PositionBook`, one fill at a
time: every point is the state after the last fill of its bucket, in every market."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ama_tui.analytics.buckets import bucket_end
from ama_tui.analytics.positions import Fill, pnl_series
from ama_tui.core.pnl import PositionBook

BOOKS = ("0xbook-a", "0xbook-b")
TRADERS = ("0xt1", "0xt2", "0xt3")

fills_strategy = st.lists(
    st.tuples(
        st.sampled_from(BOOKS),
        st.sampled_from(TRADERS),
        st.integers(0, 2_500),  # gap to the previous fill, ms
        st.booleans(),
        st.integers(1, 5_000).map(lambda p: p * 10_000),
        st.integers(1, 300).map(lambda a: a * 10**16),
    ),
    max_size=60,
)


def _state(books: dict[str, PositionBook], mark6: int) -> tuple[int, int, int]:
    size = sum(b.size18 for b in books.values())
    realized = sum(b.realized6 for b in books.values())
    return size, realized, realized + sum(b.unrealized6(mark6) for b in books.values())


@settings(max_examples=150, deadline=None)
@given(fills_strategy, st.sampled_from([1_000, 5_000]))
def test_points_are_the_replayed_state_at_each_bucket_end(raw: list, width: int) -> None:
    fills: list[Fill] = []
    ts = 1_767_225_600_000
    for book, trader, gap, is_buy, price6, amount18 in raw:
        ts += gap
        fills.append((book, trader, ts, is_buy, price6, amount18))
    series = pnl_series(fills, width)
    for book in BOOKS:
        mine = [f for f in fills if f[0] == book]
        if not mine:
            assert book not in series
            continue
        expected = []
        books: dict[str, PositionBook] = {}
        for index, (_, trader, at, is_buy, price6, amount18) in enumerate(mine):
            books[trader] = books.get(trader, PositionBook()).apply_fill(is_buy, price6, amount18)
            last_of_bucket = index + 1 == len(mine) or mine[index + 1][2] // width != at // width
            if last_of_bucket:
                expected.append((bucket_end(at, width), *_state(books, price6)))
        points, final = series[book]
        assert [(p.ts_ms, p.size18, p.realized6, p.total6) for p in points] == expected
        assert final.books == books and final.mark6 == mine[-1][4]
