"""The web app's JSON answers (reference section 4) as pydantic models.

Extra fields are kept and ignored (the app adds fields freely); a missing or malformed field the
venue relies on is an error that names the route and the field, never a traceback. Fields the
real app sends as null (reference section 7) are accepted: a market not yet deployed has no
`market_address`/`market_id_bytes32`; the live book's `lastTradePrice` is null when it reads 0 and
its `depth`/`recentTrades` are null when their reads time out. Floats in
human units are read once, exactly, through `core.units`; integers on the wire may be JSON
numbers or decimal strings.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from ama_tui.core.units import UnitError, price6, to_decimal
from ama_tui.protocol.errors import ErrorCode
from ama_tui.venues.base import VenueUnavailable

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_BYTES32 = re.compile(r"^0x[0-9a-fA-F]{64}$")
_DIGITS = re.compile(r"^[0-9]{1,78}$")


def _human(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError("must be a number")
    try:
        return to_decimal(value)
    except UnitError:
        raise ValueError("must be a finite number") from None


def _uint(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and _DIGITS.match(value.strip()):
        return int(value.strip())
    raise ValueError("must be a non-negative integer or a decimal string of one")


def _address(value: Any) -> str:
    if isinstance(value, str) and _ADDRESS.match(value.strip()):
        return value.strip()
    raise ValueError("must be a 0x address (40 hex digits)")


def _bytes32(value: Any) -> str:
    if isinstance(value, str) and _BYTES32.match(value.strip()):
        return value.strip().lower()
    raise ValueError("must be 0x followed by 64 hex digits")


def _tick(value: Any) -> Decimal:
    tick = _human(value)
    if tick <= 0 or price6(tick) <= 0:
        raise ValueError("must be a positive price step of at least 0.000001")
    return tick


def _zero_if_null(value: Any) -> Any:
    return 0 if value is None else value


def _empty_if_null(value: Any) -> Any:
    return [] if value is None else value


HumanNumber = Annotated[Decimal, BeforeValidator(_human)]
HumanOrZero = Annotated[Decimal, BeforeValidator(_human), BeforeValidator(_zero_if_null)]
"""A human-unit number where null means 0 (validators run last-listed first)."""
Uint = Annotated[int, BeforeValidator(_uint)]
Address = Annotated[str, BeforeValidator(_address)]
Bytes32 = Annotated[str, BeforeValidator(_bytes32)]
Tick = Annotated[Decimal, BeforeValidator(_tick)]


class _Answer(BaseModel):
    model_config = ConfigDict(extra="allow", hide_input_in_errors=True, frozen=True)


# --- GET /api/markets -----------------------------------------------------------------------------


class MarketRowModel(_Answer):
    symbol: str = Field(min_length=1)
    name: str
    market_identifier: str
    market_address: Address | None
    market_id_bytes32: Bytes32 | None
    """Both null (present, never missing) for a market not deployed yet, e.g. PENDING."""
    chain_id: Uint
    tick_size: Tick
    decimals: Uint
    market_status: str = Field(min_length=1)
    initial_price: HumanNumber | None = None

    @property
    def deployed(self) -> bool:
        """Has the market an order book on chain? (Only a deployed market can be resolved or traded.)"""
        return self.market_address is not None and self.market_id_bytes32 is not None


class Pagination(_Answer):
    total: Uint
    limit: Uint | None = None
    offset: Uint | None = None


class MarketsAnswer(_Answer):
    success: bool | None = None
    markets: list[MarketRowModel]
    pagination: Pagination


# --- GET /api/orderbook/live ----------------------------------------------------------------------


class DepthModel(_Answer):
    bidPrices: list[HumanNumber]
    bidAmounts: list[HumanNumber]
    askPrices: list[HumanNumber]
    askAmounts: list[HumanNumber]

    @model_validator(mode="after")
    def _paired(self) -> DepthModel:
        if len(self.bidPrices) != len(self.bidAmounts) or len(self.askPrices) != len(self.askAmounts):
            raise ValueError("prices and amounts of a side must have the same length")
        return self


class OrderbookData(_Answer):
    orderBookAddress: Address
    bestBid: HumanNumber
    bestAsk: HumanNumber
    lastTradePrice: HumanOrZero
    """null when the book's last trade price reads 0."""
    markPrice: HumanNumber
    depth: DepthModel | None = None
    """null when its read failed or timed out: unknown, not empty."""
    recentTrades: Annotated[list[Any], BeforeValidator(_empty_if_null)] = Field(default_factory=list)
    """null when its read failed or timed out."""


class OrderbookAnswer(_Answer):
    ok: bool
    data: OrderbookData


# --- sessions and trades --------------------------------------------------------------------------


class RelayerSetAnswer(_Answer):
    relayerAddresses: list[Address]
    relayerSetRoot: Bytes32


class NonceAnswer(_Answer):
    nonce: Uint


class SessionInitAnswer(_Answer):
    sessionId: Bytes32
    txHash: Bytes32
    blockNumber: Uint | None = None


class TradeAnswer(_Answer):
    """`{txHash, pending: true}` by default, `{txHash, blockNumber, mined: true}` when the relay
    waits; the real route never sends `orderId` or `filledAmount` (older relays did)."""

    txHash: Bytes32
    blockNumber: Uint | None = None
    mined: bool | None = None
    pending: bool | None = None
    orderId: Uint | None = None
    filledAmount: Uint | None = None


# --- validation -----------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)

MAX_REPORTED_PROBLEMS = 4


def _location(loc: tuple[int | str, ...]) -> str:
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    return text.lstrip(".") or "(the whole body)"


def describe(error: ValidationError) -> str:
    """`field.path: what is wrong; …` without the offending values (they may be long or private)."""
    problems = error.errors(include_input=False, include_url=False, include_context=False)
    parts = [f"{_location(tuple(p['loc']))}: {p['msg'].lower()}" for p in problems[:MAX_REPORTED_PROBLEMS]]
    if len(problems) > MAX_REPORTED_PROBLEMS:
        parts.append(f"and {len(problems) - MAX_REPORTED_PROBLEMS} more")
    return "; ".join(parts)


def parse_answer(model: type[M], body: Any, route: str) -> M:
    """`body` as `model`, or VenueUnavailable naming the route and the fields that are wrong."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise VenueUnavailable(
            f"{route}: malformed answer: {describe(exc)}", code=ErrorCode.UNAVAILABLE
        ) from None
