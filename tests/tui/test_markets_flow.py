"""Several markets in one run from the dashboard (issue 17 item 1): mark two markets on the picker,
give their weights on the form (bad ones are said in plain words, the split is shown), start, see
the fleet overview and a tab per market, switch between them, quit: both checkpoints saved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Button, Input, Label, Static

from ama_tui.core.models import MarketCheckpoint
from ama_tui.engine.snapshot import EngineState
from ama_tui.tui.app import AmaApp, Phase
from ama_tui.tui.app_options import AppOptions
from ama_tui.tui.dashboard import ParamsEditor
from ama_tui.tui.markets.market_dashboard import MarketDashboardScreen
from ama_tui.tui.markets.overview import FleetOverviewScreen
from ama_tui.tui.markets_run import MarketHandles
from ama_tui.tui.screens.cleared import MarketsClearedScreen
from ama_tui.tui.screens.config import MARKETS_NOTE, ConfigScreen
from ama_tui.tui.screens.confirm import ConfirmScreen
from ama_tui.tui.screens.help import HelpScreen
from ama_tui.tui.screens.picker import MARK, PickerScreen
from ama_tui.tui.screens.resume import ResumeScreen

from .conftest import build_app, picker_settled, wait_for
from .dashboard_support import screen_text

MARKETS = ("ETH-USD", "BTC-USD")


async def mark_two(pilot: Pilot[Any]) -> PickerScreen:
    """Search each market, mark it with ctrl+space, clear the search."""
    await picker_settled(pilot)
    picker = pilot.app.screen
    assert isinstance(picker, PickerScreen)
    search = picker.query_one("#search", Input)
    for symbol in MARKETS:
        search.value = symbol
        await pilot.pause()
        assert picker.visible_rows()[0].symbol == symbol
        await pilot.press("ctrl+space")
    search.value = ""
    await pilot.pause()
    return picker


async def to_form(pilot: Pilot[Any]) -> ConfigScreen:
    app = pilot.app
    await mark_two(pilot)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfigScreen))
    form = app.screen
    assert isinstance(form, ConfigScreen)
    await wait_for(pilot, lambda: form.facts_read)
    return form


def fill(form: ConfigScreen, **values: str) -> None:
    for name, value in values.items():
        form.query_one(f"#field-{name}", Input).value = value


async def test_ctrl_space_marks_markets_and_enter_starts_with_them(app_options: AppOptions) -> None:
    app = build_app(app_options)
    async with app.run_test(size=(120, 40)) as pilot:
        picker = await mark_two(pilot)
        assert [row.symbol for row in picker.marked] == list(MARKETS)
        status = str(picker.query_one("#markets-status", Static).render())
        assert "marked: ETH-USD, BTC-USD" in status
        table = picker.query_one("#markets")
        marks = {row.symbol: table.get_cell(row.market_address.lower(), "mark") for row in picker.rows}  # type: ignore[attr-defined]
        assert {s for s, m in marks.items() if m == MARK} == set(MARKETS)
        # insert unmarks the highlighted one (the search left the first row highlighted), and
        # what a terminal sends for ctrl+space without the kitty protocol marks it again
        search = picker.query_one("#search", Input)
        search.value = "BTC-USD"
        await pilot.pause()
        await pilot.press("insert")
        assert [row.symbol for row in picker.marked] == ["ETH-USD"]
        assert search.value == "BTC-USD"
        await pilot.press("ctrl+@")
        assert [row.symbol for row in picker.marked] == list(MARKETS)
        await pilot.press("enter")  # the marked ones, in the order they were marked
        await wait_for(pilot, lambda: isinstance(app.screen, ConfigScreen))
        assert app.screen.markets == MARKETS  # type: ignore[attr-defined]
        assert app.held_markets is not None and app.held_markets.symbols == MARKETS


async def test_space_is_typed_once_the_search_holds_text_and_marks_in_an_empty_one(
    app_options: AppOptions,
) -> None:
    app = build_app(app_options)
    async with app.run_test(size=(120, 40)) as pilot:
        await picker_settled(pilot)
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        search = picker.query_one("#search", Input)
        await pilot.press(*"eth usd")  # two words, typed key by key
        assert search.value == "eth usd"
        assert [row.symbol for row in picker.visible_rows()] == ["ETH-USD"]
        assert picker.marked == []  # the space was typed, nothing marked
        status = str(picker.query_one("#markets-status", Static).render())
        assert "1 of 5 active markets match 'eth usd'" in status
        await pilot.press("ctrl+space")  # marking is still a key away
        assert [row.symbol for row in picker.marked] == ["ETH-USD"]

        search.value = ""
        await pilot.pause()
        await pilot.press(*"natural gas")  # a name's two words
        assert [row.symbol for row in picker.visible_rows()] == ["HENRY-HUB-PRICE"]
        await pilot.press("space", "z")  # a space after a word: typed too (no market has a z)
        assert search.value == "natural gas z" and picker.visible_rows() == []

        # in an empty search space marks the highlighted market (a search never starts with one)
        search.value = ""
        await pilot.pause()
        await pilot.press("down", "space")
        assert search.value == ""
        assert [row.symbol for row in picker.marked] == ["ETH-USD", picker.visible_rows()[1].symbol]
        await pilot.press("space")
        assert [row.symbol for row in picker.marked] == ["ETH-USD"]


async def test_bad_weights_get_plain_messages_and_the_split_is_shown(app_options: AppOptions) -> None:
    app = build_app(app_options)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await to_form(pilot)
        # one set of values for every market, each market's own later on its tab
        note = str(form.query_one("#config-markets-note", Static).render())
        assert note == MARKETS_NOTE and "apply to every market" in note and "market's tab" in note
        fill(form, maxWalletUtilization="0.4")
        fill(form, **{"weight-0": "abc", "weight-1": "-2"})
        await pilot.pause()
        assert form.weight_problems == {
            "weight-0": "not a number",
            "weight-1": "a positive number (1 for an equal share)",
        }
        assert str(form.query_one("#error-weight-0", Label).render()) == "not a number"
        assert form.query_one("#start", Button).disabled
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form  # nothing starts
        # a weight whose share is under the packer's least is refused with the plan's words
        fill(form, **{"weight-0": "100", "weight-1": "1"})
        await pilot.pause()
        assert "under the 2 % a run needs" in form.split_line
        assert form.query_one("#start", Button).disabled
        fill(form, **{"weight-0": "3", "weight-1": "1"})
        await pilot.pause()
        assert form.weight_problems == {} and form.split_holds
        assert "ETH-USD 0.3 (weight 3) · BTC-USD 0.1 (weight 1)" in form.split_line
        assert not form.query_one("#start", Button).disabled
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen))
        assert app.held_markets is None  # both locks given back


def _checkpoints(state_dir: Path) -> dict[str, MarketCheckpoint]:
    found = [MarketCheckpoint.model_validate_json(p.read_text()) for p in state_dir.rglob("checkpoint.json")]
    return {c.market.symbol: c for c in found}


async def test_two_markets_run_with_tabs_and_an_overview_then_quit(app_options: AppOptions) -> None:
    app = build_app(app_options)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await to_form(pilot)
        fill(form, maxWalletUtilization="0.4", minDelayMs="50", maxDelayMs="100")
        fill(form, **{"weight-0": "3"})
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, FleetOverviewScreen), timeout=30)
        markets = app.markets
        assert markets is not None and markets.split is not None
        assert markets.split.shares == {"ETH-USD": 3000, "BTC-USD": 1000}
        await wait_for(
            pilot,
            lambda: (
                all(h.latest is not None and h.latest.totals.placed > 0 for h in markets.handles)
                and len(markets.handles) == 2
            ),
            timeout=30,
        )
        overview = app.screen
        assert isinstance(overview, FleetOverviewScreen)
        overview.refresh_figures()
        table = overview.query_one("#overview-markets")
        assert table.get_cell("ETH-USD", "share") == "0.3"  # type: ignore[attr-defined]
        assert table.get_cell("BTC-USD", "state") == "running"  # type: ignore[attr-defined]

        # tabs: 1 and 2 by number, ] and [ in turn, 0 the overview
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, MarketDashboardScreen))
        assert app.screen.handle.latest.market.symbol == "ETH-USD"  # type: ignore[attr-defined]
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: getattr(app.screen, "tab", 0) == 2)
        await wait_for(pilot, lambda: app.screen.snapshot is not None)  # type: ignore[attr-defined]
        assert app.screen.snapshot.market.symbol == "BTC-USD"  # type: ignore[attr-defined]
        await pilot.press("right_square_bracket")  # after the last: the overview
        await wait_for(pilot, lambda: app.screen is overview)
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: getattr(app.screen, "tab", 0) == 2)
        await pilot.press("0")
        await wait_for(pilot, lambda: app.screen is overview)

        # help lists the tab keys
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        titles = [str(s.render()) for s in app.screen.query(".help-section").results(Static)]
        assert "Several markets: tabs" in titles
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is overview)

        await pilot.press("q")
        await wait_for(pilot, lambda: app.return_code is not None, timeout=30)
    assert app.return_code == 0
    saved = _checkpoints(app_options.state_dir)
    assert set(saved) == set(MARKETS)
    for symbol, share in (("ETH-USD", "0.3"), ("BTC-USD", "0.1")):
        checkpoint = saved[symbol]
        assert str(checkpoint.packer_params.max_wallet_utilization) == share
        assert (checkpoint.model_extra or {})["multiMarket"]["markets"] == list(MARKETS)
        journal = (app_options.state_dir / str(checkpoint.chain_id) / checkpoint.order_book.lower()).glob(
            "*.jsonl"
        )
        lines = [json.loads(line) for path in journal for line in path.read_text().splitlines() if line]
        assert lines[-1]["action"] == "RUN_STOP"
    summary = app.exit_summary()
    assert summary is not None and "ETH-USD" in summary and "BTC-USD" in summary


async def _start_two(pilot: Pilot[Any], **values: str) -> None:
    app = pilot.app
    form = await to_form(pilot)
    fill(form, **values)
    await pilot.pause()
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: isinstance(app.screen, FleetOverviewScreen), timeout=30)


async def test_resume_two_markets_keeps_their_runs_weights_and_total(app_options: AppOptions) -> None:
    app = build_app(app_options)
    async with app.run_test(size=(120, 40)) as pilot:
        await _start_two(
            pilot, maxWalletUtilization="0.4", minDelayMs="50", maxDelayMs="100", **{"weight-0": "3"}
        )
        markets = app.markets
        assert markets is not None
        await wait_for(
            pilot,
            lambda: len(markets.handles) == 2 and all(h.latest is not None for h in markets.handles),
        )
        await pilot.press("q")
        await wait_for(pilot, lambda: app.return_code is not None, timeout=30)
    first = {s: c.run.run_id for s, c in _checkpoints(app_options.state_dir).items()}

    again = build_app(app_options, run_id=None)
    async with again.run_test(size=(120, 40)) as pilot:
        await mark_two(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(again.screen, ResumeScreen))
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(again.screen, ConfigScreen))
        form = again.screen
        assert isinstance(form, ConfigScreen)
        # the weights and the wallets' total as the run kept them (its checkpoints hold each share)
        assert form.weight_values == {"weight-0": "3", "weight-1": "1"}
        assert form.values["maxWalletUtilization"] == "0.4"
        await pilot.pause()
        assert "ETH-USD 0.3 (weight 3) · BTC-USD 0.1 (weight 1)" in form.split_line
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(again.screen, FleetOverviewScreen), timeout=30)
        await pilot.press("q")
        await wait_for(pilot, lambda: again.return_code is not None, timeout=30)
    assert again.return_code == 0
    resumed = _checkpoints(app_options.state_dir)
    assert {s: c.run.run_id for s, c in resumed.items()} == first
    assert str(resumed["ETH-USD"].packer_params.max_wallet_utilization) == "0.3"


async def _cancel_all_in_a_tab(
    pilot: Pilot[Any], *, eth_orders_per_side: int | None = None
) -> tuple[MarketHandles, FleetOverviewScreen]:
    """Start two markets, wait for orders in both, (give ETH-USD its own orders per side on its
    tab,) then `x` and yes on the second's tab: the overview is shown while every market cancels,
    then the way back is offered over it."""
    app = pilot.app
    assert isinstance(app, AmaApp)
    await _start_two(pilot, maxWalletUtilization="0.4", minDelayMs="50", maxDelayMs="100")
    markets = app.markets
    assert markets is not None
    overview = app.screen
    assert isinstance(overview, FleetOverviewScreen)
    await wait_for(
        pilot,
        lambda: (
            len(markets.handles) == 2
            and all(h.latest is not None and h.latest.totals.placed > 0 for h in markets.handles)
        ),
        timeout=30,
    )
    if eth_orders_per_side is not None:
        await pilot.press("1", "e")
        await wait_for(pilot, lambda: isinstance(app.screen, ParamsEditor))
        app.screen.query_one("#param-ordersPerSidePerWallet", Input).value = str(eth_orders_per_side)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, MarketDashboardScreen))
        eth = markets.handle("ETH-USD")
        assert eth is not None
        await wait_for(  # the engine took it (and its checkpoint keeps it)
            pilot,
            lambda: (
                (latest := eth.latest) is not None and latest.packer.orders_per_side == eth_orders_per_side
            ),
            timeout=30,
        )
    await pilot.press("2")
    await wait_for(pilot, lambda: getattr(app.screen, "tab", 0) == 2)
    await pilot.press("x")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
    await pilot.press("y")
    await wait_for(pilot, lambda: isinstance(app.screen, MarketsClearedScreen), timeout=30)
    assert app.phase is Phase.CLEARED
    assert app.screen_stack[-2] is overview  # each market's progress was shown side by side
    assert markets.cancel_all_requested
    for handle in markets.handles:  # both markets carried it out, not only the tab's
        latest = handle.latest
        assert latest is not None and latest.totals.cancelled > 0
        assert latest.stop_reason == "cancelled all orders and stopped"
        assert sum(done for _, done, _ in latest.cancel_progress) > 0
    return markets, overview


def _cancel_all_reasons(state_dir: Path) -> None:
    for checkpoint in _checkpoints(state_dir).values():
        folder = state_dir / str(checkpoint.chain_id) / checkpoint.order_book.lower()
        lines = [
            json.loads(line) for path in folder.glob("*.jsonl") for line in path.read_text().splitlines()
        ]
        reasons = [line.get("params", {}).get("reason") for line in lines if line["action"] == "CANCEL_ORDER"]
        assert "cancel-all" in reasons, checkpoint.market.symbol


def _journal(state_dir: Path, symbol: str) -> list[dict[str, Any]]:
    checkpoint = _checkpoints(state_dir)[symbol]
    folder = state_dir / str(checkpoint.chain_id) / checkpoint.order_book.lower()
    return [json.loads(line) for path in folder.glob("*.jsonl") for line in path.read_text().splitlines()]


async def test_cancel_all_in_a_tab_then_keep_every_market_running_paused(app_options: AppOptions) -> None:
    # an exchange that refuses no cancel (REALISTIC refuses one in fifty: the order stays, and the
    # dialog says so), so that the books are empty of our orders once kept running
    app = build_app(app_options, preset="NO_FILLS")
    async with app.run_test(size=(120, 40)) as pilot:
        first, _ = await _cancel_all_in_a_tab(pilot, eth_orders_per_side=2)
        progress = {s: h.latest.cancel_progress for s in MARKETS if (h := first.handle(s)) and h.latest}
        run_ids = {s: h.latest.run_id for s in MARKETS if (h := first.handle(s)) and h.latest}
        done = {s: sum(d for _, d, _ in p) for s, p in progress.items()}
        of = {s: sum(t for _, _, t in p) for s, p in progress.items()}
        shown = screen_text(app)
        if done == of:
            assert f"Cancel-all done in 2 markets: {sum(of.values())} orders cancelled" in shown
        else:  # a cancel the exchange refused is said, not hidden
            left = sum(of.values()) - sum(done.values())
            assert f"Cancel-all stopped with {left} of {sum(of.values())} orders still resting" in shown
        for symbol in MARKETS:
            assert f"{symbol}: {done[symbol]} of {of[symbol]} orders cancelled" in shown
        assert "Keep running (k)" in shown and "Markets (m)" in shown
        assert "cancelled in every market" in (app.markets_summary or "")

        await pilot.press("k")
        await wait_for(
            pilot,
            lambda: app.phase is Phase.RUNNING and isinstance(app.screen, FleetOverviewScreen),
            timeout=30,
        )
        markets = app.markets
        assert markets is not None and markets is not first
        assert markets.split is not None and markets.split.weights == first.split.weights  # type: ignore[union-attr]
        await wait_for(
            pilot,
            lambda: (
                len(markets.handles) == 2
                and all(
                    (latest := h.latest) is not None and latest.totals.cycle >= 2 for h in markets.handles
                )
            ),
            timeout=30,
        )
        for symbol in MARKETS:  # the same runs, resumed paused, their books empty of our orders
            handle = markets.handle(symbol)
            assert handle is not None and handle.params.paused
            packer = handle.params.current().packer
            assert str(packer.max_wallet_utilization) == "0.2"  # its share of the wallets' 0.4
            # each market with its own parameters: ETH-USD's edit on its tab is kept
            assert (packer.orders_per_side == 2) is (symbol == "ETH-USD"), symbol
            latest = handle.latest
            assert latest is not None and latest.state is EngineState.PAUSED
            assert latest.run_id == run_ids[symbol]
            assert latest.totals.placed == 0
            assert all(w.open_buys + w.open_sells == 0 for w in latest.wallets)
        overview = app.screen
        assert isinstance(overview, FleetOverviewScreen)
        overview.refresh_figures()
        assert overview.query_one("#overview-markets").get_cell("ETH-USD", "state") == "paused"  # type: ignore[attr-defined]

        # p on one market's tab quotes that market again; the other stays paused
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, MarketDashboardScreen))
        await pilot.press("p")
        eth, btc = markets.handle("ETH-USD"), markets.handle("BTC-USD")
        assert eth is not None and btc is not None
        await wait_for(
            pilot, lambda: (latest := eth.latest) is not None and latest.totals.placed > 0, timeout=30
        )
        assert btc.params.paused and btc.latest is not None and btc.latest.totals.placed == 0
        await pilot.press("q")
        await wait_for(pilot, lambda: app.return_code is not None, timeout=30)
    assert app.return_code == 0
    _cancel_all_reasons(app_options.state_dir)
    for symbol in MARKETS:
        actions = [line["action"] for line in _journal(app_options.state_dir, symbol)]
        restarted = len(actions) - actions[::-1].index("RUN_START") - 1
        assert "PAUSE" in actions[restarted:], symbol
        assert actions[-1] == "RUN_STOP"
    btc_actions = [line["action"] for line in _journal(app_options.state_dir, "BTC-USD")]
    assert "PLACE_LIMIT" not in btc_actions[len(btc_actions) - btc_actions[::-1].index("RUN_START") :]


async def test_cancel_all_in_a_tab_then_back_to_the_markets(app_options: AppOptions) -> None:
    app = build_app(app_options)
    async with app.run_test(size=(120, 40)) as pilot:
        await _cancel_all_in_a_tab(pilot)
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen))
        assert app.phase is Phase.PICKING and app.tabs is None
        # every market's lock was given back: both open again, on their saved runs
        await mark_two(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ResumeScreen))
        assert app.phase is Phase.PREPARING
        await pilot.press("q")
        await wait_for(pilot, lambda: app.return_code is not None, timeout=30)
    assert app.return_code == 0
    _cancel_all_reasons(app_options.state_dir)
