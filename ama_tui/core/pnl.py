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
        """The position after a fill (`position_after_fill`)."""
        return PositionBook(
            *position_after_fill(self.size18, self.entry6, self.realized6, is_buy, price6, amount18)
        )

    def unrealized6(self, mark6: int) -> int:
        return unrealized6(self.size18, self.entry6, mark6)


def position_after_fill(
    size18: int, entry6: int, realized6: int, is_buy: bool, price6: int, amount18: int
) -> tuple[int, int, int]:
    """(size18, entry6, realized6) after a fill: increases average the entry, reductions realize
    PnL (floored toward minus infinity, like every integer division here), flips restart it. On
    plain integers, so a loop over many fills (the journal report) need not build a book each."""
    signed = amount18 if is_buy else -amount18
    if size18 == 0 or (size18 > 0) == (signed > 0):
        new_size = size18 + signed
        return new_size, (abs(size18) * entry6 + amount18 * price6) // abs(new_size), realized6
    closing = min(abs(size18), amount18)
    direction = 1 if size18 > 0 else -1
    realized = realized6 + direction * closing * (price6 - entry6) // AMOUNT_SCALE
    new_size = size18 + signed
    if new_size == 0:
        return 0, 0, realized
    if (new_size > 0) == (size18 > 0):
        return new_size, entry6, realized
    return new_size, price6, realized


def unrealized6(size18: int, entry6: int, mark6: int) -> int:
    """A position's PnL marked to `mark6` (0 when flat or with no mark)."""
    if size18 == 0 or mark6 <= 0:
        return 0
    return size18 * (mark6 - entry6) // AMOUNT_SCALE
