"""What a strategy's calls put on the wire, and the checks that stop a bad call before it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ama_tui.kit import (
    CallArgs,
    MarketRef,
    Method,
    OrderRequest,
    OrderStatus,
    Position,
    Trading,
    TradingError,
)
from ama_tui.kit.wire import Reply
from tests.kit.helpers import attached


def test_a_limit_buy_is_one_call_line_with_exact_decimal_strings() -> None:
    strategy = Trading()
    transcript = attached(strategy, [Reply(1, True, result="order-7")])
    options = {"order_type": "limit", "limit_price": "2500.50", "leverage": 3, "stop_loss": 0.1}
    assert strategy.buy("ETH-USD", Decimal("0.10"), options) == "order-7"
    assert transcript.lines() == [
        b'{"type":"call","id":1,"method":"buy","args":{"market":"ETH-USD","amount":"0.10",'
        b'"order_type":"limit","limit_price":"2500.50","leverage":"3","stop_loss":"0.1","profit_target":null}}'
    ]


def test_every_query_is_a_call_and_its_answer_is_typed() -> None:
    strategy = Trading()
    replies = [
        Reply(1, True, result={"status": "partially_filled", "filled": "0.25"}),
        Reply(2, True, result=True),
        Reply(3, True, result={"market": "ETH-USD", "size": "-1.5", "entry_price": "101.25"}),
        Reply(4, True, result="1000.000001"),
        Reply(5, True, result={"success": False, "price": None, "bid": None, "ask": None, "timestamp": None}),
        Reply(6, True, result=[]),
        Reply(7, True, result={"balance": "10", "equity": "12.5", "positions": []}),
    ]
    transcript = attached(strategy, replies)
    assert strategy.get_order_status("o1") == OrderStatus("partially_filled", Decimal("0.25"))
    assert strategy.cancel("o1") is True
    assert strategy.get_position("ETH-USD") == Position("ETH-USD", Decimal("-1.5"), Decimal("101.25"))
    assert strategy.get_available_balance() == Decimal("1000.000001")
    assert strategy.get_current_price("ETH-USD") == {
        "success": False,
        "price": None,
        "bid": None,
        "ask": None,
        "timestamp": None,
    }
    assert strategy.get_open_orders("ETH-USD") == []
    assert strategy.get_portfolio().equity == Decimal("12.5")
    strategy.log("x" * 5000)
    calls = transcript.messages()
    assert [(call["id"], call.get("method"), call.get("args")) for call in calls[:-1]] == [
        (1, "get_order_status", {"order_id": "o1"}),
        (2, "cancel", {"order_id": "o1"}),
        (3, "get_position", {"market": "ETH-USD"}),
        (4, "get_available_balance", {}),
        (5, "get_current_price", {"market": "ETH-USD"}),
        (6, "get_open_orders", {"market": "ETH-USD"}),
        (7, "get_portfolio", {}),
    ]
    assert calls[-1] == {"type": "log", "message": "x" * 1999 + "…"}  # capped


def test_a_refusal_is_a_trading_error_a_value_error() -> None:
    strategy = Trading()
    attached(strategy, [Reply(1, False, error="not enough balance")])
    with pytest.raises(TradingError, match="not enough balance") as refused:
        strategy.sell("ETH-USD", 1)
    assert isinstance(refused.value, ValueError)


@pytest.mark.parametrize(
    ("amount", "options", "message"),
    [
        (-1, None, "amount must be positive, got -1"),
        (0, None, "amount must be positive, got 0"),
        ("abc", None, "amount must be a number, got 'abc'"),
        (float("nan"), None, "amount must be a finite number, got nan"),
        ("Infinity", None, "amount must be a finite number, got 'Infinity'"),
        (True, None, "amount must be a number (int, str or Decimal), got bool"),
        ([1], None, "amount must be a number (int, str or Decimal), got list"),
        (1, {"order_type": "limit"}, "a limit order needs a limit_price"),
        (1, {"order_type": "stop"}, "order_type must be 'market' or 'limit', got 'stop'"),
        (1, {"limit_price": 5}, "limit_price is only for limit orders (set order_type='limit')"),
        (1, {"slippage": 1}, "unknown order option 'slippage' (known: order_type, limit_price, leverage"),
        (1, {"order_type": "limit", "limit_price": -5}, "limit_price must be positive, got -5"),
        (1, {"leverage": 0}, "leverage must be positive, got 0"),
        (1, {"stop_loss": "x"}, "stop_loss must be a number, got 'x'"),
        (1, "fast", "options must be a dict, got str"),
    ],
)
def test_bad_order_arguments_raise_a_clear_value_error_and_send_nothing(
    amount: Any, options: Any, message: str
) -> None:
    strategy = Trading()
    transcript = attached(strategy, [])
    with pytest.raises(ValueError) as refused:
        strategy.buy("ETH-USD", amount, options)
    assert str(refused.value).startswith(message)
    assert transcript.lines() == []


def test_bad_names_are_refused_too() -> None:
    strategy = Trading()
    attached(strategy, [])
    with pytest.raises(ValueError, match="market must be 1 to 64 printable characters"):
        strategy.buy("", 1)
    with pytest.raises(ValueError, match="market must be 1 to 64 printable characters"):
        strategy.get_position("ETH\nUSD")
    with pytest.raises(ValueError, match="order_id must be a str, got int"):
        strategy.cancel(5)  # type: ignore[arg-type]


def test_a_float_amount_is_read_through_its_str_so_it_stays_exact() -> None:
    strategy = Trading()
    transcript = attached(strategy, [Reply(1, True, result="o1")])
    strategy.sell("ETH-USD", 0.1)
    assert transcript.messages()[0]["args"]["amount"] == "0.1"  # type: ignore[index]


def test_trading_before_the_strategy_runs_says_so() -> None:
    with pytest.raises(RuntimeError, match="not running yet"):
        Trading().buy("ETH-USD", 1)


class _Recorder:
    def __init__(self, size: str) -> None:
        self.size = Decimal(size)
        self.calls: list[tuple[Method, CallArgs]] = []

    def call(self, method: Method, args: CallArgs) -> object:
        self.calls.append((method, args))
        return Position("ETH-USD", self.size) if method == "get_position" else f"o{len(self.calls)}"

    def log(self, message: str) -> None:
        raise AssertionError(message)


@pytest.mark.parametrize(
    ("size", "order"),
    [
        ("-0.30", OrderRequest("buy", "ETH-USD", Decimal("0.30"))),
        ("2", OrderRequest("sell", "ETH-USD", Decimal(2))),
        ("0", None),
    ],
    ids=["short", "long", "flat"],
)
def test_close_session_flattens_the_position_with_an_opposite_market_order(
    size: str, order: OrderRequest | None
) -> None:
    recorder = _Recorder(size)
    strategy = Trading()
    strategy._attach("ETH-USD", {}, recorder)
    strategy.close_session()
    expected: list[tuple[Method, CallArgs]] = [("get_position", MarketRef("ETH-USD"))]
    if order is not None:
        expected.append((order.side, order))
    assert recorder.calls == expected
