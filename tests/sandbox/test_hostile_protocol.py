"""Whatever a strategy writes on the protocol pipe is checked; a bad file is refused clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ama_tui.sandbox import Limits, SandboxedStrategy, StrategyStopped
from tests.sandbox.helpers import FAST, FakeMarket, assert_gone, run_hostile, write_strategy

BUY = {
    "market": "ETH-USD",
    "amount": "1",
    "order_type": "market",
    "limit_price": None,
    "leverage": None,
    "stop_loss": None,
    "profit_target": None,
}


def _call(args: dict[str, object], method: str = "buy") -> str:
    return json.dumps({"type": "call", "id": 1, "method": method, "args": args}) + "\n"


@pytest.mark.parametrize(
    ("junk", "reason"),
    [
        (
            "garbage\n",
            "sent a malformed message (not JSON (Expecting value: line 1 column 1 (char 0))): b'garbage\\n'",
        ),
        ("[1, 2]\n", "sent a malformed message (a message must be an object, got list)"),
        ('{"type": "launch"}\n', "sent a malformed message (unknown message type 'launch')"),
        (_call({}, "withdraw"), "sent a malformed message (unknown method 'withdraw')"),
        (
            _call({**BUY, "amount": 1.5}),
            "sent a malformed message (numbers must be decimal strings, got the bare number 1.5)",
        ),
        (
            _call({**BUY, "amount": "1e9"}),
            "sent a malformed message (buy args.amount must be a decimal string like '12.5', got '1e9')",
        ),
        (_call({**BUY, "amount": "-1"}), "sent a malformed message (buy args.amount must be positive)"),
        (
            _call({**BUY, "amount": "NaN"}),
            "sent a malformed message (buy args.amount must be a decimal string",
        ),
        (
            _call({**BUY, "order_type": "limit"}),
            "sent a malformed message (buy args: limit_price must be set exactly",
        ),
        (_call({**BUY, "to": "0xattacker"}), "sent a malformed message (buy args has an unknown field 'to')"),
        (
            _call({"market": 7}, "get_position"),
            "sent a malformed message (get_position args.market must be a string, got int)",
        ),
        (
            '{"type": "done", "id": "1"}\n',
            "sent a malformed message (id must be a non-negative integer, got str)",
        ),
        ('{"type": "done", "id": 1, "id": 2}\n', "sent a malformed message (an object repeats a key)"),
        (
            '{"type": "log", "message": NaN}\n',
            "sent a malformed message (NaN is not a number the protocol accepts)",
        ),
        ('{"type": "done", "id": 99}\n', "sent an unexpected message during analyze: Done(id=99)"),
        ('{"type": "ready"}\n', "sent an unexpected message during analyze: Ready()"),
        ("x" * 100_000 + "\n", "sent a line longer than 64 KiB: b'xxxx"),
    ],
    ids=lambda value: value[:30] if isinstance(value, str) else None,
)
def test_a_malformed_message_stops_the_strategy_and_names_what_it_sent(junk: str, reason: str) -> None:
    market = FakeMarket()
    with pytest.raises(StrategyStopped) as stopped:
        run_hostile("garbage", {"junk": junk}, market=market)
    assert stopped.value.reason.startswith(reason)
    assert market.calls == []


def _start(tmp_path: Path, source: str, name: str, limits: Limits = FAST) -> StrategyStopped:
    path = write_strategy(tmp_path, source, name)
    with SandboxedStrategy(limits) as sandbox, pytest.raises(StrategyStopped) as stopped:
        sandbox.start("ETH-USD", {}, path, FakeMarket().answer)
    if sandbox.pid is not None:
        assert_gone(sandbox)
    return stopped.value


def test_a_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    stopped = _start(
        tmp_path, "from ama_tui.kit import Trading\nclass Broken(Trading)\n    pass\n", "broken.py"
    )
    assert stopped.reason == "could not be loaded: syntax error in broken.py line 2: expected ':'"
    assert str(stopped) == f"broken.py stopped: {stopped.reason}"


def test_a_file_without_a_trading_subclass_is_refused(tmp_path: Path) -> None:
    stopped = _start(tmp_path, "import math\nclass Helper:\n    pass\n", "empty.py")
    assert stopped.reason.startswith("could not be loaded: empty.py defines no subclass of Trading")


def test_a_file_with_two_subclasses_names_both(tmp_path: Path) -> None:
    source = "from ama_tui.kit import Trading\nclass Fast(Trading): pass\nclass Slow(Trading): pass\n"
    stopped = _start(tmp_path, source, "two.py")
    assert (
        stopped.reason == "could not be loaded: two.py defines 2 subclasses of Trading (Fast, Slow); keep one"
    )


def test_an_exception_while_loading_names_the_users_line(tmp_path: Path) -> None:
    source = "from ama_tui.kit import Trading\n\nSETTINGS = {}['missing']\n"
    stopped = _start(tmp_path, source, "loads.py")
    assert stopped.reason.splitlines()[:3] == [
        "raised while loading: KeyError: 'missing'",
        '  File "loads.py", line 3, in <module>',
        "    SETTINGS = {}['missing']",
    ]


def test_an_exception_in_on_initialize_is_reported(tmp_path: Path) -> None:
    source = (
        "from ama_tui.kit import Trading\n"
        "class Strict(Trading):\n"
        "    def on_initialize(self):\n"
        "        self.buy(self.market, -1)\n"
    )
    stopped = _start(tmp_path, source, "strict.py")
    assert stopped.reason.splitlines()[:2] == [
        "raised while loading: ValueError: amount must be positive, got -1",
        '  File "strict.py", line 4, in on_initialize',
    ]


def test_files_that_are_not_utf8_or_too_large_are_refused_before_starting(tmp_path: Path) -> None:
    binary = tmp_path / "binary.py"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(StrategyStopped, match=r"binary\.py stopped: is not UTF-8 text"):
        SandboxedStrategy().start("ETH-USD", {}, binary)
    big = write_strategy(tmp_path, "#" * 2048, "big.py")
    with pytest.raises(StrategyStopped, match=r"big\.py stopped: is larger than 1 KiB"):
        SandboxedStrategy(Limits(max_source_bytes=1024)).start("ETH-USD", {}, big)
    with pytest.raises(StrategyStopped, match="cannot be read: No such file"):
        SandboxedStrategy().start("ETH-USD", {}, tmp_path / "missing.py")


def test_parameters_json_cannot_carry_are_the_engines_mistake(tmp_path: Path) -> None:
    path = write_strategy(tmp_path, "from ama_tui.kit import Trading\nclass Idle(Trading): pass\n")
    with pytest.raises(ValueError, match="not a finite number"):
        SandboxedStrategy().start("ETH-USD", {"threshold": float("nan")}, path)
    with pytest.raises(ValueError, match="cannot be a set"):
        SandboxedStrategy().start("ETH-USD", {"levels": {1, 2}}, path)
