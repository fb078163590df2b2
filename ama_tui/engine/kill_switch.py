"""When the run must stop on its own: too many failing cycles in a row, or a wallet that lost
more than its share (`maxWalletLossFraction`) of what it held at the start. It only decides and
says why; the engine journals the reason, cancels (for a loss) and stops."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from ama_tui.engine.wallet_state import WalletRuntime

KILL_SWITCH_PREFIX: Final = "kill switch: "


class KillSwitch:
    def __init__(self) -> None:
        self.consecutive_failures = 0
        self.tripped = False

    def cycle_done(self, failed: bool) -> None:
        self.consecutive_failures = self.consecutive_failures + 1 if failed else 0

    def failing_cycles(self, max_failed_cycles: int) -> str | None:
        """The reason to stop once `max_failed_cycles` cycles failed in a row (else None)."""
        if self.consecutive_failures < max_failed_cycles:
            return None
        self.tripped = True
        return f"{KILL_SWITCH_PREFIX}{self.consecutive_failures} consecutive failing cycles"

    def loss(
        self, wallets: Sequence[WalletRuntime], mark6: int, limit: Decimal
    ) -> tuple[WalletRuntime, str] | None:
        """The first wallet whose loss (realized and at `mark6`) reached `limit` of its equity at
        the start, with the reason to stop (else None)."""
        for wallet in wallets:
            equity = wallet.initial_equity6 or 0
            pnl = wallet.position.realized6 + wallet.position.unrealized6(mark6)
            if equity > 0 and pnl < 0 and -pnl >= limit * equity:
                self.tripped = True
                reason = (
                    f"{KILL_SWITCH_PREFIX}{wallet.entry.nickname} lost {-pnl / 10**6:.2f} USDC, "
                    f"over {limit:%} of its {equity / 10**6:.2f} USDC at the start"
                )
                return wallet, reason
        return None
