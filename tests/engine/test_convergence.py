"""The book follows the parameters and the market: within two cycles of a live change (or of the
mid moving past the band), every wallet holds exactly its target per side, every order lies in the
band around the anchor, and the open orders' margin fits the cap — checked on the venue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ama_tui.core.models import is_cancel
from ama_tui.venues.sim import SimVenue

from .book_checks import check_book
from .helpers import Rig, make_rig

ROOMY = {"maxWalletUtilization": 0.9, "sizeMin": 0.001, "sizeMax": 0.002, "ordersPerSidePerWallet": 4}


def _rig(
    tmp_path: Path, preset: str = "NO_FILLS", price_mode: str = "MEAN", **overrides: Any
) -> tuple[Rig, SimVenue]:
    sim = SimVenue(5, preset=preset, clock="virtual", price_mode=price_mode)
    rig = make_rig(tmp_path, venue=sim, seed=5, wallets=4, overrides={**ROOMY, **overrides})
    rig.packer.ensure_sessions()
    return rig, sim


def _assert_matches(rig: Rig) -> None:
    target = rig.params.current().packer.orders_per_side
    report = check_book(rig)
    assert set(report.per_side.values()) == {(target, target)}, report.per_side
    assert report.out_of_band == []
    assert report.over_cap == []


@pytest.mark.parametrize(
    "change",
    [
        {"ordersPerSidePerWallet": 1},
        {"ordersPerSidePerWallet": 7},
        {"minDistanceTicks": 200, "maxDistanceTicks": 400},
        {"minDistanceTicks": 3, "maxDistanceTicks": 30},
        {"maxWalletUtilization": 0.5},
    ],
    ids=["fewer", "more", "farther", "closer", "utilization"],
)
def test_a_live_change_reaches_the_book_within_two_cycles(tmp_path: Path, change: dict[str, Any]) -> None:
    rig, _ = _rig(tmp_path)
    try:
        rig.packer.cycle()
        _assert_matches(rig)
        rig.params.update(change)
        rig.packer.cycle()
        rig.packer.cycle()
        _assert_matches(rig)
    finally:
        rig.close()


def test_lowering_the_utilization_cancels_the_farthest_orders_until_the_cap_holds(tmp_path: Path) -> None:
    rig, _ = _rig(tmp_path, sizeMin=0.05, sizeMax=0.1, ordersPerSidePerWallet=6)
    try:
        rig.packer.cycle()
        assert check_book(rig).over_cap == []
        rig.params.update({"maxWalletUtilization": 0.05})
        stats = rig.packer.cycle()
        assert stats.cancelled > 0
        report = check_book(rig)
        assert report.over_cap == []  # in one cycle
        cancels = [line for line in rig.store.tail(500).lines if is_cancel(line.action) and line.params]
        assert {line.params["reason"] for line in cancels if line.params} == {"over-cap"}
    finally:
        rig.close()


def test_orders_are_recentred_when_the_mid_moves_past_the_band(tmp_path: Path) -> None:
    # a trending market with takers (in a market without them our own quotes would hold the mid)
    rig, sim = _rig(tmp_path, preset="REALISTIC", price_mode="UP", minDistanceTicks=100, maxDistanceTicks=160)
    try:
        rig.packer.cycle()
        _assert_matches(rig)
        start = check_book(rig).anchor6
        packer = rig.params.current().packer
        band6 = (packer.max_distance_ticks + packer.band_tolerance_ticks) * rig.info.tick6
        for _ in range(600):  # let the market walk until the mid has moved past the band
            sim.advance(1.0)
            if abs(check_book(rig).anchor6 - start) > band6:
                break
        assert abs(check_book(rig).anchor6 - start) > band6
        assert check_book(rig).out_of_band  # the buys are left behind (the sells were taken)
        rig.packer.cycle()
        rig.packer.cycle()
        _assert_matches(rig)
        assert rig.packer.snapshot().totals.cancelled > 0
    finally:
        rig.close()


def test_a_steady_book_is_left_alone(tmp_path: Path) -> None:
    rig, _ = _rig(tmp_path)
    try:
        rig.packer.cycle()
        stats = [rig.packer.cycle() for _ in range(3)]
        assert [(s.placed, s.cancelled) for s in stats] == [(0, 0)] * 3
    finally:
        rig.close()
