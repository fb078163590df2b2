"""The relay's request parsing and fault plan, without a chain."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ama_tui.devnet.relay import ROUTES, SESSION_INIT, TRADE, Fault, FaultKind, FaultPlan
from ama_tui.devnet.relay.answers import ApiError
from ama_tui.devnet.relay.bodies import parse_json_object, parse_session_init, parse_trade
from ama_tui.devnet.relay.rpc import revert_reason_of
from ama_tui.protocol.errors import ErrorCode, classify
from ama_tui.protocol.methods import TradeMethod

pytestmark = pytest.mark.devnet

BOOK = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
TRADER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
SESSION = "0x" + "ab" * 32


def body(method: str, **params: Any) -> dict[str, Any]:
    return {"orderBook": BOOK, "method": method, "sessionId": SESSION, "params": {"trader": TRADER, **params}}


def error_of(function: Any, *args: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        function(*args)
    return caught.value


def test_every_method_parses_its_params() -> None:
    limit = parse_trade(body("sessionPlaceMarginLimit", price="4520000", amount=str(10**18), isBuy=False))
    assert (limit.method, limit.price6, limit.amount18, limit.is_buy) == (
        TradeMethod.PLACE_MARGIN_LIMIT,
        4_520_000,
        10**18,
        False,
    )
    market = parse_trade(body("sessionPlaceMarginMarket", amount=5, isBuy=True))
    assert (market.price6, market.amount18, market.is_buy) == (None, 5, True)
    modify = parse_trade(body("sessionModifyOrder", orderId="7", price="1", amount="2"))
    assert (modify.order_id, modify.price6, modify.amount18) == (7, 1, 2)
    cancel = parse_trade(body("sessionCancelOrder", orderId=9))
    assert (cancel.order_id, cancel.trader, cancel.order_book) == (9, TRADER, BOOK)
    lower = parse_trade({**body("sessionCancelOrder", orderId=1), "orderBook": BOOK.lower()})
    assert lower.order_book == BOOK and lower.session_id == SESSION


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (body("sessionNuke"), "method not allowed"),
        (body("sessionPlaceLimit", price="1", amount="1", isBuy=True), "method not allowed"),
        (body("sessionPlaceMarket", amount="1", isBuy=True), "method not allowed"),
        (
            {k: v for k, v in body("sessionCancelOrder", orderId=1).items() if k != "method"},
            "method not allowed",
        ),
        (body("sessionPlaceMarginLimit", amount="1", isBuy=True), "missing_price"),
        (body("sessionPlaceMarginLimit", price="", amount="1", isBuy=True), "missing_price"),
        (body("sessionModifyOrder", orderId="1", amount="1"), "missing_price"),
        (body("sessionPlaceMarginLimit", price="1.5", amount="1", isBuy=True), "invalid_price"),
        (body("sessionPlaceMarginLimit", price=1.5, amount="1", isBuy=True), "invalid_price"),
        (body("sessionPlaceMarginLimit", price="1", isBuy=True), "missing_amount"),
        (body("sessionPlaceMarginMarket", isBuy=True), "missing_amount"),
        (body("sessionPlaceMarginLimit", price="1", amount=str(1 << 256), isBuy=True), "invalid_amount"),
        (body("sessionPlaceMarginLimit", price="1", amount="1", isBuy=1), "invalid_request"),
        (body("sessionCancelOrder", orderId="-1"), "invalid_request"),
        (body("sessionCancelOrder"), "invalid_request"),
        ({**body("sessionCancelOrder", orderId=1), "sessionId": "0xabc"}, "invalid_session_id"),
        ({**body("sessionCancelOrder", orderId=1), "orderBook": 5}, "invalid orderBook"),
        ({**body("sessionCancelOrder", orderId=1), "orderBook": "0x12"}, "invalid orderBook"),
        ({**body("sessionCancelOrder", orderId=1), "params": []}, "invalid_trader"),
        ({**body("sessionCancelOrder", orderId=1), "params": {"orderId": 1}}, "invalid_trader"),
        ({**body("sessionCancelOrder", orderId=1), "sessionId": None}, "missing payload"),
        ({**body("sessionCancelOrder", orderId=1), "sessionId": ""}, "missing payload"),
    ],
)
def test_bad_trade_bodies_name_their_code(data: dict[str, Any], code: str) -> None:
    error = error_of(parse_trade, data)
    assert error.status == 400 and error.error == code
    assert error.body()["error"] == code


def test_messages_do_not_smuggle_another_code() -> None:
    """A client classifies the whole body; the prose must not outrank the error field."""
    for data in (
        body("sessionPlaceMarginLimit", price="1", amount="1", isBuy="maybe"),
        body("sessionCancelOrder", orderId="one"),
    ):
        assert classify(error_of(parse_trade, data).body()) is None


def test_json_bodies() -> None:
    assert parse_json_object(b'{"a": 1}') == {"a": 1}
    for raw in (b"", b"[]", b"nul", b"\xff\xfe", b'"text"'):
        assert error_of(parse_json_object, raw).error == "invalid_request"
    assert error_of(parse_json_object, b" " * 70_000).status == 413


def test_session_init_bodies_are_checked_before_the_chain() -> None:
    permit = {
        "trader": TRADER,
        "relayerSetRoot": "0x" + "11" * 32,
        "expiry": "1700000000",
        "maxNotionalPerTrade": "0",
        "maxNotionalPerSession": "0",
        "methodsBitmap": "0x" + "00" * 31 + "3f",
        "sessionSalt": "0x" + "22" * 32,
        "allowedMarkets": ["0x" + "33" * 32],
        "nonce": "0",
    }
    good = {"orderBook": BOOK, "permit": permit, "signature": "0x" + "44" * 65}
    parsed = parse_session_init(good)
    assert parsed.permit.expiry == 1_700_000_000 and parsed.signature == bytes([0x44]) * 65
    secret_looking = "0x" + "5" * 64
    for missing in ({**good, "permit": "text"}, {k: v for k, v in good.items() if k != "signature"}):
        assert error_of(parse_session_init, missing).error == "missing payload"
    for bad in (
        {**good, "signature": "0x1234"},
        {**good, "permit": {**permit, "nonce": "zero"}},
        {**good, "permit": {**permit, "sessionSalt": secret_looking[:-2]}},
        {k: v for k, v in good.items() if k != "orderBook"},
    ):
        error = error_of(parse_session_init, bad)
        assert error.error == "invalid_request" and error.extra["message"]
        assert secret_looking[2:-2] not in json.dumps(error.body())


def test_revert_reasons() -> None:
    error_string = bytes.fromhex("08c379a0") + bytes.fromhex(
        "0000000000000000000000000000000000000000000000000000000000000020"
        "0000000000000000000000000000000000000000000000000000000000000007"
        "6261645f73696700000000000000000000000000000000000000000000000000"
    )
    assert revert_reason_of(error_string) == "bad_sig"
    assert revert_reason_of(b"", "execution reverted: OB: no liq") == "OB: no liq"
    assert revert_reason_of(b"", "execution reverted") == "execution reverted"
    assert classify(revert_reason_of(b"", "execution reverted: session_expired")) is ErrorCode.SESSION_EXPIRED


def test_fault_plan_queues_per_route() -> None:
    plan = FaultPlan()
    assert plan.take(TRADE) is None and plan.pending() == 0
    plan.add(TRADE, FaultKind.RATE_LIMITED, times=2).add(SESSION_INIT, Fault(FaultKind.UNAVAILABLE))
    assert (plan.pending(TRADE), plan.pending(SESSION_INIT), plan.pending()) == (2, 1, 3)
    first = plan.take(TRADE)
    assert first is not None and first.kind is FaultKind.RATE_LIMITED
    assert plan.take(SESSION_INIT) is not None and plan.take(SESSION_INIT) is None
    assert plan.served == [(TRADE, FaultKind.RATE_LIMITED), (SESSION_INIT, FaultKind.UNAVAILABLE)]
    plan.clear()
    assert plan.pending() == 0


def test_fault_plan_rejects_nonsense() -> None:
    plan = FaultPlan()
    with pytest.raises(ValueError, match="unknown route"):
        plan.add("/api/other", FaultKind.DELAY)
    with pytest.raises(ValueError, match="at least 1"):
        plan.add(TRADE, FaultKind.DELAY, times=0)
    with pytest.raises(ValueError, match="after_submit"):
        Fault(FaultKind.RATE_LIMITED, after_submit=True)
    with pytest.raises(ValueError, match="error code"):
        Fault(FaultKind.ANSWER_ERROR)
    with pytest.raises(ValueError, match="does not apply"):
        plan.add(TRADE, FaultKind.BOOK_READS_TIMED_OUT)
    with pytest.raises(ValueError, match="submits"):
        plan.add(ROUTES[0], Fault(FaultKind.REPLACEMENT_FEE_TOO_LOW, after_submit=True))
