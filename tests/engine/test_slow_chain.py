"""Trades answered `pending` and mined seconds later, in any order: the packer counts what may
still land, so no wallet ever holds more than its target on one side of the chain's book, nor one
price twice, and no order is cancelled twice — checked after every mined trade, on the virtual
clock and on the wall clock."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from ama_tui.core.models import ActionKind
from ama_tui.engine.packer import PackerOptions
from ama_tui.venues.sim import SimVenue

from .helpers import Rig, make_rig
from .slow_chain import SlowChain

TARGET = 3
OVERRIDES = {
    "ordersPerSidePerWallet": TARGET,
    # a narrow band and no tolerance: the moving market makes orders drift out, so cancels and
    # their replacements are in flight together all the time
    "minDistanceTicks": 2,
    "maxDistanceTicks": 8,
    "bandToleranceTicks": 0,
    "maxReplacePerCycle": 3,
    "minDelayMs": 200,
    "maxDelayMs": 400,
    # small orders and room under the cap: every side is full, so one extra order shows
    "sizeMin": 0.005,
    "sizeMax": 0.02,
    "maxWalletUtilization": 0.5,
}


def _rig(tmp_path: Path, chain: SlowChain, **options: object) -> Rig:
    return make_rig(
        tmp_path,
        venue=chain,
        seed=11,
        wallets=4,
        overrides=OVERRIDES,
        options=PackerOptions(seed=11, **options),  # type: ignore[arg-type]
    )


def _actions(rig: Rig, action: str) -> int:
    return sum(1 for line in rig.store.iter_journal() if line.action == action)


def _held_back(rig: Rig) -> list[object]:
    """The SKIP lines of placements that waited for a cancel still being mined."""
    return [
        line
        for line in rig.store.iter_journal()
        if line.action == ActionKind.SKIP and "CANCEL_PENDING" in str(line.params)
    ]


def _cancelled_twice(rig: Rig) -> list[str]:
    """Orders whose cancel was sent again while the first was still being mined."""
    ids = Counter(
        str((line.params or {}).get("orderId"))
        for line in rig.store.iter_journal()
        if line.action == ActionKind.CANCEL_ORDER
    )
    return [order_id for order_id, count in ids.items() if count > 1]


def test_virtual_clock_a_side_never_holds_more_than_its_target(tmp_path: Path) -> None:
    chain = SlowChain(SimVenue(11, preset="REALISTIC", clock="virtual"), mine_s=3.0, seed=11)
    rig = _rig(tmp_path, chain, max_in_flight=1)
    try:
        rig.packer.ensure_sessions()
        for _ in range(120):
            rig.packer.cycle()
            chain.inner.advance(max(0.2, rig.packer.next_delay_s()))  # type: ignore[attr-defined]
        chain.mine(everything=True)
        placed, cancelled = _actions(rig, ActionKind.PLACE_LIMIT), _actions(rig, ActionKind.CANCEL_ORDER)
        twice = _cancelled_twice(rig)
        held_back = _held_back(rig)
    finally:
        rig.close()
    assert chain.doubles == []
    assert chain.most_per_side <= TARGET
    assert twice == []
    # the run did what the check is about: many replacements while trades were in flight
    assert cancelled >= 20 and placed >= 4 * 2 * TARGET + 20, (placed, cancelled)
    assert held_back, "no placement ever waited for a cancel still being mined"


def test_a_cancel_answered_pending_but_already_mined_holds_nothing_back(tmp_path: Path) -> None:
    """The relay answers `pending`, the chain has mined it by the time the receipt is asked for
    (a local node mines at once): the replacement goes out in the same turn."""
    # PERFECT_EXECUTION: no relay failures underneath (a cancel that reverted is rightly held)
    chain = SlowChain(SimVenue(11, preset="PERFECT_EXECUTION", clock="virtual"), mine_s=0.0, seed=11)
    rig = _rig(tmp_path, chain, max_in_flight=1)
    try:
        rig.packer.ensure_sessions()
        for _ in range(60):
            rig.packer.cycle()
            chain.inner.advance(max(0.2, rig.packer.next_delay_s()))  # type: ignore[attr-defined]
        cancelled = _actions(rig, ActionKind.CANCEL_ORDER)
        held_back = _held_back(rig)
    finally:
        rig.close()
    assert cancelled >= 10
    assert held_back == []
    assert chain.most_per_side <= TARGET and chain.doubles == []


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_wall_clock_with_latency_a_side_never_holds_more_than_its_target(tmp_path: Path) -> None:
    sim = SimVenue(11, preset="PERFECT_EXECUTION", clock="wall")
    chain = SlowChain(sim, mine_s=1.5, latency_s=0.15, seed=11)
    rig = _rig(tmp_path, chain, max_in_flight=8)
    try:
        rig.packer.ensure_sessions()
        deadline = time.monotonic() + 25.0
        while time.monotonic() < deadline:
            rig.packer.cycle()
            time.sleep(rig.packer.next_delay_s())
        chain.mine(everything=True)
        placed, cancelled = _actions(rig, ActionKind.PLACE_LIMIT), _actions(rig, ActionKind.CANCEL_ORDER)
        twice = _cancelled_twice(rig)
    finally:
        rig.close()
    assert chain.doubles == []
    assert chain.most_per_side <= TARGET
    assert twice == []
    assert cancelled >= 5 and placed >= 4 * 2 * TARGET + 5, (placed, cancelled)
