from __future__ import annotations

import pytest

from ama_tui.protocol.methods import (
    ALL_METHODS,
    METHOD_BITS,
    MethodBit,
    TradeMethod,
    combine,
    method_bit,
    methods_bitmap,
    methods_of,
    parse_methods_bitmap,
)


def test_api_names_and_bits() -> None:
    assert [m.value for m in TradeMethod] == [
        "sessionPlaceLimit",
        "sessionPlaceMarginLimit",
        "sessionPlaceMarket",
        "sessionPlaceMarginMarket",
        "sessionModifyOrder",
        "sessionCancelOrder",
    ]
    assert [int(METHOD_BITS[m]) for m in TradeMethod] == [1, 2, 4, 8, 16, 32]
    assert method_bit("sessionCancelOrder") is MethodBit.CANCEL_ORDER
    assert int(ALL_METHODS) == 0x3F


def test_bitmap_is_left_padded_bytes32() -> None:
    assert methods_bitmap(ALL_METHODS) == "0x" + "0" * 62 + "3f"
    assert methods_bitmap([TradeMethod.PLACE_MARGIN_LIMIT, "sessionCancelOrder"]) == "0x" + "0" * 62 + "22"
    assert methods_bitmap(MethodBit(0)) == "0x" + "0" * 64
    assert methods_bitmap(TradeMethod.MODIFY_ORDER) == "0x" + "0" * 62 + "10"


@pytest.mark.parametrize("bits", [MethodBit(value) for value in (0, 1, 0x15, 0x2A, 0x3F)])
def test_bitmap_round_trips(bits: MethodBit) -> None:
    assert parse_methods_bitmap(methods_bitmap(bits)) == bits
    assert combine(methods_of(bits)) == bits


def test_bad_bitmaps_and_names() -> None:
    with pytest.raises(ValueError, match="undefined bits"):
        parse_methods_bitmap("0x" + "0" * 62 + "40")
    with pytest.raises(ValueError, match="64 hex digits"):
        parse_methods_bitmap("0x3f")
    with pytest.raises(ValueError, match="unknown trade method"):
        method_bit("sessionWithdraw")
    with pytest.raises(TypeError):
        combine(63)  # type: ignore[arg-type]
