"""The wire format: every message round-trips exactly, and anything off is refused by name."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ama_tui.kit import (
    Fill,
    MarketData,
    MarketRef,
    NoArgs,
    Order,
    OrderRef,
    OrderRequest,
    OrderStatus,
    Portfolio,
    Position,
    Quote,
)
from ama_tui.kit.calls import Method
from ama_tui.kit.payloads import WireError, decimal, decode_result, encode_decimal, encode_result
from ama_tui.kit.wire import (
    Call,
    Close,
    Done,
    Error,
    FillEvent,
    Init,
    Log,
    Ready,
    Reply,
    Started,
    Tick,
    decode_child,
    decode_parent,
    encode,
)

BAR = MarketData(
    1_700_000_000_000,
    Decimal("99.95"),
    Decimal("100.05"),
    Decimal("100.00"),
    Decimal("100.01"),
    Decimal("98"),
    Decimal("101.5"),
    Decimal("97.25"),
    Decimal("100.01"),
    Decimal("12345.000000000000000001"),
)

CHILD_MESSAGES = [
    Started(4242, True),
    Ready(),
    Call(1, "buy", OrderRequest("buy", "ETH-USD", Decimal("0.1"), "limit", Decimal("99.5"), Decimal(5))),
    Call(2, "sell", OrderRequest("sell", "ETH-USD", Decimal("3"), stop_loss=Decimal("90"))),
    Call(3, "cancel", OrderRef("o1")),
    Call(4, "get_order_status", OrderRef("o1")),
    Call(5, "get_current_price", MarketRef("ETH-USD")),
    Call(6, "get_position", MarketRef("ETH-USD")),
    Call(7, "get_open_orders", MarketRef("ETH-USD")),
    Call(8, "get_available_balance", NoArgs()),
    Call(9, "get_portfolio", NoArgs()),
    Log("hello ☃"),
    Done(3),
    Error(3, "ZeroDivisionError: division by zero", "ZeroDivisionError"),
    Error(None, "syntax error", None),
]

PARENT_MESSAGES = [
    Init(
        "ETH-USD",
        {"fast": 12, "size": Decimal("0.25"), "name": "x", "on": True, "levels": [1, None]},
        "pass",
        "s.py",
    ),
    Tick(1, BAR),
    Tick(2, MarketData(1, Decimal(1), Decimal(2), Decimal("1.5"), Decimal("1.5"))),
    FillEvent(3, Fill("o1", "ETH-USD", "sell", Decimal("0.5"), Decimal("100.5"), 17)),
    Reply(1, True, result={"status": "open", "filled": "0"}),
    Reply(2, False, error="unknown order"),
    Close(4),
]


@pytest.mark.parametrize("message", CHILD_MESSAGES, ids=lambda message: type(message).__name__)
def test_child_messages_round_trip(message: object) -> None:
    line = encode(message)  # type: ignore[arg-type]
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert decode_child(line) == message


@pytest.mark.parametrize("message", PARENT_MESSAGES, ids=lambda message: type(message).__name__)
def test_parent_messages_round_trip(message: object) -> None:
    assert decode_parent(encode(message)) == message  # type: ignore[arg-type]


def test_parameters_keep_ints_and_carry_fractions_as_exact_decimals() -> None:
    init = Init("ETH-USD", {"a": 0.1, "b": Decimal("5"), "c": 3, "d": {"e": [2.5]}}, "", "s.py")
    decoded = decode_parent(encode(init))
    assert isinstance(decoded, Init)
    assert decoded.params == {"a": Decimal("0.1"), "b": Decimal("5.0"), "c": 3, "d": {"e": [Decimal("2.5")]}}
    assert isinstance(decoded.params["b"], Decimal) and isinstance(decoded.params["c"], int)


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**30), max_value=10**30, places=18))
def test_decimals_cross_exactly_digit_for_digit(value: Decimal) -> None:
    text = encode_decimal(value)
    assert decimal(text, "x") == value
    assert encode_decimal(decimal(text, "x")) == text


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("1E+100"), 1.5])
def test_non_finite_and_absurd_numbers_are_not_sent(value: object) -> None:
    with pytest.raises(WireError):
        encode_decimal(value)  # type: ignore[arg-type]


ANSWERS: list[tuple[Method, object]] = [
    ("buy", "o-1"),
    ("cancel", False),
    ("get_order_status", OrderStatus("filled", Decimal("2.000"))),
    (
        "get_current_price",
        Quote(success=True, price=Decimal("1.5"), bid=Decimal(1), ask=Decimal(2), timestamp=9),
    ),
    ("get_position", Position("ETH-USD", Decimal("-0.5"), None)),
    ("get_open_orders", [Order("o1", "ETH-USD", "buy", "limit", Decimal(1), Decimal("0.5"), Decimal("99"))]),
    ("get_available_balance", Decimal("0.000001")),
    ("get_portfolio", Portfolio(Decimal(1), Decimal(2), (Position("ETH-USD", Decimal(3), Decimal(4)),))),
]


@pytest.mark.parametrize(("method", "answer"), ANSWERS, ids=[method for method, _ in ANSWERS])
def test_answers_round_trip_through_a_reply(method: Method, answer: object) -> None:
    reply = decode_parent(encode(Reply(1, True, result=encode_result(method, answer))))
    assert isinstance(reply, Reply)
    assert decode_result(method, reply.result) == answer


@pytest.mark.parametrize(
    ("method", "answer", "message"),
    [
        ("buy", 7, "the answer to buy must be str, got int"),
        ("cancel", 1, "the answer to cancel must be bool, got int"),
        ("get_available_balance", 1.5, "the answer to get_available_balance must be Decimal, got float"),
        ("get_position", {"size": 1}, "the answer to get_position must be Position, got dict"),
    ],
)
def test_an_engine_answer_of_the_wrong_type_is_its_bug(method: Method, answer: object, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        encode_result(method, answer)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"{", "not JSON"),
        (b'"ready"', "a message must be an object, got str"),
        (b'{"type":"ready","extra":1}', "ready has an unknown field 'extra'"),
        (b'{"type":"done"}', "done lacks 'id'"),
        (b'{"type":"done","id":true}', "id must be a non-negative integer, got bool"),
        (b'{"type":"done","id":-1}', "id must be a non-negative integer, got int"),
        (b'{"type":"done","id":1.0}', "numbers must be decimal strings, got the bare number 1.0"),
        (b'{"type":"done","id":Infinity}', "Infinity is not a number the protocol accepts"),
        (b'{"type":"done","id":1,"id":1}', "an object repeats a key"),
        (b'{"type":"nope"}', "unknown message type 'nope'"),
        (b'{"type":"call","id":1,"method":"transfer","args":{}}', "unknown method 'transfer'"),
        (
            b'{"type":"call","id":1,"method":"cancel","args":{"order_id":""}}',
            "cancel args.order_id must be 1 to 64",
        ),
        (
            b'{"type":"call","id":1,"method":"get_portfolio","args":[]}',
            "get_portfolio args must be an object",
        ),
        (b'{"type":"log","message":"' + b"x" * 2001 + b'"}', "log message is longer than 2000 characters"),
        (b'{"type":"started","pid":1,"confined":"yes"}', "confined must be true or false, got str"),
        (b" " * 70_000, "the line is longer than 65,536 bytes"),
    ],
)
def test_the_parent_refuses_anything_off_and_says_what(line: bytes, message: str) -> None:
    with pytest.raises(WireError) as refused:
        decode_child(line)
    assert str(refused.value).startswith(message)


def test_market_data_must_carry_every_field_as_a_decimal_string() -> None:
    good = encode(Tick(1, BAR))
    with pytest.raises(WireError, match=r"data\.bid must be a decimal string, got int"):
        decode_parent(good.replace(b'"bid":"99.95"', b'"bid":99'))
    with pytest.raises(WireError, match="data lacks 'volume'"):
        decode_parent(good.replace(b',"volume":"12345.000000000000000001"', b""))
