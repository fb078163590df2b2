"""A well-behaved strategy in the sandbox: ticks in, orders and queries through `answer`, exact."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ama_tui.kit import Fill, MarketRef, OrderRef, OrderRequest
from ama_tui.sandbox import Intent, Log, SandboxedStrategy, StrategyStopped
from tests.sandbox.helpers import FAST, FakeMarket, assert_gone, tick, write_strategy

EMA_CROSS = """
    from decimal import Decimal
    from ama_tui.kit import Trading

    class EmaCross(Trading):
        def on_initialize(self):
            self.fast_alpha = Decimal(2) / (self.params["fast"] + 1)
            self.slow_alpha = Decimal(2) / (self.params["slow"] + 1)
            self.size = self.params["size"]
            self.fast = self.slow = self.above = None
            self.take_profit = None
            self.log(f"size {self.size!r}")

        def analyze(self, data):
            price = data.mid
            if self.fast is None:
                self.fast = self.slow = price
            else:
                self.fast += self.fast_alpha * (price - self.fast)
                self.slow += self.slow_alpha * (price - self.slow)
            above = self.fast > self.slow
            self.log(f"fast={self.fast} slow={self.slow}")
            if self.above is not None and above != self.above:
                if above:
                    self.buy(self.market, self.size)
                    self.take_profit = self.sell(
                        self.market, self.size, {"order_type": "limit", "limit_price": price + 5}
                    )
                    status = self.get_order_status(self.take_profit)
                    self.log(f"take profit {self.take_profit} {status.status} filled {status.filled}")
                else:
                    if self.take_profit and self.cancel(self.take_profit):
                        self.log(f"cancelled {self.take_profit}")
                    self.sell(self.market, self.size * 2)
            self.above = above

        def on_fill(self, fill):
            self.log(f"fill {fill.order_id} {fill.side} {fill.amount} @ {fill.price}")
    """


def _ema(prices: list[Decimal], period: int) -> Decimal:
    alpha = Decimal(2) / (period + 1)
    value = prices[0]
    for price in prices[1:]:
        value += alpha * (price - value)
    return value


def _logs(events: list[Intent | Log]) -> list[str]:
    return [event.message for event in events if isinstance(event, Log)]


def _intents(events: list[Intent | Log]) -> list[Intent]:
    return [event for event in events if isinstance(event, Intent)]


def test_an_ema_cross_trades_through_answer_with_exact_decimals(tmp_path: Path) -> None:
    path = write_strategy(tmp_path, EMA_CROSS, "ema_cross.py")
    market = FakeMarket()
    params = {"fast": 2, "slow": 4, "size": 0.25}
    with SandboxedStrategy(FAST, scratch_dir=tmp_path / "scratch") as sandbox:
        assert _logs(sandbox.start("ETH-USD", params, path, market.answer)) == ["size Decimal('0.25')"]
        assert sandbox.confined
        mids = [Decimal(m) for m in ("100", "100", "90", "110", "80")]
        per_tick = []
        for index, mid in enumerate(mids):
            market.mid = mid
            per_tick.append(sandbox.on_tick(tick(index, mid), market.answer))

        for index, events in enumerate(per_tick):  # the EMAs are exact: the same Decimal arithmetic
            expected = f"fast={_ema(mids[: index + 1], 2)} slow={_ema(mids[: index + 1], 4)}"
            assert _logs(events)[0] == expected
        assert per_tick[:3] == [[Log(_logs(events)[0])] for events in per_tick[:3]]

        up = per_tick[3]  # fast crosses above slow at 110
        assert _intents(up) == [
            Intent("buy", OrderRequest("buy", "ETH-USD", Decimal("0.25")), result="o1"),
            Intent(
                "sell",
                OrderRequest("sell", "ETH-USD", Decimal("0.25"), "limit", limit_price=Decimal("115")),
                result="o2",
            ),
        ]
        assert _logs(up)[1] == "take profit o2 open filled 0"
        assert ("get_order_status", OrderRef("o2")) in market.calls

        down = per_tick[4]  # and back below at 80: cancel the take-profit, go short
        assert _intents(down) == [
            Intent("cancel", OrderRef("o2"), result=True),
            Intent("sell", OrderRequest("sell", "ETH-USD", Decimal("0.50")), result="o3"),
        ]
        assert _logs(down)[1] == "cancelled o2"
        assert market.size == Decimal("-0.25")

        fill = Fill("o3", "ETH-USD", "sell", Decimal("0.50"), Decimal("79.99"), 1_700_000_009_000)
        assert sandbox.on_fill(fill, market.answer) == [Log("fill o3 sell 0.50 @ 79.99")]

        closing = sandbox.close(market.answer)  # the default close_session flattens the short
        assert closing == [Intent("buy", OrderRequest("buy", "ETH-USD", Decimal("0.25")), result="o4")]
        assert market.calls[-2] == ("get_position", MarketRef("ETH-USD"))
        assert market.size == 0
    assert_gone(sandbox)


def test_a_refused_call_reaches_the_strategy_as_a_trading_error(tmp_path: Path) -> None:
    path = write_strategy(
        tmp_path,
        """
        from ama_tui.kit import Trading, TradingError

        class Refused(Trading):
            def analyze(self, data):
                try:
                    self.buy("BTC-USD", 1)
                except TradingError as exc:
                    self.log(f"refused: {exc}")
                self.log(f"balance {self.get_available_balance()}")
                self.log(f"price {self.get_current_price(self.market)}")
                self.log(f"open {self.get_open_orders(self.market)}")
                self.log(f"portfolio {self.get_portfolio()}")
        """,
    )
    market = FakeMarket(balance="1234.5600")
    with SandboxedStrategy(FAST) as sandbox:
        sandbox.start("ETH-USD", {}, path)
        events = sandbox.on_tick(tick(0), market.answer)
    assert events[0] == Intent(
        "buy", OrderRequest("buy", "BTC-USD", Decimal(1)), error="unknown market BTC-USD"
    )
    assert _logs(events) == [
        "refused: unknown market BTC-USD",
        "balance 1234.5600",
        "price {'success': True, 'price': Decimal('100'), 'bid': Decimal('99'), 'ask': Decimal('101'), "
        "'timestamp': 1700000000000}",
        "open []",
        "portfolio Portfolio(balance=Decimal('1234.5600'), equity=Decimal('1234.5600'), "
        "positions=(Position(market='ETH-USD', size=Decimal('0'), entry_price=None),))",
    ]
    assert_gone(sandbox)


def test_the_scratch_folder_is_writable_and_persists_between_ticks(tmp_path: Path) -> None:
    path = write_strategy(
        tmp_path,
        """
        import os
        from ama_tui.kit import Trading

        class Counter(Trading):
            def analyze(self, data):
                count = int(open("count.txt").read()) if os.path.exists("count.txt") else 0
                with open("/count.txt", "w") as file:  # "/" is the scratch folder
                    file.write(str(count + 1))
                self.log(f"count {count + 1} cwd {os.getcwd()} sees {sorted(os.listdir('/'))}")
        """,
    )
    scratch = tmp_path / "scratch"
    with SandboxedStrategy(FAST, scratch_dir=scratch) as sandbox:
        sandbox.start("ETH-USD", {}, path)
        logs = [_logs(sandbox.on_tick(tick(index), FakeMarket().answer)) for index in range(3)]
    assert logs == [[f"count {n} cwd / sees ['count.txt']"] for n in (1, 2, 3)]
    assert (scratch / "count.txt").read_text() == "3"
    assert_gone(sandbox)


def test_prints_go_to_the_captured_stderr_not_the_protocol(tmp_path: Path) -> None:
    path = write_strategy(
        tmp_path,
        """
        import os, sys
        from ama_tui.kit import Trading

        class Chatty(Trading):
            def analyze(self, data):
                print("a stray print")
                os.write(1, b"raw fd 1\\n")
                print("to stderr", file=sys.stderr)
        """,
    )
    with SandboxedStrategy(FAST) as sandbox:
        sandbox.start("ETH-USD", {}, path)
        assert sandbox.on_tick(tick(0), FakeMarket().answer) == []
        sandbox.close(FakeMarket().answer)
        assert sandbox.stderr.splitlines() == ["a stray print", "raw fd 1", "to stderr"]
    assert_gone(sandbox)


def test_a_scratch_folder_the_sandbox_made_is_removed_when_it_stops(tmp_path: Path) -> None:
    path = write_strategy(tmp_path, "from ama_tui.kit import Trading\nclass Idle(Trading): pass\n")
    with SandboxedStrategy(FAST) as sandbox:
        sandbox.start("ETH-USD", {}, path)
        scratch = sandbox.scratch_dir
        assert scratch is not None and scratch.is_dir()
    assert not scratch.exists()
    assert_gone(sandbox)


def test_an_answer_of_the_wrong_type_is_the_engines_bug_and_stops_the_strategy(tmp_path: Path) -> None:
    path = write_strategy(
        tmp_path,
        """
        from ama_tui.kit import Trading

        class Buyer(Trading):
            def analyze(self, data):
                self.buy(self.market, 1)
        """,
    )
    with SandboxedStrategy(FAST) as sandbox:
        sandbox.start("ETH-USD", {}, path)
        with pytest.raises(TypeError, match="the answer to buy must be str, got int"):
            sandbox.on_tick(tick(0), lambda method, args: 5)
        assert_gone(sandbox)
        with pytest.raises(StrategyStopped, match="the engine answered buy with 5"):
            sandbox.on_tick(tick(1), FakeMarket().answer)


def test_a_start_up_failure_of_our_own_shows_the_childs_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_strategy(tmp_path, "from ama_tui.kit import Trading\nclass Idle(Trading): pass\n")
    monkeypatch.setattr("ama_tui.sandbox.process.KIT_ROOT", str(tmp_path / "nowhere"))
    with SandboxedStrategy(FAST) as sandbox, pytest.raises(StrategyStopped) as stopped:
        sandbox.start("ETH-USD", {}, path)
    assert stopped.value.reason.startswith("exited (code 1) before it started: ")
    assert "No module named 'ama_tui'" in stopped.value.reason
    assert_gone(sandbox)
