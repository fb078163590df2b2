"""The child's loop in-process: load the file, serve a tick with a call, report failures."""

from __future__ import annotations

from decimal import Decimal

from ama_tui.kit import MarketData
from ama_tui.kit.wire import Close, Init, Reply, Tick
from tests.kit.helpers import run_child

SOURCE = """
from ama_tui.kit import Trading

class Dip(Trading):
    def analyze(self, data):
        if data.bid < self.params["below"]:
            self.log(f"buying {self.buy(self.market, '0.5')}")
"""
TICK = MarketData(1, Decimal("9.5"), Decimal("10.5"), Decimal(10), Decimal(10))


def test_a_tick_with_an_order_is_a_call_a_log_and_done() -> None:
    code, transcript = run_child(
        [
            Init("ETH-USD", {"below": Decimal("9.75")}, SOURCE, "dip.py"),
            Tick(1, TICK),
            Reply(1, True, result="o1"),
            Close(2),
            Reply(2, True, result={"market": "ETH-USD", "size": "0", "entry_price": None}),
        ]
    )
    assert code == 0
    assert transcript.messages() == [
        {"type": "ready"},
        {
            "type": "call",
            "id": 1,
            "method": "buy",
            "args": {
                "market": "ETH-USD",
                "amount": "0.5",
                "order_type": "market",
                "limit_price": None,
                "leverage": None,
                "stop_loss": None,
                "profit_target": None,
            },
        },
        {"type": "log", "message": "buying o1"},
        {"type": "done", "id": 1},
        {"type": "call", "id": 2, "method": "get_position", "args": {"market": "ETH-USD"}},
        {"type": "done", "id": 2},
    ]


def test_a_file_that_does_not_load_is_one_error_message() -> None:
    cases = {
        "class (:\n": "syntax error in bad.py line 1:",
        "x = 1\n": "bad.py defines no subclass of Trading",
        "from ama_tui.kit import Trading as T\nclass A(T): pass\nclass B(A): pass\n": (
            "bad.py defines 2 subclasses"
        ),
    }
    for source, start in cases.items():
        code, transcript = run_child([Init("ETH-USD", {}, source, "bad.py")])
        [error] = transcript.messages()
        assert code == 1
        assert error["type"] == "error" and error["id"] is None and error["exception"] == "StrategyLoadError"
        assert str(error["error"]).startswith(start)


def test_an_exception_names_the_users_frames_only() -> None:
    source = (
        "from ama_tui.kit import Trading\nclass Odd(Trading):\n    def analyze(self, data):\n        [][1]\n"
    )
    code, transcript = run_child([Init("ETH-USD", {}, source, "odd.py"), Tick(7, TICK)])
    assert code == 1
    [ready, error] = transcript.messages()
    assert ready == {"type": "ready"}
    assert error["id"] == 7 and error["exception"] == "IndexError"
    lines = str(error["error"]).splitlines()
    assert lines[:3] == [
        "IndexError: list index out of range",
        '  File "odd.py", line 4, in analyze',
        "    [][1]",
    ]
    assert "child.py" not in str(error["error"])


def test_the_child_stops_quietly_when_the_engine_breaks_the_protocol() -> None:
    code, transcript = run_child([Reply(1, True, result=None)])
    assert code == 2
    assert transcript.messages() == []
