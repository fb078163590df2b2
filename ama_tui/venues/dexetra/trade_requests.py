"""A trade request as the trade route's body (`method`, `params`), checked before it leaves.

Prices and amounts go out as decimal strings of the 6- and 18-decimal integers. A request the
chain would refuse for sure never leaves: a bad price, amount or order id, and an order whose
margin rounds down to 0 (the vault reverts it, reference section 7 "Dust").
"""

from __future__ import annotations

from typing import Any, Final

from ama_tui.core.margin import SELL_MARGIN_BPS, estimate_margin6
from ama_tui.protocol.errors import ErrorCode
from ama_tui.protocol.methods import TradeMethod
from ama_tui.venues.addresses import trader_address
from ama_tui.venues.base import (
    CancelOrder,
    ModifyOrder,
    PlaceLimit,
    PlaceMarket,
    TradeRejected,
    check_side,
)

MAX_AMOUNT18: Final = 10**36


def trade_body(request: object, margin_bps: int) -> tuple[str, dict[str, Any]]:
    """(method, params) of a request on a market whose buys reserve `margin_bps`."""
    trader = trader_address(getattr(request, "trader", None))
    if isinstance(request, PlaceLimit):
        check_side(request.is_buy)
        price, amount = _price(request.price6), _amount(request.amount18)
        _check_margin(request.price6, request.amount18, margin_bps if request.is_buy else SELL_MARGIN_BPS)
        return TradeMethod.PLACE_MARGIN_LIMIT.value, {
            "trader": trader,
            "price": price,
            "amount": amount,
            "isBuy": request.is_buy,
        }
    if isinstance(request, PlaceMarket):
        check_side(request.is_buy)
        return TradeMethod.PLACE_MARGIN_MARKET.value, {
            "trader": trader,
            "amount": _amount(request.amount18),
            "isBuy": request.is_buy,
        }
    if isinstance(request, ModifyOrder):
        order_id, price, amount = (
            _order_id(request.order_id),
            _price(request.price6),
            _amount(request.amount18),
        )
        # the side is the order's, unknown here: refuse only what is dust on both sides
        _check_margin(request.price6, request.amount18, max(margin_bps, SELL_MARGIN_BPS))
        return TradeMethod.MODIFY_ORDER.value, {
            "trader": trader,
            "orderId": order_id,
            "price": price,
            "amount": amount,
        }
    if isinstance(request, CancelOrder):
        return TradeMethod.CANCEL_ORDER.value, {"trader": trader, "orderId": _order_id(request.order_id)}
    raise TradeRejected(ErrorCode.METHOD_NOT_ALLOWED, f"unknown request {type(request).__name__}")


def _check_margin(price6: int, amount18: int, bps: int) -> None:
    if estimate_margin6(price6, amount18, True, bps) == 0:
        raise TradeRejected(
            ErrorCode.ZERO_MARGIN,
            f"{amount18} at {price6} reserves a margin that rounds down to 0 USDC; "
            "the vault reverts such an order: place a larger amount",
        )


def _price(value: object) -> str:
    if value is None:
        raise TradeRejected(ErrorCode.MISSING_PRICE, "a limit order needs a price")
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0 or value >= 1 << 256:
        raise TradeRejected(ErrorCode.INVALID_PRICE, "price6 must be a positive integer")
    return str(value)


def _amount(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_AMOUNT18:
        raise TradeRejected(ErrorCode.INVALID_AMOUNT, "amount18 must be a positive integer")
    return str(value)


def _order_id(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise TradeRejected(ErrorCode.UNKNOWN_ORDER, f"no order with id {str(value)[:40]}")
    return str(value)
