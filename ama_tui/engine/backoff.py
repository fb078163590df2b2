"""How the run slows down after relay failures: a wallet that failed holds its placements back
(doubling, at least its Retry-After), and the whole fleet waits longer between cycles only when
the relay says so (a Retry-After) or when it looks down: most of the wallets that traded failed
and no trade of the cycle got an answer of the relay's own (a success or a 400).

A relay that refuses what is over its capacity (429 without a Retry-After) while it takes the rest
is not down: the adaptive limit (`engine.concurrency`) answers that by sending fewer at once, and
the refused trades go again next cycle within it. Holding the fleet or the refused wallets back as
well, doubling up to BACKOFF_MAX_S while the relay stays near its capacity, left a throttled run
asleep for half a minute at a time with its books short. Only when nothing at all went through
do such refusals count as failures like any other."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from ama_tui.core.planner import WalletPlan
from ama_tui.engine.executor import WalletOutcome
from ama_tui.engine.wallet_state import WalletRuntime
from ama_tui.venues.base import RateLimited, VenueError

BACKOFF_BASE_S: Final = 0.5
BACKOFF_MAX_S: Final = 30.0


def backoff_delay_s(failures: int, retry_after_s: float | None = None) -> float:
    """After `failures` failures in a row: doubling from BACKOFF_BASE_S up to BACKOFF_MAX_S, and
    never less than the venue's Retry-After."""
    return max(min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** (failures - 1)), retry_after_s or 0.0)


class FleetBackoff:
    """The fleet's extra wait between cycles (`delay_s`) and each wallet's own hold-off."""

    def __init__(self) -> None:
        self.delay_s = 0.0

    def bump(self, retry_after_s: float = 0.0) -> None:
        """Double the fleet's wait (from BACKOFF_BASE_S, up to BACKOFF_MAX_S), at least `retry_after_s`."""
        doubled = min(BACKOFF_MAX_S, max(BACKOFF_BASE_S, self.delay_s * 2))
        self.delay_s = max(doubled, retry_after_s)

    def after_failure(self, exc: VenueError) -> None:
        """A read or a set-up call failed: a retryable failure slows the fleet down."""
        if exc.retryable:
            self.bump(exc.retry_after if isinstance(exc, RateLimited) and exc.retry_after else 0.0)

    def after_trades(
        self, plans: Sequence[tuple[WalletRuntime, WalletPlan]], outcomes: Sequence[WalletOutcome], now: float
    ) -> bool:
        """Hold back each wallet whose trades failed (or, when the fleet waits, none: the next
        cycle comes late enough for every wallet); True when the fleet backs off."""
        answered = any(o.attempted > o.unanswered for o in outcomes)  # the relay answered: not down
        # a wallet refused only for load (429, no wait named) fails only when nothing got through
        failed = [
            (w, o)
            for (w, _), o in zip(plans, outcomes, strict=True)
            if o.retryable_failure or (o.unanswered and not answered)
        ]
        for (wallet, _), outcome in zip(plans, outcomes, strict=True):
            if outcome.attempted and not outcome.unanswered:
                wallet.trade_failures = 0
        trading = sum(1 for o in outcomes if o.attempted)
        rate_limited = max((o.retry_after_s or 0.0 for o in outcomes), default=0.0)
        fleet_wide = rate_limited > 0 or (failed and 2 * len(failed) >= trading and not answered)
        for wallet, outcome in failed:
            wallet.trade_failures += 1
            delay = backoff_delay_s(wallet.trade_failures, outcome.retry_after_s)
            wallet.trade_retry_at = 0.0 if fleet_wide else now + delay
        if fleet_wide:
            self.bump(rate_limited)
        return bool(fleet_wide)

    def clear(self) -> None:
        self.delay_s = 0.0
