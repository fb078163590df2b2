"""History at a glance (issue 16): the sample rings fed from snapshots, their folding into a few
cells and the sparklines drawn from them; the wallets' trend columns and the fleet's in the
totals strip."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.tui.sparkline import BLOCKS, RingsByKey, SampleRing, fold, ring_spark, spark
from ama_tui.tui.widgets.totals_strip import TotalsStrip, totals_line
from ama_tui.tui.widgets.trends import (
    FULL_BPS,
    NO_TRENDS,
    POSITION,
    UTILIZATION,
    fleet_sample,
    fleet_trends,
    wallet_sample,
    wallet_trends,
)
from ama_tui.tui.widgets.wallets_table import COLUMN_KEYS, WalletsTable, wallet_cells

from .dashboard_support import DashboardApp, fresh_handle, make_dashboard_rig

T0 = 1_767_225_600.0


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> list[EngineSnapshot]:
    rig, snapshots = make_dashboard_rig(tmp_path_factory.mktemp("rig"), cycles=5, preset="GRADUAL_FILLS")
    rig.close()
    return snapshots


# -- sampling -----------------------------------------------------------------------------------------


def test_a_ring_samples_once_a_second_of_snapshot_time() -> None:
    ring = SampleRing(size=5)
    assert ring.add(T0 + 0.05, (1,)) is True
    assert ring.add(T0 + 0.15, (2,)) is False  # the same second: the first sample stands
    assert ring.add(T0 + 0.95, (3,)) is False
    assert ring.add(T0 + 1.0, (4,)) is True
    assert ring.series(0) == [1, 4]
    assert ring.slot == int(T0) + 1 and ring.first_slot == int(T0)


def test_seconds_without_a_snapshot_repeat_the_last_sample() -> None:
    """A slow engine cycle (4 s between snapshots): the x axis stays time."""
    ring = SampleRing(size=10)
    ring.add(T0, (7,))
    ring.add(T0 + 4.2, (9,))
    assert ring.series(0) == [7, 7, 7, 7, 9]
    assert ring.first_slot == int(T0)


def test_a_ring_is_bounded_and_starts_afresh_when_the_clock_goes_back() -> None:
    ring = SampleRing(size=3)
    for k in range(10):
        ring.add(T0 + k, (k,))
    assert ring.series(0) == [7, 8, 9]
    ring.add(T0 + 1_000, (42,))  # a long gap fills at most the ring
    assert ring.series(0) == [9, 9, 42]
    ring.add(T0 - 50, (5,))  # another run, an earlier clock
    assert ring.series(0) == [5] and ring.slot == int(T0) - 50


def test_rings_by_key_sample_every_key_together_and_drop_the_gone() -> None:
    rings = RingsByKey(size=4)
    assert rings.add(T0, {"a": (1,), "b": (10,)})
    assert not rings.due(T0 + 0.5) and not rings.add(T0 + 0.5, {"a": (2,), "b": (20,)})
    assert rings.add(T0 + 1, {"a": (3,), "c": (30,)})
    assert set(rings.rings) == {"a", "c"}
    assert rings.rings["a"].series(0) == [1, 3] and rings.rings["c"].series(0) == [30]


# -- folding and drawing --------------------------------------------------------------------------------


def test_fold_keeps_one_value_a_slot_while_it_fits() -> None:
    assert fold([], 5) == [] and fold([1, 2], 0) == []
    assert fold([1, 2, 3], 5) == [1, 2, 3]


def test_fold_takes_the_last_value_of_runs_aligned_on_their_length() -> None:
    values = list(range(10))  # slots 100..109
    # 10 values in 4 cells: 3 slots a cell, runs 99-101, 102-104, 105-107, 108-110
    assert fold(values, 4, first_slot=100) == [1, 4, 7, 9]
    # one second later the finished cells have not moved; only the newest run took the new value
    assert fold([*values[1:], 10], 4, first_slot=101) == [1, 4, 7, 10]
    # an unaligned start: 9 values from slot 100 in 3 cells (3 slots a cell) touch 4 runs,
    # 99-101, 102-104, 105-107 and 108: the oldest is dropped
    assert fold(list(range(9)), 3, first_slot=100) == [4, 7, 8]
    assert fold(list(range(9)), 3, first_slot=99) == [2, 5, 8]


@given(
    st.lists(st.integers(min_value=-(10**20), max_value=10**20), max_size=300),
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=0, max_value=10**6),
)
def test_fold_fits_the_width_and_ends_on_the_newest(values: list[int], width: int, first: int) -> None:
    cells = fold(values, width, first)
    assert len(cells) <= width and bool(cells) == bool(values)
    if len(values) <= width:
        assert cells == values
    if values:
        assert cells[-1] == values[-1]
        assert set(cells) <= set(values)


def test_spark_scales_between_the_lowest_and_the_highest() -> None:
    assert spark([0, 7], 2) == BLOCKS[0] + BLOCKS[-1]
    assert spark([-700, 0, 700], 3) == BLOCKS[0] + BLOCKS[3] + BLOCKS[-1]
    assert spark([5, 5, 5], 4) == " " + BLOCKS[0] * 3  # flat: the lowest, right-aligned
    assert spark([], 3) == "   "
    assert spark([1, 2, 3, 4], 2) == BLOCKS[0] + BLOCKS[-1]  # the newest that fit
    # a fixed range: 50 % of the cap is the middle whatever the window holds; beyond is clamped
    assert spark([5_000, 5_000], 2, low=0, high=FULL_BPS) == BLOCKS[3] * 2
    assert spark([12_000, -1], 2, low=0, high=FULL_BPS) == BLOCKS[-1] + BLOCKS[0]


@given(st.lists(st.integers(min_value=-(10**24), max_value=10**24), min_size=1, max_size=50))
def test_spark_is_as_wide_as_asked_and_orders_like_the_values(values: list[int]) -> None:
    text = spark(values, 50)
    assert len(text) == 50
    drawn = text.strip()
    assert len(drawn) == len(values)
    pairs = list(zip(values, drawn, strict=True))
    for (a, block_a), (b, block_b) in pairwise(pairs):
        if a < b:
            assert BLOCKS.index(block_a) <= BLOCKS.index(block_b)
        if a == b:
            assert block_a == block_b


def test_ring_spark_draws_a_series_of_the_ring() -> None:
    ring = SampleRing()
    for k, value in enumerate((0, 10, 20)):
        ring.add(T0 + k, (value, -value))
    assert ring_spark(ring, 0, 3) == BLOCKS[0] + BLOCKS[3] + BLOCKS[-1]
    assert ring_spark(ring, 1, 3) == BLOCKS[-1] + BLOCKS[3] + BLOCKS[0]


# -- the wallets' and the fleet's --------------------------------------------------------------------


def test_what_a_wallet_and_the_fleet_sample(snapshots: list[EngineSnapshot]) -> None:
    wallets = snapshots[-1].wallets
    first = wallets[0]
    assert wallet_sample(first) == (first.pnl6, first.position18, first.utilization_bps)
    assert wallet_sample(replace(first, balances_known=False))[UTILIZATION] == 0
    pnl6, net18, util = fleet_sample(wallets)
    assert pnl6 == sum(w.pnl6 for w in wallets) and net18 == sum(w.position18 for w in wallets)
    assert util == sum(w.reserved6 for w in wallets) * FULL_BPS // sum(w.cap6 for w in wallets)
    assert fleet_sample(()) == (0, 0, 0)


def test_a_wallet_row_draws_its_trends(snapshots: list[EngineSnapshot]) -> None:
    wallet = snapshots[-1].wallets[0]
    ring = SampleRing()
    for k, position in enumerate((0, 10**16, 2 * 10**16)):
        ring.add(T0 + k, wallet_sample(replace(wallet, position18=position, utilization_bps=9_500)))
    pnl, position, util = wallet_trends(ring, width=4)
    assert position == (" " + BLOCKS[0] + BLOCKS[3] + BLOCKS[-1], "cyan")
    assert util[0].strip() == BLOCKS[-2] * 3 and util[1] == "red"  # 95 % of the cap
    cells = dict(zip(COLUMN_KEYS, wallet_cells(wallet, T0, (pnl, position, util)), strict=True))
    assert cells["pnl_trend"] == pnl and cells["position_trend"] == position and cells["util_trend"] == util
    assert wallet_trends(None) == NO_TRENDS


def test_the_totals_strip_draws_the_fleet_s_trends(snapshots: list[EngineSnapshot]) -> None:
    snapshot = snapshots[-1]
    ring = SampleRing()
    for k, earlier in enumerate(snapshots):
        ring.add(T0 + k, fleet_sample(earlier.wallets))
    pnl, net, util = fleet_trends(ring)
    text = totals_line(snapshot, (pnl, net, util)).plain
    net_part, pnl_part = text.split("  PnL ")
    assert net_part.endswith(net[0]) and pnl_part.split(" (")[0].endswith(pnl[0])
    assert len(net[0].strip()) == len(snapshots)
    util_percent = fleet_sample(snapshot.wallets)[2] * 100 // FULL_BPS
    assert f"  util {util_percent}% {util[0]}" in text
    assert BLOCKS[0] not in totals_line(snapshot).plain  # no trends given: none drawn


async def test_the_dashboard_samples_each_second_of_snapshots(snapshots: list[EngineSnapshot]) -> None:
    """Snapshots a second apart add a sample each to every wallet's ring and to the fleet's; a
    snapshot within the same second adds none."""
    handle = fresh_handle(snapshots[0])
    app = DashboardApp(handle)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        screen = app.dashboard
        table = screen.query_one(WalletsTable)
        strip = screen.query_one(TotalsStrip)
        for k, snapshot in enumerate(snapshots[1:], start=2):
            handle.publish(snapshot)
            assert screen.pull()
            assert all(len(ring.samples) == k for ring in table.history.rings.values())
            assert len(strip.history.samples) == k
        last = snapshots[-1]
        handle.publish(replace(last, now=last.now + 0.5))
        assert screen.pull()
        assert len(strip.history.samples) == len(snapshots)
        await pilot.pause()
        for w in last.wallets:
            shown = table.cell_text(w.address, "position_trend")
            ring = table.history.rings[w.address]
            assert shown == ring_spark(ring, POSITION, 10) and len(shown.strip()) == len(snapshots)
