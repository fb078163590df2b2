"""The dashboard's pure formatting helpers, without a running app."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from ama_tui.core.market import BookTop, OpenOrder
from ama_tui.core.models import ActionLogLine
from ama_tui.engine.live_params import ParamsChange, ParamsError
from ama_tui.engine.snapshot import EngineSnapshot, EngineState, WalletView
from ama_tui.tui.dashboard.params_editor import (
    current_values,
    describe_change,
    edited_values,
    problems_by_field,
)
from ama_tui.tui.widgets.action_log import (
    entry_matches,
    haystack,
    log_line_text,
    new_journal_lines,
    parse_filter,
)
from ama_tui.tui.widgets.fills_panel import fill_line
from ama_tui.tui.widgets.header_bar import header_lines, state_label
from ama_tui.tui.widgets.ladder import (
    bar_scale,
    build_ladder,
    floor_text,
    ladder_lines,
    level_layout,
    split_room,
)
from ama_tui.tui.widgets.text import (
    amount_fit,
    amount_text,
    clip_words,
    format_hms,
    price_text,
    signed_usdc_fit,
    skip_label,
    split_skip_reason,
    truncate,
    usdc_fit,
    utc_clock,
)
from ama_tui.tui.widgets.util_bar import bar_cells, utilization_cell, utilization_style
from ama_tui.tui.widgets.wallets_table import (
    COLUMN_KEYS,
    STATUS_MIN_WIDTH,
    changed_columns,
    error_cause,
    expiry_cell,
    row_text,
    skip_summary,
    status_cell,
    status_segments,
    status_width_for,
    table_width,
    wallet_cells,
)
from ama_tui.venues.base import BookSnapshot, DepthLevel, Fill

from .dashboard_support import RUN_ID, make_dashboard_rig

TICK6 = 10_000  # 0.01
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
ALICE = "0x00000000000000000000000000000000000000a1"
BOB = "0x00000000000000000000000000000000000000b0"


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> list[EngineSnapshot]:
    rig, snapshots = make_dashboard_rig(tmp_path_factory.mktemp("rig"), cycles=4)
    rig.close()
    return snapshots


def order(trader: str, price: int, is_buy: bool, oid: int = 1) -> OpenOrder:
    return OpenOrder(oid, trader, price, 10**16, is_buy, 0, 1_000_000)


def wallet(nickname: str = "Sim001", address: str = ALICE, **changes: object) -> WalletView:
    base = WalletView(
        index=0,
        nickname=nickname,
        address=address,
        open_buys=6,
        open_sells=5,
        available6=8_801_870_000,
        cap6=7_921_680_000,
        reserved6=1_067_920_000,
        utilization_bps=1_348,
        position18=-43_400_000_000_000_000,
        realized_pnl6=100_000,
        unrealized_pnl6=70_000,
        session_expiry=int(T0) + 3_600,
        last_action_at=None,
        last_error=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# -- text -----------------------------------------------------------------------------------------


def test_durations_clocks_and_truncation() -> None:
    assert format_hms(0) == "0:00:00"
    assert format_hms(3_725.9) == "1:02:05"
    assert format_hms(-5) == "0:00:00"
    assert format_hms(100 * 3600) == "100:00:00"
    assert utc_clock(T0 + 3_723) == "01:02:03"
    assert truncate("short", 10) == "short"
    assert truncate("a much longer message\nwith a newline", 12) == "a much long…"
    assert len(truncate("x" * 50, 12)) == 12


# -- utilization ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bps", "style"),
    [(0, "green"), (6_999, "green"), (7_000, "yellow"), (8_999, "yellow"), (9_000, "red"), (12_000, "red")],
)
def test_utilization_colour_thresholds(bps: int, style: str) -> None:
    assert utilization_style(bps) == style
    assert utilization_cell(bps)[1] == style


def test_utilization_bar_is_proportional_and_clamped() -> None:
    assert bar_cells(0.0, 6) == " " * 6
    assert bar_cells(1.0, 6) == "█" * 6
    assert bar_cells(2.0, 6) == "█" * 6
    assert bar_cells(0.5, 6) == "███   "
    assert bar_cells(1 / 16, 4) == "▎   "
    assert utilization_cell(6_250) == ("███▊    62%", "green")


# -- wallets table ---------------------------------------------------------------------------------


def test_wallet_cells_follow_the_columns() -> None:
    cells = dict(zip(COLUMN_KEYS, wallet_cells(wallet(), T0), strict=True))
    assert cells["wallet"] == ("Sim001", "bold")
    assert cells["orders"] == ("6/5", "")
    assert cells["available"][0] == "8,801.87"
    assert cells["cap"][0] == "7,921.68"
    assert cells["reserved"][0] == "1,067.92"
    assert cells["util"] == utilization_cell(1_348)
    assert cells["position"] == ("-0.0434", "")
    assert cells["pnl"] == ("+0.17", "green")
    assert cells["session"] == ("1:00:00", "")
    assert cells["status"] == ("", "")


def test_wallet_cells_colour_pnl_and_show_the_error_cause() -> None:
    losing = wallet(realized_pnl6=-500_000, unrealized_pnl6=0, last_error="place buy failed: " + "x" * 80)
    cells = dict(zip(COLUMN_KEYS, wallet_cells(losing, T0), strict=True))
    assert cells["pnl"] == ("-0.50", "red")
    assert cells["status"] == ("err: " + "x" * 80, "red")
    flat = dict(zip(COLUMN_KEYS, wallet_cells(wallet(realized_pnl6=0, unrealized_pnl6=0), T0), strict=True))
    assert flat["pnl"] == ("0.00", "dim")


BELOW_MIN = (
    "BELOW_MIN_SIZE: buy level 1: margin 706254055 over the 80982759 left; scaled size "
    "24332055755075942 is below the minimum 50000000000000000 (and 3 more)"
)
RELAY_DOWN = "place sell level 4 failed: 503: relayer circuit breaker open"


def test_skip_reasons_read_as_a_few_words() -> None:
    assert split_skip_reason(BELOW_MIN)[0] == "BELOW_MIN_SIZE"
    assert split_skip_reason("no code here: at all") == ("", "no code here: at all")
    assert skip_label(BELOW_MIN) == "below min size"
    assert skip_label("NO_SESSION: the wallet has no session yet") == "no session"
    assert skip_label("TOP_MOVED: sell at 3006460000 and 1 more not sent") == "top moved"
    assert error_cause(RELAY_DOWN) == "503: relayer circuit breaker open"
    assert error_cause("the exchange failed") == "the exchange failed"


def test_status_shows_the_skip_and_keeps_the_error() -> None:
    assert status_cell(None, None) == ("", "")
    assert status_cell(BELOW_MIN, None) == ("skip: below min size", "yellow")
    assert status_cell(None, RELAY_DOWN) == ("err: 503: relayer circuit breaker open", "red")
    both, style = status_cell(BELOW_MIN, RELAY_DOWN)
    assert both == "skip: below min size · err: 503: relayer circuit breaker open" and style == "yellow"
    wide = status_segments(both, 80)
    assert wide == [
        ("skip: below min size", "yellow"),
        (" · ", "dim"),
        ("err: 503: relayer circuit breaker open", "red"),
    ]
    # narrower: the error keeps whole words only (never `50…` of 503)
    assert "".join(text for text, _ in status_segments(both, 36)) == "skip: below min size · err: 503:…"
    assert "".join(text for text, _ in status_segments(both, 30)) == "skip: below min size · err:…"
    # no room for any of the error: it is still flagged
    assert status_segments(both, 25) == [("skip: below min size", "yellow"), (" +err", "red")]
    assert status_segments(both, STATUS_MIN_WIDTH) == [("skip: below min size", "yellow")]


def test_balances_not_read_yet_show_a_dash_not_zero() -> None:
    from ama_tui.tui.dashboard.wallet_status import wallet_status

    starting = wallet(available6=0, cap6=0, reserved6=0, utilization_bps=0, balances_known=False)
    money = [COLUMN_KEYS.index(key) for key in ("available", "reserved", "cap")]
    cells = wallet_cells(starting, T0)
    assert [cells[i][0] for i in money] == ["—", "—", "—"] and cells[COLUMN_KEYS.index("util")][0] == "—"
    assert "0.00" not in " ".join(cells[i][0] for i in money)
    assert "not read yet" in wallet_status(starting, "0.20").summary
    known = wallet_cells(wallet(), T0)
    assert "—" not in {known[i][0] for i in money}


def test_a_pnl_that_reads_zero_has_one_form() -> None:
    from ama_tui.tui.widgets.text import pnl_style, signed_usdc6, signed_usdc_fit

    for tiny in (0, 3, -3, 4_999, -4_999):
        assert signed_usdc6(tiny) == "0.00" and signed_usdc_fit(tiny, 10).strip() == "0.00"
        assert pnl_style(tiny) == "dim"
    assert (signed_usdc6(10_000), signed_usdc6(-10_000)) == ("+0.01", "-0.01")
    assert (pnl_style(10_000), pnl_style(-10_000)) == ("green", "red")


def test_times_ahead_read_as_a_duration() -> None:
    from ama_tui.tui.widgets.text import in_text

    assert [in_text(s) for s in (-5, 0, 20, 2_700, 86_397, 3 * 86_400)] == [
        "now", "now", "in 1 min", "in 45 min", "in 24 h", "in 3 d"
    ]  # fmt: skip


def test_the_wallets_details_say_how_old_its_error_is() -> None:
    from ama_tui.tui.dashboard.wallet_status import wallet_status
    from ama_tui.tui.widgets.text import ago_text

    assert [ago_text(s) for s in (0, 59, 61, 3_725, 90_000, -3)] == [
        "0 s ago", "59 s ago", "1 min ago", "1 h 2 min ago", "1 d ago", "0 s ago"
    ]  # fmt: skip
    (line,) = wallet_status(wallet(last_error=RELAY_DOWN, last_error_age_s=125.0), "0.20").lines
    assert line.text.endswith("(2 min ago)") and "503" in line.text
    assert wallet_status(wallet(), "0.20").lines == ()  # recovered: no error line


def test_status_takes_the_width_the_panel_leaves() -> None:
    assert status_width_for(0) == STATUS_MIN_WIDTH
    assert table_width(status_width_for(200)) == 200
    cells = wallet_cells(wallet(skip_reason=BELOW_MIN, last_error=RELAY_DOWN), T0)
    line = row_text(cells, 64).plain
    assert len(line) == table_width(64)
    assert line.rstrip().endswith("skip: below min size · err: 503: relayer circuit breaker open")


def test_skip_summary_counts_the_wallets_by_reason() -> None:
    assert skip_summary([wallet(), wallet()]) == ""
    wallets = [
        wallet(skip_reason=BELOW_MIN),
        wallet(skip_reason=BELOW_MIN),
        wallet(skip_reason="NO_SESSION: the wallet has no session yet"),
        wallet(),
    ]
    assert skip_summary(wallets) == "skipping: below min size ×2 · no session"
    many = [wallet(skip_reason=f"{code}: x") for code in ("A_A", "B_B", "C_C", "D_D")]
    assert skip_summary(many) == "skipping: a a · b b · c c · +1 more"


def test_words_and_numbers_are_never_cut_in_two() -> None:
    assert clip_words("short", 10) == "short"
    assert clip_words("margin 706254055 over the 80982759 left", 20) == "margin 706254055…"
    assert clip_words("margin 706254055 over the 80982759 left", 14) == "margin…"
    assert clip_words("706254055 over", 6) == "…"
    assert clip_words("abcdefghij klm", 5) == "abcd…"
    assert clip_words("a b c", 0) == ""


def test_numbers_too_wide_for_their_column_are_shortened_not_cut() -> None:
    assert usdc_fit(8_801_870_000, 9) == "8,801.87"
    assert usdc_fit(1_234_567_890_000, 10) == "1,234,567"
    assert usdc_fit(123_456_789_000_000, 9) == "123,456k"
    assert usdc_fit(1_234_567_890_000_000, 6) == "1,234M"
    assert usdc_fit(1_234_567_890_000_000, 4) == "1.2B"
    assert amount_fit(-1_234_567_800_000_000_000_000, 9) == "-1,234.56"
    assert signed_usdc_fit(123_456_789_000, 9) == "+123,456"
    assert signed_usdc_fit(-500_000, 9) == "-0.50"
    cells = dict(zip(COLUMN_KEYS, wallet_cells(wallet(available6=12_345_678_900_000), T0), strict=True))
    assert cells["available"] == ("12,345,678", "")


def test_floor_text() -> None:
    assert floor_text(0, TICK6) == "floor 0 ticks"
    assert floor_text(540, TICK6) == "floor 540 ticks (5.40)"
    assert floor_text(12_345, 500_000) == "floor 12,345 ticks (6,172.5)"


def test_session_countdown() -> None:
    assert expiry_cell(None, T0) == ("—", "dim")
    assert expiry_cell(int(T0) + 2 * 3600 + 5, T0) == ("2:00:05", "")
    assert expiry_cell(int(T0) + 299, T0) == ("0:04:59", "red")
    assert expiry_cell(int(T0) + 300, T0) == ("0:05:00", "")
    assert expiry_cell(int(T0) - 1, T0) == ("expired", "bold red")


def test_changed_columns_is_the_diff_of_two_rows() -> None:
    before = wallet_cells(wallet(), T0)
    after = wallet_cells(wallet(open_buys=5, utilization_bps=9_100), T0 + 1)
    changed = {COLUMN_KEYS[i] for i in changed_columns(before, after)}
    assert changed == {"orders", "util", "session"}
    assert changed_columns(None, after) == list(range(len(COLUMN_KEYS)))
    assert changed_columns(after, after) == []


# -- ladder ------------------------------------------------------------------------------------------


def _book_snapshot(real: list[EngineSnapshot]) -> EngineSnapshot:
    book = BookSnapshot(
        top=BookTop(best_bid6=99_990_000, best_ask6=100_010_000, mark6=100_000_000, last_trade6=100_020_000),
        bids=tuple(DepthLevel(99_990_000 - i * TICK6, (i + 1) * 10**17, 1) for i in range(5)),
        asks=tuple(DepthLevel(100_010_000 + i * TICK6, (i + 1) * 10**17, 1) for i in range(3)),
    )
    wallets = (
        wallet(orders=(order(ALICE, 99_990_000, True, 1), order(ALICE, 100_020_000, False, 2))),
        wallet(
            "Sim002",
            BOB,
            orders=(order(BOB, 99_990_000, True, 3), order(BOB, 99_990_000, False, 4)),
        ),
    )
    return replace(real[-1], book=book, wallets=wallets)


def test_ladder_is_centred_on_the_spread_with_our_counts(real: list[EngineSnapshot]) -> None:
    snapshot = _book_snapshot(real)
    assert split_room(12) == (5, 5) and split_room(13) == (5, 6) and split_room(1) == (0, 0)
    model = build_ladder(snapshot, 12)
    assert model is not None
    # asks: padded on top (only 3 levels), the best ask last, next to the spread
    assert model.asks[:2] == (None, None)
    assert [lv.price6 for lv in model.asks[2:] if lv] == [100_030_000, 100_020_000, 100_010_000]
    assert [lv.price6 for lv in model.bids if lv] == [99_990_000 - i * TICK6 for i in range(5)]
    # our orders: two buys at the best bid (a sell at the same price does not count on the bid side)
    ours = {(lv.is_bid, lv.price6): lv.ours for lv in (*model.asks, *model.bids) if lv}
    assert ours[(True, 99_990_000)] == 2
    assert ours[(False, 100_020_000)] == 1
    assert ours[(False, 100_010_000)] == 0
    assert model.spread6 == 20_000 and model.mid6 == 100_000_000
    assert model.max_amount18 == 5 * 10**17

    lines = [line.plain for line in ladder_lines(model, 40, TICK6)]
    assert len(lines) == 12
    assert lines[0] == lines[1] == ""
    assert "100.03" in lines[2] and "100.01" in lines[4]
    assert "spread 0.02" in lines[5] and "mid 100.00" in lines[5]
    assert "mark 100.00" in lines[6] and "last 100.02" in lines[6]
    assert lines[7].startswith("●2") and "99.99" in lines[7] and "0.1000" in lines[7]
    assert lines[3].startswith("●1") and "100.02" in lines[3]
    assert not lines[4].startswith("●")
    # the depth bar is proportional to size: the largest level has the longest bar
    assert lines[11].count("█") > lines[7].count("█")
    assert all(len(line) <= 40 for line in lines)


@pytest.mark.parametrize(
    ("amount", "scale"),
    [
        (0, 0),
        (-5, 0),
        (1, 1),
        (2, 2),
        (3, 5),
        (5, 5),
        (6, 10),
        (10, 10),
        (11, 20),
        (4481, 5000),
        (10**18, 10**18),
        (10**18 + 1, 2 * 10**18),
        (5 * 10**17 + 1, 10**18),
    ],
)
def test_bar_scale_rounds_up_to_one_two_or_five(amount: int, scale: int) -> None:
    assert bar_scale(amount) == scale


def test_depth_bars_hold_their_scale_while_other_levels_move(real: list[EngineSnapshot]) -> None:
    """A level's bar changes with its own size, not whenever the largest level on screen does."""
    snapshot = _book_snapshot(real)
    book = snapshot.book
    assert book is not None
    before = ladder_lines(build_ladder(snapshot, 12), 40, TICK6)
    # the largest bid shrinks from 0.5 to 0.45: the largest size changed, the 0.5 scale did not,
    # so only that level's line changes
    smaller = replace(book, bids=(*book.bids[:4], DepthLevel(book.bids[4].price6, 45 * 10**16, 1)))
    after = ladder_lines(build_ladder(replace(snapshot, book=smaller), 12), 40, TICK6)
    assert [y for y, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [11]
    assert after[11].plain.count("█") < before[11].plain.count("█")
    # past the scale (0.5 -> 1.0) every bar is redrawn at about half its length
    bigger = replace(book, bids=(*book.bids[:4], DepthLevel(book.bids[4].price6, 6 * 10**17, 1)))
    rescaled = ladder_lines(build_ladder(replace(snapshot, book=bigger), 12), 40, TICK6)
    assert rescaled[7] != before[7] and rescaled[10] != before[10]
    assert rescaled[10].plain.count("█") < before[10].plain.count("█")


def test_ladder_columns_fit_the_longest_price_and_size(real: list[EngineSnapshot]) -> None:
    """Across the digit and grouping boundaries (999.99 -> 1,000.00), the widest price and size
    shown set the columns, so every level line lines up."""
    prices = [999_990_000, 1_000_000_000, 9_990_000, 99_999_990_000, 100_000_000_000]
    amounts = [9_999 * 10**14, 10**18, 10**22 - 1, 10**22, 123 * 10**16]
    book = BookSnapshot(
        top=BookTop(min(prices), max(prices) + TICK6),
        bids=tuple(DepthLevel(p, a, 1) for p, a in zip(sorted(prices, reverse=True), amounts, strict=True)),
    )
    model = build_ladder(replace(real[-1], book=book), 14)
    assert model is not None
    layout = level_layout(model, 60, TICK6)
    assert layout.price_width == max(len(price_text(p, TICK6)) for p in prices) == len("100,000.00")
    assert layout.size_width == max(len(amount_text(a)) for a in amounts)
    level_lines = [
        line.plain for line in ladder_lines(model, 60, TICK6) if "," in line.plain or "." in line.plain
    ]
    assert len({line.index(".") for line in level_lines if "spread" not in line and "mark" not in line}) == 1


def test_ladder_before_the_first_book_and_with_an_empty_side(real: list[EngineSnapshot]) -> None:
    assert build_ladder(replace(real[-1], book=None), 10) is None
    assert "waiting" in ladder_lines(None, 40, TICK6)[0].plain
    one_sided = replace(
        real[-1], book=BookSnapshot(top=BookTop(99_990_000, 0), bids=(DepthLevel(99_990_000, 10**18),))
    )
    model = build_ladder(one_sided, 6)
    assert model is not None and model.spread6 is None
    lines = [line.plain for line in ladder_lines(model, 40, TICK6)]
    assert "spread —" in lines[2] and "mid —" in lines[2]


def test_ladder_from_a_real_snapshot_marks_every_resting_order_of_ours(real: list[EngineSnapshot]) -> None:
    snapshot = real[-1]
    model = build_ladder(snapshot, 2 + 2 * 25)
    assert model is not None and snapshot.book is not None
    shown = {(lv.is_bid, lv.price6): lv.ours for lv in (*model.asks, *model.bids) if lv}
    ours = [(o.is_buy, o.price6) for w in snapshot.wallets for o in w.orders]
    visible = [key for key in ours if key in shown]
    assert visible, "the rig's orders rest inside the 25 levels"
    assert sum(shown.values()) == len(visible)


# -- header -------------------------------------------------------------------------------------------


def header_text(snapshot: EngineSnapshot, badge: str) -> str:
    first, second = header_lines(snapshot, badge)
    return f"{first.plain}\n{second.plain}"


def test_header_shows_identity_uptime_and_counters(real: list[EngineSnapshot]) -> None:
    snapshot = real[-1]
    text = header_text(snapshot, "SIM")
    assert "ETH-USD" in text and " SIM " in text and "RUNNING" in text
    assert RUN_ID[:8] in text and RUN_ID not in text
    assert f"up {format_hms(snapshot.now - snapshot.started_at)}" in text
    assert f"cycles {snapshot.totals.cycle}" in text and "last 12 ms" in text
    stopped = replace(
        snapshot, state=EngineState.STOPPED, stop_reason="kill switch: 20 consecutive failing cycles"
    )
    assert "STOPPED" in header_text(stopped, "LIVE") and "kill switch" in header_text(stopped, "LIVE")
    noticed = replace(snapshot, notices=("read failed: 503",))
    assert "read failed: 503" in header_text(noticed, "DEVNET")


def test_state_label_shows_pending_requests() -> None:
    assert (
        state_label(EngineState.RUNNING, pause_requested=True, cancel_requested=False) == "RUNNING → pausing"
    )
    assert (
        state_label(EngineState.PAUSED, pause_requested=False, cancel_requested=False) == "PAUSED → resuming"
    )
    assert state_label(EngineState.PAUSED, pause_requested=True, cancel_requested=False) == "PAUSED"
    assert state_label(EngineState.RUNNING, pause_requested=False, cancel_requested=True).endswith(
        "cancel-all"
    )


# -- fills ----------------------------------------------------------------------------------------------


def test_fill_line() -> None:
    fill = Fill("f1", T0 + 5.5, ALICE.upper().replace("0X", "0x"), False, 100_010_000, 29 * 10**15, BOB)
    text = fill_line(fill, {ALICE: "Sim001"}, TICK6).plain
    assert text.split() == ["00:00:05", "Sim001", "SELL", "100.01", "0.0290", "—", "fee", "—"]  # not said
    assert "0x0000…00b0" in fill_line(replace(fill, trader=BOB), {}, TICK6).plain


# -- action log ---------------------------------------------------------------------------------------


def journal_line(
    action: str, *, ts: int = 1_767_225_603_000, nickname: str | None = "Sim001", **kw: object
) -> ActionLogLine:
    return ActionLogLine(
        ts=ts,
        run_id=RUN_ID,
        chain_id=1,
        order_book="0xbook",
        trader=ALICE if nickname else "unknown",
        nickname=nickname,
        action=action,
        **kw,  # type: ignore[arg-type]
    )


def test_log_lines_are_compact() -> None:
    place = journal_line(
        "PLACE_LIMIT",
        params={
            "isBuy": True,
            "price": 100.01,
            "price6": "100010000",
            "amount18": "15000000000000000",
            "level": 2,
        },
    )
    assert log_line_text(place, TICK6).plain == "00:00:03 Sim001  PLACE   BUY 0.0150 @ 100.01 L2"
    # the original tool's lines have only human numbers
    legacy = journal_line(
        "PLACE_LIMIT", params={"isBuy": False, "price": 3.33, "amount": 0.050097652116709426}
    )
    assert log_line_text(legacy, TICK6).plain.endswith("SELL 0.0500 @ 3.33")
    fill = journal_line(
        "FILL",
        params={"isBuy": False, "price6": "100020000", "amount18": "20000000000000000", "isMaker": True},
    )
    assert "FILL    SELL 0.0200 @ 100.02 maker" in log_line_text(fill, TICK6).plain
    cancel = journal_line("CANCEL", params={"orderId": "17", "isBuy": True, "reason": "cancel-all"})
    assert log_line_text(cancel, TICK6).plain.endswith("CANCEL  BUY #17 cancel-all")
    error = journal_line("ERROR", error="place buy level 5 failed: 429 Too Many Requests")
    text = log_line_text(error, TICK6)
    assert text.plain.endswith("ERROR   place buy level 5 failed: 429 Too Many Requests")
    assert ("place buy level 5 failed: 429 Too Many Requests", "red") in text.pieces
    params = journal_line(
        "PARAMS_CHANGED",
        nickname=None,
        params={"before": {"ordersPerSidePerWallet": 6}, "after": {"ordersPerSidePerWallet": 4}},
    )
    assert log_line_text(params, TICK6).plain == "00:00:03 ·       PARAMS  ordersPerSidePerWallet 6→4"
    session = journal_line("SESSION_INIT", params={"expiry": 1_767_312_000})
    # logged at 00:00:03 for the next day's midnight: a clock time alone read as already expired
    assert log_line_text(session, TICK6).plain.endswith("SESSION expires in 24 h (2026-01-02 00:00 UTC)")
    dry = journal_line(
        "DRY_RUN", params={"wouldDo": "PLACE_LIMIT", "isBuy": True, "price6": "100000000", "level": 1}
    )
    assert log_line_text(dry, TICK6).plain.endswith("DRY-RUN would PLACE BUY @ 100.00 L1")
    skip = journal_line(
        "SKIP", params={"reason": "CAP_REACHED", "message": "sell level 3: collateral cap reached"}
    )
    text = log_line_text(skip, TICK6)
    assert text.plain.endswith("SKIP    cap reached: sell level 3: collateral cap reached")
    assert ("SKIP   ", "yellow") in text.pieces
    odd = journal_line("SOMETHING_NEW", params={"a": 1, "b": True})
    assert log_line_text(odd, TICK6).plain.endswith("SOMETHING_NEW a=1 b=true")


def test_log_filter_terms_all_match_nickname_address_or_action() -> None:
    fill = haystack(journal_line("FILL"))
    place = haystack(journal_line("PLACE_LIMIT", nickname="User002"))
    assert parse_filter("  User001   FILL ") == ("user001", "fill")
    assert entry_matches(fill, parse_filter("fill"))
    assert entry_matches(fill, parse_filter("sim001 FILL"))
    assert not entry_matches(fill, parse_filter("sim002 fill"))
    assert entry_matches(place, parse_filter("place_limit"))
    assert entry_matches(place, parse_filter(ALICE[-6:]))  # part of the address
    assert entry_matches(place, parse_filter(""))


def test_new_journal_lines_follow_a_sliding_tail() -> None:
    lines = [journal_line("PLACE_LIMIT", ts=1_000 + i) for i in range(10)]
    assert list(new_journal_lines((), lines[:4])) == lines[:4]
    assert list(new_journal_lines(lines[:4], lines[2:7])) == lines[4:7]
    assert list(new_journal_lines(lines[2:7], lines[2:7])) == []
    # the tail rolled past everything seen before: all of it is new
    assert list(new_journal_lines(lines[:3], lines[5:10])) == lines[5:10]
    # identical lines (same ms, same content): found by identity, nothing skipped or repeated
    same = [journal_line("FILL") for _ in range(3)]
    assert list(new_journal_lines(same[:2], same)) == same[2:]
    # a copied tail (equal, not identical lines) is matched by equality of its last two lines
    copies = [line.model_copy() for line in lines]
    assert list(new_journal_lines(lines[:5], copies[3:8])) == copies[5:8]


def test_journal_lines_from_a_real_run_render(real: list[EngineSnapshot]) -> None:
    snapshot = real[-1]
    assert list(new_journal_lines(real[-2].journal_tail, snapshot.journal_tail))
    for line in snapshot.journal_tail:
        text = log_line_text(line, snapshot.market.tick6).plain
        assert text.startswith(utc_clock(line.ts / 1000))


# -- params editor -----------------------------------------------------------------------------------


def test_params_editor_values_changes_and_problems(real: list[EngineSnapshot]) -> None:
    from ama_tui.engine.live_params import PACKER_PARAM_NAMES, RUN_PARAM_NAMES, LiveParams

    params = LiveParams(real[-1].config, real[-1].packer)
    values = current_values(params.current())
    assert list(values) == [*RUN_PARAM_NAMES, *PACKER_PARAM_NAMES]
    assert values["maxWalletUtilization"] == "0.9" and values["ordersPerSidePerWallet"] == "6"
    assert values["mode"] == "MEAN" and values["sizeMin"] == "0.01"
    edited = {**values, "ordersPerSidePerWallet": " 4 ", "sizeMin": "0.01 "}
    assert edited_values(values, edited) == {"ordersPerSidePerWallet": "4"}

    with pytest.raises(ParamsError) as refused:
        params.update({"maxWalletUtilization": "5", "minDistanceTicks": "500"})
    by_field, general = problems_by_field(refused.value.problems, set(values))
    assert "maxWalletUtilization" in by_field and not general
    by_field, general = problems_by_field(
        {"maxDistanceTicks,minDistanceTicks": "minDistanceTicks must be below maxDistanceTicks", "x": "odd"},
        set(values),
    )
    assert set(by_field) == {"maxDistanceTicks", "minDistanceTicks"} and general == ["x: odd"]
    change = ParamsChange(1, {"ordersPerSidePerWallet": 6}, {"ordersPerSidePerWallet": 4})
    assert describe_change(change) == "ordersPerSidePerWallet 6 → 4"


def test_real_rig_snapshots_are_deterministic(tmp_path: Path, real: list[EngineSnapshot]) -> None:
    """What the dashboard shows of a rig run is the same every time (session ids, which are
    random and never shown, aside)."""
    rig, again = make_dashboard_rig(tmp_path, cycles=4)
    rig.close()
    first, second = real[-1], again[-1]
    assert replace(second, journal_tail=()) == replace(first, journal_tail=())
    tick6 = first.market.tick6
    assert [log_line_text(line, tick6) for line in second.journal_tail] == [
        log_line_text(line, tick6) for line in first.journal_tail
    ]


# -- ladder: our orders far from the spread ---------------------------------------------------------
# The engine keeps every order a safety floor (hundreds of ticks) from the mid: a side folds the
# levels between the spread and ours, places ours beyond the book read from our own orders, and
# sums up what does not fit. (Imported here: this part was appended to the file.)

from typing import Any  # noqa: E402

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ama_tui.tui.widgets.ladder import (  # noqa: E402
    LadderFold,
    LadderLevel,
    LadderMore,
    OurLevelsTracker,
    ladder_specs,
    our_levels,
)
from ama_tui.tui.widgets.ladder_fold import FoldPlan, fold_side  # noqa: E402

from .dashboard_support import DashboardApp, fresh_handle  # noqa: E402

MID6 = 3_000_000_000
FAR_OURS: dict[bool, tuple[int, ...]] = {
    True: (620, 620, 621, 700, 820, 900, 1000, 1000, 1200, 1400),
    False: (655, 656, 760, 760, 905, 1150, 1320),
}
"""Ticks from the mid of each of our orders (buys below, sells above): as a REALISTIC run's."""
BOOK_DEPTH = 25
"""Levels a side of the book snapshot holds (the engine's `depth_levels`)."""


def _flags(length: int, *ours: int) -> list[bool]:
    return [i in ours for i in range(length)]


def _far_orders_snapshot(real: list[EngineSnapshot]) -> EngineSnapshot:
    """A book of others every 40 ticks from 10 ticks off the mid, our orders FAR_OURS ticks off,
    and the book cut to its nearest BOOK_DEPTH levels, as the engine reads it: our nearer levels
    are in it (with others' size), the farther ones beyond it."""
    wallets = real[-1].wallets
    orders: dict[str, list[OpenOrder]] = {w.address: [] for w in wallets}
    oid = 900
    for is_buy, distances in FAR_OURS.items():
        for k, ticks in enumerate(distances):
            trader = wallets[k % len(wallets)].address
            price = MID6 - ticks * TICK6 if is_buy else MID6 + ticks * TICK6
            orders[trader].append(OpenOrder(oid, trader, price, (2 + k) * 10**16, is_buy, 0, 1_000_000))
            oid += 1

    def side(is_buy: bool) -> tuple[DepthLevel, ...]:
        sign = -1 if is_buy else 1
        sizes = {MID6 + sign * (10 + 40 * k) * TICK6: (3 + k % 5) * 10**17 for k in range(30)}
        for trader_orders in orders.values():
            for o in trader_orders:
                if o.is_buy == is_buy:
                    sizes[o.price6] = sizes.get(o.price6, 0) + o.amount18
        nearest = sorted(sizes, key=lambda price: abs(price - MID6))[:BOOK_DEPTH]
        return tuple(DepthLevel(price, sizes[price], 1) for price in nearest)

    book = BookSnapshot(
        top=BookTop(MID6 - 10 * TICK6, MID6 + 10 * TICK6, MID6, MID6), bids=side(True), asks=side(False)
    )
    views = tuple(
        replace(
            w,
            orders=tuple(orders[w.address]),
            open_buys=sum(o.is_buy for o in orders[w.address]),
            open_sells=sum(not o.is_buy for o in orders[w.address]),
        )
        for w in wallets
    )
    return replace(real[-1], book=book, wallets=views, floor_ticks=612, journal_tail=(), recent_fills=())


def test_fold_side_shows_the_nearest_levels_when_ours_fit() -> None:
    assert fold_side(_flags(30), 10) == FoldPlan(tuple(range(10)))
    assert fold_side(_flags(30, 0, 9), 10) == FoldPlan(tuple(range(10)))
    assert fold_side(_flags(5, 4), 10) == FoldPlan(tuple(range(5)))
    assert fold_side(_flags(30, 20), 0) == FoldPlan(())
    assert fold_side([], 10) == FoldPlan(())


def test_fold_side_folds_the_levels_between_the_nearest_and_ours() -> None:
    plan = fold_side(_flags(30, 15, 16, 17), 10)
    assert plan == FoldPlan((0, 1, 2, 3, 4, 5, range(6, 15), 15, 16, 17))
    assert plan.line_count == 10
    # levels of others between ours are folded too, each run in one line
    plan = fold_side(_flags(40, 15, 16, 25, 30), 10)
    assert plan.rows == (0, 1, 2, range(3, 15), 15, 16, range(17, 25), 25, range(26, 30), 30)
    assert plan.first_left_out is None


def test_fold_side_never_folds_a_single_level() -> None:
    """A fold over one level would take the line the level itself takes: the level is shown."""
    plan = fold_side(_flags(30, 12, 14), 10)
    assert plan.rows == (0, 1, 2, 3, 4, 5, range(6, 12), 12, 13, 14)
    # two levels left between: one fold line
    assert fold_side(_flags(30, 11, 12), 12).rows == (*range(9), range(9, 11), 11, 12)


def test_fold_side_sums_up_the_farthest_of_ours_when_they_do_not_fit() -> None:
    ours = _flags(40, *range(20, 30))
    plan = fold_side(ours, 6)
    assert plan == FoldPlan((0, range(1, 20), 20, 21, 22), first_left_out=23)
    assert plan.line_count == 6
    # the summary line comes first, then the best level
    assert fold_side(ours, 1) == FoldPlan((), first_left_out=20)
    assert fold_side(ours, 2) == FoldPlan((0,), first_left_out=20)
    assert fold_side(ours, 3) == FoldPlan((0, 1), first_left_out=20)
    # the best level is ours: shown as ours, then the next of ours
    assert fold_side(_flags(30, 0, 20), 5) == FoldPlan((0, 1, 2, range(3, 20), 20))


@given(st.lists(st.booleans(), max_size=60), st.integers(min_value=0, max_value=40))
def test_fold_side_fills_the_room_and_never_hides_ours(ours: list[bool], room: int) -> None:
    plan = fold_side(ours, room)
    if room == 0:
        assert plan == FoldPlan(())
        return
    # as many lines as an unfolded ladder of these levels
    assert plan.line_count == min(room, len(ours))
    covered: list[int] = []
    for row in plan.rows:
        if isinstance(row, range):
            assert len(row) >= 2, "a single level is shown, not folded"
            assert not any(ours[i] for i in row), "a fold hides a level of ours"
            assert row.stop < len(ours), "a fold stands between two shown levels"
        covered.extend(row if isinstance(row, range) else [row])
    assert covered == list(range(len(covered))), "rows run outward from the spread, without a gap"
    shown_ours = [row for row in plan.rows if isinstance(row, int) and ours[row]]
    all_ours = [i for i, mine in enumerate(ours) if mine]
    if plan.first_left_out is None:
        assert shown_ours == all_ours
    else:
        # the nearest of ours are shown, the rest summed up
        assert shown_ours == [i for i in all_ours if i < plan.first_left_out]
        assert ours[plan.first_left_out] and plan.first_left_out >= len(covered)
    if room >= 2 and ours:
        assert plan.rows[0] == 0, "the best level is always shown"


def test_ladder_folds_so_every_level_of_ours_shows(real: list[EngineSnapshot]) -> None:
    snapshot = _far_orders_snapshot(real)
    assert snapshot.market.tick6 == TICK6
    model = build_ladder(snapshot, 30)
    assert model is not None and len(model.asks) + len(model.bids) == 28
    expected = our_levels(snapshot.wallets)
    shown = {(lv.is_bid, lv.price6): lv.ours for lv in model.levels if lv.ours}
    assert shown == {key: count for key, (count, _) in expected.items()}
    # the best levels still sit next to the spread
    best_ask, best_bid = model.asks[-1], model.bids[0]
    assert isinstance(best_ask, LadderLevel) and best_ask.price6 == MID6 + 10 * TICK6
    assert isinstance(best_bid, LadderLevel) and best_bid.price6 == MID6 - 10 * TICK6
    folds = [row for row in (*model.asks, *model.bids) if isinstance(row, LadderFold)]
    assert folds and all(fold.levels >= 2 for fold in folds)
    assert not any(isinstance(row, LadderMore) for row in (*model.asks, *model.bids))

    lines = [line.plain for line in ladder_lines(model, 42, TICK6)]
    assert len(lines) == 30 and all(len(line) <= 42 for line in lines)
    assert sum(line.startswith("●") for line in lines) == len(expected)
    assert "    ⋮ 12 levels" in lines and "    ⋮ 3+ levels" in lines
    # ours beyond the 25 levels read: our size, and no depth bar but a note
    far = next(line for line in lines if "2,986.00" in line)
    assert far.startswith("●1") and far.endswith("0.1100 depth not read")
    assert "█" not in far and "▏" not in far
    assert lines[14].startswith("─ spread 0.20")


def test_ladder_places_ours_beyond_the_book_from_our_orders(real: list[EngineSnapshot]) -> None:
    snapshot = _far_orders_snapshot(real)
    book = snapshot.book
    assert book is not None
    model = build_ladder(snapshot, 2 * 40)
    assert model is not None
    unread = [lv for lv in model.levels if not lv.read]
    deepest_bid, deepest_ask = book.bids[-1].price6, book.asks[-1].price6
    beyond = {
        price6
        for is_buy, price6 in our_levels(snapshot.wallets)
        if (is_buy and price6 < deepest_bid) or (not is_buy and price6 > deepest_ask)
    }
    assert beyond and {lv.price6 for lv in unread} == beyond
    two = next(lv for lv in unread if lv.price6 == MID6 - 1000 * TICK6)
    mine = [o for w in snapshot.wallets for o in w.orders if o.price6 == two.price6]
    assert two.is_bid and two.ours == two.order_count == 2 == len(mine)
    assert two.amount18 == sum(o.amount18 for o in mine)
    # our own size beyond the book does not rescale the depth bars of the levels read
    assert model.max_amount18 == max(lv.amount18 for lv in model.levels if lv.read)
    first = snapshot.wallets[0]
    whale = replace(order(first.address, MID6 - 5_000 * TICK6, True, 77), amount18=10**22)
    huge = replace(snapshot, wallets=(replace(first, orders=(*first.orders, whale)), *snapshot.wallets[1:]))
    rescaled = build_ladder(huge, 2 * 40)
    assert rescaled is not None and rescaled.max_amount18 == model.max_amount18
    assert any(lv.amount18 == 10**22 and not lv.read for lv in rescaled.levels)


def test_ladder_sums_up_ours_that_do_not_fit(real: list[EngineSnapshot]) -> None:
    snapshot = _far_orders_snapshot(real)
    model = build_ladder(snapshot, 12)
    assert model is not None
    top, bottom = model.asks[0], model.bids[-1]
    assert isinstance(top, LadderMore) and isinstance(bottom, LadderMore)
    shown = {(lv.is_bid, lv.price6) for lv in model.levels if lv.ours}
    for more in (top, bottom):
        hidden = [
            o
            for w in snapshot.wallets
            for o in w.orders
            if o.is_buy == more.is_bid and (o.is_buy, o.price6) not in shown
        ]
        assert more.orders == len(hidden) and more.after_shown
        farthest = min if more.is_bid else max
        assert more.farthest6 == farthest(o.price6 for o in hidden)
    wide = [line.plain for line in ladder_lines(model, 42, TICK6)]
    assert wide[0] == f"● {top.orders} more of ours up to 3,013.20"
    assert wide[-1] == f"● {bottom.orders} more of ours down to 2,986.00"
    narrow = [line.plain for line in ladder_lines(model, 30, TICK6)]
    assert narrow[0] == f"● {top.orders} more up to 3,013.20"
    assert narrow[-1] == f"● {bottom.orders} more down to 2,986.00"
    assert all(len(line) <= 30 for line in narrow)
    assert [line.plain for line in ladder_lines(model, 12, TICK6)][-1] == f"● +{bottom.orders}"
    # no room for any level of ours on a side: the line counts them all
    tiny = build_ladder(snapshot, 6)
    assert tiny is not None
    assert [line.plain for line in ladder_lines(tiny, 42, TICK6)][-1] == (
        f"● {len(FAR_OURS[True])} of ours down to 2,986.00"
    )


def test_ladder_far_from_the_spread_rebuilds_only_the_rows_that_change(real: list[EngineSnapshot]) -> None:
    """The widget caches each rendered line by its key: a change to one far order of ours
    changes that row's key only."""
    snapshot = _far_orders_snapshot(real)
    model = build_ladder(snapshot, 30)
    before = [key for key, _ in ladder_specs(model, 42, TICK6)]
    wallet0 = snapshot.wallets[0]
    far = min((o for o in wallet0.orders if o.is_buy), key=lambda o: o.price6)
    moved = replace(
        snapshot,
        wallets=(
            replace(
                wallet0,
                orders=tuple(
                    replace(o, amount18=o.amount18 + 10**14) if o is far else o for o in wallet0.orders
                ),
            ),
            *snapshot.wallets[1:],
        ),
    )
    after = [key for key, _ in ladder_specs(build_ladder(moved, 30), 42, TICK6)]
    assert len(before) == len(after) == 30
    row = next(
        y
        for y, line in enumerate(ladder_lines(model, 42, TICK6))
        if price_text(far.price6, TICK6) in line.plain
    )
    assert [y for y, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [row]


def test_our_levels_tracker_matches_a_count_from_scratch() -> None:
    tracker = OurLevelsTracker()
    alice = wallet(orders=(order(ALICE, 99_990_000, True, 1), order(ALICE, 100_020_000, False, 2)))
    bob = wallet("Sim002", BOB, orders=(order(BOB, 99_990_000, True, 3),))
    steps = [
        (alice, bob),
        (alice, replace(bob, orders=(*bob.orders, order(BOB, 99_980_000, True, 4)))),
        (replace(alice, orders=()), bob),
        (alice, alice),  # the same address twice: counted from scratch
        (alice, bob),
        (),
    ]
    for wallets in steps:
        assert dict(tracker.update(wallets)) == our_levels(wallets)
    assert our_levels((alice, bob))[(True, 99_990_000)] == (2, 2 * 10**16)


async def _settle_ladder(pilot: Any) -> None:
    await pilot.pause()


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_ladder_with_our_orders_far_from_the_spread(
    snap_compare: Any, real: list[EngineSnapshot], size: tuple[int, int]
) -> None:
    """At 120x40 every level of ours shows, folds between; at 80x24 the farthest are summed up."""
    app = DashboardApp(fresh_handle(_far_orders_snapshot(real)))
    assert snap_compare(app, terminal_size=size, run_before=_settle_ladder)
