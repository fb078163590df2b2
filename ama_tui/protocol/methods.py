"""The six gasless trade methods: their API names and their bits in a permit's `methodsBitmap`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import IntFlag, StrEnum
from types import MappingProxyType
from typing import Final, TypeAlias

BYTES32_HEX: Final = re.compile(r"^0x[0-9a-fA-F]{64}$")
"""`0x` + 64 hex digits (a bytes32 value); shared by the protocol modules."""


class TradeMethod(StrEnum):
    """The `method` of `POST /api/gasless/trade` (also the OrderBook function it calls)."""

    PLACE_LIMIT = "sessionPlaceLimit"
    PLACE_MARGIN_LIMIT = "sessionPlaceMarginLimit"
    PLACE_MARKET = "sessionPlaceMarket"
    PLACE_MARGIN_MARKET = "sessionPlaceMarginMarket"
    MODIFY_ORDER = "sessionModifyOrder"
    CANCEL_ORDER = "sessionCancelOrder"


class MethodBit(IntFlag):
    """A method's bit in the registry's `methodsBitmap` (bit 0 = placeLimit ... bit 5 = cancel)."""

    PLACE_LIMIT = 1 << 0
    PLACE_MARGIN_LIMIT = 1 << 1
    PLACE_MARKET = 1 << 2
    PLACE_MARGIN_MARKET = 1 << 3
    MODIFY_ORDER = 1 << 4
    CANCEL_ORDER = 1 << 5


ALL_METHODS: Final[MethodBit] = (
    MethodBit.PLACE_LIMIT
    | MethodBit.PLACE_MARGIN_LIMIT
    | MethodBit.PLACE_MARKET
    | MethodBit.PLACE_MARGIN_MARKET
    | MethodBit.MODIFY_ORDER
    | MethodBit.CANCEL_ORDER
)
"""Every method the registry knows (bitmap `0x…3f`)."""

METHOD_BITS: Final[Mapping[TradeMethod, MethodBit]] = MappingProxyType(
    {method: MethodBit[method.name] for method in TradeMethod}
)
"""Each API method name -> its bit."""


def method_bit(method: TradeMethod | str) -> MethodBit:
    """The bit of one method, given as a `TradeMethod` or its API name."""
    try:
        return METHOD_BITS[TradeMethod(method)]
    except ValueError:
        raise ValueError(f"unknown trade method {method!r}; expected one of {list(TradeMethod)}") from None


Methods: TypeAlias = MethodBit | TradeMethod | str | Iterable[TradeMethod | MethodBit | str]
"""What callers may give for a set of methods: a flag, one method, or any mix of both."""


def combine(methods: Methods) -> MethodBit:
    """One `MethodBit` from a flag, a method / API name, or any iterable mix of those."""
    if isinstance(methods, MethodBit):
        return methods
    if isinstance(methods, int):
        raise TypeError("give methods as MethodBit flags or method names, not a bare int")
    if isinstance(methods, str):
        return method_bit(methods)
    bits = MethodBit(0)
    for item in methods:
        bits |= item if isinstance(item, MethodBit) else method_bit(item)
    return bits


def methods_bitmap(bits: Methods) -> str:
    """The permit's `methodsBitmap`: the bits' integer as left-padded bytes32 hex (`0x` + 64 digits)."""
    return "0x" + format(int(combine(bits)), "064x")


def parse_methods_bitmap(bitmap: str) -> MethodBit:
    """The inverse of `methods_bitmap`; rejects malformed hex and bits the registry does not define."""
    if not isinstance(bitmap, str) or not BYTES32_HEX.match(bitmap):
        raise ValueError("methods bitmap must be 0x followed by 64 hex digits (bytes32)")
    value = int(bitmap, 16)
    unknown = value & ~int(ALL_METHODS)
    if unknown:
        raise ValueError(f"methods bitmap has undefined bits {hex(unknown)} (only bits 0-5 are methods)")
    return MethodBit(value)


def methods_of(bits: MethodBit) -> tuple[TradeMethod, ...]:
    """The API method names a bitmap allows, in bit order."""
    return tuple(method for method, bit in METHOD_BITS.items() if bit in bits)
