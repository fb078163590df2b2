"""A resumed run says what it found and what it renewed (issue 16: a relaunch that logged
`session_unknown` errors and positions reading 0 with no word why)."""

from __future__ import annotations

from pathlib import Path

from ama_tui.core.models import ActionKind, ActionLogLine
from ama_tui.engine.run_setup import StartMode
from ama_tui.venues.sim import SimVenue

from .helpers import Rig, make_rig


def _resumed_lines(rig: Rig) -> list[ActionLogLine]:
    return [line for line in rig.store.iter_journal() if line.action == ActionKind.RUN_RESUMED]


def _first_run(tmp_path: Path, sim: SimVenue, cycles: int) -> int:
    """A run that leaves orders resting (NO_FILLS: they never fill); returns how many."""
    first = make_rig(tmp_path, venue=sim, wallets=3)
    try:
        first.packer.ensure_sessions()
        for _ in range(cycles):
            first.packer.cycle()
        held = sum(
            len(orders) for orders in sim.open_orders(first.info.order_book, first.packer.addresses).values()
        )
        assert _resumed_lines(first) == []  # a fresh run has nothing to report
    finally:
        first.close()
    return held


def test_a_resumed_run_says_what_it_found_and_kept(tmp_path: Path) -> None:
    sim = SimVenue(3, preset="NO_FILLS", clock="virtual")
    held = _first_run(tmp_path, sim, cycles=2)
    assert held > 0
    again = make_rig(tmp_path, venue=sim, wallets=3, mode=StartMode.RESUME)
    try:
        again.packer.ensure_sessions()
        again.packer.cycle()
        again.packer.cycle()
        lines = _resumed_lines(again)
        notices = again.packer.snapshot().notices
    finally:
        again.close()
    assert len(lines) == 1  # once
    params = lines[0].params or {}
    assert params["orders"] == held and params["walletsWithOrders"] == 3
    assert (params["sessionsKept"], params["sessionsRenewed"], params["sessionsNew"]) == (3, 0, 0)
    assert params["strategy"] == "packer"
    message = str(params["message"])
    assert message.startswith(f"resumed: found {held} orders resting (3 wallets)")
    assert "sessions: 3 still valid" in message
    assert message in notices


def test_a_resume_on_an_exchange_that_lost_its_state_says_the_sessions_were_opened_again(
    tmp_path: Path,
) -> None:
    _first_run(tmp_path, SimVenue(3, preset="NO_FILLS", clock="virtual"), cycles=1)
    fresh = SimVenue(3, preset="NO_FILLS", clock="virtual")  # the exchange's state was lost
    again = make_rig(tmp_path, venue=fresh, wallets=3, mode=StartMode.RESUME)
    try:
        again.packer.ensure_sessions()
        again.packer.cycle()
        (line,) = _resumed_lines(again)
    finally:
        again.close()
    params = line.params or {}
    assert params["orders"] == 0 and params["positions"] == 0
    assert (params["sessionsKept"], params["sessionsRenewed"]) == (0, 3)
    assert "3 opened again (expired or unknown to the exchange)" in str(params["message"])
