"""What the dashboard's Line API widgets share: their own style looked up once per style change
rather than once per line drawn, and a border title and subtitle set only when they change."""

from __future__ import annotations

from rich.style import Style
from textual.widget import Widget


class LineWidget(Widget):
    """Mixin for the Line API widgets."""

    _base_style: Style | None = None
    _title: str | None = None
    _subtitle: str | None = None

    @property
    def base_style(self) -> Style:
        """`rich_style` (which walks every ancestor's styles), kept until the widget's styles
        change (focus, theme, a class)."""
        if self._base_style is None:
            self._base_style = self.rich_style
        return self._base_style

    def set_title(self, title: str) -> None:
        """Set the border title only when it changed (setting it repaints the whole widget)."""
        if title != self._title:
            self._title = title
            self.border_title = title

    def set_subtitle(self, subtitle: str) -> None:
        """Set the border subtitle only when it changed."""
        if subtitle != self._subtitle:
            self._subtitle = subtitle
            self.border_subtitle = subtitle

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base_style = None
