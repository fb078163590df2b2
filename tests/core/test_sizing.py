"""Order sizes as a quote notional: one default fits a $0.25 asset and a $60,000 one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from ama_tui.core.models import RunConfig
from ama_tui.core.sizing import amount18_for_notional, size_range18


def test_base_sizes_are_used_unless_a_notional_is_set() -> None:
    config = RunConfig()
    assert size_range18(config, 4_500_000) == (config.size_min18, config.size_max18)
    assert size_range18(config, 0) == (config.size_min18, config.size_max18)


def test_a_notional_is_converted_at_the_anchor() -> None:
    config = RunConfig.model_validate({"sizeMinUsd": 10, "sizeMaxUsd": 50})
    # 10 USDC at 60,000 -> 0.000166666666666666 BTC; at 0.25 -> 40 units
    assert size_range18(config, 60_000_000_000) == (166_666_666_666_666, 833_333_333_333_333)
    assert size_range18(config, 250_000) == (40 * 10**18, 200 * 10**18)
    assert size_range18(config, 0) is None  # no price: no size


def test_notional_conversion_floors_and_never_reaches_zero() -> None:
    assert amount18_for_notional(1, 10**15) == 1_000
    assert amount18_for_notional(1, 10**19) == 1
    assert amount18_for_notional(3_000_000, 3_000_000) == 10**18
    with pytest.raises(ValueError):
        amount18_for_notional(1, 0)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"sizeMinUsd": 10}, "set both or neither"),
        ({"sizeMinUsd": 50, "sizeMaxUsd": 10}, "must not exceed"),
        ({"sizeMinUsd": "0.0000001", "sizeMaxUsd": 1}, "below one micro-USDC"),
        ({"sizeMinUsd": -1, "sizeMaxUsd": 1}, "greater than 0"),
    ],
)
def test_bad_notionals_are_refused_with_a_clear_message(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RunConfig.model_validate(fields)


def test_notional_fields_round_trip_and_are_absent_when_unset() -> None:
    assert "sizeMinUsd" not in RunConfig().to_json_dict()
    config = RunConfig.model_validate({"sizeMinUsd": "12.5", "sizeMaxUsd": 40})
    assert config.size_min_usd == Decimal("12.5")
    assert RunConfig.model_validate(config.to_json_dict()) == config
