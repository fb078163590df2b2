"""Every row of the trade route's and session init's error tables (reference section 7), as recorded
answer bodies: status, `error`, extra fields and `Retry-After`, each mapped to its typed failure, its
code, its details and what it asks of the client (`Remedy`), and whether it leaves a placement in
doubt."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from ama_tui.protocol.errors import MARKET_CLOSED, SESSION_INVALID, TRANSIENT, ErrorCode, Remedy, remedy
from ama_tui.protocol.permits import build_session_permit
from ama_tui.venues.base import PlaceLimit, RateLimited, TradeRejected, VenueError, VenueUnavailable
from ama_tui.venues.dexetra.api_errors import RelayRefused

from .fakes import ALICE, BOB, BOOK, FakeApp, make_venue

TRADE = "/api/gasless/trade"
INIT = "/api/gasless/session/init"
SESSION = "0x" + "42" * 32
TX = "0x" + "9c" * 32
ORDER = PlaceLimit(ALICE, 2_999_510_000, 10**16, True)
MARGIN6 = 2_999_510  # 0.01 at 2999.51 with the fake market's 1000 bps


@dataclass(frozen=True)
class Row:
    status: int
    body: dict[str, Any]
    kind: type[VenueError]
    code: ErrorCode | None
    remedy: Remedy
    details: dict[str, Any] = field(default_factory=dict)
    retry_after: str | None = None
    wait_s: float | None = None

    @property
    def id(self) -> str:
        return f"{self.status}-{self.body.get('error')}"


def _rejected(error: str, code: ErrorCode, meaning: Remedy, **fields: Any) -> Row:
    details = {
        key: int(value) if key in ("available6", "required6") else value for key, value in fields.items()
    }
    return Row(400, {"error": error, **fields}, TradeRejected, code, meaning, details)


TRADE_ROWS: list[Row] = [
    # 400: a bug in the request, do not retry
    _rejected("invalid_orderBook", ErrorCode.INVALID_ORDER_BOOK, Remedy.FIX_REQUEST),
    _rejected("invalid_session_id", ErrorCode.INVALID_SESSION_ID, Remedy.NEW_SESSION),
    _rejected("invalid_trader", ErrorCode.INVALID_TRADER, Remedy.FIX_REQUEST),
    _rejected("missing_price", ErrorCode.MISSING_PRICE, Remedy.FIX_REQUEST),
    _rejected("missing_amount", ErrorCode.MISSING_AMOUNT, Remedy.FIX_REQUEST),
    _rejected("missing payload", ErrorCode.MISSING_PAYLOAD, Remedy.FIX_REQUEST),
    _rejected("invalid orderBook", ErrorCode.INVALID_ORDER_BOOK_SPACED, Remedy.FIX_REQUEST),
    _rejected("method not allowed", ErrorCode.METHOD_NOT_ALLOWED, Remedy.FIX_REQUEST),
    _rejected("price_must_be_gt_0", ErrorCode.PRICE_MUST_BE_GT_0, Remedy.FIX_REQUEST),
    _rejected("amount_must_be_gt_0", ErrorCode.AMOUNT_MUST_BE_GT_0, Remedy.FIX_REQUEST),
    Row(
        400,
        {"error": "diamond_missing_selector:sessionPlaceLimit"},
        TradeRejected,
        ErrorCode.DIAMOND_MISSING_SELECTOR,
        Remedy.FIX_REQUEST,
        {"method": "sessionPlaceLimit"},
    ),
    # 400: the session is gone
    _rejected("session_unknown", ErrorCode.SESSION_UNKNOWN, Remedy.NEW_SESSION),
    _rejected("session_revoked", ErrorCode.SESSION_REVOKED, Remedy.NEW_SESSION),
    _rejected("session_expired", ErrorCode.SESSION_EXPIRED, Remedy.NEW_SESSION),
    _rejected(
        "session_bad_trader", ErrorCode.SESSION_BAD_TRADER, Remedy.NEW_SESSION, expected=BOB, got=ALICE
    ),
    # 400: the session's caps are used up
    _rejected("session_trade_cap", ErrorCode.SESSION_TRADE_CAP, Remedy.NEW_SESSION),
    _rejected("session_session_cap", ErrorCode.SESSION_SESSION_CAP, Remedy.NEW_SESSION),
    # 400: the session cannot do this
    _rejected("session_method_denied", ErrorCode.SESSION_METHOD_DENIED, Remedy.NEW_SESSION),
    _rejected("session_bad_relayer", ErrorCode.SESSION_BAD_RELAYER, Remedy.NEW_SESSION),
    _rejected("session_orderbook_not_allowed", ErrorCode.SESSION_ORDERBOOK_NOT_ALLOWED, Remedy.NEW_SESSION),
    # 400: shrink or skip the order (the route's required6 includes an estimated fee)
    Row(
        400,
        {"error": "insufficient_collateral", "available6": "3000000", "required6": "3009510"},
        TradeRejected,
        ErrorCode.INSUFFICIENT_COLLATERAL,
        Remedy.SHRINK_ORDER,
        {"available6": 3_000_000, "required6": 3_009_510, "margin6": MARGIN6, "fee6": 10_000},
    ),
    # 400: the market's state
    _rejected("ob_no_liquidity_for_market", ErrorCode.OB_NO_LIQUIDITY, Remedy.SKIP_ORDER, side="buy"),
    _rejected("crosses_spot_liquidity", ErrorCode.CROSSES_SPOT_LIQUIDITY, Remedy.SKIP_ORDER),
    _rejected("order_not_found", ErrorCode.ORDER_NOT_FOUND, Remedy.SKIP_ORDER),
    # 400: the market cannot trade
    _rejected("ob_settled", ErrorCode.OB_SETTLED, Remedy.STOP_MARKET),
    _rejected("orderbook_not_deployed", ErrorCode.ORDERBOOK_NOT_DEPLOYED, Remedy.STOP_MARKET),
    _rejected("vault_market_not_assigned", ErrorCode.VAULT_MARKET_NOT_ASSIGNED, Remedy.STOP_MARKET),
    _rejected(
        "vault_market_assigned_to_other_orderbook",
        ErrorCode.VAULT_MARKET_ASSIGNED_TO_OTHER_ORDERBOOK,
        Remedy.STOP_MARKET,
    ),
    _rejected("vault_orderbook_role_missing", ErrorCode.VAULT_ORDERBOOK_ROLE_MISSING, Remedy.STOP_MARKET),
    _rejected("margin_not_enabled", ErrorCode.MARGIN_NOT_ENABLED, Remedy.STOP_MARKET),
    # 429 / 503: wait as told
    Row(429, {"error": "rate_limit_exceeded"}, RateLimited, None, Remedy.WAIT, retry_after="10", wait_s=10.0),
    Row(429, {"error": "rate_limit_exceeded"}, RateLimited, None, Remedy.WAIT, retry_after="30", wait_s=30.0),
    Row(
        503,
        {"error": "service_temporarily_unavailable"},
        RelayRefused,
        ErrorCode.SERVICE_TEMPORARILY_UNAVAILABLE,
        Remedy.WAIT,
        retry_after="60",
        wait_s=60.0,
    ),
    Row(
        503,
        {"error": "all_relayers_insufficient_funds"},
        RelayRefused,
        ErrorCode.ALL_RELAYERS_INSUFFICIENT_FUNDS,
        Remedy.WAIT,
        retry_after="60",
        wait_s=60.0,
    ),
    # 500: mined and reverted, not an outage
    Row(
        500,
        {"error": "tx_reverted", "txHash": TX, "blockNumber": 1234},
        TradeRejected,
        ErrorCode.TX_REVERTED,
        Remedy.MINED_REVERT,
        {"txHash": TX, "blockNumber": 1234},
    ),
    # 500: transient, the trade may have landed
    Row(
        500,
        {"error": "server misconfigured"},
        VenueUnavailable,
        ErrorCode.UNAVAILABLE,
        Remedy.CHECK_THEN_RETRY,
    ),
    Row(500, {"error": "relay failed"}, VenueUnavailable, ErrorCode.UNAVAILABLE, Remedy.CHECK_THEN_RETRY),
    Row(
        500,
        {"error": "nonce has already been used"},
        VenueUnavailable,
        ErrorCode.UNAVAILABLE,
        Remedy.CHECK_THEN_RETRY,
    ),
]


def _answer(row: Row) -> httpx.Response:
    headers = {"Retry-After": row.retry_after} if row.retry_after else None
    return httpx.Response(row.status, json=row.body, headers=headers)


@pytest.mark.parametrize("row", TRADE_ROWS, ids=lambda row: row.id)
def test_trade_route_error_row(row: Row) -> None:
    answers = [_answer(row)]
    app = FakeApp(
        routes={TRADE: lambda request: answers.pop() if answers else httpx.Response(200, json={"txHash": TX})}
    )
    venue, _, _ = make_venue(app=app)
    with pytest.raises(VenueError) as caught:
        venue.submit(BOOK, SESSION, ORDER)
    error = caught.value
    assert type(error) is row.kind
    code = getattr(error, "code", None)
    if row.code is not None:
        assert code == row.code and isinstance(code, ErrorCode)
        assert remedy(code) is row.remedy
    assert (code in SESSION_INVALID) == (row.remedy is Remedy.NEW_SESSION)
    assert (code in MARKET_CLOSED) == (row.remedy is Remedy.STOP_MARKET)
    if isinstance(error, TradeRejected):
        assert not error.retryable and code not in TRANSIENT
        assert error.details == row.details
    else:
        assert error.retryable
    if row.wait_s is not None:
        assert isinstance(error, RateLimited) and error.retry_after == row.wait_s
    # only a failure after which the trade may have landed blocks a second placement there
    if row.remedy is Remedy.CHECK_THEN_RETRY:
        with pytest.raises(TradeRejected) as again:
            venue.submit(BOOK, SESSION, ORDER)
        assert again.value.code == "placement_in_doubt"
    else:
        assert venue.submit(BOOK, SESSION, ORDER).tx_hash == TX


INIT_ROWS: list[Row] = [
    Row(
        400,
        {"error": "bad_sig", "recovered": BOB, "expected": ALICE},
        TradeRejected,
        ErrorCode.BAD_SIG,
        Remedy.FIX_REQUEST,
        {"recovered": BOB, "expected": ALICE},
    ),
    Row(
        400,
        {"error": "bad_nonce", "expected": "8", "got": "7"},
        TradeRejected,
        ErrorCode.BAD_NONCE,
        Remedy.NEW_SESSION,
        {"expected": 8, "got": 7},
    ),
    Row(400, {"error": "expired"}, TradeRejected, ErrorCode.EXPIRED, Remedy.NEW_SESSION),
    Row(
        503,
        {"error": "all_relayers_insufficient_funds"},
        RelayRefused,
        ErrorCode.ALL_RELAYERS_INSUFFICIENT_FUNDS,
        Remedy.WAIT,
        retry_after="60",
        wait_s=60.0,
    ),
    Row(
        500,
        {"error": "createSession failed"},
        VenueUnavailable,
        ErrorCode.UNAVAILABLE,
        Remedy.CHECK_THEN_RETRY,
    ),
]


@pytest.mark.parametrize("row", INIT_ROWS, ids=lambda row: row.id)
def test_session_init_error_row(row: Row) -> None:
    venue, _, _ = make_venue(app=FakeApp(routes={INIT: lambda request: _answer(row)}))
    permit = build_session_permit(
        trader=ALICE, relayer_set_root="0x" + "ab" * 32, expiry=2_000_000_000, nonce=7, allowed_markets=[]
    )
    with pytest.raises(VenueError) as caught:
        venue.create_session(BOOK, permit, "0x" + "5a" * 65)
    error = caught.value
    assert type(error) is row.kind
    assert getattr(error, "code", None) == row.code and remedy(row.code) is row.remedy
    assert row.code not in SESSION_INVALID, "an init failure is not a trade's dead session"
    if isinstance(error, TradeRejected):
        assert error.details == row.details
    if row.wait_s is not None:
        assert isinstance(error, RateLimited) and error.retry_after == row.wait_s
