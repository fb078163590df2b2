"""The dashboard's header: what runs where, for how long, and whether it is healthy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from textual.geometry import Region
from textual.strip import Strip

from ama_tui.engine.packer import STRATEGY_STOPPED_PREFIX
from ama_tui.engine.snapshot import EngineSnapshot, EngineState, relay_text
from ama_tui.tui.widgets.line_widget import LineWidget
from ama_tui.tui.widgets.styled_line import LineBuilder, StyledLine, line_strip
from ama_tui.tui.widgets.text import format_hms, truncate

BADGE_STYLES: Final = {
    "SIM": "bold black on cyan",
    "DEVNET": "bold white on magenta",
    "LIVE": "bold white on red",
    "DRY-RUN": "bold black on yellow",
}

STATE_STYLES: Final = {
    EngineState.STARTING: "bold cyan",
    EngineState.RUNNING: "bold green",
    EngineState.PAUSED: "bold yellow",
    EngineState.STOPPING: "bold red",
    EngineState.STOPPED: "bold red",
}

NOTICE_WIDTH: Final = 200
DEFAULT_STRATEGY: Final = "packer"
"""The strategy a run uses unless told otherwise: the header names any other."""
STRATEGY_WIDTH: Final = 24


def short_run_id(run_id: str) -> str:
    return run_id[:8]


def state_label(state: EngineState, *, pause_requested: bool, cancel_requested: bool) -> str:
    """The state as the engine last published it, plus what the user has asked for since."""
    if cancel_requested and state not in (EngineState.STOPPING, EngineState.STOPPED):
        return f"{state.value} → cancel-all"
    if pause_requested and state is EngineState.RUNNING:
        return f"{state.value} → pausing"
    if not pause_requested and state is EngineState.PAUSED:
        return f"{state.value} → resuming"
    return state.value


def strategy_text(snapshot: EngineSnapshot) -> tuple[str, str] | None:
    """(text, style) naming the run's strategy and, when it was stopped for what it did, so;
    None for the packer running as usual (the default says nothing new)."""
    name = truncate(snapshot.strategy, STRATEGY_WIDTH)
    if (snapshot.stop_reason or "").startswith(STRATEGY_STOPPED_PREFIX):
        return f"{name} stopped", "bold red"
    if snapshot.strategy == DEFAULT_STRATEGY:
        return None
    return name, "bold magenta"


def header_lines(
    snapshot: EngineSnapshot,
    badge: str,
    *,
    pause_requested: bool = False,
    cancel_requested: bool = False,
    uptime_s: float | None = None,
) -> tuple[StyledLine, StyledLine]:
    """Two lines: identity and state, then counters and the latest notice or stop reason.
    The uptime is the snapshot's (`now - started_at`) unless the screen counts it on between
    snapshots (`uptime_s`)."""
    line = LineBuilder()
    line.append(f" {snapshot.market.symbol} ", style="bold")
    line.append(f" {badge} ", style=BADGE_STYLES.get(badge, "bold reverse"))
    line.append("  ")
    label = state_label(snapshot.state, pause_requested=pause_requested, cancel_requested=cancel_requested)
    line.append(f"● {label}", style=STATE_STYLES.get(snapshot.state, "bold"))
    strategy = strategy_text(snapshot)
    if strategy is not None:
        line.append("  strategy ", style="dim")
        line.append(*strategy)
    line.append("  run ", style="dim")
    line.append(short_run_id(snapshot.run_id))
    line.append("  up ", style="dim")
    line.append(format_hms(snapshot.now - snapshot.started_at if uptime_s is None else uptime_s))
    line.append("  wallets ", style="dim")
    line.append(str(len(snapshot.wallets)))
    line.append(f"  {relay_text(snapshot)}", style="dim")
    first = line.build()

    line = LineBuilder()

    totals = snapshot.totals
    line.append(" cycles ", style="dim")
    line.append(str(totals.cycle))
    line.append("  last ", style="dim")
    last = snapshot.last_cycle
    line.append(f"{last.duration_ms:.0f} ms" if last is not None else "—")
    line.append("  errors ", style="dim")
    line.append(str(totals.errors), style="bold red" if totals.errors else "")
    if snapshot.consecutive_failed_cycles:
        line.append(f" ({snapshot.consecutive_failed_cycles} failing)", style="bold red")
    line.append("  placed ", style="dim")
    line.append(str(totals.placed))
    line.append("  cancelled ", style="dim")
    line.append(str(totals.cancelled))
    line.append("  fills ", style="dim")
    line.append(str(totals.fills))
    if snapshot.cancel_progress:
        done = sum(d for _, d, _ in snapshot.cancel_progress)
        total = sum(t for _, _, t in snapshot.cancel_progress)
        left = [f"{name} {d}/{t}" for name, d, t in snapshot.cancel_progress if d < t]
        line.append("  cancel-all ", style="bold magenta")
        line.append(f"{done}/{total}", style="bold")
        if left:
            line.append("  ")
            line.append(truncate("(" + ", ".join(left) + ")", NOTICE_WIDTH), style="magenta")
    if snapshot.stop_reason:
        line.append("  ■ ", style="bold red")
        line.append(truncate(snapshot.stop_reason, NOTICE_WIDTH), style="bold red")
    elif snapshot.notices:
        line.append("  ⚠ ", style="yellow")
        line.append(truncate(snapshot.notices[-1], NOTICE_WIDTH), style="yellow")
    return first, line.build()


class HeaderBar(LineWidget):
    """Two lines on the Line API: repainted only when the screen hands it a newer snapshot, and
    without a layout pass (a `Static.update` would reflow the screen ten times a second)."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self._lines: tuple[StyledLine, ...] = ()
        self._strips: dict[int, Strip] = {}
        """Rendered lines by y, for the current width; a changed line drops its own."""
        self._width = 0

    @property
    def text(self) -> str:
        return "\n".join(line.plain for line in self._lines)

    def set_lines(self, lines: Sequence[StyledLine]) -> None:
        old = self._lines
        new = tuple(lines)
        changed = [y for y, line in enumerate(new) if y >= len(old) or old[y] != line]
        self._lines = new
        for y in changed:
            self._strips.pop(y, None)
        if len(old) != len(new):
            self._strips.clear()
            self.refresh()
        elif changed:
            # Only the lines that changed (the uptime ticks every second, the counters less often).
            width = self.size.width
            self.refresh(*(Region(0, y, width, 1) for y in changed))

    def show(
        self,
        snapshot: EngineSnapshot,
        badge: str,
        *,
        pause_requested: bool = False,
        cancel_requested: bool = False,
        uptime_s: float | None = None,
    ) -> None:
        self.set_class(badge == "LIVE", "-live")
        self.set_lines(
            header_lines(
                snapshot,
                badge,
                pause_requested=pause_requested,
                cancel_requested=cancel_requested,
                uptime_s=uptime_s,
            )
        )

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if width != self._width:
            self._strips.clear()
            self._width = width
        strip = self._strips.get(y)
        if strip is None:
            line = self._lines[y] if 0 <= y < len(self._lines) else StyledLine()
            strip = self._strips[y] = line_strip(line, width, self.base_style, self.app.console)
        return strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
