"""Position and PnL arithmetic from fills, in integers (price6, amount18, usdc6)."""

from __future__ import annotations

from dataclasses import dataclass

from ama_tui.core.units import AMOUNT_SCALE


@dataclass(frozen=True, slots=True)
class PositionBook:
    """A signed position with its average entry price, and the PnL realized so far."""

    size18: int = 0
    entry6: int = 0
    realized6: int = 0

    def apply_fill(self, is_buy: bool, price6: int, amount18: int) -> PositionBook:
        """The position after a fill: increases average the entry, reductions realize PnL
        (floored toward minus infinity, like every integer division here), flips restart it."""
        signed = amount18 if is_buy else -amount18
        size = self.size18
        if size == 0 or (size > 0) == (signed > 0):
            new_size = size + signed
            entry = (abs(size) * self.entry6 + amount18 * price6) // abs(new_size)
            return PositionBook(new_size, entry, self.realized6)
        closing = min(abs(size), amount18)
        direction = 1 if size > 0 else -1
        realized = direction * closing * (price6 - self.entry6) // AMOUNT_SCALE
        new_size = size + signed
        if new_size == 0:
            return PositionBook(0, 0, self.realized6 + realized)
        if (new_size > 0) == (size > 0):
            return PositionBook(new_size, self.entry6, self.realized6 + realized)
        return PositionBook(new_size, price6, self.realized6 + realized)

    def unrealized6(self, mark6: int) -> int:
        if self.size18 == 0 or mark6 <= 0:
            return 0
        return self.size18 * (mark6 - self.entry6) // AMOUNT_SCALE
