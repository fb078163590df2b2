"""Strict JSON codecs for what crosses the pipe: market data, fills, call arguments, answers.

Money is a decimal string (`"0.10"`, never a float, never an exponent) so it round-trips
exactly. Decoding accepts exactly the documented keys with exactly the documented types and says
which field is wrong: the parent decodes whatever a possibly hostile strategy wrote.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Final, TypeVar, cast

from ama_tui.kit.calls import (
    MAX_NAME_CHARS,
    CallArgs,
    MarketRef,
    Method,
    NoArgs,
    OrderRef,
    OrderRequest,
)
from ama_tui.kit.models import (
    ORDER_TYPES,
    SIDES,
    STATUSES,
    Fill,
    MarketData,
    Order,
    OrderStatus,
    Portfolio,
    Position,
    Quote,
)

JSON = None | bool | int | str | Decimal | list["JSON"] | dict[str, "JSON"]
"""A decoded JSON value; Decimal appears only in parameters (numbers with a fraction)."""

MAX_DECIMAL_CHARS: Final = 80
MAX_INT: Final = 2**63 - 1
MAX_LIST: Final = 1_000
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
_BAR_FIELDS: Final = ("open", "high", "low", "close", "volume")

T = TypeVar("T")


class WireError(ValueError):
    """A message or payload that does not match the protocol; the text names the field."""


def kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def fields(
    value: object, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> dict[str, object]:
    """`value` as a dict holding all of `required`, any of `optional`, and nothing else."""
    if not isinstance(value, dict):
        raise WireError(f"{where} must be an object, got {kind(value)}")
    missing = [key for key in required if key not in value]
    if missing:
        raise WireError(f"{where} lacks {missing[0]!r}")
    extra = [key for key in value if key not in required and key not in optional]
    if extra:
        raise WireError(f"{where} has an unknown field {str(extra[0])[:40]!r}")
    return cast(dict[str, object], value)


def integer(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INT:
        raise WireError(f"{where} must be a non-negative integer, got {kind(value)}")
    return value


def boolean(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise WireError(f"{where} must be true or false, got {kind(value)}")
    return value


def text(value: object, where: str, max_chars: int = MAX_NAME_CHARS) -> str:
    if not isinstance(value, str):
        raise WireError(f"{where} must be a string, got {kind(value)}")
    if len(value) > max_chars:
        raise WireError(f"{where} is longer than {max_chars} characters")
    return value


def name(value: object, where: str) -> str:
    result = text(value, where)
    if not result or not result.isprintable():
        raise WireError(f"{where} must be 1 to {MAX_NAME_CHARS} printable characters")
    return result


def choice(value: object, choices: tuple[T, ...], where: str) -> T:
    if not isinstance(value, str) or value not in choices:
        raise WireError(f"{where} must be one of {', '.join(map(str, choices))}, got {str(value)[:40]!r}")
    return value


def encode_decimal(value: Decimal) -> str:
    """Plain notation, every digit kept; refuses non-finite and absurdly long numbers."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise WireError(f"expected a finite Decimal, got {value!r}")
    result = format(value, "f")
    if len(result) > MAX_DECIMAL_CHARS:
        raise WireError(f"number has more than {MAX_DECIMAL_CHARS} characters: {result[:40]}...")
    return result


def decimal(value: object, where: str) -> Decimal:
    if not isinstance(value, str):
        raise WireError(f"{where} must be a decimal string, got {kind(value)}")
    if len(value) > MAX_DECIMAL_CHARS or not _DECIMAL.fullmatch(value):
        raise WireError(f"{where} must be a decimal string like '12.5', got {value[:40]!r}")
    return Decimal(value)


def optional(value: object, where: str, decode: Callable[[object, str], T]) -> T | None:
    return None if value is None else decode(value, where)


def _opt_decimal(value: Decimal | None) -> str | None:
    return None if value is None else encode_decimal(value)


def items(value: object, where: str, decode: Callable[[object, str], T]) -> list[T]:
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise WireError(f"{where} must be a list of at most {MAX_LIST}, got {kind(value)}")
    return [decode(item, f"{where}[{index}]") for index, item in enumerate(value)]


# Market data and fills (parent -> child).


def encode_market_data(data: MarketData) -> dict[str, JSON]:
    encoded: dict[str, JSON] = {
        "timestamp": data.timestamp,
        "bid": encode_decimal(data.bid),
        "ask": encode_decimal(data.ask),
        "mid": encode_decimal(data.mid),
        "last": encode_decimal(data.last),
    }
    for key in _BAR_FIELDS:
        encoded[key] = _opt_decimal(getattr(data, key))
    return encoded


def decode_market_data(value: object, where: str = "data") -> MarketData:
    obj = fields(value, where, ("timestamp", "bid", "ask", "mid", "last", *_BAR_FIELDS))
    bars = {key: optional(obj[key], f"{where}.{key}", decimal) for key in _BAR_FIELDS}
    return MarketData(
        timestamp=integer(obj["timestamp"], f"{where}.timestamp"),
        bid=decimal(obj["bid"], f"{where}.bid"),
        ask=decimal(obj["ask"], f"{where}.ask"),
        mid=decimal(obj["mid"], f"{where}.mid"),
        last=decimal(obj["last"], f"{where}.last"),
        **bars,
    )


def encode_fill(fill: Fill) -> dict[str, JSON]:
    return {
        "order_id": fill.order_id,
        "market": fill.market,
        "side": fill.side,
        "amount": encode_decimal(fill.amount),
        "price": encode_decimal(fill.price),
        "timestamp": fill.timestamp,
    }


def decode_fill(value: object, where: str = "fill") -> Fill:
    obj = fields(value, where, ("order_id", "market", "side", "amount", "price", "timestamp"))
    return Fill(
        order_id=name(obj["order_id"], f"{where}.order_id"),
        market=name(obj["market"], f"{where}.market"),
        side=choice(obj["side"], SIDES, f"{where}.side"),
        amount=decimal(obj["amount"], f"{where}.amount"),
        price=decimal(obj["price"], f"{where}.price"),
        timestamp=integer(obj["timestamp"], f"{where}.timestamp"),
    )


# Call arguments (child -> parent).

_ORDER_FIELDS: Final = (
    "market",
    "amount",
    "order_type",
    "limit_price",
    "leverage",
    "stop_loss",
    "profit_target",
)
_BY_WALLET: Final[frozenset[Method]] = frozenset(
    {"buy", "sell", "get_position", "get_open_orders", "get_available_balance", "get_portfolio"}
)
"""Calls that name which of the strategy's wallets they are for ("wallet", left out for the first)."""
_ARG_FIELDS: Final[Mapping[Method, tuple[str, ...]]] = {
    "buy": _ORDER_FIELDS,
    "sell": _ORDER_FIELDS,
    "cancel": ("order_id",),
    "get_order_status": ("order_id",),
    "get_current_price": ("market",),
    "get_position": ("market",),
    "get_open_orders": ("market",),
    "get_available_balance": (),
    "get_portfolio": (),
}


def encode_args(args: CallArgs) -> dict[str, JSON]:
    encoded = _encode_args(args)
    wallet = getattr(args, "wallet", 0)
    if wallet:
        encoded["wallet"] = wallet
    return encoded


def _encode_args(args: CallArgs) -> dict[str, JSON]:
    if isinstance(args, OrderRequest):
        return {
            "market": args.market,
            "amount": encode_decimal(args.amount),
            "order_type": args.order_type,
            "limit_price": _opt_decimal(args.limit_price),
            "leverage": _opt_decimal(args.leverage),
            "stop_loss": _opt_decimal(args.stop_loss),
            "profit_target": _opt_decimal(args.profit_target),
        }
    if isinstance(args, OrderRef):
        return {"order_id": args.order_id}
    if isinstance(args, MarketRef):
        return {"market": args.market}
    return {}


def decode_args(method: Method, value: object) -> CallArgs:
    """The typed arguments of `method`; an order is checked as the kit checks a user's order."""
    where = f"{method} args"
    obj = fields(value, where, _ARG_FIELDS[method], ("wallet",) if method in _BY_WALLET else ())
    wallet = integer(obj.get("wallet", 0), f"{where}.wallet")
    if method in ("buy", "sell"):
        order_type = choice(obj["order_type"], ORDER_TYPES, f"{where}.order_type")
        prices = {key: optional(obj[key], f"{where}.{key}", decimal) for key in _ORDER_FIELDS[3:]}
        if (order_type == "limit") != (prices["limit_price"] is not None):
            raise WireError(f"{where}: limit_price must be set exactly for limit orders")
        request = OrderRequest(
            side="buy" if method == "buy" else "sell",
            market=name(obj["market"], f"{where}.market"),
            amount=decimal(obj["amount"], f"{where}.amount"),
            order_type=order_type,
            **prices,
            wallet=wallet,
        )
        for key in ("amount", *_ORDER_FIELDS[3:]):
            number = getattr(request, key)
            if number is not None and number <= 0:
                raise WireError(f"{where}.{key} must be positive")
        return request
    if method in ("cancel", "get_order_status"):
        return OrderRef(name(obj["order_id"], f"{where}.order_id"))
    if method in ("get_current_price", "get_position", "get_open_orders"):
        return MarketRef(name(obj["market"], f"{where}.market"), wallet)
    return NoArgs(wallet)


# Answers (parent -> child). The engine's `answer` returns the kit's types; anything else is its bug.


def _expect(value: object, expected: type[T], method: str) -> T:
    is_bool_for_int = isinstance(value, bool) and expected is not bool
    if not isinstance(value, expected) or is_bool_for_int:
        raise TypeError(f"the answer to {method} must be {expected.__name__}, got {kind(value)}")
    return value


def _encode_position(position: Position) -> dict[str, JSON]:
    return {
        "market": position.market,
        "size": encode_decimal(position.size),
        "entry_price": _opt_decimal(position.entry_price),
    }


def _decode_position(value: object, where: str) -> Position:
    obj = fields(value, where, ("market", "size", "entry_price"))
    return Position(
        market=name(obj["market"], f"{where}.market"),
        size=decimal(obj["size"], f"{where}.size"),
        entry_price=optional(obj["entry_price"], f"{where}.entry_price", decimal),
    )


def _encode_order(order: Order) -> dict[str, JSON]:
    return {
        "id": order.id,
        "market": order.market,
        "side": order.side,
        "order_type": order.order_type,
        "amount": encode_decimal(order.amount),
        "filled": encode_decimal(order.filled),
        "limit_price": _opt_decimal(order.limit_price),
    }


def _decode_order(value: object, where: str) -> Order:
    obj = fields(value, where, ("id", "market", "side", "order_type", "amount", "filled", "limit_price"))
    return Order(
        id=name(obj["id"], f"{where}.id"),
        market=name(obj["market"], f"{where}.market"),
        side=choice(obj["side"], SIDES, f"{where}.side"),
        order_type=choice(obj["order_type"], ORDER_TYPES, f"{where}.order_type"),
        amount=decimal(obj["amount"], f"{where}.amount"),
        filled=decimal(obj["filled"], f"{where}.filled"),
        limit_price=optional(obj["limit_price"], f"{where}.limit_price", decimal),
    )


def _encode_quote(quote: Mapping[str, object], method: str) -> dict[str, JSON]:
    obj = fields(quote, f"the answer to {method}", ("success", "price", "bid", "ask", "timestamp"))
    timestamp = obj["timestamp"]
    return {
        "success": _expect(obj["success"], bool, method),
        **{
            key: _opt_decimal(None if obj[key] is None else _expect(obj[key], Decimal, method))
            for key in ("price", "bid", "ask")
        },
        "timestamp": None if timestamp is None else _expect(timestamp, int, method),
    }


def _decode_quote(value: object, where: str) -> Quote:
    obj = fields(value, where, ("success", "price", "bid", "ask", "timestamp"))
    return Quote(
        success=boolean(obj["success"], f"{where}.success"),
        price=optional(obj["price"], f"{where}.price", decimal),
        bid=optional(obj["bid"], f"{where}.bid", decimal),
        ask=optional(obj["ask"], f"{where}.ask", decimal),
        timestamp=optional(obj["timestamp"], f"{where}.timestamp", integer),
    )


def encode_result(method: Method, value: object) -> JSON:
    """The JSON answer to `method`; a TypeError when the engine answered with the wrong type."""
    if method in ("buy", "sell"):
        return name(_expect(value, str, method), f"the order id answered to {method}")
    if method == "cancel":
        return _expect(value, bool, method)
    if method == "get_order_status":
        status = _expect(value, OrderStatus, method)
        return {"status": status.status, "filled": encode_decimal(status.filled)}
    if method == "get_current_price":
        return _encode_quote(_expect(value, dict, method), method)
    if method == "get_position":
        return _encode_position(_expect(value, Position, method))
    if method == "get_open_orders":
        return [_encode_order(_expect(order, Order, method)) for order in _expect(value, list, method)]
    if method == "get_available_balance":
        return encode_decimal(_expect(value, Decimal, method))
    portfolio = _expect(value, Portfolio, method)
    return {
        "balance": encode_decimal(portfolio.balance),
        "equity": encode_decimal(portfolio.equity),
        "positions": [_encode_position(position) for position in portfolio.positions],
    }


def decode_result(method: Method, value: object) -> object:
    where = f"the answer to {method}"
    if method in ("buy", "sell"):
        return name(value, where)
    if method == "cancel":
        return boolean(value, where)
    if method == "get_order_status":
        obj = fields(value, where, ("status", "filled"))
        return OrderStatus(
            choice(obj["status"], STATUSES, f"{where}.status"), decimal(obj["filled"], f"{where}.filled")
        )
    if method == "get_current_price":
        return _decode_quote(value, where)
    if method == "get_position":
        return _decode_position(value, where)
    if method == "get_open_orders":
        return items(value, where, _decode_order)
    if method == "get_available_balance":
        return decimal(value, where)
    obj = fields(value, where, ("balance", "equity", "positions"))
    return Portfolio(
        balance=decimal(obj["balance"], f"{where}.balance"),
        equity=decimal(obj["equity"], f"{where}.equity"),
        positions=tuple(items(obj["positions"], f"{where}.positions", _decode_position)),
    )
