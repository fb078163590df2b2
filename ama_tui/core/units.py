"""Exact conversions between human values and the exchange's integers.

On the wire and in every decision the packer makes, money is an integer: prices are `price6`
(6 decimals), amounts are `amount18` (18 decimals), collateral is `usdc6` (6 decimals).
Human values (typed by a user, read from JSON written by the original tool, shown on screen)
go through `Decimal` exactly once, here. A float is read through its shortest `repr`, so the
original tool's `4.5200000000000005` becomes `Decimal("4.5200000000000005")` and then rounds
to the nearest representable integer unit instead of leaking binary noise.
"""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext
from typing import Final

PRICE_DECIMALS: Final = 6
AMOUNT_DECIMALS: Final = 18
USDC_DECIMALS: Final = 6

PRICE_SCALE: Final = 10**PRICE_DECIMALS
AMOUNT_SCALE: Final = 10**AMOUNT_DECIMALS
USDC_SCALE: Final = 10**USDC_DECIMALS

MAX_PRICE6: Final = 10**18
"""The packer never quotes above this (a trillion dollars a unit); it keeps sums far inside uint256."""

HumanNumber = Decimal | int | float | str


class UnitError(ValueError):
    """A human value that cannot be turned into an exchange integer."""


def to_decimal(value: HumanNumber) -> Decimal:
    """Read a human number exactly: floats through their shortest repr, strings as written."""
    if isinstance(value, bool):
        raise UnitError(f"expected a number, got a boolean ({value!r})")
    try:
        if isinstance(value, Decimal):
            result = value
        elif isinstance(value, int):
            result = Decimal(value)
        elif isinstance(value, float):
            result = Decimal(repr(value))
        elif isinstance(value, str):
            result = Decimal(value.strip().replace("_", ""))
        else:
            raise UnitError(f"expected a number, got {type(value).__name__}")
    except InvalidOperation as exc:
        raise UnitError(f"not a number: {value!r}") from exc
    if not result.is_finite():
        raise UnitError(f"not a finite number: {value!r}")
    return result


def to_units(value: HumanNumber, decimals: int, *, exact: bool = False) -> int:
    """Scale a human number to an integer with `decimals` places.

    With `exact=True` a value with more places than the unit holds is an error (user input);
    otherwise it rounds half-to-even (values read back from float JSON).
    """
    number = to_decimal(value)
    with localcontext() as ctx:
        ctx.prec = 80
        scaled = number.scaleb(decimals)
        rounded = scaled.to_integral_value(rounding=ROUND_HALF_EVEN)
        if exact and rounded != scaled:
            raise UnitError(f"{value} has more than {decimals} decimal places")
    return int(rounded)


def from_units(units: int, decimals: int) -> Decimal:
    """The exact human value of an integer with `decimals` places."""
    with localcontext() as ctx:
        ctx.prec = 80
        return Decimal(units).scaleb(-decimals)


def price6(value: HumanNumber, *, exact: bool = False) -> int:
    return to_units(value, PRICE_DECIMALS, exact=exact)


def amount18(value: HumanNumber, *, exact: bool = False) -> int:
    return to_units(value, AMOUNT_DECIMALS, exact=exact)


def usdc6(value: HumanNumber, *, exact: bool = False) -> int:
    return to_units(value, USDC_DECIMALS, exact=exact)


def price_human(value6: int) -> Decimal:
    return from_units(value6, PRICE_DECIMALS)


def amount_human(value18: int) -> Decimal:
    return from_units(value18, AMOUNT_DECIMALS)


def usdc_human(value6: int) -> Decimal:
    return from_units(value6, USDC_DECIMALS)


def to_json_number(value: Decimal) -> int | float:
    """A Decimal for a JSON file the original tool reads: the float whose repr is the shortest
    one for the value (so `4.52` is written as `4.52`, never `4.5200000000000005`); an integer
    stays an exact int. The store writes either as JavaScript does (`js_number_text`)."""
    with localcontext() as ctx:
        ctx.prec = 80  # normalize() rounds to the context precision (28 by default)
        normal = value.normalize()
    if normal == normal.to_integral_value():
        return int(normal)
    return float(str(normal))


def _shortest_digits(value: float) -> tuple[str, int]:
    """(digits, n) with `value == 0.digits * 10**n`: the shortest digits that read back as
    `value` (Python's repr and JavaScript choose the same ones), no leading or trailing zeros.
    `value` is finite and positive."""
    mantissa, _, exponent = repr(value).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + int(exponent or 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    return stripped.rstrip("0"), point


def js_number_text(value: float | int) -> str:
    """A number as JavaScript writes it (`Number::toString`, which `JSON.stringify` uses).

    The shortest digits that read back as the same double, in plain notation while
    1e-6 <= |x| < 1e21 (`0.000013947236317444`, `123`, `4.5200000000000005`) and as
    `1e-7` / `1.5e+21` outside it. -0 is `0`. An int is written exactly as held (JavaScript
    agrees digit for digit below 2**53, which the integers of the state files are).
    """
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits, n = _shortest_digits(abs(value))
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return f"{sign}{digits[:n]}.{digits[n:]}"
    if -6 < n <= 0:
        return f"{sign}0.{'0' * -n}{digits}"
    exponent = f"e{'+' if n >= 1 else '-'}{abs(n - 1)}"
    if k == 1:
        return sign + digits + exponent
    return f"{sign}{digits[0]}.{digits[1:]}{exponent}"


def tick_decimals(tick6: int) -> int:
    """How many decimal places a price on this tick needs (tick 0.01 -> 2, tick 5 -> 0)."""
    if tick6 <= 0:
        raise UnitError("tick must be positive")
    places = PRICE_DECIMALS
    while places > 0 and tick6 % 10 ** (PRICE_DECIMALS - places + 1) == 0:
        places -= 1
    return places


def _group(text: str) -> str:
    sign = "-" if text.startswith("-") else ""
    body = text.lstrip("-")
    whole, _, frac = body.partition(".")
    whole = f"{int(whole):,}"
    return f"{sign}{whole}.{frac}" if frac else f"{sign}{whole}"


def format_fixed(value: Decimal, places: int, *, grouping: bool = True) -> str:
    """Round (down, toward zero) to `places` and render without exponent."""
    quantum = Decimal(1).scaleb(-places)
    with localcontext() as ctx:
        ctx.prec = 80
        text = f"{value.quantize(quantum, rounding=ROUND_DOWN):f}"
    return _group(text) if grouping else text


def format_price6(value6: int, tick6: int | None = None, *, grouping: bool = True) -> str:
    """A price as a human reads it, with as many places as the tick needs (2 when unknown)."""
    places = tick_decimals(tick6) if tick6 else 2
    return format_fixed(price_human(value6), places, grouping=grouping)


def format_amount18(value18: int, places: int = 4, *, grouping: bool = True) -> str:
    return format_fixed(amount_human(value18), places, grouping=grouping)


def format_usdc6(value6: int, places: int = 2, *, grouping: bool = True) -> str:
    return format_fixed(usdc_human(value6), places, grouping=grouping)
