"""The fills panel (issue 16): each fill says whether it made or took the liquidity and which
order of ours it filled; the title keeps the run's running totals."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ama_tui.engine.snapshot import EngineSnapshot, FillTotals
from ama_tui.tui.widgets.fills_panel import (
    FillsPanel,
    fee_text,
    fees_total_text,
    fill_line,
    role_text,
    totals_title,
)
from ama_tui.tui.widgets.text import amount_text, usdc_text
from ama_tui.venues.base import Fill

from .dashboard_support import DashboardApp, fresh_handle, make_dashboard_rig, screen_text

TICK6 = 10_000
T0 = 1_767_225_600.0
ALICE = "0x00000000000000000000000000000000000000a1"


@pytest.fixture(scope="module")
def last(tmp_path_factory: pytest.TempPathFactory) -> EngineSnapshot:
    rig, snapshots = make_dashboard_rig(tmp_path_factory.mktemp("rig"), cycles=6, preset="GRADUAL_FILLS")
    rig.close()
    return snapshots[-1]


def _fill(**changes: object) -> Fill:
    base = Fill("f1", T0 + 5, ALICE, True, 3_000_070_000, 74 * 10**14, "0xb0", order_id=156, is_maker=True)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_fill_line_says_maker_or_taker_its_fee_and_the_order_it_filled() -> None:
    maker = fill_line(_fill(fee6=11_100), {ALICE: "Sim001"}, TICK6).plain
    assert maker.split() == [
        "00:00:05",
        "Sim001",
        "BUY",
        "3,000.07",
        "0.0074",
        "maker",
        "fee",
        "0.0111",
        "#156",
    ]
    taker = fill_line(
        _fill(is_maker=False, is_buy=False, order_id=None, fee6=0), {ALICE: "Sim001"}, TICK6
    ).plain
    assert taker.split() == ["00:00:05", "Sim001", "SELL", "3,000.07", "0.0074", "taker", "fee", "0"]
    # a fee the venue did not say is unknown, not zero
    assert fill_line(_fill(), {ALICE: "Sim001"}, TICK6).plain.split()[5:] == ["maker", "fee", "—", "#156"]
    # the role lines up whatever the venue said
    unknown = fill_line(_fill(is_maker=None), {ALICE: "Sim001"}, TICK6).plain
    assert unknown.index("—") == maker.index("maker") == taker.index("taker")
    assert role_text(None)[0].strip() == "—" and len(role_text(None)[0]) == len("maker")


def test_a_narrow_panel_gets_the_role_in_one_letter_and_cuts_no_number() -> None:
    """At 80 columns the panel is 46 wide: the role still shows beside the size; the order id,
    then the fee, are left out where they do not fit whole."""
    fill = _fill(fee6=1_500_000)
    full = fill_line(fill, {ALICE: "Sim001"}, TICK6)
    assert fill_line(fill, {ALICE: "Sim001"}, TICK6, width=len(full.plain)) == full
    short = fill_line(fill, {ALICE: "Sim001"}, TICK6, width=len(full.plain) - 1).plain
    assert short.split()[5:] == ["M", "fee", "1.5", "#156"]
    no_order = fill_line(fill, {ALICE: "Sim001"}, TICK6, width=len(short) - 1).plain
    assert no_order.split()[5:] == ["M", "fee", "1.5"]
    narrow = fill_line(fill, {ALICE: "Sim001"}, TICK6, width=46).plain
    assert narrow.split() == ["00:00:05", "Sim001", "BUY", "3,000.07", "0.0074", "M"]
    assert len(narrow) <= 46
    taker = fill_line(_fill(is_maker=False), {ALICE: "Sim001"}, TICK6, width=46).plain
    assert taker.split()[5] == "T"


def test_fee_texts_are_exact_and_totals_never_read_zero_when_paid() -> None:
    assert [fee_text(v) for v in (None, 0, 1, 11_100, 1_234_567_891)] == [
        "—",
        "0",
        "0.000001",
        "0.0111",
        "1,234.567891",
    ]
    assert [fees_total_text(v) for v in (None, 0, 4_000, 12_345, 1_250_000)] == [
        "—",
        "0.00",
        "<0.01",
        "0.01",
        "1.25",
    ]


def test_the_title_keeps_the_running_totals() -> None:
    totals = FillTotals(fills=76, volume18=20_307 * 10**14, notional6=6_092_870_000, maker=70, taker=6)
    assert totals_title(76, totals) == "Fills 76 · 70 maker 6 taker · 2.0307 = 6,092.87 USDC · fees —"
    assert totals_title(76, replace(totals, fees6=1_250_000)).endswith("fees 1.25")
    assert totals_title(12, None) == "Fills (12)"  # not added up: the count only


async def test_the_panel_shows_roles_orders_and_totals(last: EngineSnapshot) -> None:
    totals = last.fill_totals
    assert totals is not None and totals.fills > 0
    app = DashboardApp(fresh_handle(last))
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        panel = app.dashboard.query_one(FillsPanel)
        assert panel.border_title == totals_title(last.totals.fills, totals)
        assert f"{amount_text(totals.volume18)} = {usdc_text(totals.notional6)} USDC" in str(
            panel.border_title
        )
        newest = last.recent_fills[0]
        assert newest.order_id is not None and newest.is_maker is not None
        text = screen_text(app)
        assert f"#{newest.order_id}" in text
        assert ("maker" if newest.is_maker else "taker") in text
        # the embedded exchange charges no fee: each fill and the total say 0, not "unknown"
        assert newest.fee6 == 0 and totals.fees6 == 0
        assert f"{'maker' if newest.is_maker else 'taker'} fee 0 #{newest.order_id}" in text
        assert str(panel.border_title).endswith("fees 0.00")
