"""Order sizes that fit the market: what the configuration form proposes and warns about.

The form reads the market's price and margin and the wallets' collateral once, through the venue
(`read_market_facts`, in a worker thread), then everything else is pure and recomputed as the user
types:

- `propose_sizes`: notional sizes (`sizeMinUsd`/`sizeMaxUsd`) such that a wallet's full book at the
  maximum size — `ordersPerSidePerWallet` buys and as many sells — fits in 90 % of the smallest cap;
  the maximum is rounded down to 1, 2 or 5 × 10^k USDC, the minimum is a fifth of it (the ratio of
  the default base sizes).
- `min_order_shortfall`: the wallets whose cap cannot hold one order of the minimum size (what the
  packer would report as BELOW_MIN_SIZE for every placement).

The cap and the margins come from `core` (`wallet_cap6`, `margin_on_notional6`, `estimate_margin6`,
`size_range18`), so the form and the packer cannot disagree. When the price or the collateral cannot
be read there is no proposal and no warning, only a line saying so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from ama_tui.core.margin import estimate_margin6, margin_on_notional6, reserved_margin6
from ama_tui.core.models import PackerParams, RunConfig
from ama_tui.core.planner import choose_anchor6, wallet_cap6
from ama_tui.core.sizing import size_range18
from ama_tui.core.units import usdc_human
from ama_tui.store import WalletEntry
from ama_tui.tui.widgets.text import amount_text, price_text, usdc_text
from ama_tui.venues.base import MarketRow, Venue, VenueError

MAX_TO_MIN: Final = 5
"""The proposed maximum size over the proposed minimum (as the default base sizes, 0.25 / 0.05)."""
NAMED_WALLETS: Final = 3
"""A warning names at most this many wallets."""
HEADROOM_NUM: Final = 9
HEADROOM_DEN: Final = 10
"""A proposed full book uses at most 9/10 of the cap: sells rest above the price the sizes are
converted at, so they hold a little more than their notional's share."""


@dataclass(frozen=True, slots=True)
class WalletFunds:
    nickname: str
    available6: int
    """Free collateral (the venue's `available_collateral`)."""
    reserved6: int
    """Margin our open orders on this market hold."""


@dataclass(frozen=True, slots=True)
class MarketFacts:
    symbol: str
    tick6: int
    price6: int = 0
    """The price the packer would quote around (mid, else mark, else last trade); 0 unknown."""
    margin_bps: int | None = None
    """The market's buy margin requirement; None when it could not be read."""
    wallets: tuple[WalletFunds, ...] = ()
    """The wallets the run would use, in order (empty when their collateral could not be read)."""
    problems: tuple[str, ...] = field(default_factory=tuple)
    """What could not be read."""

    @property
    def complete(self) -> bool:
        return self.price6 > 0 and self.margin_bps is not None and bool(self.wallets)


def read_market_facts(venue: Venue, row: MarketRow, fleet: Sequence[WalletEntry]) -> MarketFacts:
    """The market's margin and price and the wallets' collateral; a read that fails is a problem
    noted in the result, never an exception (venue errors only)."""
    problems: list[str] = []
    order_book, tick6, margin_bps = row.market_address, row.tick6, None
    try:
        info = venue.market_info(row.market_address)
        order_book, tick6, margin_bps = info.order_book, info.tick6, info.margin_bps
    except VenueError as exc:
        problems.append(f"the market's margin ({exc})")
    price6 = 0
    try:
        price6 = choose_anchor6(venue.book(order_book, 1).top)
        if price6 <= 0:
            problems.append("a price (empty book, never traded: type a reference price to quote around)")
    except VenueError as exc:
        problems.append(f"the price ({exc})")
    wallets: tuple[WalletFunds, ...] = ()
    if fleet:
        addresses = [wallet.address for wallet in fleet]
        try:
            available = venue.available_collateral(addresses)
            orders = venue.open_orders(order_book, addresses)
            wallets = tuple(
                WalletFunds(
                    wallet.nickname,
                    available.get(wallet.address, 0),
                    reserved_margin6(orders.get(wallet.address, ())),
                )
                for wallet in fleet
            )
        except VenueError as exc:
            problems.append(f"the wallets' collateral ({exc})")
    return MarketFacts(row.symbol, tick6, price6, margin_bps, wallets, tuple(problems))


# -- pure ---------------------------------------------------------------------------------------


def wallet_caps(facts: MarketFacts, packer: PackerParams, count: int | None = None) -> list[tuple[str, int]]:
    """(nickname, cap) of the first `count` wallets read (all of them when None)."""
    wallets = facts.wallets if count is None else facts.wallets[:count]
    return [(w.nickname, wallet_cap6(w.available6, w.reserved6, packer)) for w in wallets]


def full_book_margin6(notional6: int, orders_per_side: int, margin_bps: int) -> int:
    """Margin of `orders_per_side` buys and as many sells, each of `notional6`."""
    pair6 = margin_on_notional6(notional6, True, margin_bps) + margin_on_notional6(
        notional6, False, margin_bps
    )
    return orders_per_side * pair6


def round_sizes_down(limit6: int) -> list[int]:
    """1, 2 and 5 × 10^k (usdc6) not above `limit6`, largest first."""
    if limit6 <= 0:
        return []
    power = 10 ** (len(str(limit6)) - 1)
    sizes: list[int] = []
    while power >= 1:
        sizes.extend(size for size in (5 * power, 2 * power, power) if size <= limit6)
        power //= 10
    return sizes


@dataclass(frozen=True, slots=True)
class SizeProposal:
    min_usd: Decimal
    max_usd: Decimal
    cap6: int
    """The smallest positive cap among the wallets: what the proposal was fitted to."""
    full_book6: int
    """Margin of a full book (every order at the maximum size) on one wallet."""


def decimal_text(value: Decimal) -> str:
    """`100`, `0.5`: as a user would type it (no exponent, no trailing zeros)."""
    return f"{value.normalize():f}"


def propose_sizes(facts: MarketFacts, packer: PackerParams, count: int | None = None) -> SizeProposal | None:
    """Notional sizes whose full book fits the smallest cap; None without a price, a margin rule
    or a wallet with collateral."""
    if facts.price6 <= 0 or facts.margin_bps is None:
        return None
    caps = [cap for _, cap in wallet_caps(facts, packer, count) if cap > 0]
    if not caps:
        return None
    cap6 = min(caps)
    for max6 in round_sizes_down(cap6):
        full6 = full_book_margin6(max6, packer.orders_per_side, facts.margin_bps)
        if full6 * HEADROOM_DEN <= cap6 * HEADROOM_NUM and max6 // MAX_TO_MIN > 0:
            return SizeProposal(usdc_human(max6 // MAX_TO_MIN), usdc_human(max6), cap6, full6)
    return None


@dataclass(frozen=True, slots=True)
class Shortfall:
    """Wallets whose cap cannot hold one order of the minimum size."""

    nicknames: tuple[str, ...]
    checked: int
    lowest_cap6: int
    amount18: int
    """The minimum size, base units, at the price read."""
    buy_margin6: int
    sell_margin6: int


def min_order_shortfall(
    facts: MarketFacts, config: RunConfig, packer: PackerParams, count: int | None = None
) -> Shortfall | None:
    """The wallets (of the first `count`) whose cap is under the margin of one order of the
    minimum size on its costlier side; None when every cap holds one, or nothing can be said."""
    if facts.price6 <= 0 or facts.margin_bps is None:
        return None
    sizes = size_range18(config, facts.price6)
    if sizes is None:
        return None
    amount18 = sizes[0]
    buy6 = estimate_margin6(facts.price6, amount18, True, facts.margin_bps)
    sell6 = estimate_margin6(facts.price6, amount18, False, facts.margin_bps)
    caps = wallet_caps(facts, packer, count)
    short = [(nickname, cap) for nickname, cap in caps if cap < max(buy6, sell6)]
    if not short:
        return None
    return Shortfall(
        nicknames=tuple(nickname for nickname, _ in short),
        checked=len(caps),
        lowest_cap6=min(cap for _, cap in short),
        amount18=amount18,
        buy_margin6=buy6,
        sell_margin6=sell6,
    )


def _usdc(value6: int) -> str:
    return f"{usdc_text(value6)} USDC"


def caps_text(facts: MarketFacts, packer: PackerParams, count: int | None = None) -> str:
    """`cap 2,000.00 USDC a wallet` (or `caps 1,500.00–2,000.00 USDC`)."""
    caps = [cap for _, cap in wallet_caps(facts, packer, count)]
    low, high = min(caps), max(caps)
    return f"cap {_usdc(low)} a wallet" if low == high else f"caps {usdc_text(low)}–{_usdc(high)}"


def facts_text(facts: MarketFacts, packer: PackerParams, count: int | None = None) -> str:
    """`BTC-USD at 95,000.0 · cap 2,000.00 USDC a wallet`."""
    parts = [f"{facts.symbol} at {price_text(facts.price6, facts.tick6)}"]
    if facts.wallets:
        parts.append(caps_text(facts, packer, count))
    return " · ".join(parts)


def proposal_text(proposal: SizeProposal, packer: PackerParams, *, applied: bool) -> str:
    """`Proposed sizes 20–100 USDC: 6 buys + 6 sells of 100 hold 1,500.00 of the cap.`"""
    low, high = decimal_text(proposal.min_usd), decimal_text(proposal.max_usd)
    n = packer.orders_per_side
    lead = "Proposed sizes" if applied else "Suggested sizes (the run keeps its own)"
    held = usdc_text(proposal.full_book6)
    return f"{lead} {low}–{high} USDC: {n} buys + {n} sells of {high} hold {held} of the cap."


def problems_text(facts: MarketFacts) -> str:
    return f"No size proposal: could not read {' and '.join(facts.problems)}."


def shortfall_text(shortfall: Shortfall, facts: MarketFacts) -> str:
    """The warning line: which wallets, what one minimum order needs, what to change."""
    names = shortfall.nicknames
    if shortfall.checked == 1:
        who = f"{names[0]}'s cap ({_usdc(shortfall.lowest_cap6)})"
    elif len(names) == shortfall.checked:
        who = f"The caps of all {shortfall.checked} wallets (lowest {_usdc(shortfall.lowest_cap6)})"
    else:
        named = ", ".join(names[:NAMED_WALLETS]) + (", …" if len(names) > NAMED_WALLETS else "")
        lowest = _usdc(shortfall.lowest_cap6)
        who = f"{len(names)} of {shortfall.checked} wallets' caps ({named}; lowest {lowest})"
    return (
        f"⚠ {who} cannot hold one order of the minimum size: a sell of {amount_text(shortfall.amount18)} "
        f"at {price_text(facts.price6, facts.tick6)} holds {usdc_text(shortfall.sell_margin6)}, a buy "
        f"{usdc_text(shortfall.buy_margin6)}. Lower the sizes or raise maxWalletUtilization."
    )
