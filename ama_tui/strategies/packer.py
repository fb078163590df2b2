"""The liquidity packer: every wallet keeps `ordersPerSidePerWallet` resting orders a side inside
the distance band around the mid, within its collateral cap (`core.planner` decides it all)."""

from __future__ import annotations

from collections.abc import Mapping

from ama_tui.core.planner import WalletPlan, plan_wallet
from ama_tui.core.skew import Skew
from ama_tui.strategy import RiskPolicy, StrategyInfo, TickView, WalletSlot

INFO = StrategyInfo(
    name="packer",
    summary="resting limit orders on both sides of the book, never crossing, within the cap",
    risk=RiskPolicy(maker_only=True),
)


def plan_slot(view: TickView, slot: WalletSlot, skew: Skew | None = None) -> WalletPlan:
    sizes = view.sizes18
    return plan_wallet(
        wallet_index=slot.index,
        open_orders=slot.orders,
        available6=slot.available6,
        book=view.top,
        rules=view.rules,
        params=view.packer,
        size_min18=sizes[0] if sizes else None,
        size_max18=sizes[1] if sizes else None,
        floor_ticks=view.floor_ticks,
        in_flight=slot.in_flight,
        cancelling=slot.cancelling,
        skew=skew,
    )


class PackerStrategy:
    info = INFO

    def decide(self, view: TickView) -> Mapping[int, WalletPlan]:
        return {slot.index: plan_slot(view, slot) for slot in view.wallets}
