"""rebalancer's reading of the book: the imbalance, the band it steers to, the lean."""

from __future__ import annotations

from decimal import Decimal

from ama_tui.core.market import BookTop
from ama_tui.core.models import PackerParams
from ama_tui.strategies.rebalancer import RebalanceParams, RebalancerStrategy, imbalance, steered
from ama_tui.strategy import TickView, WalletSlot
from tests.core.test_planner import RULES

PACKER = PackerParams.model_validate(
    {"minDistanceTicks": 10, "maxDistanceTicks": 40, "ordersPerSidePerWallet": 2}
)


def test_the_imbalance_of_the_top_levels() -> None:
    bids, asks = ((100, 3), (99, 1), (98, 100)), ((101, 1),)
    assert imbalance(bids, asks, 2) == Decimal(3) / 5
    assert imbalance((), (), 5) == 0
    assert imbalance((), asks, 5) == -1


def test_a_lopsided_book_widens_the_band_a_balanced_one_tightens_it() -> None:
    params = RebalanceParams()
    wide = steered(PACKER, params, Decimal("-0.6"))
    assert (wide.min_distance_ticks, wide.max_distance_ticks) == (20, 80)
    tight = steered(PACKER, params, Decimal("0.05"))
    assert (tight.min_distance_ticks, tight.max_distance_ticks) == (5, 20)
    assert steered(PACKER, params, Decimal("0.3")) == PACKER


def test_quotes_lean_to_the_heavy_side() -> None:
    slot = WalletSlot(0, "0xa", (), (), frozenset(), 10**12, 0)

    def view(bids: tuple[tuple[int, int], ...], asks: tuple[tuple[int, int], ...]) -> TickView:
        return TickView(
            now_s=0.0,
            top=BookTop(4_490_000, 4_510_000),
            rules=RULES,
            packer=PACKER,
            params=RebalanceParams(),
            sizes18=(10**16, 10**16),
            floor_ticks=0,
            wallets=(slot,),
            bids=bids,
            asks=asks,
        )

    heavy_bids = RebalancerStrategy().decide(view(((4_490_000, 9 * 10**18),), ((4_510_000, 10**18),)))[0]
    balanced = RebalancerStrategy().decide(view(((4_490_000, 10**18),), ((4_510_000, 10**18),)))[0]
    assert heavy_bids.anchor6 == balanced.anchor6 + 8 * RULES.tick6  # 0.8 of 10 ticks up
    assert heavy_bids.band == (20, 80) and balanced.band == (5, 20)
