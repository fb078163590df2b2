"""Why nothing happens: every placement the packer wanted but did not make, journaled as a SKIP
line with its reason — at most one line per wallet and reason a minute, so a stuck wallet does not
flood the journal — and counted in full for the run's totals and the wallet's row."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any, Final

from ama_tui.core.models import ActionKind, ActionLogLine
from ama_tui.core.planner import Skip
from ama_tui.engine.journaling import JournalContext
from ama_tui.engine.wallet_state import WalletRuntime

SKIP_LINE_INTERVAL_S: Final = 60.0


class SkipLog:
    def __init__(self, context: JournalContext, interval_s: float = SKIP_LINE_INTERVAL_S) -> None:
        self._context = context
        self._interval_s = interval_s
        self._last: dict[tuple[str, str], float] = {}
        self.totals: Counter[str] = Counter()

    def note(
        self,
        wallet: WalletRuntime,
        reason: str,
        message: str,
        *,
        now_s: float,
        now_ms: Callable[[], int],
        params: dict[str, Any] | None = None,
        count: int = 1,
    ) -> ActionLogLine | None:
        """Count a skip, show it on the wallet's row, and return its SKIP line when one is due."""
        self.totals[reason] += count
        wallet.skip_reason = f"{reason}: {message}"
        key = (wallet.key, reason)
        last = self._last.get(key)
        if last is not None and now_s - last < self._interval_s:
            return None
        self._last[key] = now_s
        return self._context.line(
            ActionKind.SKIP,
            ts_ms=now_ms(),
            trader=wallet.address,
            nickname=wallet.entry.nickname,
            params={"reason": reason, "message": message, **(params or {})},
        )

    def plan_skips(
        self, wallet: WalletRuntime, skips: tuple[Skip, ...], *, now_s: float, now_ms: Callable[[], int]
    ) -> list[ActionLogLine]:
        """SKIP lines for a plan's skips, one per reason (the first message stands for the rest)."""
        by_reason: dict[str, list[Skip]] = {}
        for skip in skips:
            by_reason.setdefault(str(skip.reason), []).append(skip)
        lines = []
        for reason, group in by_reason.items():
            message = group[0].message + (f" (and {len(group) - 1} more)" if len(group) > 1 else "")
            line = self.note(wallet, reason, message, now_s=now_s, now_ms=now_ms, count=len(group))
            if line is not None:
                lines.append(line)
        return lines
