"""The calls a strategy makes, their typed arguments, and the checks on what a user passes.

The checks run in the strategy's process, before anything is sent, so a mistake surfaces as a
`ValueError` on the user's own line; the parent checks the decoded arguments again regardless.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final, Literal, get_args

from ama_tui.kit.models import ORDER_TYPES, OrderType, Side

Method = Literal[
    "buy",
    "sell",
    "cancel",
    "get_order_status",
    "get_current_price",
    "get_position",
    "get_open_orders",
    "get_available_balance",
    "get_portfolio",
]
METHODS: Final[tuple[Method, ...]] = get_args(Method)
INTENTS: Final[frozenset[Method]] = frozenset({"buy", "sell", "cancel"})
"""Calls that ask the engine to act (the rest only read)."""

MAX_NAME_CHARS: Final = 64
"""A market symbol or an order id longer than this is refused (keeps every message small)."""

ORDER_OPTIONS: Final = ("order_type", "limit_price", "leverage", "stop_loss", "profit_target")

Number = Decimal | int | str | float


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """`buy` or `sell`: `limit_price` is set exactly when `order_type` is "limit"."""

    side: Side
    market: str
    amount: Decimal
    order_type: OrderType = "market"
    limit_price: Decimal | None = None
    leverage: Decimal | None = None
    stop_loss: Decimal | None = None
    profit_target: Decimal | None = None
    wallet: int = 0
    """Which of the strategy's wallets trades it (0: the first)."""


@dataclass(frozen=True, slots=True)
class OrderRef:
    order_id: str


@dataclass(frozen=True, slots=True)
class MarketRef:
    market: str
    wallet: int = 0
    """Whose position or orders (0: the strategy's first wallet)."""


@dataclass(frozen=True, slots=True)
class NoArgs:
    """A call with no arguments but which wallet it asks about (0: the strategy's first)."""

    wallet: int = 0


CallArgs = OrderRequest | OrderRef | MarketRef | NoArgs


def to_decimal(value: object, what: str) -> Decimal:
    """An exact, finite Decimal from an int, str, Decimal or float (a float through its str)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str | float):
        raise ValueError(f"{what} must be a number (int, str or Decimal), got {type(value).__name__}")
    try:
        result = Decimal(str(value).strip()) if isinstance(value, str | float) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return result


def positive(value: object, what: str) -> Decimal:
    result = to_decimal(value, what)
    if result <= 0:
        raise ValueError(f"{what} must be positive, got {result}")
    return result


def name(value: object, what: str) -> str:
    """A market symbol or order id: a non-empty str of printable characters."""
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a str, got {type(value).__name__}")
    if not value or len(value) > MAX_NAME_CHARS or not value.isprintable():
        raise ValueError(f"{what} must be 1 to {MAX_NAME_CHARS} printable characters, got {value[:80]!r}")
    return value


def wallet_index(value: object, wallets: int) -> int:
    """Which of a strategy's `wallets` wallets a call is for: None is the first (0)."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < wallets:
        got = value if isinstance(value, int) else type(value).__name__
        raise ValueError(
            f"wallet must be an int from 0 to {wallets - 1} (this strategy trades {wallets} "
            f"wallet{'s' if wallets > 1 else ''}), got {got}"
        )
    return value


def order_request(
    side: Side, market: object, amount: object, options: Mapping[str, object] | None, wallet: int = 0
) -> OrderRequest:
    """Check a user's `buy`/`sell` arguments; every message names the argument at fault."""
    options = {} if options is None else options
    if not isinstance(options, Mapping):
        raise ValueError(f"options must be a dict, got {type(options).__name__}")
    unknown = sorted(str(key) for key in options if key not in ORDER_OPTIONS)
    if unknown:
        raise ValueError(f"unknown order option {unknown[0]!r} (known: {', '.join(ORDER_OPTIONS)})")
    order_type = options.get("order_type", "market")
    if order_type not in ORDER_TYPES:
        raise ValueError(f"order_type must be 'market' or 'limit', got {order_type!r}")
    limit_price = options.get("limit_price")
    if order_type == "limit" and limit_price is None:
        raise ValueError("a limit order needs a limit_price")
    if order_type == "market" and limit_price is not None:
        raise ValueError("limit_price is only for limit orders (set order_type='limit')")

    def optional(key: str) -> Decimal | None:
        value = options.get(key)
        return None if value is None else positive(value, key)

    return OrderRequest(
        side=side,
        market=name(market, "market"),
        amount=positive(amount, "amount"),
        order_type="limit" if order_type == "limit" else "market",
        limit_price=optional("limit_price"),
        leverage=optional("leverage"),
        stop_loss=optional("stop_loss"),
        profit_target=optional("profit_target"),
        wallet=wallet,
    )
