"""One tick's plans: the strategy decides from a read-only view, the engine guards what it decided.

The engine builds a `TickView` of every wallet from what the cycle just read, asks the run's
strategy for a plan per wallet, and then holds every plan to the rules no strategy may bend: the
risk guard (`strategy.risk_guard`: own orders only, valid orders, orders per side, the cap,
maker-only never crossing), a wallet without a session does nothing, and a wallet backing off
after relay failures still cancels but places nothing. Skips are journaled by the caller's
`SkipLog` (rate-limited per reason)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Final

from pydantic import BaseModel

from ama_tui.core.market import BookTop, MarketRules
from ama_tui.core.models import ActionLogLine
from ama_tui.core.planner import WalletPlan, choose_anchor6
from ama_tui.core.sizing import size_range18
from ama_tui.engine.live_params import ParamsView
from ama_tui.engine.skips import SkipLog
from ama_tui.engine.wallet_state import WalletRuntime
from ama_tui.strategy import FillView, Strategy, TickView, WalletSlot
from ama_tui.strategy.base import risk_of
from ama_tui.strategy.risk_guard import guard_plan, take_notional6
from ama_tui.strategy.view import fleet_prices
from ama_tui.venues.base import BookSnapshot, Fill

CANCEL_MINED_WITHIN_S: Final = 60.0
"""An order whose cancel was answered this recently and still rests is taken as leaving (not
cancelled again, yet counted where it rests); past this the cancel is taken as lost and resent."""


class TakerWindow:
    """The notional a taker strategy traded over the last minute (venue time), for its cap: the
    fleet's together (`who` None), or one wallet's (`who` its index)."""

    WINDOW_S: Final = 60.0

    def __init__(self) -> None:
        self._spent: dict[int | None, deque[tuple[float, int]]] = {}

    def left6(self, cap6: int, now_s: float, who: int | None = None) -> int | None:
        """What the cap leaves now (None: no cap)."""
        spent = self._spent.setdefault(who, deque())
        while spent and now_s - spent[0][0] >= self.WINDOW_S:
            spent.popleft()
        return None if cap6 <= 0 else cap6 - sum(notional for _, notional in spent)

    def spend(self, notional6: int, now_s: float, who: int | None = None) -> None:
        if notional6 > 0:
            self._spent.setdefault(who, deque()).append((now_s, notional6))


class DecidedPlans:
    """A strategy's plans decided elsewhere (its `closing`), passed through the same guard."""

    def __init__(self, strategy: Strategy, plans: Mapping[int, WalletPlan]) -> None:
        self.info = strategy.info
        self._strategy = strategy
        self._plans = plans

    def risk_for(self, params: object) -> object:
        return risk_of(self._strategy, params if isinstance(params, BaseModel) else None)

    def decide(self, view: TickView) -> Mapping[int, WalletPlan]:
        return self._plans


def wallet_slot(wallet: WalletRuntime, now_s: float) -> WalletSlot:
    return WalletSlot(
        index=wallet.index,
        address=wallet.address,
        orders=wallet.orders,
        in_flight=wallet.in_flight,
        cancelling=frozenset(
            order_id for order_id, at in wallet.cancelled_ids.items() if now_s - at < CANCEL_MINED_WITHIN_S
        ),
        available6=wallet.available6,
        position18=wallet.position.size18,
        entry6=wallet.position.entry6,
    )


def tick_view(
    params: ParamsView,
    top: BookTop,
    rules: MarketRules,
    wallets: Sequence[WalletRuntime],
    *,
    now_s: float,
    floor_ticks: int,
    book: BookSnapshot | None = None,
    fills: Sequence[Fill] = (),
) -> TickView:
    """The view a strategy decides from; `fills` newest first (as the fill ledger keeps them)."""
    index = {wallet.key: wallet.index for wallet in wallets}
    return TickView(
        bids=tuple((level.price6, level.amount18) for level in book.bids) if book else (),
        asks=tuple((level.price6, level.amount18) for level in book.asks) if book else (),
        fills=tuple(
            FillView(
                fill_id=fill.fill_id,
                wallet_index=index[fill.trader.lower()],
                is_buy=fill.is_buy,
                price6=fill.price6,
                amount18=fill.amount18,
                timestamp=fill.timestamp,
                order_id=fill.order_id,
                is_maker=fill.is_maker,
                tx_hash=fill.tx_hash,
            )
            for fill in reversed(fills)
            if fill.trader.lower() in index
        ),
        now_s=now_s,
        top=top,
        rules=rules,
        packer=params.packer,
        params=params.strategy,
        sizes18=size_range18(params.config, choose_anchor6(top, params.packer.reference6)),
        floor_ticks=floor_ticks,
        wallets=tuple(wallet_slot(wallet, now_s) for wallet in wallets),
    )


def guarded_plans(
    strategy: Strategy,
    view: TickView,
    wallets: Sequence[WalletRuntime],
    skips: SkipLog,
    *,
    dry_run: bool,
    now_ms: Callable[[], int],
    takers: TakerWindow | None = None,
) -> tuple[list[tuple[WalletRuntime, WalletPlan]], list[ActionLogLine]]:
    """The plans to carry out this tick (wallets with nothing to do left out) and the skip lines to
    journal. `takers` keeps the notional a taker strategy traded over the last minute (the takes
    that pass the guard are counted as spent: they may trade)."""
    decided = strategy.decide(view)
    policy = risk_of(strategy, view.params)
    takers = takers or TakerWindow()
    slots = {slot.index: slot for slot in view.wallets}
    plans: list[tuple[WalletRuntime, WalletPlan]] = []
    lines: list[ActionLogLine] = []

    def note(wallet: WalletRuntime, reason: str, message: str, count: int = 1) -> None:
        line = skips.note(wallet, reason, message, now_s=view.now_s, now_ms=now_ms, count=count)
        lines.extend([line] if line else [])

    for wallet in wallets:
        if wallet.trade_session_id is None and not dry_run:
            note(wallet, "NO_SESSION", "the wallet has no session yet")
            continue
        plan = decided.get(wallet.index)
        if plan is None:
            continue
        who = wallet.index if policy.minute_per_wallet else None
        plan = guard_plan(
            plan,
            slots[wallet.index],
            top=view.top,
            rules=view.rules,
            packer=view.packer,
            policy=policy,
            others=fleet_prices(view, decided, wallet.index) if plan.takes else (),
            minute_left6=takers.left6(policy.max_minute_notional6, view.now_s, who),
        )
        for take in plan.takes:
            takers.spend(take_notional6(take, view.top), view.now_s, who)
        if (plan.placements or plan.takes) and view.now_s < wallet.trade_retry_at:
            wait = wallet.trade_retry_at - view.now_s
            held = len(plan.placements) + len(plan.takes)
            note(wallet, "BACKOFF", f"{held} placements held back {wait:.1f} s after relay failures", held)
            plan = replace(plan, placements=(), takes=())
        elif plan.skips:
            lines.extend(skips.plan_skips(wallet, plan.skips, now_s=view.now_s, now_ms=now_ms))
        else:
            wallet.skip_reason = None
        if plan.cancels or plan.placements or plan.takes:
            plans.append((wallet, plan))
    return plans, lines
