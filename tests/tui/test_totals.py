"""Issue 16, totals: the fleet's net position, PnL split, fills with maker/taker, volume and fees
in one strip; each wallet's realized / unrealized split in the wallets panel."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ama_tui.engine.snapshot import EngineSnapshot, FillTotals
from ama_tui.tui.fill_totals import FillCounter
from ama_tui.tui.widgets.totals_strip import TotalsStrip, totals_line
from ama_tui.tui.widgets.wallets_table import COLUMN_KEYS, wallet_cells
from ama_tui.venues.base import Fill

from .dashboard_support import DashboardApp, fresh_handle, make_dashboard_rig


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> list[EngineSnapshot]:
    rig, snapshots = make_dashboard_rig(tmp_path_factory.mktemp("rig"), cycles=5, preset="GRADUAL_FILLS")
    rig.close()
    return snapshots


def _fill(n: int, *, maker: bool | None = True) -> Fill:
    return Fill(f"f{n}", 1.0 * n, "0x1", n % 2 == 0, 3_000_000_000, 10**16, "0x2", n, maker)


def test_each_fill_is_counted_once_as_the_window_slides(snapshots: list[EngineSnapshot]) -> None:
    counter = FillCounter()
    fills = [_fill(n, maker=None if n == 4 else n != 3) for n in range(6)]

    def snapshot(window: list[Fill]) -> EngineSnapshot:
        return replace(snapshots[0], recent_fills=tuple(reversed(window)))  # newest first

    totals = [counter.see(snapshot(fills[: k + 1][-3:])).fill_totals for k in range(6)]
    last = totals[-1]
    assert last is not None
    assert last.fills == 6
    assert (last.maker, last.taker) == (4, 1)  # one fill of unknown role counts in neither
    assert last.volume18 == 6 * 10**16
    assert last.notional6 == 6 * 30_000_000  # 3,000 × 0.01 each
    assert last.fees6 is None
    assert counter.see(snapshot(fills[-3:])).fill_totals == last  # the same window again: nothing new


def test_fees_add_up_over_the_fills_whose_fee_is_known(snapshots: list[EngineSnapshot]) -> None:
    counter = FillCounter()
    fills = [replace(_fill(n), fee6=fee6) for n, fee6 in enumerate((None, 1_500, None, 0, 2_250))]
    seen = [counter.see(replace(snapshots[0], recent_fills=(fill,))).fill_totals for fill in fills]
    assert [t.fees6 if t is not None else "missing" for t in seen] == [None, 1_500, 1_500, 1_500, 3_750]


def test_the_strip_adds_up_the_fleet(snapshots: list[EngineSnapshot]) -> None:
    snapshot = snapshots[-1]
    assert snapshot.fill_totals is not None and snapshot.fill_totals.fills == snapshot.totals.fills
    text = totals_line(snapshot).plain
    realized = sum(w.realized_pnl6 for w in snapshot.wallets) / 10**6
    assert text.startswith(" net ")
    assert f"realized +{realized:.2f}" in text or f"realized {realized:.2f}" in text
    assert f"fills {snapshot.totals.fills} (" in text
    assert " maker, " in text and " taker)" in text
    assert "USDC" in text and text.endswith("fees 0.00")  # the embedded exchange charges none
    paid = replace(snapshot, fill_totals=replace(snapshot.fill_totals, fees6=4_000))
    assert totals_line(paid).plain.endswith("fees <0.01")  # paid, if less than a cent: not 0.00


def test_without_fill_totals_the_strip_says_what_it_does_not_know(snapshots: list[EngineSnapshot]) -> None:
    snapshot = replace(snapshots[-1], fill_totals=None)
    text = totals_line(snapshot).plain
    assert "volume —" in text and "maker" not in text
    flat = replace(snapshots[-1], wallets=(), fill_totals=FillTotals())
    assert "PnL 0.00 (realized 0.00, unrealized 0.00)" in totals_line(flat).plain


def test_each_wallet_shows_its_realized_and_unrealized_split(snapshots: list[EngineSnapshot]) -> None:
    wallet = replace(snapshots[-1].wallets[0], realized_pnl6=1_250_000, unrealized_pnl6=-300_000)
    cells = dict(zip(COLUMN_KEYS, wallet_cells(wallet, snapshots[-1].now), strict=True))
    assert cells["pnl"] == ("+0.95", "green")
    assert cells["realized"] == ("+1.25", "green")
    assert cells["unrealized"] == ("-0.30", "red")


async def test_the_dashboard_shows_the_strip_cut_between_words_at_80_columns(
    snapshots: list[EngineSnapshot],
) -> None:
    app = DashboardApp(fresh_handle(snapshots[-1]))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        strip = app.dashboard.query_one(TotalsStrip)
        shown = strip.render_line(0).text
        assert len(shown) == 80
        assert shown.startswith(" net ") and "PnL" in shown
        assert shown.rstrip().endswith("…")
