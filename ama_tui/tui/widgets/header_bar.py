"""The dashboard's header: what runs where, for how long, and whether it is healthy."""

from __future__ import annotations

from typing import Final

from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from ama_tui.engine.snapshot import EngineSnapshot, EngineState
from ama_tui.tui.widgets.strips import text_strip
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


def header_text(
    snapshot: EngineSnapshot,
    badge: str,
    *,
    pause_requested: bool = False,
    cancel_requested: bool = False,
) -> Text:
    """Two lines: identity and state, then counters and the latest notice or stop reason.
    Times come from the snapshot (`now - started_at`), never from the wall clock."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f" {snapshot.market.symbol} ", style="bold")
    line.append(f" {badge} ", style=BADGE_STYLES.get(badge, "bold reverse"))
    line.append("  ")
    label = state_label(snapshot.state, pause_requested=pause_requested, cancel_requested=cancel_requested)
    line.append(f"● {label}", style=STATE_STYLES.get(snapshot.state, "bold"))
    line.append("  run ", style="dim")
    line.append(short_run_id(snapshot.run_id))
    line.append("  up ", style="dim")
    line.append(format_hms(snapshot.now - snapshot.started_at))
    line.append("  wallets ", style="dim")
    line.append(str(len(snapshot.wallets)))
    line.append("\n")

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
    if snapshot.stop_reason:
        line.append("  ■ ", style="bold red")
        line.append(truncate(snapshot.stop_reason, NOTICE_WIDTH), style="bold red")
    elif snapshot.notices:
        line.append("  ⚠ ", style="yellow")
        line.append(truncate(snapshot.notices[-1], NOTICE_WIDTH), style="yellow")
    return line


def _same_line(a: Text, b: Text) -> bool:
    return a.plain == b.plain and a.spans == b.spans and a.style == b.style


class HeaderBar(Widget):
    """Two lines on the Line API: repainted only when the screen hands it a newer snapshot, and
    without a layout pass (a `Static.update` would reflow the screen ten times a second)."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self._lines: list[Text] = []
        self._strips: list[Strip] = []
        self._cache_key: tuple[int, int] | None = None
        self._generation = 0

    @property
    def text(self) -> str:
        return "\n".join(line.plain for line in self._lines)

    def set_text(self, text: Text) -> None:
        old = self._lines
        new = list(text.split("\n"))
        changed = [y for y, line in enumerate(new) if y >= len(old) or not _same_line(old[y], line)]
        self._lines = new
        self._generation += 1
        if len(old) != len(new):
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
    ) -> None:
        self.set_class(badge == "LIVE", "-live")
        self.set_text(
            header_text(snapshot, badge, pause_requested=pause_requested, cancel_requested=cancel_requested)
        )

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        key = (self._generation, width)
        if key != self._cache_key:
            base = self.rich_style
            self._strips = [text_strip(line, width, base, self.app.console) for line in self._lines]
            self._cache_key = key
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return Strip.blank(width, self.rich_style)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache_key = None
