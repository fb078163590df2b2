"""A user's strategy trading several wallets of the fleet (`wallets`, from `wallet` on): the kit
numbers them 0, 1, ...; each wallet gets its own plan, so the collateral cap and the notional
caps hold per wallet; a wallet it does not trade is never touched; `close_session` flattens each."""

from __future__ import annotations

import textwrap
import threading
from pathlib import Path
from typing import Any

from ama_tui.engine.user_strategy import UserStrategy
from ama_tui.venues.sim import SimVenue

from .helpers import make_rig

RUN = {"minDelayMs": 500, "maxDelayMs": 500}


def _file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "several.py"
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


def _held(rig: Any, index: int) -> list[tuple[bool, int]]:
    address = rig.wallets[index].address
    return sorted(
        (o.is_buy, o.amount18) for o in rig.venue.open_orders(rig.info.order_book, [address])[address]
    )


QUOTES = """
from ama_tui.kit import OrderRequest, TradingError

class Quotes(Trading):
    def on_initialize(self):
        self.ids = None

    def analyze(self, data):
        tick = Decimal("0.01")
        if self.ids is None:
            self.log(f"wallets {self.wallets}")
            below = (data.bid - 50).quantize(tick)
            limit = {"order_type": "limit", "limit_price": below}
            self.ids = [
                self.buy(self.market, Decimal("0.01") * (w + 1), limit, wallet=w) for w in range(self.wallets)
            ]
            self.log("asked " + " ".join(self.ids))
            try:
                self.buy(self.market, "0.01", wallet=self.wallets)
            except ValueError as exc:
                self.log(f"refused: {exc}")
            try:  # past the kit's own check, as a hostile file could: the engine refuses it too
                self._attached().call("buy", OrderRequest("buy", self.market, Decimal("0.01"), wallet=5))
            except TradingError as exc:
                self.log(f"engine refused: {exc}")
            return
        counts = [len(self.get_open_orders(self.market, wallet=w)) for w in range(self.wallets)]
        self.log(f"open {counts} {[self.get_order_status(i).status for i in self.ids]}")
        self.log(f"cancel {self.cancel(self.ids[-1])}")
"""


def test_it_trades_the_wallets_it_is_given_and_no_other(tmp_path: Path) -> None:
    rig = make_rig(
        tmp_path / "state",
        wallets=4,
        strategy=str(_file(tmp_path, QUOTES)),
        overrides={**RUN, "wallet": 1, "wallets": 2},
    )
    try:
        rig.packer.ensure_sessions()
        _run(rig, 1)
        assert _held(rig, 1) == [(True, 10**16)] and _held(rig, 2) == [(True, 2 * 10**16)]
        assert _held(rig, 0) == [] and _held(rig, 3) == []
        _run(rig, 2)
        logs = _logs(rig)
        assert logs[:2] == ["wallets 2", "asked o1 o2"]
        assert logs[2] == "refused: wallet must be an int from 0 to 1 (this strategy trades 2 wallets), got 2"
        assert logs[3:5] == [
            "buy refused: wallet 5: this strategy trades wallets 0 to 1",  # the engine's line
            "engine refused: wallet 5: this strategy trades wallets 0 to 1",  # what the strategy heard
        ]
        assert "open [1, 1] ['open', 'open']" in logs and "cancel True" in logs
        assert "open [1, 0] ['open', 'cancelled']" in logs, "the cancel went to the wallet holding o2"
        assert _held(rig, 2) == []
    finally:
        rig.close()


TAKER = """
class Taker(Trading):
    def analyze(self, data):
        for w in range(self.wallets):
            self.log(f"{w} {self.get_order_status(self.buy(self.market, '0.05', wallet=w)).status}")
"""


def test_the_minute_notional_cap_holds_per_wallet(tmp_path: Path) -> None:
    # 0.05 ETH near 3,000 USDC is about 150 USDC: one take a minute fits each wallet's 200
    rig = make_rig(
        tmp_path / "state",
        venue=SimVenue(7, preset="PERFECT_EXECUTION", clock="virtual"),
        wallets=3,
        strategy=str(_file(tmp_path, TAKER)),
        overrides={**RUN, "wallets": 2, "maxMinuteNotional": 200, "maxTradeNotional": 0},
    )
    try:
        rig.packer.ensure_sessions()
        _run(rig, 3)
        positions = rig.venue.positions(rig.info.order_book, [w.address for w in rig.wallets])
    finally:
        rig.close()
    sizes = [positions[w.address].size18 for w in rig.wallets]
    assert sizes == [5 * 10**16, 5 * 10**16, 0], "one take each in the minute; the third wallet untouched"
    skips = [
        (line.trader, (line.params or {}).get("reason"))
        for line in rig.store.iter_journal()
        if line.action == "SKIP"
    ]
    assert {trader for trader, _ in skips} >= {rig.wallets[0].address, rig.wallets[1].address}


HOLDER = """
class Holder(Trading):
    def on_initialize(self):
        self.bought = False

    def analyze(self, data):
        if not self.bought:
            self.buy(self.market, "0.05", wallet=0)
            self.sell(self.market, "0.02", wallet=1)
            self.bought = True
"""


def test_a_clean_end_flattens_every_wallet(tmp_path: Path) -> None:
    rig = make_rig(
        tmp_path / "state",
        wallets=2,
        strategy=str(_file(tmp_path, HOLDER)),
        overrides={**RUN, "wallets": 2},
    )
    try:
        summary = rig.packer.run(threading.Event(), max_cycles=3)
        positions = rig.venue.positions(rig.info.order_book, [w.address for w in rig.wallets])
    finally:
        rig.close()
    assert summary.stop_reason == "3 cycles done"
    assert [positions[w.address].size18 for w in rig.wallets] == [0, 0]
    markets = [
        (line.trader, (line.params or {})["isBuy"])
        for line in rig.store.iter_journal()
        if line.action == "PLACE_MARKET"
    ]
    first, second = (w.address for w in rig.wallets)
    assert sorted(markets) == sorted([(first, True), (second, False), (first, False), (second, True)])
