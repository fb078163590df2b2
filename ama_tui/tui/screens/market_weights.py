"""The setup form's part for a run over several markets: each market's weight in the wallets'
budget, checked as typed, and the split it gives (the same numbers `ama-tui run --market A
--market B --market-weight A=2` prints: each market's share of `maxWalletUtilization`, which is
then every wallet's total over the markets).

The split itself is the headless run's (`headless_markets.market_shares`, the fleet plan's
rule); the form is handed it as `split`, so it never splits the budget in a way of its own."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Final

from ama_tui.fleet.plan import BPS
from ama_tui.wiring import SetupError

Split = Callable[[int, Mapping[str, Decimal]], Mapping[str, int]]
"""(the wallets' total utilization in basis points, weight per symbol) -> share per symbol in
basis points; raises SetupError when the budget cannot be split so."""

WEIGHT_FIELD: Final = "weight-"
"""Field names of the weights: `weight-0`, `weight-1`, ... (a symbol may not be a widget id)."""


def weight_field(index: int) -> str:
    return f"{WEIGHT_FIELD}{index}"


def initial_weights(symbols: Sequence[str], kept: Mapping[str, Decimal]) -> dict[str, str]:
    """The form's text per weight field: a resumed run's weight, else 1 (equal)."""
    return {weight_field(i): f"{kept.get(symbol, Decimal(1))}" for i, symbol in enumerate(symbols)}


def parse_weight(text: str) -> Decimal | str:
    """The weight, or what is wrong with it in plain words."""
    text = text.strip()
    if not text:
        return "give a weight (1 for an equal share)"
    try:
        weight = Decimal(text)
    except InvalidOperation:
        return "not a number"
    if not weight.is_finite() or weight <= 0:
        return "a positive number (1 for an equal share)"
    return weight


def weight_problems(
    symbols: Sequence[str], values: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, Decimal] | None]:
    """Per weight field, what is wrong; the weights by symbol when every one is valid."""
    problems: dict[str, str] = {}
    weights: dict[str, Decimal] = {}
    for index, symbol in enumerate(symbols):
        parsed = parse_weight(values.get(weight_field(index), ""))
        if isinstance(parsed, str):
            problems[weight_field(index)] = parsed
        else:
            weights[symbol] = parsed
    return problems, None if problems else weights


def utilization_bps(text: str) -> int | None:
    """The utilization field's value in basis points (None when it is not a number)."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return int((value * BPS).to_integral_value()) if value.is_finite() else None


def split_text(
    split: Split, total_text: str, weights: Mapping[str, Decimal] | None
) -> tuple[str, Mapping[str, int] | None]:
    """The budget split's line for the form, and the shares (None: the form may not start: the
    shares cannot be given as weighted)."""
    total = utilization_bps(total_text)
    if weights is None or total is None:
        return "Budget split: fix the weights and the utilization to see each market's share.", None
    try:
        shares = split(total, weights)
    except SetupError as exc:
        return f"Budget split: {exc}", None
    parts = " · ".join(
        f"{symbol} {Decimal(shares[symbol]) / BPS} (weight {weight})" for symbol, weight in weights.items()
    )
    return (
        f"Budget split: each wallet's maxWalletUtilization {Decimal(total) / BPS} is its total over the "
        f"markets: {parts}",
        shares,
    )


def smallest_share(shares: Mapping[str, int] | None) -> Decimal | None:
    """The least of the markets' shares (as a fraction): the sizes proposed must fit it."""
    if not shares:
        return None
    return Decimal(min(shares.values())) / BPS
