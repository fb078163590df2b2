"""The alert banner: one line over the dashboard while something is wrong (hidden otherwise)."""

from __future__ import annotations

from collections.abc import Sequence

from ama_tui.tui.alerts import Alert, banner_text
from ama_tui.tui.widgets.styled_line import LineBuilder
from ama_tui.tui.widgets.totals_strip import ClippedLines


class AlertBanner(ClippedLines):
    def show_alerts(self, alerts: Sequence[Alert]) -> None:
        """Show `alerts` (the class `-shown` displays the banner: a layout pass only when alerts
        come or go)."""
        shown = bool(alerts)
        if self.has_class("-shown") != shown:
            self.set_class(shown, "-shown")
        self.set_class(shown and all(alert.severity == "warning" for alert in alerts), "-warning")
        self.set_lines([LineBuilder().append(banner_text(tuple(alerts)), "bold").build()] if shown else [])
