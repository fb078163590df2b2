"""The sim's CoreVault: collateral, positions and PnL of the wallets that trade through sessions.

Money is integers: `usdc6`, `price6`, `amount18`. A wallet is funded with `funding6` the first time
the vault needs its account. Positions average their entry price when they grow and realize PnL when
they shrink or flip (PnL floors toward minus infinity, never in the wallet's favour).

    available = deposited + realized PnL - margin locked in positions - margin reserved by orders

Margin locked in a position is `notional(entry, |size|) * margin_bps / 10000`; margin reserved by
resting orders is what the book holds on each order (the on-chain formula), read at call time so it
can never drift from the book. Unrealized PnL is reported, never spent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ama_tui.core.margin import BPS_DENOMINATOR, notional6
from ama_tui.core.units import AMOUNT_SCALE
from ama_tui.venues.sim.plain import as_int, as_list


@dataclass(slots=True)
class PositionState:
    size18: int = 0
    entry_price6: int = 0
    realized_pnl6: int = 0

    def margin_locked6(self, margin_bps: int) -> int:
        return notional6(self.entry_price6, abs(self.size18)) * margin_bps // BPS_DENOMINATOR

    def unrealized_pnl6(self, mark6: int) -> int:
        if not self.size18 or mark6 <= 0:
            return 0
        return (mark6 - self.entry_price6) * self.size18 // AMOUNT_SCALE

    def apply(self, is_buy: bool, price6: int, amount18: int) -> int:
        """Book one fill; returns the PnL it realized."""
        delta = amount18 if is_buy else -amount18
        size = self.size18
        if size == 0 or (size > 0) == (delta > 0):
            total = abs(size) + amount18
            self.entry_price6 = (self.entry_price6 * abs(size) + price6 * amount18) // total
            self.size18 = size + delta
            return 0
        closing = min(abs(size), amount18)
        direction = 1 if size > 0 else -1
        pnl = (price6 - self.entry_price6) * closing * direction // AMOUNT_SCALE
        self.realized_pnl6 += pnl
        self.size18 = size + delta
        if self.size18 == 0:
            self.entry_price6 = 0
        elif amount18 > closing:
            self.entry_price6 = price6
        return pnl


@dataclass(slots=True)
class Account:
    deposited6: int = 0
    positions: dict[str, PositionState] = field(default_factory=dict)

    def realized_pnl6(self) -> int:
        return sum(position.realized_pnl6 for position in self.positions.values())


class Vault:
    """Accounts by checksummed address. Not thread-safe: the venue holds its lock."""

    __slots__ = ("_accounts", "funding6")

    def __init__(self, funding6: int) -> None:
        if isinstance(funding6, bool) or not isinstance(funding6, int) or funding6 < 0:
            raise ValueError(f"funding6 must be a non-negative integer (USDC, 6 decimals), got {funding6!r}")
        self.funding6 = funding6
        self._accounts: dict[str, Account] = {}

    def open(self, trader: str) -> bool:
        """Create and fund the account if it is new; True when it was."""
        if trader in self._accounts:
            return False
        self._accounts[trader] = Account(deposited6=self.funding6)
        return True

    def deposit(self, trader: str, amount6: int) -> None:
        self.open(trader)
        self._accounts[trader].deposited6 += amount6

    def position(self, trader: str, symbol: str) -> PositionState | None:
        account = self._accounts.get(trader)
        return None if account is None else account.positions.get(symbol)

    def apply_fill(self, trader: str, symbol: str, is_buy: bool, price6: int, amount18: int) -> None:
        self.open(trader)
        positions = self._accounts[trader].positions
        position = positions.get(symbol)
        if position is None:
            position = positions[symbol] = PositionState()
        position.apply(is_buy, price6, amount18)

    def available6(self, trader: str, reserved6: int, margin_bps: Mapping[str, int]) -> int:
        account = self._accounts.get(trader)
        if account is None:
            return self.funding6 - reserved6
        locked = sum(
            position.margin_locked6(margin_bps[symbol]) for symbol, position in account.positions.items()
        )
        return account.deposited6 + account.realized_pnl6() - locked - reserved6

    def dump(self) -> dict[str, object]:
        """Every account, canonically ordered (for state comparisons in tests)."""
        return {
            trader: {
                "deposited6": account.deposited6,
                "positions": {
                    symbol: (p.size18, p.entry_price6, p.realized_pnl6)
                    for symbol, p in sorted(account.positions.items())
                },
            }
            for trader, account in sorted(self._accounts.items())
        }

    def to_plain(self) -> dict[str, Any]:
        """Funding and every account, in the vault's own order (for a snapshot)."""
        return {
            "funding6": self.funding6,
            "accounts": [
                [
                    trader,
                    account.deposited6,
                    [
                        [symbol, p.size18, p.entry_price6, p.realized_pnl6]
                        for symbol, p in account.positions.items()
                    ],
                ]
                for trader, account in self._accounts.items()
            ],
        }

    @classmethod
    def from_plain(cls, data: dict[str, Any]) -> Vault:
        vault = cls(as_int(data["funding6"]))
        for trader, deposited6, positions in as_list(data["accounts"]):
            if type(trader) is not str or trader in vault._accounts:
                raise ValueError("vault accounts are keyed by distinct addresses")
            account = vault._accounts[trader] = Account(deposited6=as_int(deposited6))
            for symbol, size18, entry_price6, realized_pnl6 in as_list(positions):
                if type(symbol) is not str or symbol in account.positions:
                    raise ValueError(f"positions of {trader} are keyed by distinct symbols")
                account.positions[symbol] = PositionState(
                    as_int(size18), as_int(entry_price6), as_int(realized_pnl6)
                )
        return vault
