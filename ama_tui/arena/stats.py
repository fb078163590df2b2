"""Mean, spread and a 95 % confidence interval of a figure over runs, in Decimal (money comes in
as integers and leaves as exact decimals)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

T_975 = (
    Decimal("12.706"), Decimal("4.303"), Decimal("3.182"), Decimal("2.776"), Decimal("2.571"),
    Decimal("2.447"), Decimal("2.365"), Decimal("2.306"), Decimal("2.262"), Decimal("2.228"),
    Decimal("2.201"), Decimal("2.179"), Decimal("2.160"), Decimal("2.145"), Decimal("2.131"),
    Decimal("2.120"), Decimal("2.110"), Decimal("2.101"), Decimal("2.093"), Decimal("2.086"),
    Decimal("2.080"), Decimal("2.074"), Decimal("2.069"), Decimal("2.064"), Decimal("2.060"),
    Decimal("2.056"), Decimal("2.052"), Decimal("2.048"), Decimal("2.045"), Decimal("2.042"),
)  # fmt: skip
"""Student's t, two-sided 95 %, for 1..30 degrees of freedom (beyond: the normal's 1.960)."""
Z_975 = Decimal("1.960")
PLACES = Decimal("0.000001")


def t_975(degrees: int) -> Decimal:
    return T_975[degrees - 1] if 1 <= degrees <= len(T_975) else Z_975


@dataclass(frozen=True, slots=True)
class Spread:
    n: int
    mean: Decimal
    stdev: Decimal | None
    """Sample standard deviation (None for one value)."""
    ci_low: Decimal | None
    ci_high: Decimal | None
    """The mean's 95 % confidence interval (Student's t; None for one value)."""
    low: Decimal
    high: Decimal


def spread(values: Sequence[Decimal]) -> Spread | None:
    if not values:
        return None
    with localcontext() as ctx:
        ctx.prec = 40
        n = len(values)
        mean = sum(values, Decimal(0)) / n
        if n < 2:
            return Spread(n, mean.quantize(PLACES), None, None, None, min(values), max(values))
        variance = sum(((v - mean) ** 2 for v in values), Decimal(0)) / (n - 1)
        stdev = variance.sqrt()
        half = t_975(n - 1) * stdev / Decimal(n).sqrt()
        return Spread(
            n,
            mean.quantize(PLACES),
            stdev.quantize(PLACES),
            (mean - half).quantize(PLACES),
            (mean + half).quantize(PLACES),
            min(values),
            max(values),
        )
