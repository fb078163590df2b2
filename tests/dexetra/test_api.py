"""The web app's answers: parsing (extra fields kept, missing or malformed ones named) and every
error answer mapped to its typed failure with the production code."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from email.utils import formatdate

import httpx
import pytest

from ama_tui.protocol.errors import ErrorCode
from ama_tui.protocol.permits import build_session_permit
from ama_tui.venues.base import (
    CancelOrder,
    ModifyOrder,
    PlaceLimit,
    PlaceMarket,
    RateLimited,
    TradeRejected,
    UnknownMarket,
    VenueUnavailable,
)
from ama_tui.venues.dexetra.http_common import parse_retry_after

from .fakes import ALICE, BOOK, FakeApp, json_response, make_venue, market_row, orderbook_body

TRADE = "/api/gasless/trade"
SIG = "0x" + "5a" * 65


# --- markets ----------------------------------------------------------------------------------------


def test_market_rows_keep_extra_fields_and_read_floats_exactly() -> None:
    venue, _, _ = make_venue(app=FakeApp(rows=[market_row(tick_size=0.01, initial_price=4.5200000000000005)]))
    page = venue.list_markets()
    (row,) = page.markets
    assert row.tick_size == Decimal("0.01") and row.tick6 == 10_000
    assert row.initial_price == Decimal("4.5200000000000005")
    assert row.extra["some_new_field"] == {"nested": [1, 2, 3]} and row.extra["category"] == "crypto"
    assert (page.total, page.limit, page.offset) == (1, 50, 0)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (market_row(tick_size=None), "markets[0].tick_size"),
        ({k: v for k, v in market_row().items() if k != "market_id_bytes32"}, "markets[0].market_id_bytes32"),
        (market_row(market_address="0x1234"), "markets[0].market_address"),
        (market_row(tick_size="a lot"), "markets[0].tick_size"),
        (market_row(tick_size=0.0000001), "markets[0].tick_size"),
        (market_row(chain_id=True), "markets[0].chain_id"),
        (market_row(symbol=""), "markets[0].symbol"),
    ],
)
def test_a_missing_or_malformed_row_field_is_named(row: dict, field: str) -> None:  # type: ignore[type-arg]
    venue, _, _ = make_venue(app=FakeApp(rows=[row]))
    with pytest.raises(VenueUnavailable) as caught:
        venue.list_markets()
    message = str(caught.value)
    assert "GET /api/markets" in message and field in message
    assert caught.value.code == ErrorCode.UNAVAILABLE
    assert "Traceback" not in message


def test_markets_without_pagination_is_named() -> None:
    app = FakeApp(routes={"/api/markets": json_response(200, {"success": True, "markets": []})})
    venue, _, _ = make_venue(app=app)
    with pytest.raises(
        VenueUnavailable, match=r"GET /api/markets: malformed answer: pagination: field required"
    ):
        venue.list_markets()


def test_not_json_is_a_clear_failure() -> None:
    app = FakeApp(routes={"/api/markets": lambda r: httpx.Response(200, content=b'{"txHash": "0x')})
    venue, _, _ = make_venue(app=app)
    with pytest.raises(VenueUnavailable, match=r"GET /api/markets: the answer is not valid JSON"):
        venue.list_markets()


# --- the order book ---------------------------------------------------------------------------------


def test_orderbook_floats_become_exact_integers_once() -> None:
    venue, chain, _ = make_venue()
    snapshot = venue.book(BOOK, 10)
    assert [(lvl.price6, lvl.amount18) for lvl in snapshot.bids] == [
        (2_999_500_000, 2 * 10**18),
        (2_999_250_000, 10**17),
    ]
    assert [(lvl.price6, lvl.amount18) for lvl in snapshot.asks] == [
        (3_000_500_000, 15 * 10**17),
        (3_000_750_000, 3 * 10**17),
    ]
    assert (snapshot.top.best_bid6, snapshot.top.best_ask6, snapshot.top.mark6) == (
        chain.bid6,
        chain.ask6,
        chain.mark6,
    )
    trades = snapshot.recent_trades
    assert [t.price6 for t in trades] == [3_000_500_000, 2_999_510_000], "newest first, garbage skipped"
    assert trades[0].timestamp == 1_700_000_005 and trades[1].amount18 == 10**16


def test_empty_sides_read_zero_and_no_depth() -> None:
    app = FakeApp(
        routes={"/api/orderbook/live": json_response(200, orderbook_body(bestBid=0, bestAsk=0, depth=None))}
    )
    venue, chain, _ = make_venue(app=app)
    chain.bid6 = chain.ask6 = 0
    snapshot = venue.book(BOOK)
    assert snapshot.top.best_bid6 == 0 and snapshot.top.best_ask6 == 0
    assert snapshot.bids == () and snapshot.asks == ()


def test_depth_the_chain_shows_gone_is_dropped() -> None:
    venue, chain, _ = make_venue()
    chain.bid6 = 2_999_250_000  # the 2999.50 bid was taken after the API's snapshot
    snapshot = venue.book(BOOK)
    assert [lvl.price6 for lvl in snapshot.bids] == [2_999_250_000]
    assert not snapshot.top.is_crossed


def test_orderbook_missing_field_is_named() -> None:
    body = orderbook_body()
    del body["data"]["bestAsk"]
    venue, _, _ = make_venue(app=FakeApp(routes={"/api/orderbook/live": json_response(200, body)}))
    with pytest.raises(VenueUnavailable, match=r"GET /api/orderbook/live: malformed answer: data\.bestAsk"):
        venue.book(BOOK)


def test_orderbook_unequal_depth_is_named() -> None:
    body = orderbook_body(depth={"bidPrices": [1.0], "bidAmounts": [], "askPrices": [], "askAmounts": []})
    venue, _, _ = make_venue(app=FakeApp(routes={"/api/orderbook/live": json_response(200, body)}))
    with pytest.raises(VenueUnavailable, match=r"data\.depth: value error"):
        venue.book(BOOK)


def test_orderbook_404_is_unknown_market() -> None:
    app = FakeApp(
        routes={"/api/orderbook/live": json_response(404, {"ok": False, "error": "Market not found"})}
    )
    venue, _, _ = make_venue(app=app)
    with pytest.raises(UnknownMarket):
        venue.book(BOOK)


# --- errors of the trade route ----------------------------------------------------------------------


def _submit_with(status: int, body: object, headers: dict[str, str] | None = None) -> BaseException:
    app = FakeApp(routes={TRADE: json_response(status, body, headers)})
    venue, _, _ = make_venue(app=app)
    with pytest.raises((TradeRejected, RateLimited, VenueUnavailable)) as caught:
        venue.submit(BOOK, "0x" + "42" * 32, PlaceLimit(ALICE, 2_999_510_000, 10**16, True))
    return caught.value


def test_insufficient_collateral_carries_integer_details() -> None:
    error = _submit_with(
        400, {"error": "insufficient_collateral", "available6": "5000000", "required6": "9000001"}
    )
    assert isinstance(error, TradeRejected)
    assert error.code == ErrorCode.INSUFFICIENT_COLLATERAL
    assert error.details["available6"] == 5_000_000 and error.details["required6"] == 9_000_001


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("session_expired", ErrorCode.SESSION_EXPIRED),
        ("session_unknown", ErrorCode.SESSION_UNKNOWN),
        ("invalid_session_id", ErrorCode.INVALID_SESSION_ID),
        ("session_bad_relayer", ErrorCode.SESSION_BAD_RELAYER),
        ("session_method_denied", ErrorCode.SESSION_METHOD_DENIED),
        ("missing_price", ErrorCode.MISSING_PRICE),
        ("method not allowed", ErrorCode.METHOD_NOT_ALLOWED),
        ("OB: no liq", ErrorCode.NO_LIQUIDITY),
        ("unknown_order", ErrorCode.UNKNOWN_ORDER),
        ("off_tick", ErrorCode.OFF_TICK),
    ],
)
def test_400_codes(text: str, code: ErrorCode) -> None:
    error = _submit_with(400, {"error": text, "message": "the relay explains"})
    assert isinstance(error, TradeRejected) and error.code == code
    assert not error.retryable


def test_unknown_400_code_is_kept_as_given() -> None:
    error = _submit_with(400, {"error": "something_new"})
    assert isinstance(error, TradeRejected) and error.code == "something_new"


def test_429_with_seconds() -> None:
    error = _submit_with(429, {"error": "rate limited"}, {"Retry-After": "3"})
    assert isinstance(error, RateLimited) and error.retry_after == 3.0 and error.retryable


def test_429_with_an_http_date() -> None:
    error = _submit_with(
        429, {"error": "slow down"}, {"Retry-After": formatdate(time.time() + 20, usegmt=True)}
    )
    assert isinstance(error, RateLimited) and error.retry_after is not None and 15 <= error.retry_after <= 21


def test_429_without_header() -> None:
    error = _submit_with(429, {"error": "rate limited"})
    assert isinstance(error, RateLimited) and error.retry_after is None


def test_503_is_unavailable() -> None:
    error = _submit_with(503, {"error": "relayer circuit breaker open"})
    assert isinstance(error, VenueUnavailable) and error.code == ErrorCode.UNAVAILABLE


def test_500_replacement_fee_too_low() -> None:
    error = _submit_with(500, {"error": "replacement fee too low: replacement transaction underpriced"})
    assert isinstance(error, VenueUnavailable) and error.code == ErrorCode.REPLACEMENT_FEE_TOO_LOW


def test_other_500_is_unavailable_and_plain_text_is_fine() -> None:
    app = FakeApp(routes={TRADE: lambda r: httpx.Response(502, text="<html>bad gateway</html>")})
    venue, _, _ = make_venue(app=app)
    with pytest.raises(VenueUnavailable) as caught:
        venue.submit(BOOK, "0x" + "42" * 32, PlaceLimit(ALICE, 2_999_510_000, 10**16, True))
    assert caught.value.code == ErrorCode.UNAVAILABLE and "502" in str(caught.value)


@pytest.mark.parametrize("failure", [httpx.ReadTimeout("slow"), httpx.ConnectError("refused")])
def test_transport_failures_are_network_errors(failure: Exception) -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        raise failure

    venue, _, _ = make_venue(app=FakeApp(routes={TRADE: boom}))
    with pytest.raises(VenueUnavailable) as caught:
        venue.submit(BOOK, "0x" + "42" * 32, PlaceLimit(ALICE, 2_999_510_000, 10**16, True))
    assert caught.value.code == ErrorCode.NETWORK_ERROR
    assert "POST /api/gasless/trade" in str(caught.value)


def test_a_trade_post_is_never_retried() -> None:
    calls = []

    def dropped(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.RemoteProtocolError("server disconnected")

    venue, _, _ = make_venue(app=FakeApp(routes={TRADE: dropped}))
    with pytest.raises(VenueUnavailable):
        venue.submit(BOOK, "0x" + "42" * 32, CancelOrder(ALICE, 3))
    assert len(calls) == 1


def test_a_get_is_retried_once_on_a_dead_connection() -> None:
    calls = []
    app = FakeApp()

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise httpx.RemoteProtocolError("server disconnected")
        return httpx.Response(200, json={"nonce": "3"})

    app.routes["/api/gasless/session/nonce"] = flaky
    venue, _, _ = make_venue(app=app)
    assert venue.session_nonce(ALICE.lower()) == 3 and len(calls) == 2


def test_malformed_trade_answer_is_named() -> None:
    error = _submit_with(200, {"blockNumber": 3, "mined": True})
    assert isinstance(error, VenueUnavailable) and "POST /api/gasless/trade" in str(error)
    assert "txHash: field required" in str(error)


def test_truncated_json_from_the_relay() -> None:
    app = FakeApp(
        routes={
            TRADE: lambda r: httpx.Response(
                200, content=b'{"txHash": "0x', headers={"content-type": "application/json"}
            )
        }
    )
    venue, _, _ = make_venue(app=app)
    with pytest.raises(VenueUnavailable, match="not valid JSON"):
        venue.submit(BOOK, "0x" + "42" * 32, CancelOrder(ALICE, 3))


# --- bodies -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "method", "params"),
    [
        (
            PlaceLimit(ALICE.lower(), 4_520_000, 10**17, False),
            "sessionPlaceMarginLimit",
            {"trader": ALICE, "price": "4520000", "amount": "100000000000000000", "isBuy": False},
        ),
        (
            PlaceMarket(ALICE, 10**17, True),
            "sessionPlaceMarginMarket",
            {"trader": ALICE, "amount": "100000000000000000", "isBuy": True},
        ),
        (
            ModifyOrder(ALICE, 12, 4_530_000, 2 * 10**17),
            "sessionModifyOrder",
            {"trader": ALICE, "orderId": "12", "price": "4530000", "amount": "200000000000000000"},
        ),
        (CancelOrder(ALICE, 12), "sessionCancelOrder", {"trader": ALICE, "orderId": "12"}),
    ],
)
def test_trade_bodies_use_decimal_strings(request_: object, method: str, params: dict) -> None:  # type: ignore[type-arg]
    venue, _, app = make_venue()
    receipt = venue.submit(BOOK, "0x" + "42" * 32, request_)  # type: ignore[arg-type]
    (sent,) = [r for r in app.seen if r.url.path == TRADE]
    body = json.loads(sent.content)
    assert body == {"orderBook": BOOK, "method": method, "sessionId": "0x" + "42" * 32, "params": params}
    assert receipt.tx_hash == "0x" + "22" * 32
    if isinstance(request_, CancelOrder):
        assert receipt.order_id == 12
    elif isinstance(request_, PlaceMarket):
        assert receipt.order_id is None
    else:
        assert receipt.order_id == 41


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (PlaceLimit(ALICE, 0, 10**16, True), ErrorCode.INVALID_PRICE),
        (PlaceLimit(ALICE, 10, 0, True), ErrorCode.INVALID_AMOUNT),
        (CancelOrder(ALICE, -1), ErrorCode.UNKNOWN_ORDER),
        (PlaceLimit("not an address", 10, 10, True), "invalid_address"),
    ],
)
def test_bad_requests_never_leave(request_: object, code: str) -> None:
    venue, _, app = make_venue()
    with pytest.raises(TradeRejected) as caught:
        venue.submit(BOOK, "0x" + "42" * 32, request_)  # type: ignore[arg-type]
    assert caught.value.code == code
    assert not [r for r in app.seen if r.url.path == TRADE]


def test_session_init_errors_never_quote_the_signature() -> None:
    app = FakeApp(
        routes={"/api/gasless/session/init": json_response(400, {"error": "bad_sig", "message": "no"})}
    )
    venue, _, _ = make_venue(app=app)
    permit = build_session_permit(
        trader=ALICE, relayer_set_root="0x" + "ab" * 32, expiry=2_000_000_000, nonce=0, allowed_markets=[]
    )
    with pytest.raises(TradeRejected) as caught:
        venue.create_session(BOOK, permit, SIG)
    assert caught.value.code == ErrorCode.BAD_SIG
    assert SIG[2:20] not in repr(caught.value) and SIG[2:20] not in str(caught.value.details)


def test_session_init_sends_the_permit_json() -> None:
    venue, _, app = make_venue()
    permit = build_session_permit(
        trader=ALICE, relayer_set_root="0x" + "ab" * 32, expiry=2_000_000_000, nonce=7, allowed_markets=[]
    )
    grant = venue.create_session(BOOK.lower(), permit, SIG)
    assert grant.session_id == permit.session_id and grant.expiry == 2_000_000_000
    (sent,) = [r for r in app.seen if r.url.path == "/api/gasless/session/init"]
    assert json.loads(sent.content) == {"orderBook": BOOK, "permit": permit.to_api_json(), "signature": SIG}


def test_relayer_root_and_nonce() -> None:
    venue, _, app = make_venue()
    assert venue.relayer_set_root() == "0x" + "ab" * 32
    assert venue.session_nonce(ALICE.lower()) == 7
    (sent,) = [r for r in app.seen if r.url.path == "/api/gasless/session/nonce"]
    assert sent.url.params["trader"] == ALICE


def test_the_relayer_set_read_early_is_used_once() -> None:
    venue, _, app = make_venue()
    venue.warm_start()
    venue.warm_start()  # one read in flight at a time
    assert venue.relayer_set_root() == "0x" + "ab" * 32
    assert venue.relayer_set_root() == "0x" + "ab" * 32  # a later session reads afresh
    reads = [r for r in app.seen if r.url.path == "/api/gasless/session/relayer-set"]
    assert len(reads) == 2


def test_a_failed_early_read_of_the_relayer_set_is_read_again() -> None:
    calls: list[int] = []

    def relayer_set(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(503, json={"error": "circuit open"})
        return httpx.Response(200, json={"relayerAddresses": [], "relayerSetRoot": "0x" + "cd" * 32})

    venue, _, _ = make_venue(app=FakeApp(routes={"/api/gasless/session/relayer-set": relayer_set}))
    venue.warm_start()
    assert venue.relayer_set_root() == "0x" + "cd" * 32
    assert len(calls) == 2


def test_bad_nonce_answer_is_named() -> None:
    app = FakeApp(routes={"/api/gasless/session/nonce": json_response(200, {"nonce": "1.5"})})
    venue, _, _ = make_venue(app=app)
    with pytest.raises(VenueUnavailable, match=r"GET /api/gasless/session/nonce: malformed answer: nonce"):
        venue.session_nonce(ALICE)


# --- Retry-After ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", 3.0), ("0.5", 0.5), ("-4", 0.0), ("", None), (None, None), ("soon", None), ("99999999", 3600.0)],
)
def test_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:40 GMT", now=now) == 20.0
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:00 GMT", now=now) == 0.0


# --- placements whose outcome is unknown ------------------------------------------------------------


def _timing_out_once() -> tuple[FakeApp, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def trade(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if len(sent) == 1:
            raise httpx.ReadTimeout("the relay is still mining")
        return httpx.Response(200, json={"txHash": "0x" + "33" * 32, "mined": True, "orderId": "5"})

    return FakeApp(routes={TRADE: trade}), sent


def test_a_timed_out_placement_blocks_a_second_one_at_the_same_price() -> None:
    app, sent = _timing_out_once()
    venue, chain, _ = make_venue(app=app)
    order = PlaceLimit(ALICE, 2_999_510_000, 10**16, True)
    with pytest.raises(VenueUnavailable):
        venue.submit(BOOK, "0x" + "42" * 32, order)
    with pytest.raises(TradeRejected) as caught:
        venue.submit(BOOK, "0x" + "42" * 32, order)
    assert caught.value.code == "placement_in_doubt" and len(sent) == 1
    venue.submit(BOOK, "0x" + "42" * 32, PlaceLimit(ALICE, 2_999_500_000, 10**16, True))  # another price
    venue.submit(BOOK, "0x" + "42" * 32, PlaceLimit(ALICE, 2_999_510_000, 10**16, False))  # another side
    assert len(sent) == 3
    # the order shows up on chain: the doubt is gone
    from .fakes import order_words

    chain.user_orders[ALICE] = [9]
    chain.orders[9] = order_words(9, ALICE, 2_999_510_000, 10**16, True)
    venue.open_orders(BOOK, [ALICE])
    venue.submit(BOOK, "0x" + "42" * 32, order)
    assert len(sent) == 4


def test_the_doubt_expires() -> None:
    app, sent = _timing_out_once()
    venue, _, _ = make_venue(app=app, in_doubt_window_s=0.0)
    order = PlaceLimit(ALICE, 2_999_510_000, 10**16, True)
    with pytest.raises(VenueUnavailable):
        venue.submit(BOOK, "0x" + "42" * 32, order)
    venue.submit(BOOK, "0x" + "42" * 32, order)
    assert len(sent) == 2


@pytest.mark.parametrize(
    ("status", "body"),
    [(429, {"error": "rate limited"}), (503, {"error": "circuit open"}), (400, {"error": "off_tick"})],
)
def test_refusals_leave_no_doubt(status: int, body: dict) -> None:  # type: ignore[type-arg]
    answers = [httpx.Response(status, json=body)]
    app = FakeApp(
        routes={
            TRADE: lambda r: (
                answers.pop() if answers else httpx.Response(200, json={"txHash": "0x" + "33" * 32})
            )
        }
    )
    venue, _, _ = make_venue(app=app)
    order = PlaceLimit(ALICE, 2_999_510_000, 10**16, True)
    with pytest.raises((TradeRejected, RateLimited, VenueUnavailable)):
        venue.submit(BOOK, "0x" + "42" * 32, order)
    assert venue.submit(BOOK, "0x" + "42" * 32, order).tx_hash == "0x" + "33" * 32


def test_an_answered_failure_is_in_doubt_for_less_time() -> None:
    from ama_tui.venues.dexetra.in_doubt import InDoubtPlacements

    clock = [0.0]
    doubts = InDoubtPlacements(window_s=60, answered_window_s=10, monotonic=lambda: clock[0])
    doubts.note(BOOK, ALICE, True, 5, answered=True)
    doubts.note(BOOK, ALICE, False, 7, answered=False)
    clock[0] = 11
    doubts.check(BOOK, ALICE, True, 5)
    with pytest.raises(TradeRejected, match="may still land"):
        doubts.check(BOOK, ALICE.lower(), False, 7)
    clock[0] = 61
    doubts.check(BOOK, ALICE, False, 7)
    assert len(doubts) == 0
