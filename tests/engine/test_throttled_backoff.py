"""A relay over its capacity refuses with 429 and names no wait, while it takes the rest: it is
not down. The adaptive limit sends fewer at once; neither the fleet nor the refused wallets are
held back (a fleet that doubled its wait on every such cycle slept up to 30 s at a time under a
throttling relay, its books short). A relay that refuses every trade is treated as down."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ama_tui.core.models import ActionKind
from ama_tui.engine.backoff import BACKOFF_BASE_S
from ama_tui.venues.base import RateLimited, TradeRejected
from ama_tui.venues.sim import SimVenue

from .helpers import Faulty, make_rig

OVERRIDES = {"minDelayMs": 10, "maxDelayMs": 20, "sizeMin": 0.001, "sizeMax": 0.002}


THROTTLED = RateLimited("429 rate_limit_exceeded")


class Refusing(Faulty):
    """Answers every trade of a wallet in `refused` with its error."""

    def __init__(self, inner: Any) -> None:
        super().__init__(inner)
        self.refused: dict[str, Exception] = {}

    def submit(self, order_book: str, session_id: str, request: Any) -> Any:
        error = self.refused.get(request.trader)
        if error is not None:
            raise error
        return super().submit(order_book, session_id, request)


def _rig(tmp_path: Path) -> Any:
    relay = Refusing(SimVenue(3, preset="NO_FILLS", clock="virtual"))
    rig = make_rig(tmp_path, venue=relay, wallets=4, overrides=OVERRIDES)  # type: ignore[arg-type]
    rig.packer.ensure_sessions()
    return relay, rig


def _backoff_skips(rig: Any) -> list[str]:
    lines = rig.store.iter_journal()
    return [
        x.trader for x in lines if x.action == ActionKind.SKIP and (x.params or {})["reason"] == "BACKOFF"
    ]


def test_most_wallets_refused_for_load_keep_the_fleets_pace(tmp_path: Path) -> None:
    relay, rig = _rig(tmp_path)
    try:
        relay.refused = {w.address: THROTTLED for w in rig.wallets[:3]}  # three of four: "most failed"
        first = rig.packer.cycle()
        assert first.placed > 0 and first.errors >= 3
        assert rig.packer.next_delay_s() < BACKOFF_BASE_S  # the fleet keeps its pace
        relay.refused = {}
        second = rig.packer.cycle()  # at once: the refused wallets are not held back
        assert second.placed > 0 and not _backoff_skips(rig)
        held = relay.inner.open_orders(rig.info.order_book, rig.packer.addresses)
        assert all(held[w.address] for w in rig.wallets)
    finally:
        rig.close()


def test_a_relay_refusing_every_trade_holds_the_fleet_back(tmp_path: Path) -> None:
    relay, rig = _rig(tmp_path)
    try:
        relay.refused = {w.address: THROTTLED for w in rig.wallets}
        rig.packer.cycle()
        assert rig.packer.next_delay_s() >= BACKOFF_BASE_S
        rig.packer.cycle()
        assert rig.packer.next_delay_s() >= 2 * BACKOFF_BASE_S  # doubling while nothing goes through
    finally:
        rig.close()


def test_a_400_is_an_answer_the_relay_is_not_down(tmp_path: Path) -> None:
    """One wallet's trades rejected (a 400, an answer), the others' refused for load: the relay
    answered, so the fleet keeps its pace."""
    relay, rig = _rig(tmp_path)
    try:
        relay.refused = {w.address: THROTTLED for w in rig.wallets[1:]}
        relay.refused[rig.wallets[0].address] = TradeRejected("crosses_spot_liquidity", "market state")
        stats = rig.packer.cycle()
        assert stats.placed == 0 and stats.errors >= 4
        assert rig.packer.next_delay_s() < BACKOFF_BASE_S
    finally:
        rig.close()


def test_a_429_that_names_its_wait_still_holds_the_fleet_that_long(tmp_path: Path) -> None:
    relay, rig = _rig(tmp_path)
    try:
        relay.refused = {rig.wallets[0].address: RateLimited("429 rate_limit_exceeded", retry_after=10)}
        rig.packer.cycle()
        assert rig.packer.next_delay_s() >= 10
    finally:
        rig.close()
