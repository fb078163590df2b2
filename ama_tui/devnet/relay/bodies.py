"""Request bodies of the relay's POST routes, read with a size cap and checked before anything
touches the chain.

A bad body raises `ApiError` with the code the production route gives, in the order it checks
them (`invalid orderBook`, `method not allowed`, `missing payload`, `invalid_session_id`,
`invalid_trader`, `missing_price`, `missing_amount`), or `invalid_request` plus a message where
production would fail less politely. Messages name the field that is wrong, never echo a value
that could be a secret, and avoid the words of other error codes so a client's classifier reads
the code, not the prose.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from starlette.requests import Request

from ama_tui.devnet.relay.answers import ApiError
from ama_tui.protocol.accounts import InvalidAddress, checksum
from ama_tui.protocol.methods import TradeMethod
from ama_tui.protocol.permits import SessionPermit

INVALID_REQUEST: Final = "invalid_request"
TOO_LARGE: Final = "payload_too_large"
UINT256_LIMIT: Final = 1 << 256
MAX_BODY_BYTES: Final = 64 * 1024

_DECIMAL = re.compile(r"^[0-9]{1,78}$")
_BYTES32 = re.compile(r"^0x[0-9a-fA-F]{64}$")
_SIGNATURE = re.compile(r"^0x[0-9a-fA-F]{130}$")

ALLOWED_METHODS: Final = frozenset(
    {
        TradeMethod.PLACE_MARGIN_LIMIT,
        TradeMethod.PLACE_MARGIN_MARKET,
        TradeMethod.MODIFY_ORDER,
        TradeMethod.CANCEL_ORDER,
    }
)
"""What the route relays: current deployments have no `sessionPlaceLimit` / `sessionPlaceMarket`."""
LIMIT_METHODS: Final = frozenset({TradeMethod.PLACE_MARGIN_LIMIT})
MARKET_METHODS: Final = frozenset({TradeMethod.PLACE_MARGIN_MARKET})
PLACING_METHODS: Final = LIMIT_METHODS | MARKET_METHODS


def _too_large(limit: int) -> ApiError:
    return ApiError(TOO_LARGE, f"the body is larger than {limit} bytes", status=413)


async def read_capped_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request's body, refused (413) before reading when its Content-Length says it is over
    `limit`, and as soon as the stream passes `limit` when it does not say: a huge body never
    sits in memory."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise ApiError(INVALID_REQUEST, "Content-Length is not a number") from None
        if size > limit:
            raise _too_large(limit)
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json_object(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_BODY_BYTES:
        raise _too_large(MAX_BODY_BYTES)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(INVALID_REQUEST, "body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(INVALID_REQUEST, "body must be a JSON object")
    return data


@functools.lru_cache(maxsize=4096)
def _checksummed(value: str) -> str:
    """`checksum` (a keccak a call) remembered: a fleet sends the same few addresses every trade."""
    return checksum(value)


def parse_address(value: Any, field: str, *, error: str = INVALID_REQUEST) -> str:
    if not isinstance(value, str):
        raise ApiError(error, f"{field} is required (a 0x address)")
    try:
        return _checksummed(value)
    except InvalidAddress:
        raise ApiError(error, f"{field} is not a 20-byte hex address") from None


def parse_uint(value: Any, field: str, *, error: str = INVALID_REQUEST) -> int:
    """A uint256 from a decimal string or a JSON integer (never a float or a bool)."""
    if isinstance(value, str) and _DECIMAL.match(value.strip()):
        number = int(value.strip())
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise ApiError(error, f"{field} must be a decimal string of an unsigned integer")
    if not 0 <= number < UINT256_LIMIT:
        raise ApiError(error, f"{field} must fit in uint256")
    return number


@dataclass(frozen=True)
class TradeRequest:
    order_book: str
    method: TradeMethod
    session_id: str
    trader: str
    price6: int | None = None
    amount18: int | None = None
    is_buy: bool | None = None
    order_id: int | None = None


def _is_buy(params: Mapping[str, Any]) -> bool:
    value = params.get("isBuy")
    if not isinstance(value, bool):
        raise ApiError(INVALID_REQUEST, "params.isBuy must be true or false")
    return value


def _price(params: Mapping[str, Any]) -> int:
    value = params.get("price")
    if value is None or value == "":
        raise ApiError("missing_price", "params.price is required for this method")
    return parse_uint(value, "params.price", error="invalid_price")


def _amount(params: Mapping[str, Any]) -> int:
    value = params.get("amount")
    if value is None or value == "":
        raise ApiError("missing_amount", "params.amount is required for this method")
    return parse_uint(value, "params.amount", error="invalid_amount")


def _method(value: Any) -> TradeMethod:
    try:
        method = TradeMethod(str(value))
    except ValueError:
        method = None
    if method not in ALLOWED_METHODS:
        allowed = ", ".join(sorted(m.value for m in ALLOWED_METHODS))
        raise ApiError("method not allowed", f"method must be one of {allowed}")
    assert method is not None
    return method


def parse_trade(body: Mapping[str, Any]) -> TradeRequest:
    """`{orderBook, method, sessionId, params}` of POST /api/gasless/trade."""
    order_book = parse_address(body.get("orderBook"), "orderBook", error="invalid orderBook")
    method = _method(body.get("method"))
    session_id = body.get("sessionId")
    if session_id is None or session_id == "":
        raise ApiError("missing payload", "a session trade needs sessionId")
    if not isinstance(session_id, str) or not _BYTES32.match(session_id):
        raise ApiError("invalid_session_id", "sessionId must be 0x followed by 64 hex digits")
    params = body.get("params")
    if not isinstance(params, Mapping):
        params = {}
    trader = parse_address(params.get("trader"), "params.trader", error="invalid_trader")
    common: dict[str, Any] = {
        "order_book": order_book,
        "method": method,
        "session_id": session_id.lower(),
        "trader": trader,
    }
    if method in LIMIT_METHODS:
        return TradeRequest(**common, price6=_price(params), amount18=_amount(params), is_buy=_is_buy(params))
    if method in MARKET_METHODS:
        return TradeRequest(**common, amount18=_amount(params), is_buy=_is_buy(params))
    if method is TradeMethod.MODIFY_ORDER:
        price6, amount18 = _price(params), _amount(params)
        order_id = parse_uint(params.get("orderId"), "params.orderId")
        return TradeRequest(**common, order_id=order_id, price6=price6, amount18=amount18)
    return TradeRequest(**common, order_id=parse_uint(params.get("orderId"), "params.orderId"))


@dataclass(frozen=True)
class SessionInitRequest:
    order_book: str
    permit: SessionPermit
    signature: bytes


def parse_session_init(body: Mapping[str, Any]) -> SessionInitRequest:
    """`{orderBook, permit, signature}` of POST /api/gasless/session/init."""
    permit_json = body.get("permit")
    signature = body.get("signature")
    if not isinstance(permit_json, Mapping) or not isinstance(signature, str):
        raise ApiError("missing payload", "permit (an object) and signature (a string) are required")
    order_book = parse_address(body.get("orderBook"), "orderBook")
    try:
        permit = SessionPermit.from_api_json(permit_json)
    except (ValueError, TypeError) as error:
        raise ApiError(INVALID_REQUEST, f"permit is malformed: {_first_line(error)}") from None
    if not _SIGNATURE.match(signature.strip()):
        raise ApiError(INVALID_REQUEST, "signature must be 0x followed by 130 hex digits (65 bytes)")
    return SessionInitRequest(order_book, permit, bytes.fromhex(signature.strip()[2:]))


def _first_line(error: BaseException) -> str:
    """pydantic's summary without its URLs; inputs are hidden by the model's config."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith("For further information")]
    return "; ".join(useful[:4])[:400]
