"""Cancel-all leaves no order behind when placements are still in flight: the relay answered them
`pending` before cancel-all read the book, and they land after it (the wall clock; trades mined a
second or so after they are answered)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ama_tui.core.models import ActionKind
from ama_tui.engine.packer import PackerOptions
from ama_tui.venues.sim import SimVenue

from .helpers import make_rig
from .slow_chain import SlowChain

OVERRIDES = {
    "ordersPerSidePerWallet": 2,
    "sizeMin": 0.005,
    "sizeMax": 0.01,
    "maxWalletUtilization": 0.5,
    "minDelayMs": 0,
    "maxDelayMs": 0,
}


@pytest.mark.timeout(120)
def test_orders_that_land_after_cancel_all_read_the_book_are_cancelled_too(tmp_path: Path) -> None:
    sim = SimVenue(5, preset="NO_FILLS", clock="wall")
    chain = SlowChain(sim, mine_s=1.0, seed=5)
    rig = make_rig(
        tmp_path, venue=chain, seed=5, wallets=2, overrides=OVERRIDES, options=PackerOptions(seed=5)
    )
    try:
        rig.packer.ensure_sessions()
        chain.mine(everything=True)  # the sessions
        rig.packer.cycle()  # the pack goes out; nothing of it has landed yet
        placed = sum(1 for line in rig.store.iter_journal() if line.action == ActionKind.PLACE_LIMIT)
        assert placed == 2 * 2 * 2
        assert not any(sim.open_orders(rig.info.order_book, rig.packer.addresses).values())
        cancelled = rig.packer.cancel_all()
        chain.mine(everything=True)  # every cancel it sent is mined
        left = sim.open_orders(rig.info.order_book, rig.packer.addresses)
    finally:
        rig.close()
    assert cancelled == placed
    assert not any(left.values()), left
