"""Sizes that fit the market: the configuration form proposes notional sizes from the market's price
and the wallets' collateral, warns when a cap cannot hold one order of the minimum size, and keeps
working when neither can be read. Plus the help's legend of the wallets panel."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from ama_tui.core.models import PackerParams, RunConfig
from ama_tui.store import derive_wallets
from ama_tui.tui.app import sizes_are_defaults
from ama_tui.tui.app_options import AppOptions
from ama_tui.tui.screens.config import ConfigScreen
from ama_tui.tui.screens.help import CAP_RULE, HelpScreen
from ama_tui.tui.size_advice import (
    MarketFacts,
    WalletFunds,
    full_book_margin6,
    min_order_shortfall,
    propose_sizes,
    read_market_facts,
    round_sizes_down,
    shortfall_text,
)
from ama_tui.venues.base import VenueUnavailable
from ama_tui.wiring import find_market

from .conftest import SEED, build_app, picker_settled, sim_venue, wait_for

BTC6 = 95_000_000_000
"""BTC-USD's price on the embedded exchange (seed 1, at the start)."""
TEN_K6 = 10_000_000_000
"""What the embedded exchange funds a wallet with."""
BTC_TICK6 = 500_000


def btc_facts(*available6: int, price6: int = BTC6) -> MarketFacts:
    wallets = tuple(WalletFunds(f"Sim{i:03d}", a, 0) for i, a in enumerate(available6 or (TEN_K6,) * 3, 1))
    return MarketFacts("BTC-USD", BTC_TICK6, price6, 10_000, wallets)


# -- pure -------------------------------------------------------------------------------------------


def test_round_sizes_down() -> None:
    assert round_sizes_down(0) == []
    assert round_sizes_down(7) == [5, 2, 1]
    assert round_sizes_down(1_333_000_000)[:4] == [1_000_000_000, 500_000_000, 200_000_000, 100_000_000]


def test_proposes_notional_sizes_whose_full_book_fits_the_smallest_cap() -> None:
    packer = PackerParams()  # 6 orders a side, utilization 0.20: a cap of 2,000 USDC on 10,000
    proposal = propose_sizes(btc_facts(), packer)
    assert proposal is not None
    assert (proposal.min_usd, proposal.max_usd) == (Decimal(20), Decimal(100))
    assert proposal.cap6 == 2_000_000_000
    # 6 buys at 100 % margin + 6 sells at 150 %, of 100 USDC each
    assert proposal.full_book6 == full_book_margin6(100_000_000, 6, 10_000) == 1_500_000_000
    # the poorest wallet decides
    poorer = propose_sizes(btc_facts(TEN_K6, 1_000_000_000), packer)
    assert poorer is not None and (poorer.min_usd, poorer.max_usd) == (Decimal(2), Decimal(10))
    # fewer orders a side: bigger orders
    fewer = propose_sizes(btc_facts(), PackerParams(ordersPerSidePerWallet=1))
    assert fewer is not None and fewer.max_usd == Decimal(500)


def test_no_proposal_without_a_price_a_margin_rule_or_collateral() -> None:
    packer = PackerParams()
    assert propose_sizes(btc_facts(price6=0), packer) is None
    assert propose_sizes(MarketFacts("BTC-USD", BTC_TICK6, BTC6, None, btc_facts().wallets), packer) is None
    assert propose_sizes(btc_facts(0, 0), packer) is None
    assert propose_sizes(MarketFacts("BTC-USD", BTC_TICK6, BTC6, 10_000), packer) is None


def test_warns_when_a_cap_cannot_hold_one_order_of_the_minimum_size() -> None:
    packer = PackerParams()
    base_sizes = RunConfig()  # 0.05 BTC at 95,000: a sell holds 7,125 USDC, a buy 4,750
    everyone = min_order_shortfall(btc_facts(), base_sizes, packer)
    assert everyone is not None
    assert everyone.nicknames == ("Sim001", "Sim002", "Sim003") and everyone.checked == 3
    assert (everyone.sell_margin6, everyone.buy_margin6) == (7_125_000_000, 4_750_000_000)
    text = shortfall_text(everyone, btc_facts())
    assert text == (
        "⚠ The caps of all 3 wallets (lowest 2,000.00 USDC) cannot hold one order of the minimum size: "
        "a sell of 0.0500 at 95,000.0 holds 7,125.00, a buy 4,750.00. "
        "Lower the sizes or raise maxWalletUtilization."
    )
    # a rich wallet is fine; only the others are named
    some = min_order_shortfall(btc_facts(TEN_K6, 40 * TEN_K6, TEN_K6), base_sizes, packer)
    assert some is not None and some.nicknames == ("Sim001", "Sim003")
    assert "2 of 3 wallets' caps (Sim001, Sim003; lowest 2,000.00 USDC)" in shortfall_text(some, btc_facts())
    one = min_order_shortfall(btc_facts(), base_sizes, packer, count=1)
    assert one is not None and shortfall_text(one, btc_facts()).startswith("⚠ Sim001's cap (2,000.00 USDC)")
    # notional sizes that fit: no warning
    notional = RunConfig(sizeMinUsd=20, sizeMaxUsd=100)
    assert min_order_shortfall(btc_facts(), notional, packer) is None
    # a cap too small even for 20 USDC (30 USDC of margin for a sell)
    assert min_order_shortfall(btc_facts(100_000_000), notional, packer) is not None
    # nothing to say without a price
    assert min_order_shortfall(btc_facts(price6=0), base_sizes, packer) is None


def test_reads_the_market_and_the_wallets_through_the_venue() -> None:
    venue = sim_venue()
    row, _ = find_market(venue, "BTC-USD")
    fleet = list(derive_wallets(SEED, 2))
    facts = read_market_facts(venue, row, fleet)
    assert facts.complete and not facts.problems
    assert facts.price6 == BTC6 and facts.margin_bps == 10_000 and facts.tick6 == BTC_TICK6
    assert facts.wallets == (WalletFunds("Sim001", TEN_K6, 0), WalletFunds("Sim002", TEN_K6, 0))
    venue.close()


class DownVenue:
    """The market is listed, but the book and the collateral cannot be read."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.kind = inner.kind
        self.clock = inner.clock

    def book(self, order_book: str, levels: int = 10) -> Any:
        raise VenueUnavailable("502: book timed out")

    def available_collateral(self, traders: Any) -> Any:
        raise VenueUnavailable("connection refused")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_unreadable_facts_are_noted_not_raised() -> None:
    venue = sim_venue()
    row, _ = find_market(venue, "BTC-USD")
    facts = read_market_facts(DownVenue(venue), row, list(derive_wallets(SEED, 1)))  # type: ignore[arg-type]
    assert not facts.complete and facts.price6 == 0 and facts.wallets == ()
    assert facts.problems == (
        "the price (502: book timed out)",
        "the wallets' collateral (connection refused)",
    )
    venue.close()


def test_sizes_are_proposed_only_when_nobody_chose_them() -> None:
    assert sizes_are_defaults(RunConfig())
    assert not sizes_are_defaults(RunConfig(sizeMin="0.01"))
    assert not sizes_are_defaults(RunConfig(sizeMinUsd=5, sizeMaxUsd=10))


# -- the form in the app ------------------------------------------------------------------------------


async def _form_for(pilot: Pilot[Any], symbol: str) -> ConfigScreen:
    await picker_settled(pilot)
    await pilot.press(*symbol.lower(), "enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfigScreen))
    form = pilot.app.screen
    assert isinstance(form, ConfigScreen)
    await wait_for(pilot, lambda: form.facts_read)
    await pilot.pause()
    return form


def _field(form: ConfigScreen, name: str) -> Input:
    return form.query_one(f"#field-{name}", Input)


async def test_form_proposes_notional_sizes_for_a_high_priced_market(app_options: AppOptions) -> None:
    app = build_app(app_options)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await _form_for(pilot, "btc")
        assert _field(form, "sizeMinUsd").value == "20" and _field(form, "sizeMaxUsd").value == "100"
        assert form.advice == (
            "BTC-USD at 95,000.0 · cap 2,000.00 USDC a wallet\n"
            "Proposed sizes 20–100 USDC: 6 buys + 6 sells of 100 hold 1,500.00 of the cap."
        )
        assert form.warning == "" and not form.query_one("#config-warning").has_class("-shown")
        result = form._validate()
        assert result is not None and result.config.sizes_in_usd
        assert (result.config.size_min_usd, result.config.size_max_usd) == (Decimal(20), Decimal(100))

        # back to base units: 0.05 BTC is far too big for a 2,000 USDC cap — said, not blocked
        _field(form, "sizeMinUsd").value = ""
        _field(form, "sizeMaxUsd").value = ""
        await pilot.pause()
        assert form.problems == {}
        assert form.warning.startswith("⚠ The caps of all 3 wallets (lowest 2,000.00 USDC) cannot hold")
        box = form.query_one("#config-warning")
        assert box.has_class("-shown")
        assert "Lower the sizes or raise maxWalletUtilization." in str(box.render())
        assert not form.query_one("#start", Button).disabled

        # the warning follows the typing: a small enough base size clears it
        _field(form, "sizeMin").value = "0.002"
        await pilot.pause()
        assert form.warning == ""
        # and the utilization: 0.02 of 10,000 cannot hold a 0.002 BTC sell (285.00 USDC)
        _field(form, "maxWalletUtilization").value = "0.02"
        await pilot.pause()
        assert "lowest 200.00 USDC" in form.warning
        assert form.advice.startswith("BTC-USD at 95,000.0 · cap 200.00 USDC a wallet\n")
        await pilot.press("escape")


async def test_bad_size_input_is_explained_next_to_the_right_fields(app_options: AppOptions) -> None:
    app = build_app(app_options)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await _form_for(pilot, "eth")
        _field(form, "sizeMaxUsd").value = ""
        await pilot.pause()
        together = "the min USDC size and the max USDC size go together: set both or neither"
        assert form.problems == {"sizeMinUsd": together, "sizeMaxUsd": together}
        assert str(form.query_one("#error-sizeMaxUsd").render()) == together
        assert form.query_one("#start", Button).disabled

        _field(form, "sizeMaxUsd").value = "10"
        _field(form, "sizeMinUsd").value = "50"
        await pilot.pause()
        reversed_sizes = "the min USDC size must not exceed the max USDC size"
        assert form.problems == {"sizeMinUsd": reversed_sizes, "sizeMaxUsd": reversed_sizes}

        _field(form, "sizeMinUsd").value = "."
        await pilot.pause()
        assert form.problems == {"sizeMinUsd": "not a number"}
        assert form.warning == "", "no warning about sizes that are not valid"

        _field(form, "sizeMinUsd").value = "5"
        _field(form, "sizeMin").value = "0.5"
        await pilot.pause()
        assert form.problems == {
            "sizeMin": "the min size must not exceed the max size",
            "sizeMax": "the min size must not exceed the max size",
        }
        await pilot.press("escape")


async def test_form_works_when_nothing_can_be_read(app_options: AppOptions) -> None:
    app = build_app(app_options, venue=DownVenue(sim_venue()))
    async with app.run_test(size=(80, 24)) as pilot:
        form = await _form_for(pilot, "eth")
        assert form.advice == (
            "No size proposal: could not read the price (502: book timed out) and the wallets' "
            "collateral (connection refused)."
        )
        assert _field(form, "sizeMinUsd").value == "" and form.warning == ""
        assert form.problems == {} and not form.query_one("#start", Button).disabled
        await pilot.press("escape")


class FormApp(App[None]):
    CSS_PATH = Path(__file__).parents[2] / "ama_tui" / "tui" / "app.tcss"

    def __init__(self, screen: ConfigScreen) -> None:
        super().__init__()
        self.form = screen

    def on_mount(self) -> None:
        self.push_screen(self.form)


def _form(**options: Any) -> ConfigScreen:
    return ConfigScreen(
        title="BTC-USD · resume run x",
        config=RunConfig(),
        packer=PackerParams(),
        wallets=3,
        max_wallets=3,
        cursor_blink=False,
        **options,
    )


async def test_a_resumed_run_keeps_its_sizes_and_is_only_told() -> None:
    form = _form(read_facts=btc_facts, propose=False)
    async with FormApp(form).run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: form.facts_read)
        await pilot.pause()
        assert _field(form, "sizeMinUsd").value == "" and _field(form, "sizeMaxUsd").value == ""
        assert "Suggested sizes (the run keeps its own) 20–100 USDC" in form.advice
        assert form.warning.startswith("⚠ The caps of all 3 wallets")


async def test_sizes_typed_before_the_facts_arrive_are_kept() -> None:
    form = _form(read_facts=btc_facts)
    form.values["sizeMinUsd"], form.values["sizeMaxUsd"] = "1", "2"
    async with FormApp(form).run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: form.facts_read)
        await pilot.pause()
        assert (_field(form, "sizeMinUsd").value, _field(form, "sizeMaxUsd").value) == ("1", "2")
        assert "Suggested sizes" in form.advice


async def test_a_reader_that_crashes_is_a_line_on_the_form() -> None:
    def broken() -> MarketFacts:
        raise RuntimeError("boom")

    form = _form(read_facts=broken)
    async with FormApp(form).run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: form.facts_read)
        await pilot.pause()
        assert form.advice == "No size proposal: could not read the market (RuntimeError: boom)."
        assert form.problems == {}


# -- help ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_help_defines_the_wallet_columns_the_cap_and_the_floor(
    app_options: AppOptions, size: tuple[int, int]
) -> None:
    app = build_app(app_options)
    async with app.run_test(size=size) as pilot:
        await picker_settled(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = "\n".join(str(widget.render()) for widget in app.screen.query(Static))
        assert CAP_RULE in text
        assert CAP_RULE == (
            "Cap = maxWalletUtilization × (free collateral + margin held by our open orders); "
            "Util = margin held by our open orders / Cap."
        )
        for column in ("Wallet", "B/S", "Util", "Available", "Reserved", "Cap", "Status"):
            assert f"{column:>16}" in text
        assert "a sell 150% of its notional" in text
        assert "safetySigmas × σ × √latency" in text
        # the legend is at the end of the help: it can be scrolled to at 80x24 too
        body = app.screen.query_one("#help-body")
        body.scroll_end(animate=False)
        await pilot.pause()
        hint = app.screen.query_one("#help-hint")
        assert hint.region.bottom <= app.size.height
        assert body.max_scroll_y == 0 or body.scroll_y == body.max_scroll_y
