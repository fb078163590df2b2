"""Exact units, the contract's margin formula, and the state-folder models."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ama_tui.core.margin import (
    SELL_MARGIN_BPS,
    estimate_margin6,
    margin_on_notional6,
    notional6,
    reserved_margin6,
)
from ama_tui.core.market import OpenOrder
from ama_tui.core.models import (
    ActionKind,
    ActionLogLine,
    MarketCheckpoint,
    MarketRef,
    PackerParams,
    RunConfig,
)
from ama_tui.core.units import (
    MAX_PRICE6,
    UnitError,
    amount18,
    amount_human,
    format_amount18,
    format_price6,
    format_usdc6,
    from_units,
    price6,
    price_human,
    tick_decimals,
    to_decimal,
    to_json_number,
    to_units,
    usdc6,
)
from tests.conftest import TS_STATE_FIXTURE

CHECKPOINT = TS_STATE_FIXTURE / "999/0x4e5d6f497fcf4070a8d87a5abb019f83e16c64bb/checkpoint.json"


# --- units -----------------------------------------------------------------------------------


def test_float_noise_never_leaks_into_price6() -> None:
    assert 4.52 + 0.0000000000000005 == 4.5200000000000005  # the float the original tool wrote
    assert price6(4.5200000000000005) == 4_520_000
    assert format_price6(4_520_000) == "4.52"
    assert format_price6(price6(4.5200000000000005), 10_000) == "4.52"
    assert price6(0.1 + 0.2) == 300_000  # 0.30000000000000004


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("4.52", 4_520_000),
        (4.52, 4_520_000),
        (Decimal("0.000001"), 1),
        (7, 7_000_000),
        ("1_000.5", 1_000_500_000),
        (" 2.25 ", 2_250_000),
        ("0.0000005", 0),  # half-to-even: 0.5 units -> 0
        ("0.0000015", 2),  # 1.5 units -> 2
        ("0.0000025", 2),  # 2.5 units -> 2
        ("-1.5", -1_500_000),
    ],
)
def test_price6_conversions(value: Any, expected: int) -> None:
    assert price6(value) == expected


def test_amount18_and_usdc6_are_exact() -> None:
    assert amount18("0.05") == 50_000_000_000_000_000
    assert amount18(0.25) == 250_000_000_000_000_000
    assert amount18("123456789.123456789123456789") == 123456789_123456789123456789
    assert usdc6("1000") == 1_000_000_000
    assert usdc6(0.1) == 100_000
    assert usdc6("1e3") == 1_000_000_000


def test_exact_mode_rejects_extra_places() -> None:
    assert price6("4.123456", exact=True) == 4_123_456
    with pytest.raises(UnitError, match="more than 6 decimal places"):
        price6("4.1234567", exact=True)
    with pytest.raises(UnitError):
        amount18("0.0000000000000000001", exact=True)


@pytest.mark.parametrize("bad", ["", "abc", "nan", "inf", "-Infinity", True, None, [1]])
def test_bad_human_values_raise_unit_error(bad: Any) -> None:
    with pytest.raises(UnitError):
        to_decimal(bad)


def test_from_units_and_human_values() -> None:
    assert price_human(4_520_000) == Decimal("4.52")
    assert amount_human(1) == Decimal("1E-18")
    assert from_units(123, 2) == Decimal("1.23")
    assert amount_human(10**18 * 3) == 3


@given(st.integers(min_value=-(10**30), max_value=10**30), st.sampled_from([0, 2, 6, 18]))
@settings(max_examples=300)
def test_units_round_trip_through_decimal_and_string(units: int, decimals: int) -> None:
    human = from_units(units, decimals)
    assert to_units(human, decimals, exact=True) == units
    assert to_units(str(human), decimals, exact=True) == units


@given(st.integers(min_value=0, max_value=MAX_PRICE6))
@settings(max_examples=300)
def test_price6_survives_the_float_json_round_trip(value6: int) -> None:
    """What we write (`to_json_number`) and read back (`price6`) is the same integer when the
    float can hold six decimals: below 2**33 (about 8.6 billion) a float's spacing is at most
    2**-20 < 1e-6, so distinct prices stay distinct floats and the shortest repr rounds back.
    (Above that, e.g. 9,007,199,254.740931, neighbouring micro-units share a float.)"""
    written = to_json_number(price_human(value6))
    if value6 < 2**33 * 10**6:
        assert price6(written) == value6
    else:
        assert abs(price6(written) - value6) <= value6 // 2**52


@pytest.mark.parametrize(
    ("tick6", "places"),
    [(1, 6), (10, 5), (10_000, 2), (5_000, 3), (1_000_000, 0), (5_000_000, 0), (10**9, 0), (250_000, 2)],
)
def test_tick_decimals(tick6: int, places: int) -> None:
    assert tick_decimals(tick6) == places


def test_tick_decimals_rejects_non_positive_ticks() -> None:
    with pytest.raises(UnitError):
        tick_decimals(0)


def test_formatting() -> None:
    assert format_price6(1_234_567_891, 10_000) == "1,234.56"  # rounds toward zero
    assert format_price6(1_234_567_891, 1) == "1,234.567891"
    assert format_price6(1_234_567_891, 1, grouping=False) == "1234.567891"
    assert format_price6(5_000_000, 5_000_000) == "5"
    assert format_price6(-1_500_000) == "-1.50"
    assert format_usdc6(1_000_000_000) == "1,000.00"
    assert format_usdc6(1_999_999) == "1.99"
    assert format_amount18(amount18("0.123456789")) == "0.1234"
    assert format_amount18(amount18("0.5"), 2) == "0.50"
    assert format_price6(MAX_PRICE6, 10**9) == "1,000,000,000,000"


def test_to_json_number_writes_the_shortest_number() -> None:
    assert to_json_number(Decimal("4.52")) == 4.52
    assert repr(to_json_number(Decimal("4.5200"))) == "4.52"
    assert to_json_number(Decimal("100.000")) == 100
    assert isinstance(to_json_number(Decimal("100.000")), int)
    assert to_json_number(Decimal("0")) == 0
    assert to_json_number(Decimal("1E-7")) == 1e-7
    # more than Decimal's default 28 digits: integers stay exact
    assert to_json_number(Decimal("12345678901234567890123456789012")) == 12345678901234567890123456789012


# --- margin ----------------------------------------------------------------------------------


def test_margin_formula_by_hand() -> None:
    # 0.2 units at 4.39: notional 0.878 USDC = 878_000 usdc6
    assert notional6(4_390_000, amount18("0.2")) == 878_000
    # buys reserve the market's margin (10 % here): 87_800
    assert estimate_margin6(4_390_000, amount18("0.2"), True, 1_000) == 87_800
    # sells always reserve 150 %: 1_317_000
    assert estimate_margin6(4_390_000, amount18("0.2"), False, 1_000) == 1_317_000
    assert SELL_MARGIN_BPS == 15_000
    # floors twice, like the contract: 1 unit at 0.000001 -> notional 0
    assert notional6(1, 1) == 0
    # 0.333...3 units (18 threes) at 3 -> notional 0.999999 (floored), 10 % -> 99_999 (floored)
    assert notional6(3_000_000, 333_333_333_333_333_333) == 999_999
    assert estimate_margin6(3_000_000, 333_333_333_333_333_333, True, 1_000) == 99_999
    assert estimate_margin6(3_000_000, 333_333_333_333_333_333, False, 1_000) == 1_499_998


@given(
    st.integers(min_value=1, max_value=MAX_PRICE6),
    st.integers(min_value=0, max_value=10**30),
    st.booleans(),
    st.integers(min_value=0, max_value=100_000),
)
@settings(max_examples=300)
def test_margin_is_the_floored_exact_fraction(price: int, amount: int, is_buy: bool, bps: int) -> None:
    margin = estimate_margin6(price, amount, is_buy, bps)
    used_bps = bps if is_buy else SELL_MARGIN_BPS
    exact_notional = Fraction(amount * price, 10**18)
    assert margin >= 0
    assert margin * 10_000 <= notional6(price, amount) * used_bps < (margin + 1) * 10_000
    assert notional6(price, amount) <= exact_notional < notional6(price, amount) + 1
    # monotone in the amount: more never reserves less
    assert estimate_margin6(price, amount + 10**18, is_buy, bps) >= margin


def test_margin_on_notional_by_hand() -> None:
    # 878_000 usdc6 notional: a buy at 10 % reserves 87_800, a sell always 150 % -> 1_317_000
    assert margin_on_notional6(878_000, True, 1_000) == 87_800
    assert margin_on_notional6(878_000, False, 1_000) == 1_317_000
    # floored: 999_999 * 10 % = 99_999.9 -> 99_999
    assert margin_on_notional6(999_999, True, 1_000) == 99_999
    assert margin_on_notional6(0, False, 1_000) == 0
    # the same rule estimate_margin6 applies after flooring the notional
    assert margin_on_notional6(notional6(4_390_000, amount18("0.2")), True, 1_000) == estimate_margin6(
        4_390_000, amount18("0.2"), True, 1_000
    )


def test_reserved_margin_counts_only_margin_orders() -> None:
    def order(order_id: int, margin6: int, is_margin_order: bool) -> OpenOrder:
        return OpenOrder(
            order_id=order_id,
            trader="0xabc",
            price6=1_000_000,
            amount18=10**18,
            is_buy=True,
            timestamp=0,
            margin_required6=margin6,
            is_margin_order=is_margin_order,
        )

    assert reserved_margin6([]) == 0
    assert reserved_margin6([order(1, 100, True), order(2, 250, True), order(3, 7_000, False)]) == 350
    assert reserved_margin6(iter([order(4, 5, False)])) == 0


# --- models ----------------------------------------------------------------------------------


PACKER_KEYS = ("ordersPerSidePerWallet", "maxWalletUtilization", "minDistanceTicks", "maxDistanceTicks")
"""The planner's parameters; other knobs (kill switches) may sit beside them in `packer`."""


def test_packer_params_defaults() -> None:
    params = PackerParams()
    assert params.orders_per_side == 6
    assert params.max_wallet_utilization == Decimal("0.20")
    assert params.utilization_bps == 2_000
    assert params.min_distance_ticks == 10
    assert params.max_distance_ticks == 120


@pytest.mark.parametrize(
    ("util", "bps"),
    [
        (0.02, 200),
        ("0.9", 9_000),
        (0.2, 2_000),
        (0.33335, 3_334),
        ("0.12345", 1_234),
        (0.30000000000000004, 3_000),
    ],
)
def test_utilization_bps_is_the_rounded_fraction(util: Any, bps: int) -> None:
    assert PackerParams(maxWalletUtilization=util).utilization_bps == bps


@pytest.mark.parametrize(
    "fields",
    [
        {"maxWalletUtilization": 0.019},
        {"maxWalletUtilization": 0.91},
        {"maxWalletUtilization": -0.2},
        {"ordersPerSidePerWallet": 0},
        {"ordersPerSidePerWallet": 51},
        {"minDistanceTicks": 0},
        {"minDistanceTicks": 120, "maxDistanceTicks": 120},
        {"minDistanceTicks": 130},
        {"maxDistanceTicks": 1_000_001},
    ],
)
def test_packer_params_bounds(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        PackerParams.model_validate(fields)


def test_packer_params_edges_are_allowed_and_serialize_with_original_names() -> None:
    params = PackerParams.model_validate(
        {
            "ordersPerSidePerWallet": 50,
            "maxWalletUtilization": 0.9,
            "minDistanceTicks": 1,
            "maxDistanceTicks": 2,
        }
    )
    assert params.utilization_bps == 9_000
    saved = params.to_json_dict()
    assert {key: saved[key] for key in PACKER_KEYS} == {
        "ordersPerSidePerWallet": 50,
        "maxWalletUtilization": 0.9,
        "minDistanceTicks": 1,
        "maxDistanceTicks": 2,
    }
    assert PackerParams.model_validate(saved) == params
    low = PackerParams(max_wallet_utilization=Decimal("0.02"))
    assert low.utilization_bps == 200


def test_packer_params_are_frozen() -> None:
    params = PackerParams()
    with pytest.raises(ValidationError):
        params.orders_per_side = 3  # type: ignore[misc]


def test_run_config_defaults_and_sizes() -> None:
    config = RunConfig()
    assert (config.min_delay_ms, config.max_delay_ms) == (250, 1200)
    assert config.size_min18 == 50_000_000_000_000_000
    assert config.size_max18 == 250_000_000_000_000_000
    noisy = RunConfig.model_validate({"sizeMin": 0.1 + 0.2, "sizeMax": 0.5})
    assert noisy.size_min18 == 300_000_000_000_000_040  # 0.30000000000000004 read exactly
    assert noisy.to_json_dict()["sizeMin"] == 0.30000000000000004


@pytest.mark.parametrize(
    "fields",
    [
        {"minDelayMs": 500, "maxDelayMs": 100},
        {"minDelayMs": -1},
        {"maxDelayMs": 3_600_001},
        {"sizeMin": 0.5, "sizeMax": 0.25},
        {"sizeMin": 0},
        {"sizeMin": -0.1},
        {"sizeMin": "1e-19"},
        {"maxOpenOrdersPerMaker": -1},
        {"sizeMin": "abc"},
    ],
)
def test_run_config_validation(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        RunConfig.model_validate(fields)


def test_market_ref_tick() -> None:
    ref = MarketRef.model_validate(
        {
            "symbol": "X",
            "market_address": "0xabc",
            "market_id_bytes32": "0x01",
            "chain_id": 999,
            "tick_size": 0.01,
        }
    )
    assert ref.tick6 == 10_000
    for bad in (0, -0.01, "0.0000004"):
        with pytest.raises(ValidationError):
            MarketRef.model_validate({**ref.to_json_dict(), "tick_size": bad})


def _fixture() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CHECKPOINT.read_text())
    return data


def test_checkpoint_fixture_round_trips_to_the_same_dict() -> None:
    raw = _fixture()
    checkpoint = MarketCheckpoint.model_validate(raw)
    assert checkpoint.to_json_dict() == raw
    assert json.loads(checkpoint.model_dump_json(by_alias=True, exclude_none=True)) == raw
    # and what it read is what the original meant
    assert checkpoint.market.tick6 == 10_000
    assert checkpoint.config.size_min18 == amount18("0.05")
    assert checkpoint.order_book == "0x4e5D6F497fCf4070A8d87A5Abb019f83E16c64bb"
    assert len(checkpoint.wallets) == 10
    assert checkpoint.wallets["0x724cbe7b515dab1ce4b0e262990d2e3c47c6ca36"].nickname == "User001"
    assert checkpoint.packer is None
    assert checkpoint.packer_params == PackerParams()


def test_checkpoint_keeps_unknown_fields_and_lowercases_wallets() -> None:
    raw = _fixture()
    raw["futureField"] = {"a": 1}
    raw["config"]["somethingNew"] = 3
    raw["wallets"] = {"0xABCDEF": {"nickname": "Up", "extra": True}}
    raw["packer"] = {"ordersPerSidePerWallet": 4, "maxWalletUtilization": 0.3}
    out = MarketCheckpoint.model_validate(raw).to_json_dict()
    assert out["futureField"] == {"a": 1}
    assert out["config"]["somethingNew"] == 3
    assert out["wallets"] == {"0xabcdef": {"nickname": "Up", "role": "MAKER", "extra": True}}
    assert {key: out["packer"][key] for key in PACKER_KEYS} == {
        "ordersPerSidePerWallet": 4,
        "maxWalletUtilization": 0.3,
        "minDistanceTicks": 10,
        "maxDistanceTicks": 120,
    }


def test_action_log_line_keeps_unknown_actions() -> None:
    line = ActionLogLine.model_validate(
        {"ts": 1, "runId": "r", "chainId": 999, "orderBook": "0x1", "action": "SOMETHING_NEW"}
    )
    assert line.action == "SOMETHING_NEW"
    assert line.to_json_dict() == {
        "ts": 1,
        "runId": "r",
        "chainId": 999,
        "orderBook": "0x1",
        "trader": "unknown",
        "action": "SOMETHING_NEW",
    }
    assert ActionKind("PLACE_LIMIT") is ActionKind.PLACE_LIMIT


@pytest.mark.parametrize("value6", [2**33 * 10**6 - 1, 8_589_934_591_999_999, 4_520_000, 1])
def test_price6_float_round_trip_at_the_edge(value6: int) -> None:
    assert price6(to_json_number(price_human(value6))) == value6
