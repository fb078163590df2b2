"""A user's strategy file as a `Strategy`: it runs sandboxed (`ama_tui.sandbox`), and the kit's calls
become one wallet's plan for the tick.

Each tick the engine sends the strategy its new fills (`on_fill`) and the tick (`analyze`), and
answers its calls from the tick's view: `buy`/`sell` become placements (a limit that rests) or takes
(a limit that crosses, or a market order), `cancel` a cancel, the queries read the view. The plan is
then held to the engine's guard like any other (the cap, the notional caps, never a wallet of
ours on the other side). The strategy trades as `wallets` wallets of the fleet from `wallet` on
(one, the first, by default), which the kit numbers 0, 1, ...: each wallet gets its own plan, so
the collateral cap, the notional caps and every other guard hold per wallet. Its process never
holds a key, a session or the network. A stop loss or profit target
given with an order is kept by the engine: once the order fills, the filled size is closed with a
market order when the mid reaches either.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ama_tui.core.margin import estimate_margin6
from ama_tui.core.market import OpenOrder
from ama_tui.core.planner import PlannedCancel, PlannedPlacement, PlannedTake, WalletPlan
from ama_tui.core.units import AMOUNT_SCALE, PRICE_SCALE, USDC_SCALE
from ama_tui.engine.strategy_files import FILE_PREFIX
from ama_tui.engine.user_orders import UserOrders, price, units
from ama_tui.kit import (
    CallArgs,
    Fill,
    MarketData,
    MarketRef,
    Method,
    OrderRef,
    OrderRequest,
    Portfolio,
    Position,
    Quote,
)
from ama_tui.sandbox import Intent, Limits, Log, SandboxedStrategy
from ama_tui.strategy import RiskPolicy, StrategyInfo, TickView, WalletSlot

OWN_PARAMS = ("wallet", "wallets", "maxTradeNotional", "maxMinuteNotional", "onStop")


class UserParams(BaseModel):
    """The engine's parameters for a user strategy; any other name is the strategy's own (it reads
    them as `self.params`)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="allow")

    wallet: int = Field(
        default=0, ge=0, le=100_000, title="Wallet", description="the first wallet it trades as"
    )
    wallets: int = Field(
        default=1,
        ge=1,
        le=1_000,
        title="Wallets",
        description="how many wallets it trades, from the first on (the kit's wallet=0, 1, ...)",
    )
    max_trade_notional: Decimal = Field(
        default=Decimal(1_000),
        alias="maxTradeNotional",
        ge=0,
        title="Largest order (USDC)",
        description="the most one of its orders may be worth; 0: no limit",
    )
    max_minute_notional: Decimal = Field(
        default=Decimal(10_000),
        alias="maxMinuteNotional",
        ge=0,
        title="Most taken per minute (USDC)",
        description="the most each wallet's takes may trade over any minute; 0: no limit",
    )
    on_stop: Literal["leave", "cancel"] = Field(
        default="leave",
        alias="onStop",
        title="If it is stopped",
        description="what becomes of its open orders when the strategy is stopped: leave or cancel",
    )

    def strategy_params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


def _exact(value: Decimal, scale: int, what: str) -> int:
    scaled = value * scale
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{what} {value} has more decimals than the exchange takes")
    return int(scaled)


class _Tick:
    """One tick's answers and the plan they build for the strategy's wallet."""

    def __init__(self, view: TickView, slot: WalletSlot, orders: UserOrders, market: str) -> None:
        self.view, self.slot, self.orders, self.market = view, slot, orders, market
        self.resting: dict[int, OpenOrder] = {o.order_id: o for o in slot.orders}
        self.placements: list[PlannedPlacement] = []
        self.takes: list[PlannedTake] = []
        self.cancels: list[PlannedCancel] = []
        self.tags: list[str] = []

    # -- intents

    def _order(self, is_buy: bool, request: OrderRequest) -> str:
        if request.market != self.market:
            raise ValueError(f"this run trades {self.market} only, not {request.market}")
        amount18 = _exact(request.amount, AMOUNT_SCALE, "amount")
        tick6 = self.view.rules.tick6
        limit6 = 0
        if request.limit_price is not None:
            limit6 = _exact(request.limit_price, PRICE_SCALE, "limit_price")
            if limit6 % tick6:
                raise ValueError(
                    f"limit_price {request.limit_price} is not on the tick grid ({price(tick6)})"
                )
        stop6 = _exact(request.stop_loss, PRICE_SCALE, "stop_loss") if request.stop_loss else 0
        target6 = _exact(request.profit_target, PRICE_SCALE, "profit_target") if request.profit_target else 0
        client_id = self.orders.new(is_buy, amount18, limit6, stop6, target6, wallet=self.slot.index)
        self.tags.append(client_id)
        top = self.view.top
        crosses = limit6 == 0 or (
            (top.best_ask6 > 0 and limit6 >= top.best_ask6)
            if is_buy
            else (top.best_bid6 > 0 and limit6 <= top.best_bid6)
        )
        if crosses:
            self.takes.append(PlannedTake(is_buy, amount18, limit6, tag=client_id))
        else:
            margin6 = estimate_margin6(limit6, amount18, is_buy, self.view.rules.margin_bps)
            level = len(self.placements)
            self.placements.append(PlannedPlacement(is_buy, level, limit6, amount18, margin6, tag=client_id))
        return client_id

    def _cancel(self, client_id: str) -> bool:
        if client_id in self.tags:  # asked for this same tick: it is never sent
            self.placements = [p for p in self.placements if p.tag != client_id]
            self.takes = [t for t in self.takes if t.tag != client_id]
            self.tags.remove(client_id)
            self.orders.refuse(client_id)
            return True
        order_id = self.orders.venue_id(client_id)
        held = self.resting.get(order_id) if order_id is not None else None
        if held is None or held.order_id in self.slot.cancelling:
            return False
        if any(c.order_id == held.order_id for c in self.cancels):
            return True
        self.cancels.append(
            PlannedCancel(
                held.order_id, held.is_buy, held.price6, held.amount18, held.margin_required6, held.timestamp
            )
        )
        tracked = self.orders.by_client.get(client_id)
        if tracked is not None:
            tracked.cancelled = True
        return True

    # -- queries

    def _quote(self) -> Quote:
        top = self.view.top
        mid6 = top.mid6 or top.traded6
        return Quote(
            success=mid6 > 0,
            price=price(mid6) if mid6 else None,
            bid=price(top.best_bid6) if top.best_bid6 else None,
            ask=price(top.best_ask6) if top.best_ask6 else None,
            timestamp=int(self.view.now_s * 1000) if mid6 else None,
        )

    def _position(self) -> Position:
        size18 = self.slot.position18
        return Position(
            self.market, units(size18), price(self.slot.entry6) if size18 and self.slot.entry6 else None
        )

    def answer(self, method: Method, args: CallArgs) -> object:
        if method in ("buy", "sell"):
            assert isinstance(args, OrderRequest)
            return self._order(method == "buy", args)
        if isinstance(args, OrderRef):
            if method == "cancel":
                return self._cancel(args.order_id)
            return self.orders.status(args.order_id, self.resting)
        if isinstance(args, MarketRef) and args.market != self.market:
            raise ValueError(f"this run trades {self.market} only, not {args.market}")
        if method == "get_current_price":
            return self._quote()
        if method == "get_position":
            return self._position()
        if method == "get_open_orders":
            return self.orders.open_orders(self.market, self.resting)
        balance = Decimal(self.slot.available6) / USDC_SCALE
        if method == "get_available_balance":
            return balance
        position = self._position()
        mid6 = self.view.top.mid6
        unrealized = (
            (price(mid6) - position.entry_price) * position.size
            if mid6 and position.entry_price is not None
            else Decimal(0)
        )
        reserved = Decimal(sum(o.margin_required6 for o in self.slot.orders)) / USDC_SCALE
        return Portfolio(balance, balance + reserved + unrealized, (position,) if position.size else ())

    # -- the engine-kept exits

    def exits(self) -> None:
        mid6 = self.view.top.mid6
        if not mid6:
            return
        for tracked in self.orders.by_client.values():
            open18 = tracked.filled18 - tracked.exited18
            if tracked.wallet != self.slot.index:
                continue
            if open18 <= 0 or not (tracked.stop_loss6 or tracked.profit_target6):
                continue
            if tracked.is_buy:
                hit = (tracked.stop_loss6 and mid6 <= tracked.stop_loss6) or (
                    tracked.profit_target6 and mid6 >= tracked.profit_target6
                )
            else:
                hit = (tracked.stop_loss6 and mid6 >= tracked.stop_loss6) or (
                    tracked.profit_target6 and mid6 <= tracked.profit_target6
                )
            if hit:
                tracked.exited18 += open18
                self.takes.append(PlannedTake(not tracked.is_buy, open18, 0))

    def plan(self) -> WalletPlan:
        return WalletPlan.of(
            self.slot.index,
            cancels=tuple(self.cancels),
            placements=tuple(self.placements),
            takes=tuple(self.takes),
            anchor6=self.view.top.mid6,
        )


class _Ticks:
    """One tick's answers for every wallet the strategy trades: a call goes to the wallet it names
    (the kit's `wallet=`, 0 when left out), a call about an order to the wallet that holds it."""

    def __init__(self, view: TickView, slots: list[WalletSlot], orders: UserOrders, market: str) -> None:
        self.ticks = [_Tick(view, slot, orders, market) for slot in slots]
        self.orders = orders

    def _wallet(self, wallet: int) -> _Tick:
        if not 0 <= wallet < len(self.ticks):
            raise ValueError(f"wallet {wallet}: this strategy trades wallets 0 to {len(self.ticks) - 1}")
        return self.ticks[wallet]

    def _holder(self, client_id: str) -> _Tick:
        tracked = self.orders.by_client.get(client_id)
        order_id = self.orders.venue_id(client_id)
        for tick in self.ticks:
            if tracked is not None and tracked.wallet == tick.slot.index:
                return tick
            if tracked is None and order_id is not None and order_id in tick.resting:
                return tick
        return self.ticks[0]

    def answer(self, method: Method, args: CallArgs) -> object:
        if isinstance(args, OrderRef):
            return self._holder(args.order_id).answer(method, args)
        return self._wallet(getattr(args, "wallet", 0)).answer(method, args)

    def see(self) -> None:
        for tick in self.ticks:
            self.orders.see(tick.resting)

    def exits(self) -> None:
        for tick in self.ticks:
            tick.exits()

    @property
    def tags(self) -> list[str]:
        return [tag for tick in self.ticks for tag in tick.tags]

    def plans(self) -> dict[int, WalletPlan]:
        return {tick.slot.index: tick.plan() for tick in self.ticks}


def market_data(view: TickView) -> MarketData:
    top = view.top
    mid6 = top.mid6 or top.traded6 or top.best_bid6 or top.best_ask6
    return MarketData(
        timestamp=int(view.now_s * 1000),
        bid=price(top.best_bid6),
        ask=price(top.best_ask6),
        mid=price(mid6),
        last=price(top.traded6 or mid6),
    )


class UserStrategy:
    """`decide` may raise `StrategyStopped` (what the strategy did, in plain words): the engine
    stops the run. Call `stop` once the run is over."""

    def __init__(
        self, path: Path, market: str, *, limits: Limits | None = None, allow_unsandboxed: bool = False
    ) -> None:
        self.path = path
        self.info = StrategyInfo(
            name=f"{FILE_PREFIX}{path}",
            summary=f"the strategy in {path.name}, sandboxed",
            risk=RiskPolicy(maker_only=False),
            params_model=UserParams,
        )
        self.market = market
        self._sandbox = SandboxedStrategy(limits, allow_unsandboxed=allow_unsandboxed)
        self._started = False
        self._orders = UserOrders()
        self._seen_fills: set[str] = set()
        self._asked: list[str] = []
        self.log_lines: deque[str] = deque(maxlen=200)
        """The strategy's own log lines, newest last."""
        self._unread: list[str] = []
        self.wallet_index = 0

    def risk_for(self, params: BaseModel | None) -> RiskPolicy:
        own = params if isinstance(params, UserParams) else UserParams()
        return RiskPolicy.taker(own.max_trade_notional, own.max_minute_notional, per_wallet=True)

    @staticmethod
    def _own(view: TickView) -> tuple[UserParams, list[WalletSlot] | None]:
        """Its parameters and the wallets it trades as (None: not all in the fleet)."""
        params = view.params if isinstance(view.params, UserParams) else UserParams()
        by_index = {s.index: s for s in view.wallets}
        slots = [by_index.get(params.wallet + k) for k in range(params.wallets)]
        found = [s for s in slots if s is not None]
        return params, found if len(found) == len(slots) else None

    def decide(self, view: TickView) -> Mapping[int, WalletPlan]:
        params, slots = self._own(view)
        if slots is None:
            which = (
                f"wallet {params.wallet}"
                if params.wallets == 1
                else f"wallets {params.wallet} to {params.wallet + params.wallets - 1}"
            )
            raise ValueError(f"{which} not all in the fleet of {len(view.wallets)} wallets")
        self.wallet_index = slots[0].index
        mine = {slot.index for slot in slots}
        for client_id in self._asked:  # last tick's orders the engine never sent
            self._orders.refuse(client_id)
        tick = _Ticks(view, slots, self._orders, self.market)
        tick.see()
        events: list[object] = []
        if not self._started:
            self._started = True
            self._seen_fills.update(f.fill_id for f in view.fills)  # fills from before it ran
            events += self._sandbox.start(
                self.market, params.strategy_params(), self.path, tick.answer, wallets=len(slots)
            )
        for fill in view.fills:
            if fill.fill_id in self._seen_fills or fill.wallet_index not in mine:
                continue
            self._seen_fills.add(fill.fill_id)
            tracked = self._orders.filled(fill.order_id, fill.tx_hash, fill.amount18)
            if tracked is None:
                continue
            kit_fill = Fill(
                order_id=tracked.client_id,
                market=self.market,
                side="buy" if fill.is_buy else "sell",
                amount=units(fill.amount18),
                price=price(fill.price6),
                timestamp=int(fill.timestamp * 1000),
            )
            events += self._sandbox.on_fill(kit_fill, tick.answer)
        tick.exits()
        events += self._sandbox.on_tick(market_data(view), tick.answer)
        self._note(events)
        self._asked = tick.tags
        return tick.plans()

    def closing(self, view: TickView) -> Mapping[int, WalletPlan]:
        """At a clean end of the run: the strategy's `close_session` (by default it flattens its
        position of each of its wallets with a market order), as their last plans; its process then ends."""
        if not self._started:
            return {}
        _, slots = self._own(view)
        if slots is None:
            return {}
        tick = _Ticks(view, slots, self._orders, self.market)
        tick.see()
        self._note(list(self._sandbox.close(tick.answer)))
        self._asked = tick.tags
        return tick.plans()

    def learn(self, wallet_index: int, tagged: list[tuple[str, int | None, str | None]]) -> None:
        """What the engine sent of the last plan: the venue's ids of the strategy's orders."""
        for tag, order_id, tx_hash in tagged:
            self._orders.learn(tag, order_id, tx_hash)
            if tag in self._asked:
                self._asked.remove(tag)

    def _note(self, events: list[object]) -> None:
        for event in events:
            if isinstance(event, Log):
                line = event.message
            elif isinstance(event, Intent) and event.error:
                line = f"{event.method} refused: {event.error}"
            else:
                continue
            self.log_lines.append(line)
            self._unread.append(line)

    def take_logs(self) -> tuple[int, list[str]]:
        """(its wallet's index, the log lines since the last call) for the engine to journal."""
        lines, self._unread = self._unread, []
        return self.wallet_index, lines

    def stop(self) -> None:
        self._sandbox.stop()
