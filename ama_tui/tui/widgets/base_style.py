"""The widget's own style, looked up once per style change rather than once per line drawn."""

from __future__ import annotations

from rich.style import Style
from textual.widget import Widget


class CachedBaseStyle(Widget):
    """Mixin for the Line API widgets: `base_style` is `rich_style` (which walks every ancestor's
    styles), kept until the widget's styles change (focus, theme, a class)."""

    _base_style: Style | None = None

    @property
    def base_style(self) -> Style:
        if self._base_style is None:
            self._base_style = self.rich_style
        return self._base_style

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base_style = None
