"""A venue without sessions (no `venues.base.SessionVenue`): the engine opens, journals and saves
none, and every trade goes out with `NO_SESSION` (one market, and several sharing one fleet)."""

from __future__ import annotations

import threading
from pathlib import Path

from ama_tui.core.models import ActionKind
from ama_tui.engine.multi_market import MultiMarketRun
from ama_tui.engine.snapshot import EngineSnapshot
from ama_tui.store import derive_wallets
from ama_tui.venues.base import NO_SESSION, SessionVenue
from ama_tui.venues.sim import SimVenue

from ..venue_contract.sessionless import SessionlessSim
from .helpers import Rig, make_rig

SEED = 7
WALLETS = 3


def _venue() -> SessionlessSim:
    sim = SimVenue(SEED, "PERFECT_EXECUTION", "virtual")
    return SessionlessSim(sim, {w.address: w.key for w in derive_wallets(SEED, WALLETS)})


def _cycles(rig: Rig, sim: SimVenue, cycles: int = 4) -> EngineSnapshot:
    assert rig.packer.ensure_sessions() == 0
    for _ in range(cycles):
        rig.packer.cycle()
        sim.advance(2.0)
    return rig.packer.snapshot()


def _positions(snapshot: EngineSnapshot) -> list[int]:
    return [w.position18 for w in snapshot.wallets]


def _with_sessions(folder: Path) -> tuple[int, int, list[int]]:
    """The same run on the sim itself (sessions opened): what it placed, filled and holds."""
    sim = SimVenue(SEED, "PERFECT_EXECUTION", "virtual")
    rig = make_rig(folder, venue=sim, seed=SEED, wallets=WALLETS)
    try:
        snapshot = _cycles(rig, sim)
        assert ActionKind.SESSION_INIT in _actions(rig)
        return snapshot.totals.placed, snapshot.totals.fills, _positions(snapshot)
    finally:
        rig.close()


def _actions(rig: Rig) -> list[str]:
    return [str(line.action) for line in rig.store.iter_journal()]


def test_a_run_trades_with_no_session(tmp_path: Path) -> None:
    venue = _venue()
    assert not isinstance(venue, SessionVenue)
    rig = make_rig(tmp_path, venue=venue, seed=SEED, wallets=WALLETS)  # type: ignore[arg-type]
    try:
        snapshot = _cycles(rig, venue.sim)
        assert snapshot.totals.placed > 0 and snapshot.totals.fills > 0 and snapshot.totals.errors == 0
        assert (snapshot.totals.placed, snapshot.totals.fills, _positions(snapshot)) == _with_sessions(
            tmp_path / "with-sessions"
        ), "without sessions the run trades as the same run with them"
        assert all(w.session_expiry is None and not w.needs_session for w in snapshot.wallets)
        assert set(venue.submitted_session_ids) == {NO_SESSION}
        actions = _actions(rig)
        assert ActionKind.SESSION_INIT not in actions and ActionKind.SESSION_PENDING not in actions
        assert "NO_SESSION" not in dict(snapshot.skips_by_reason)

        resting = sum(len(o) for o in venue.open_orders(rig.info.order_book, rig.packer.addresses).values())
        assert rig.packer.cancel_all() == resting > 0
        assert not any(venue.open_orders(rig.info.order_book, rig.packer.addresses).values())
        rig.packer.end("test over")
        assert all(w.session_id is None for w in rig.packer.checkpoint.wallets.values())
    finally:
        rig.close()


def test_several_markets_share_no_session(tmp_path: Path) -> None:
    venue = _venue()
    rigs = [
        make_rig(tmp_path / symbol, venue=venue, seed=SEED, wallets=WALLETS, symbol=symbol)  # type: ignore[arg-type]
        for symbol in ("ETH-USD", "DOGE-USD")
    ]
    try:
        run = MultiMarketRun([(r.info.symbol, r.packer) for r in rigs], venue.clock)
        summary = run.run(threading.Event(), max_cycles=3)
        for market in summary.markets:
            assert market.summary.placed > 0 and market.summary.errors == 0, market
        assert set(venue.submitted_session_ids) == {NO_SESSION}
        for rig in rigs:
            assert ActionKind.SESSION_INIT not in _actions(rig)
    finally:
        for rig in rigs:
            rig.close()
