"""A user's strategy file run by the engine on the embedded exchange: its kit calls become the
wallet's orders, it hears of its fills, the engine keeps its stop loss, and a strategy that fails
stops the run with a clear reason, its state intact and no key anywhere it could see."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from ama_tui.engine.packer import PackerStopped
from ama_tui.engine.run_setup import StartMode
from ama_tui.engine.user_strategy import UserStrategy
from ama_tui.venues.sim import SimVenue

from .helpers import make_rig

RUN = {"minDelayMs": 500, "maxDelayMs": 500}


def _file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "mine.py"
    path.write_text(
        "from decimal import Decimal\nfrom ama_tui.kit import Trading\n\n" + textwrap.dedent(body)
    )
    return path


def _run(rig: Any, cycles: int) -> None:
    for _ in range(cycles):
        rig.packer.cycle()
        rig.venue.advance(rig.packer.next_delay_s())


def _logs(rig: Any) -> list[str]:
    strategy = rig.packer.strategy
    assert isinstance(strategy, UserStrategy)
    return list(strategy.log_lines)


RESTING = """
class Quotes(Trading):
    def on_initialize(self):
        self.done = False

    def analyze(self, data):
        if not self.done:
            tick = Decimal("0.01")
            below = (data.bid - 50).quantize(tick)
            above = (data.ask + 50).quantize(tick)
            self.buy_id = self.buy(self.market, "0.02", {"order_type": "limit", "limit_price": below})
            self.sell_id = self.sell(self.market, "0.03", {"order_type": "limit", "limit_price": above})
            self.done = True
            self.log(f"asked {self.buy_id} {self.sell_id}")
            return
        status = self.get_order_status(self.buy_id)
        self.log(f"{self.buy_id} {status.status}; open {len(self.get_open_orders(self.market))}")
        if status.status == "open":
            self.log(f"cancel {self.cancel(self.buy_id)}")
"""


def test_its_orders_rest_are_tracked_and_cancelled(tmp_path: Path) -> None:
    rig = make_rig(tmp_path / "state", wallets=2, strategy=str(_file(tmp_path, RESTING)), overrides=RUN)
    try:
        rig.packer.ensure_sessions()
        _run(rig, 1)
        held = rig.venue.open_orders(rig.info.order_book, [rig.wallets[0].address])[rig.wallets[0].address]
        assert sorted((o.is_buy, o.amount18) for o in held) == [(False, 3 * 10**16), (True, 2 * 10**16)]
        _run(rig, 2)
        logs = _logs(rig)
        assert logs[0] == "asked o1 o2"
        assert "o1 open; open 2" in logs and "cancel True" in logs
        assert "o1 cancelled; open 1" in logs
        others = rig.venue.open_orders(rig.info.order_book, [rig.wallets[1].address])[rig.wallets[1].address]
        assert others == (), "the strategy trades as its one wallet"
    finally:
        rig.close()
    lines = list(rig.store.iter_journal())
    actions = [line.action for line in lines]
    assert actions.count("PLACE_LIMIT") == 2 and actions.count("CANCEL_ORDER") == 1
    logged = [line for line in lines if line.action == "STRATEGY_LOG"]
    assert (logged[0].params or {})["message"] == "asked o1 o2"
    assert {line.trader for line in logged} == {rig.wallets[0].address}


CHATTY = """
class Chatty(Trading):
    def analyze(self, data):
        for i in range(50):
            self.log(f"line {i}")
"""


def test_a_chatty_strategy_is_journaled_twenty_lines_a_tick(tmp_path: Path) -> None:
    rig = make_rig(tmp_path / "state", wallets=1, strategy=str(_file(tmp_path, CHATTY)), overrides=RUN)
    try:
        rig.packer.ensure_sessions()
        _run(rig, 2)
        assert rig.packer.snapshot().strategy == f"file:{tmp_path / 'mine.py'}"
    finally:
        rig.close()
    logged = [
        (line.params or {})["message"] for line in rig.store.iter_journal() if line.action == "STRATEGY_LOG"
    ]
    assert len(logged) == 40
    assert logged[19] == "line 19 (and 30 more lines this tick, not journaled)"


TAKER = """
class Taker(Trading):
    def on_initialize(self):
        self.sent = None

    def analyze(self, data):
        if self.sent is None:
            self.sent = self.buy(self.market, "0.05", {"stop_loss": data.mid + 1000})
        self.log(f"position {self.get_position(self.market).size}")

    def on_fill(self, fill):
        self.log(f"fill {fill.order_id} {fill.side} {fill.amount}")
"""


def test_a_market_order_fills_it_hears_of_the_fill_and_the_engine_keeps_the_stop(tmp_path: Path) -> None:
    rig = make_rig(tmp_path / "state", wallets=1, strategy=str(_file(tmp_path, TAKER)), overrides=RUN)
    try:
        rig.packer.ensure_sessions()
        _run(rig, 4)
        logs = _logs(rig)
    finally:
        rig.close()
    assert "fill o1 buy 0.05" in logs
    assert "position 0.05" in logs, logs
    assert logs[-1] == "position 0", "the stop (above the price) closed the position"
    lines = list(rig.store.iter_journal())
    markets = [line.params or {} for line in lines if line.action == "PLACE_MARKET"]
    assert [m["isBuy"] for m in markets] == [True, False]


FAILING = """
import os

class Failing(Trading):
    def analyze(self, data):
        self.log(repr(dict(os.environ)))
        if data.timestamp > 0 and getattr(self, "placed", False):
            raise RuntimeError("my bug")
        below = (data.bid - 40).quantize(Decimal("0.01"))
        self.buy(self.market, "0.01", {"order_type": "limit", "limit_price": below})
        self.placed = True
"""


@pytest.mark.parametrize("on_stop", ["leave", "cancel"])
def test_a_failing_strategy_stops_the_run_and_its_orders_go_as_asked(tmp_path: Path, on_stop: str) -> None:
    secret = "0x" + "5eed" * 16
    rig = make_rig(
        tmp_path / "state",
        venue=SimVenue(7, preset="NO_FILLS", clock="virtual"),
        wallets=1,
        strategy=str(_file(tmp_path, FAILING)),
        overrides={**RUN, "onStop": on_stop},
    )
    address = rig.wallets[0].address
    try:
        import os

        os.environ["AMA_TEST_SECRET"] = secret
        rig.packer.ensure_sessions()
        _run(rig, 1)
        with pytest.raises(PackerStopped, match=r"strategy stopped: .*my bug"):
            _run(rig, 1)
        logs = _logs(rig)
    finally:
        os.environ.pop("AMA_TEST_SECRET", None)
        rig.close()
    held = rig.venue.open_orders(rig.info.order_book, [address])[address]
    assert len(held) == (1 if on_stop == "leave" else 0)
    assert logs and all(secret not in line and rig.wallets[0].key.reveal()[2:] not in line for line in logs)
    errors = [line.error or "" for line in rig.store.iter_journal() if line.action == "ERROR"]
    assert any("my bug" in error for error in errors)
    assert rig.store.load_checkpoint() is not None


def test_a_resumed_run_runs_the_same_file_with_its_parameters(tmp_path: Path) -> None:
    path = _file(tmp_path, RESTING)
    first = make_rig(tmp_path / "state", wallets=1, strategy=str(path), overrides={**RUN, "threshold": "3"})
    try:
        first.packer.ensure_sessions()
        _run(first, 1)
    finally:
        first.close()
    again = make_rig(tmp_path / "state", venue=first.venue, wallets=1, mode=StartMode.RESUME)
    try:
        assert again.packer.strategy.info.name == f"file:{path.resolve()}"
        params = again.params.current().strategy
        assert params is not None and params.model_dump(by_alias=True)["threshold"] == "3"
    finally:
        again.close()


HOLDER = """
class Holder(Trading):
    def on_initialize(self):
        self.bought = False

    def analyze(self, data):
        if not self.bought:
            self.buy(self.market, "0.05")
            self.bought = True
"""


def test_a_clean_end_runs_close_session_which_flattens_the_position(tmp_path: Path) -> None:
    import threading

    rig = make_rig(tmp_path / "state", wallets=1, strategy=str(_file(tmp_path, HOLDER)), overrides=RUN)
    address = rig.wallets[0].address
    try:
        summary = rig.packer.run(threading.Event(), max_cycles=3)
        position = rig.venue.positions(rig.info.order_book, [address])[address]
    finally:
        rig.close()
    assert summary.stop_reason == "3 cycles done"
    assert position.size18 == 0, "close_session sold what the strategy bought"
    markets = [(line.params or {}) for line in rig.store.iter_journal() if line.action == "PLACE_MARKET"]
    assert [m["isBuy"] for m in markets] == [True, False]


def test_a_take_in_the_last_cycle_has_its_fill_journaled_at_the_stop(tmp_path: Path) -> None:
    import threading

    rig = make_rig(tmp_path / "state", wallets=1, strategy=str(_file(tmp_path, HOLDER)), overrides=RUN)
    try:
        rig.packer.run(threading.Event(), max_cycles=1)  # bought in its only cycle, sold at the close
    finally:
        rig.close()
    fills = [(line.params or {}) for line in rig.store.iter_journal() if line.action == "FILL"]
    assert sorted(f["isBuy"] for f in fills) == [False, True], "both fills journaled before RUN_STOP"
