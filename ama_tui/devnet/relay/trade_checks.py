"""What the trade route checks before it sends anything, as pure functions of chain reads.

Production's route reads the session from the registry and refuses a dead or unfit session with
its own codes (`session_unknown`, `session_bad_trader` with `expected` and `got`, ...); before a
placement it refuses an empty opposite side for a market order (`ob_no_liquidity_for_market`),
zero prices and amounts, and an order the wallet cannot pay for **including an estimated fee**
(`insufficient_collateral` with `available6` and `required6`). Revert reasons of the contracts
are then answered under the route's codes (`OB: no liq`, an unknown order).

The fee estimate is production's: notional x max(taker, maker) fee bps, or the book's legacy
trading fee when both are 0 (10 bps, what OrderBookInit writes). The devnet books charge no fee,
so the relay is told the bps. A trade that only reduces the position needs no fresh margin up to
the position's size, and one that closes it entirely is not charged the fee.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from ama_tui.devnet.relay.answers import ApiError
from ama_tui.devnet.relay.bodies import MARKET_METHODS, PLACING_METHODS, TradeRequest
from ama_tui.protocol.accounts import checksum
from ama_tui.protocol.errors import ErrorCode, classify
from ama_tui.protocol.methods import METHOD_BITS, TradeMethod

DEFAULT_ESTIMATED_FEE_BPS: Final = 10
BPS: Final = 10_000
SELL_MARGIN_BPS: Final = 15_000
AMOUNT_SCALE: Final = 10**18
MIN_MARGIN_AMOUNT18: Final = 10**12
"""Production sizes the margin of an order of less than this as if it were this."""
ZERO_ADDRESS: Final = "0x" + "0" * 40


@dataclass(frozen=True)
class SessionState:
    """The registry's `sessions(sessionId)`."""

    trader: str
    relayer_set_root: str
    expiry: int
    max_notional_per_trade: int
    max_notional_per_session: int
    notional_used: int
    methods_bitmap: int
    revoked: bool

    @classmethod
    def from_read(cls, values: tuple[Any, ...]) -> SessionState:
        trader, root, expiry, per_trade, per_session, used, bitmap, revoked = values[:8]
        return cls(
            trader=checksum(str(trader)),
            relayer_set_root="0x" + bytes(root).hex(),
            expiry=int(expiry),
            max_notional_per_trade=int(per_trade),
            max_notional_per_session=int(per_session),
            notional_used=int(used),
            methods_bitmap=int.from_bytes(bytes(bitmap), "big"),
            revoked=bool(revoked),
        )


def trade_notional6(request: TradeRequest) -> int:
    """The notional the route checks against the session's caps (0 for market orders and cancels:
    the registry still charges them when they run)."""
    if request.method in MARKET_METHODS or request.method is TradeMethod.CANCEL_ORDER:
        return 0
    return int(request.amount18 or 0) * int(request.price6 or 0) // AMOUNT_SCALE


def session_problem(
    session: SessionState,
    request: TradeRequest,
    *,
    now: int,
    relayer_set_root: str,
    book_allowed: bool = True,
    registry: str = "",
) -> ApiError | None:
    """Why this session cannot carry this trade, in production's order of checks, or None."""
    sid = request.session_id
    if int(session.trader, 16) == 0:
        return ApiError("session_unknown", sessionId=sid)
    if session.trader.lower() != request.trader.lower():
        return ApiError("session_bad_trader", expected=session.trader, got=request.trader)
    if session.revoked:
        return ApiError("session_revoked", sessionId=sid)
    if now > session.expiry:  # an expiry is inclusive
        return ApiError("session_expired", sessionId=sid, now=now, expiry=session.expiry)
    if not book_allowed:
        return ApiError("session_orderbook_not_allowed", orderBook=request.order_book, registry=registry)
    if session.relayer_set_root.lower() != relayer_set_root.lower():
        return ApiError("session_bad_relayer", message="the session trusts another relayer set")
    bit = METHOD_BITS[request.method].value.bit_length() - 1
    if not (session.methods_bitmap >> bit) & 1:
        return ApiError(
            "session_method_denied",
            method=request.method.value,
            methodBitIndex=str(bit),
            methodsBitmap="0x" + session.methods_bitmap.to_bytes(32, "big").hex(),
        )
    notional6 = trade_notional6(request)
    per_trade, per_session = session.max_notional_per_trade, session.max_notional_per_session
    if per_trade > 0 and notional6 > per_trade:
        return ApiError("session_trade_cap", notional6=str(notional6), maxNotionalPerTrade=str(per_trade))
    if per_session > 0 and session.notional_used + notional6 > per_session:
        return ApiError(
            "session_session_cap",
            notional6=str(notional6),
            sessionNotionalUsed=str(session.notional_used),
            maxNotionalPerSession=str(per_session),
        )
    return None


@dataclass(frozen=True)
class Requirement:
    """What a placement needs free: `required6` = margin + the estimated fee (no fee on a close)."""

    notional6: int
    margin_bps: int
    margin6: int
    fee6: int
    is_reducing: bool
    is_full_close: bool

    @property
    def required6(self) -> int:
        return self.margin6 if self.is_full_close else self.margin6 + self.fee6


def placement_requirement(
    price6: int, amount18: int, is_buy: bool, *, margin_bps: int, position18: int, fee_bps: int
) -> Requirement:
    effective18 = max(amount18, MIN_MARGIN_AMOUNT18)
    is_reducing = (position18 > 0 and not is_buy) or (position18 < 0 and is_buy)
    if is_reducing:
        effective18 = max(0, effective18 - abs(position18))
    bps = margin_bps if is_buy else SELL_MARGIN_BPS
    notional6 = effective18 * price6 // AMOUNT_SCALE
    fee6 = (amount18 * price6 // AMOUNT_SCALE) * fee_bps // BPS
    return Requirement(
        notional6=notional6,
        margin_bps=bps,
        margin6=notional6 * bps // BPS,
        fee6=fee6,
        is_reducing=is_reducing,
        is_full_close=is_reducing and effective18 == 0,
    )


def side_of(is_buy: bool | None) -> str:
    return "buy" if is_buy else "sell"


def reference_price6(request: TradeRequest, best_bid6: int, best_ask6: int) -> int:
    """The price a placement is checked at: its limit, or for a market order the best opposite."""
    if request.method in MARKET_METHODS:
        return best_ask6 if request.is_buy else best_bid6
    return int(request.price6 or 0)


def insufficient(available6: int, requirement: Requirement) -> ApiError:
    return ApiError(
        "insufficient_collateral",
        available6=str(available6),
        required6=str(requirement.required6),
        marginRequired6=str(requirement.margin6),
        estimatedFee6=str(requirement.fee6),
        notional6=str(requirement.notional6),
        marginBps=str(requirement.margin_bps),
        isReducing=requirement.is_reducing,
        isFullClose=requirement.is_full_close,
    )


def placement_problem(
    request: TradeRequest,
    *,
    best_bid6: int,
    best_ask6: int,
    available6: int,
    position18: int,
    margin_bps: int,
    fee_bps: int,
) -> ApiError | None:
    """Why the route refuses this placement before sending it, or None."""
    if request.method not in PLACING_METHODS:
        return None
    price6 = reference_price6(request, best_bid6, best_ask6)
    if request.method in MARKET_METHODS and price6 <= 0:
        return ApiError("ob_no_liquidity_for_market", side=side_of(request.is_buy))
    amount18 = int(request.amount18 or 0)
    if price6 <= 0:
        return ApiError("price_must_be_gt_0")
    if amount18 <= 0:
        return ApiError("amount_must_be_gt_0")
    requirement = placement_requirement(
        price6, amount18, bool(request.is_buy), margin_bps=margin_bps, position18=position18, fee_bps=fee_bps
    )
    if available6 < requirement.required6:
        return insufficient(available6, requirement)
    return None


ORDER_GONE_REASONS: Final = ("unknown_order", "order does not exist")


def revert_error(reason: str, request: TradeRequest) -> ApiError:
    """A contract's revert reason as the route answers it."""
    lowered = reason.lower()
    if request.method in PLACING_METHODS and classify(reason) is ErrorCode.NO_LIQUIDITY:
        return ApiError("ob_no_liquidity_for_market", side=side_of(request.is_buy), message=reason)
    if request.method in (TradeMethod.MODIFY_ORDER, TradeMethod.CANCEL_ORDER) and any(
        text in lowered for text in ORDER_GONE_REASONS
    ):
        return ApiError("order_not_found", message="Order does not exist")
    return ApiError(reason)
