"""What must catch a trader's eye, read from the run's snapshots: the kill switch tripped, a wallet
over its cap, a burst of errors, a session failing.

`AlertWatch.update` is pure but for its short memory (the error counts of the last
`burst_window_s` seconds of venue time, and which alerts were up at the last look): it returns the
alerts up now (the dashboard's banner) and those that came up since the last look (the bell and a
line in the log, once per alert, not once per snapshot).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Final, Literal

from ama_tui.engine.packer import KILL_SWITCH_PREFIX
from ama_tui.engine.snapshot import EngineSnapshot, EngineState
from ama_tui.tui.widgets.text import usdc_text

BURST_ERRORS: Final = 5
"""This many errors within `BURST_WINDOW_S` is a burst (one error now and then is not news)."""
BURST_WINDOW_S: Final = 30.0
TRADING_STATES: Final = frozenset({EngineState.RUNNING, EngineState.PAUSED})
"""States in which every wallet is expected to hold a session."""

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Alert:
    key: str
    """What the alert is about (`kill`, `errors`, `cap:<address>`, `session:<address>`): one
    alert per key, raised once until it clears."""
    severity: Severity
    text: str


def kill_switch_alert(snapshot: EngineSnapshot) -> Alert | None:
    reason = snapshot.stop_reason
    if reason and reason.startswith(KILL_SWITCH_PREFIX):
        return Alert("kill", "error", f"KILL SWITCH tripped: {reason.removeprefix(KILL_SWITCH_PREFIX)}")
    return None


def over_cap_alerts(snapshot: EngineSnapshot) -> list[Alert]:
    alerts = []
    for wallet in snapshot.wallets:
        if wallet.balances_known and wallet.cap6 > 0 and wallet.reserved6 > wallet.cap6:
            text = (
                f"{wallet.nickname} over its cap: {usdc_text(wallet.reserved6)} reserved, "
                f"cap {usdc_text(wallet.cap6)} USDC"
            )
            alerts.append(Alert(f"cap:{wallet.address}", "error", text))
    return alerts


def session_alerts(snapshot: EngineSnapshot) -> list[Alert]:
    """A trading run's wallet without a live session (none opened, or expired): it cannot trade."""
    if snapshot.dry_run or snapshot.state not in TRADING_STATES:
        return []
    alerts = []
    for wallet in snapshot.wallets:
        expiry = wallet.session_expiry
        if not wallet.needs_session:
            continue  # a venue without sessions: the wallet trades with none
        if expiry is None:
            text = f"{wallet.nickname}: no session (it cannot trade)"
        elif expiry <= snapshot.now:
            text = f"{wallet.nickname}: session expired (it cannot trade)"
        else:
            continue
        alerts.append(Alert(f"session:{wallet.address}", "warning", text))
    return alerts


class AlertWatch:
    def __init__(self, *, burst_errors: int = BURST_ERRORS, burst_window_s: float = BURST_WINDOW_S) -> None:
        self.burst_errors = burst_errors
        self.burst_window_s = burst_window_s
        self._errors: deque[tuple[float, int]] = deque()
        """(venue time, the run's error count) of the snapshots of the last window."""
        self._up: frozenset[str] = frozenset()
        self.active: tuple[Alert, ...] = ()

    def _burst(self, snapshot: EngineSnapshot) -> Alert | None:
        errors = self._errors
        now, count = snapshot.now, snapshot.totals.errors
        if errors and (count < errors[-1][1] or now < errors[-1][0]):
            errors.clear()  # another run (or a replayed clock): start counting again
        errors.append((now, count))
        while len(errors) > 1 and errors[1][0] <= now - self.burst_window_s:
            errors.popleft()
        recent = count - errors[0][1]
        if recent >= self.burst_errors:
            window = min(self.burst_window_s, max(1.0, now - errors[0][0]))
            return Alert("errors", "error", f"burst of errors: {recent} in the last {window:.0f} s")
        return None

    def update(self, snapshot: EngineSnapshot) -> tuple[tuple[Alert, ...], tuple[Alert, ...]]:
        """(the alerts up now, most serious first; those among them that were not up before)."""
        found: list[Alert] = []
        kill = kill_switch_alert(snapshot)
        if kill is not None:
            found.append(kill)
        found += over_cap_alerts(snapshot)
        burst = self._burst(snapshot)
        if burst is not None:
            found.append(burst)
        found += session_alerts(snapshot)
        up = frozenset(alert.key for alert in found)
        new = tuple(alert for alert in found if alert.key not in self._up)
        self._up = up
        self.active = tuple(found)
        return self.active, new


def banner_text(alerts: tuple[Alert, ...]) -> str:
    """`⚠ KILL SWITCH tripped: … · Sim003 over its cap: … · 2 more`: the first alert whole, the
    others after it (the banner cuts what does not fit between words)."""
    if not alerts:
        return ""
    return " ⚠ " + " · ".join(alert.text for alert in alerts)
