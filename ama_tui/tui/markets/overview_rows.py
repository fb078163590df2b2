"""The fleet overview's figures, from each market's latest snapshot (pure: no textual).

Per market: its state, open orders, fills, PnL and utilization (margin our orders hold / their
cap, summed over the wallets). Per wallet: its share of the budget in each market (the same for
every wallet: the split of `maxWalletUtilization` by weight) with what it holds there, and its
total use over the markets: the margin our orders hold in all of them against the wallets' total
cap, `maxWalletUtilization x (free collateral + that margin)` (the vault's free collateral is per
wallet, so every market sees the same)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from ama_tui.engine.snapshot import EngineSnapshot, EngineState
from ama_tui.fleet.plan import BPS
from ama_tui.tui.markets_run import BudgetSplit
from ama_tui.tui.widgets.text import NONE, signed_usdc6, usdc_text

WAITING: Final = "waiting"


def percent(part: int, whole: int) -> str:
    """`37%` (whole percents), `—` when there is no whole."""
    if whole <= 0:
        return NONE
    return f"{part * 100 // whole}%"


@dataclass(frozen=True, slots=True)
class MarketRowView:
    symbol: str
    state: str
    weight: str
    share: str
    orders: str
    fills: str
    pnl: str
    pnl6: int
    utilization: str
    cycle: str


@dataclass(frozen=True, slots=True)
class WalletRowView:
    nickname: str
    per_market: tuple[str, ...]
    """`held / cap` utilization in each market's share, in the markets' order."""
    reserved: str
    cap: str
    use: str
    use_bps: int


def market_state(snapshot: EngineSnapshot) -> str:
    """`running`, `paused`, ...; while cancel-all goes on, how far it is (`cancel-all 3/8`): the
    overview is where each market's progress shows side by side."""
    state = snapshot.state.value.lower()
    progress = snapshot.cancel_progress
    if not progress or snapshot.state is EngineState.STOPPED:
        return state
    done = sum(d for _, d, _ in progress)
    total = sum(t for _, _, t in progress)
    return f"cancel-all {done}/{total}"


def market_row(symbol: str, snapshot: EngineSnapshot | None, split: BudgetSplit | None) -> MarketRowView:
    weight = f"{split.weights[symbol]}" if split is not None and symbol in split.weights else NONE
    share = split.share_text(symbol) if split is not None and symbol in split.shares else NONE
    if snapshot is None:
        return MarketRowView(symbol, WAITING, weight, share, NONE, NONE, NONE, 0, NONE, NONE)
    wallets = snapshot.wallets
    buys = sum(w.open_buys for w in wallets)
    sells = sum(w.open_sells for w in wallets)
    pnl6 = sum(w.pnl6 for w in wallets)
    fills = snapshot.fill_totals.fills if snapshot.fill_totals is not None else snapshot.totals.fills
    state = market_state(snapshot)
    return MarketRowView(
        symbol=symbol,
        state=state,
        weight=weight,
        share=share,
        orders=f"{buys}/{sells}",
        fills=str(fills),
        pnl=signed_usdc6(pnl6),
        pnl6=pnl6,
        utilization=percent(sum(w.reserved6 for w in wallets), sum(w.cap6 for w in wallets)),
        cycle=str(snapshot.totals.cycle),
    )


def market_rows(
    symbols: Sequence[str], snapshots: Mapping[str, EngineSnapshot | None], split: BudgetSplit | None
) -> list[MarketRowView]:
    return [market_row(symbol, snapshots.get(symbol), split) for symbol in symbols]


def wallet_rows(
    symbols: Sequence[str], snapshots: Mapping[str, EngineSnapshot | None], split: BudgetSplit | None
) -> list[WalletRowView]:
    """A row per wallet (by address, in the first snapshot's order that has it)."""
    views = {
        symbol: {w.address.lower(): w for w in snapshot.wallets}
        for symbol in symbols
        if (snapshot := snapshots.get(symbol)) is not None
    }
    order: list[str] = []
    names: dict[str, str] = {}
    for symbol in symbols:
        for address, wallet in views.get(symbol, {}).items():
            if address not in names:
                order.append(address)
                names[address] = wallet.nickname
    total_bps = split.total_bps if split is not None else 0
    rows: list[WalletRowView] = []
    for address in order:
        held = [views.get(symbol, {}).get(address) for symbol in symbols]
        per_market = tuple(percent(w.reserved6, w.cap6) if w is not None else NONE for w in held)
        known = [w for w in held if w is not None]
        reserved6 = sum(w.reserved6 for w in known)
        available6 = max((w.available6 for w in known if w.balances_known), default=0)
        cap6 = (available6 + reserved6) * total_bps // BPS
        use_bps = reserved6 * BPS // cap6 if cap6 > 0 else 0
        rows.append(
            WalletRowView(
                nickname=names[address],
                per_market=per_market,
                reserved=usdc_text(reserved6),
                cap=usdc_text(cap6) if total_bps else NONE,
                use=percent(reserved6, cap6),
                use_bps=use_bps,
            )
        )
    return rows


def budget_line(symbols: Sequence[str], split: BudgetSplit | None) -> str:
    """What each wallet's budget is split into (as the setup form and the headless run say it)."""
    if split is None:
        return "Budget: splitting…"
    parts = " · ".join(
        f"{symbol} {split.share_text(symbol)} (weight {split.weights.get(symbol, Decimal(1))})"
        for symbol in symbols
    )
    return f"Each wallet's maxWalletUtilization {Decimal(split.total_bps) / BPS} over the markets: {parts}"
