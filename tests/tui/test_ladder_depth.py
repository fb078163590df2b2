"""The ladder's depth figures (issue 16): each level's cumulative size from the spread, our size
next to the level's, price grouping zoomed with `-` and `+`, the spread always in the middle.
Integers throughout: price6 and amount18."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ama_tui.core.market import BookTop, OpenOrder
from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.tui.widgets.ladder import (
    HEADINGS,
    Ladder,
    LadderFold,
    LadderLevel,
    build_ladder,
    header_line,
    ladder_lines,
    level_layout,
    our_levels,
    split_room,
)
from ama_tui.tui.widgets.ladder_group import GROUPS, cumulative, group_ours, group_side, row_price, zoom
from ama_tui.venues.base import BookSnapshot, DepthLevel

from .dashboard_support import DashboardApp, fresh_handle, make_dashboard_rig, screen_text

TICK6 = 10_000  # 0.01
MID6 = 3_000_000_000


@pytest.fixture(scope="module")
def last(tmp_path_factory: pytest.TempPathFactory) -> EngineSnapshot:
    rig, snapshots = make_dashboard_rig(tmp_path_factory.mktemp("rig"), cycles=4)
    rig.close()
    return snapshots[-1]


def _order(oid: int, trader: str, price6: int, amount18: int, is_buy: bool) -> OpenOrder:
    return OpenOrder(oid, trader, price6, amount18, is_buy, 0, 1_000_000)


def _snapshot(
    last: EngineSnapshot, bid_ticks: list[int], ask_ticks: list[int], sizes: list[int]
) -> EngineSnapshot:
    """A book with a level every given tick off the mid, the k-th of a side `sizes[k % n]` x 0.01,
    and one order of ours (0.01) on the 2nd level of each side, another on the 4th bid."""
    n = len(sizes)
    bids = tuple(DepthLevel(MID6 - t * TICK6, sizes[k % n] * 10**16, 1) for k, t in enumerate(bid_ticks))
    asks = tuple(DepthLevel(MID6 + t * TICK6, sizes[k % n] * 10**16, 1) for k, t in enumerate(ask_ticks))
    top = BookTop(bids[0].price6 if bids else 0, asks[0].price6 if asks else 0, MID6, MID6)
    first = last.wallets[0]
    orders = []
    for oid, (side, k) in enumerate(((bids, 1), (asks, 1), (bids, 3))):
        if len(side) > k:
            orders.append(_order(oid, first.address, side[k].price6, 10**16, side is bids))
    wallets = (replace(first, orders=tuple(orders)), *(replace(w, orders=()) for w in last.wallets[1:]))
    return replace(last, book=BookSnapshot(top=top, bids=bids, asks=asks), wallets=wallets)


# -- grouping ---------------------------------------------------------------------------------------


def test_a_row_rounds_bids_down_and_asks_up() -> None:
    step6 = 10 * TICK6  # 0.10
    assert row_price(2_999_990_000, True, step6) == 2_999_900_000
    assert row_price(2_999_990_000, False, step6) == 3_000_000_000
    assert row_price(3_000_000_000, True, step6) == row_price(3_000_000_000, False, step6) == 3_000_000_000
    assert row_price(2_999_990_000, True, 1) == 2_999_990_000


def test_grouping_sums_sizes_and_counts_per_row_best_first() -> None:
    step6 = 5 * TICK6
    bids = [DepthLevel(MID6 - t * TICK6, (t + 1) * 10**16, 2) for t in (1, 2, 4, 5, 6, 12)]
    grouped = group_side(bids, True, step6)
    # 2,999.99 2,999.98 2,999.96 and 2,999.95 itself -> 2,999.95; 2,999.94 -> 2,999.90; 2,999.88 -> 2,999.85
    assert [lv.price6 for lv in grouped] == [MID6 - 5 * TICK6, MID6 - 10 * TICK6, MID6 - 15 * TICK6]
    assert [lv.amount18 for lv in grouped] == [(2 + 3 + 5 + 6) * 10**16, 7 * 10**16, 13 * 10**16]
    assert [lv.order_count for lv in grouped] == [8, 2, 2]
    asks = [DepthLevel(MID6 + t * TICK6, 10**16, 1) for t in (1, 5, 6)]
    assert [lv.price6 for lv in group_side(asks, False, step6)] == [MID6 + 5 * TICK6, MID6 + 10 * TICK6]
    assert group_side(bids, True, TICK6 // TICK6) is bids  # one tick a row: the book as it is


@given(
    st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=30, unique=True),
    st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=30, unique=True),
    st.sampled_from(GROUPS),
)
def test_grouped_sides_keep_every_size_and_never_cross(
    bid_ticks: list[int], ask_ticks: list[int], group: int
) -> None:
    step6 = group * TICK6
    bids = [DepthLevel(MID6 - t * TICK6, t * 10**15, 1) for t in sorted(bid_ticks)]
    asks = [DepthLevel(MID6 + t * TICK6, t * 10**15, 1) for t in sorted(ask_ticks)]
    grouped_bids, grouped_asks = group_side(bids, True, step6), group_side(asks, False, step6)
    assert sum(lv.amount18 for lv in grouped_bids) == sum(lv.amount18 for lv in bids)
    assert sum(lv.amount18 for lv in grouped_asks) == sum(lv.amount18 for lv in asks)
    assert all(lv.price6 % step6 == 0 for lv in (*grouped_bids, *grouped_asks))
    bid_prices = [lv.price6 for lv in grouped_bids]
    ask_prices = [lv.price6 for lv in grouped_asks]
    assert bid_prices == sorted(set(bid_prices), reverse=True) and ask_prices == sorted(set(ask_prices))
    assert bid_prices[0] <= bids[0].price6 < asks[0].price6 <= ask_prices[0]


def test_our_orders_group_into_the_rows_they_rest_in() -> None:
    ours = {
        (True, MID6 - TICK6): (1, 10**16),
        (True, MID6 - 4 * TICK6): (2, 3 * 10**16),
        (False, MID6 + TICK6): (1, 5),
    }
    assert group_ours(ours, 5 * TICK6) == {
        (True, MID6 - 5 * TICK6): (3, 4 * 10**16),
        (False, MID6 + 5 * TICK6): (1, 5),
    }


def test_zoom_moves_along_the_groupings_and_stops_at_their_ends() -> None:
    assert zoom(1, 1) == 2 and zoom(2, 1) == 5 and zoom(5, -1) == 2
    assert zoom(1, -1) == 1 and zoom(GROUPS[-1], 1) == GROUPS[-1]
    assert zoom(3, 0) == 5  # not a grouping of ours: the next coarser one
    assert zoom(1, 100) == GROUPS[-1]


# -- cumulative depth and our size --------------------------------------------------------------------


def test_cumulative_runs_from_the_spread_outward() -> None:
    assert cumulative([]) == []
    assert cumulative([3, 0, 4, 10**18]) == [3, 3, 7, 7 + 10**18]


def test_every_level_shows_the_depth_through_it_and_our_size_there(last: EngineSnapshot) -> None:
    snapshot = _snapshot(last, list(range(1, 11)), list(range(1, 11)), [3, 1, 4, 1, 5])
    book = snapshot.book
    assert book is not None
    model = build_ladder(snapshot, 2 + 2 * 10)
    assert model is not None
    for side in (book.bids, book.asks):
        for k, depth in enumerate(side):
            level = next(
                lv for lv in model.levels if lv.price6 == depth.price6 and lv.is_bid == (side is book.bids)
            )
            assert level.cum18 == sum(lv.amount18 for lv in side[: k + 1])
    ours = our_levels(snapshot.wallets)
    for level in model.levels:
        assert level.ours18 == ours.get((level.is_bid, level.price6), (0, 0))[1]
    assert sum(lv.ours18 for lv in model.levels) == sum(
        o.amount18 for w in snapshot.wallets for o in w.orders
    )


def test_a_fold_keeps_the_depth_of_the_levels_it_hides(last: EngineSnapshot) -> None:
    """Our order on the 4th bid, room for 3 bid rows: the fold's levels still count in the depth."""
    snapshot = _snapshot(last, list(range(1, 9)), [1], [2])
    snapshot = replace(
        snapshot,
        wallets=(
            replace(
                snapshot.wallets[0],
                orders=(_order(9, snapshot.wallets[0].address, MID6 - 7 * TICK6, 10**16, True),),
            ),
            *snapshot.wallets[1:],
        ),
    )
    model = build_ladder(snapshot, 2 + 2 * 3)
    assert model is not None
    bids = [row for row in model.bids if row is not None]
    assert isinstance(bids[1], LadderFold)
    far = bids[-1]
    assert isinstance(far, LadderLevel) and far.price6 == MID6 - 7 * TICK6 and far.ours == 1
    assert far.cum18 == 7 * 2 * 10**16


def test_grouped_ladder_sums_levels_and_ours_per_row(last: EngineSnapshot) -> None:
    snapshot = _snapshot(last, list(range(1, 31)), list(range(1, 31)), [1, 2, 3])
    book = snapshot.book
    assert book is not None
    model = build_ladder(snapshot, 2 + 2 * 4, group=10)
    assert model is not None
    bids = [row for row in model.bids if isinstance(row, LadderLevel)]
    # 2,999.99 .. 2,999.90 -> 2,999.90; 2,999.89 .. 2,999.80 -> 2,999.80; ...
    assert [lv.price6 for lv in bids] == [MID6 - 10 * TICK6, MID6 - 20 * TICK6, MID6 - 30 * TICK6]
    assert bids[0].amount18 == sum(lv.amount18 for lv in book.bids[:10])
    assert bids[-1].cum18 == sum(lv.amount18 for lv in book.bids)
    assert bids[0].ours == 2 and bids[0].ours18 == 2 * 10**16  # the 2nd and 4th bids
    asks = [row for row in model.asks if isinstance(row, LadderLevel)]
    assert asks[-1].price6 == MID6 + 10 * TICK6 and asks[-1].ours == 1  # the best ask row, by the spread
    # the spread, the mid and the last trade stay exact
    assert model.best_bid6 == book.bids[0].price6 and model.spread6 == 2 * TICK6


@given(
    st.integers(min_value=0, max_value=30),
    st.integers(min_value=0, max_value=30),
    st.integers(min_value=3, max_value=40),
    st.sampled_from(GROUPS[:5]),
)
def test_the_spread_line_stays_in_the_middle(
    last: EngineSnapshot, bid_count: int, ask_count: int, rows: int, group: int
) -> None:
    """However thin, one-sided or grouped the book, the spread line is the middle row: the
    ladder is always centred on the mid."""
    snapshot = _snapshot(last, list(range(1, bid_count + 1)), list(range(1, ask_count + 1)), [2, 5])
    model = build_ladder(snapshot, rows, group=group)
    assert model is not None
    lines = [line.plain for line in ladder_lines(model, 42, TICK6, header=True)]
    asks, bids = split_room(rows)
    assert len(lines) == 1 + rows
    assert lines[1 + asks].startswith("─ spread") and len(model.bids) == bids


# -- columns ------------------------------------------------------------------------------------------


def test_the_header_names_the_columns_over_their_numbers(last: EngineSnapshot) -> None:
    snapshot = _snapshot(last, list(range(1, 6)), list(range(1, 6)), [7, 120])
    model = build_ladder(snapshot, 12)
    assert model is not None
    wide = level_layout(model, 42, TICK6)
    assert wide.ours_width and wide.cum_width and wide.bar_width >= 3
    heading = header_line(wide).plain
    assert heading.split() == list(HEADINGS)
    ours_row = next(lv for lv in model.levels if lv.ours and lv.is_bid)
    lines = ladder_lines(model, 42, TICK6, header=True)
    row = next(line.plain for line in lines if line.plain.startswith("●1") and "2,999.98" in line.plain)
    price, size, mine, cum = row[4:].split()[:4]
    assert (size, mine) == ("1.2000", "0.0100") and ours_row.cum18 == (7 + 120) * 10**16 and cum == "1.2700"
    for word, value in zip(HEADINGS, (price, size, mine, cum), strict=True):
        assert heading.index(word) + len(word) == row.index(value) + len(value), f"{word} over its column"


def test_a_narrow_ladder_leaves_out_the_bar_then_the_depth_then_our_size(last: EngineSnapshot) -> None:
    snapshot = _snapshot(last, list(range(1, 6)), list(range(1, 6)), [7, 120])
    model = build_ladder(snapshot, 12)
    assert model is not None
    widths = {width: level_layout(model, width, TICK6) for width in (42, 33, 30, 20)}
    assert [bool(widths[w].bar_width) for w in (42, 33, 30, 20)] == [True, False, True, False]
    assert [bool(widths[w].cum_width) for w in (42, 33, 30, 20)] == [True, True, False, False]
    assert [bool(widths[w].ours_width) for w in (42, 33, 30, 20)] == [True, True, True, False]
    for width in widths:
        lines = [line.plain for line in ladder_lines(model, width, TICK6, header=True)]
        levels = [line for line in lines if "spread" not in line and "mark" not in line]
        assert len(levels) == len(lines) - 2 and all(len(line) <= width for line in levels)


# -- keys ---------------------------------------------------------------------------------------------


async def test_minus_and_plus_zoom_the_ladder_out_and_in(last: EngineSnapshot) -> None:
    snapshot = _snapshot(last, list(range(1, 41)), list(range(1, 41)), [1, 2, 3])
    app = DashboardApp(fresh_handle(snapshot))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        ladder = app.dashboard.query_one(Ladder)
        assert ladder.group == 1 and ladder.border_title == "Book ETH-USD · 0.01 ×1"
        await pilot.press("minus", "minus", "minus")
        await pilot.pause()
        assert ladder.group == 10 and ladder.border_title == "Book ETH-USD · 0.10 ×10"
        text = screen_text(app)
        assert "2,999.90" in text and "2,999.80" in text and "2,999.99" not in text
        await pilot.press("plus")
        await pilot.pause()
        assert ladder.group == 5 and ladder.border_title == "Book ETH-USD · 0.05 ×5"
        await pilot.press("equals_sign", "equals_sign", "plus")  # `=`: `+` without shift
        await pilot.pause()
        assert ladder.group == 1
        assert "2,999.99" in screen_text(app)
        for _ in range(len(GROUPS) + 2):
            await pilot.press("minus")
        await pilot.pause()
        assert ladder.group == GROUPS[-1]
