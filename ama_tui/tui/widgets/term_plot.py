"""A chart in the terminal (textual-plotext): lines over time or bars by label, or a sentence when
there is nothing to draw. The Arena and analytics screens hand it plain floats (display only;
the figures stay exact in their reports)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from textual.app import RenderResult
from textual_plotext import PlotextPlot

COLORS: Final = ("cyan", "magenta", "green", "orange", "blue", "red")


@dataclass(frozen=True, slots=True)
class Line:
    label: str
    xs: Sequence[float]
    ys: Sequence[float]


class TermPlot(PlotextPlot):
    """`show_lines`, `show_bars` or `show_empty` replace what the chart shows."""

    DEFAULT_CSS = """
    TermPlot {
        width: 1fr;
        height: 1fr;
        min-height: 6;
    }
    """

    _bar_labels: tuple[str, ...] = ()

    def _start(self, title: str, x_label: str, y_label: str) -> None:
        self._bar_labels = ()
        plt = self.plt
        plt.clear_figure()
        plt.title(title)
        plt.xlabel(x_label)
        plt.ylabel(y_label)

    def show_lines(self, title: str, lines: Sequence[Line], *, x_label: str = "", y_label: str = "") -> None:
        drawn = [line for line in lines if line.xs]
        if not drawn:
            self.show_empty(title, "nothing recorded yet")
            return
        self._start(title, x_label, y_label)
        for index, line in enumerate(drawn):
            self.plt.plot(
                list(line.xs),
                list(line.ys),
                marker="braille",
                color=COLORS[index % len(COLORS)],
                label=line.label if len(drawn) > 1 else None,
            )
        self.refresh()

    def show_bars(
        self,
        title: str,
        labels: Sequence[str],
        values: Sequence[float],
        *,
        x_label: str = "",
        y_label: str = "",
    ) -> None:
        if not labels:
            self.show_empty(title, "nothing recorded yet")
            return
        self._start(title, x_label, y_label)
        self._bar_labels = tuple(labels)
        self.plt.bar(list(labels), list(values), color=COLORS[0], marker="hd")
        self.refresh()

    def render(self) -> RenderResult:
        if self._bar_labels:
            self._label_bars(self.size.width)
        return super().render()

    def _label_bars(self, width: int) -> None:
        """As many bar labels as fit, evenly spaced (plotext's own choice depends on what it drew
        before in the process, which would make a picture change from one run to the next)."""
        labels = self._bar_labels
        room = max(1, width - 12)
        step = max(1, -(-len(labels) * (max(len(label) for label in labels) + 2) // room))
        shown = range(0, len(labels), step)
        self.plt.xticks([index + 1 for index in shown], [labels[index] for index in shown])

    def show_empty(self, title: str, why: str) -> None:
        """A titled frame with `why` in it instead of axes with no data."""
        self._bar_labels = ()
        plt = self.plt
        plt.clear_figure()
        plt.title(f"{title}: {why}")
        plt.frame(False)
        plt.xaxes(False)
        plt.yaxes(False)
        plt.xticks([])
        plt.yticks([])
        self.refresh()
