"""A fill's fee in its FILL line: exact (`fee6`, a decimal string) and human (`fee`), only when the
venue said; the embedded exchange charges none and says so (0)."""

from __future__ import annotations

from pathlib import Path

from ama_tui.engine.fills import FillLedger
from ama_tui.engine.journaling import JournalContext
from ama_tui.engine.wallet_state import WalletRuntime
from ama_tui.store import derive_wallets
from ama_tui.venues.base import Fill
from ama_tui.venues.sim import SimVenue

from .helpers import make_rig


def _record(fill: Fill, wallet: WalletRuntime) -> dict[str, object]:
    context = JournalContext(run_id="r", chain_id=1, order_book="0x" + "1" * 40, market_id_bytes32="0x00")
    (line,) = FillLedger(10).record([fill], [wallet], context, lambda: 0)
    return dict(line.params or {})


def test_a_fill_line_carries_its_fee_when_the_venue_says_it() -> None:
    wallet = WalletRuntime(index=0, entry=next(iter(derive_wallets(1, 1))))
    fill = Fill("f1", 0.0, wallet.address, True, 3_000_000_000, 10**16, "0x" + "2" * 40, fee6=11_100)
    params = _record(fill, wallet)
    assert params["fee6"] == "11100" and params["fee"] == 0.0111
    free = _record(Fill("f2", 0.0, wallet.address, False, 1, 1, "0x" + "2" * 40, fee6=0), wallet)
    assert free["fee6"] == "0" and free["fee"] == 0
    unknown = _record(Fill("f3", 0.0, wallet.address, False, 1, 1, "0x" + "2" * 40), wallet)
    assert "fee6" not in unknown and "fee" not in unknown


def test_the_embedded_exchange_reports_no_fee_as_zero(tmp_path: Path) -> None:
    sim = SimVenue(5, preset="NO_FILLS", clock="virtual")
    rig = make_rig(tmp_path, venue=sim, wallets=1, overrides={"maxWalletUtilization": 0.9})
    try:
        rig.packer.ensure_sessions()
        rig.packer.cycle()
        address = rig.wallets[0].address
        bids = [o.price6 for o in sim.open_orders(rig.info.order_book, [address])[address] if o.is_buy]
        assert bids
        sim.inject_taker(rig.info.order_book, False, 10**22, worst_price6=min(bids))
        rig.packer.cycle()
        fills = [line.params or {} for line in rig.store.iter_journal() if line.action == "FILL"]
        assert fills, "a taker sold into our bids"
        assert all(params["fee6"] == "0" and params["fee"] == 0 for params in fills)
        recent = rig.snapshots[-1].recent_fills
        assert recent and all(fill.fee6 == 0 for fill in recent)
    finally:
        rig.close()
