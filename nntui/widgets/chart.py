"""LineChart: a braille line chart of several series, drawn with numpy and the Line API.

Each terminal cell holds a braille character (U+2800 block): 2 x 4 dots. A
series is downsampled to about two points per dot column (the min and max of
each column's bucket, in time order, so spikes and the full range survive),
its consecutive points are joined by line segments rasterised in numpy, and
the dot grid is packed into braille cells. All lines of the widget are built
in one pass when the data or the size changes; lines whose content did not
change keep their previous `Strip`, and only changed lines are repainted.

NaN and inf values break a line (a gap) rather than crash it; with `log_y`,
values <= 0 are skipped. With NO_COLOR the series stay distinguishable by
their line pattern (solid, dashed, dash-dot; dim series dotted), which the
legend shows.

Axes change in steps, not with every point: the automatic y range and the right
end of the x range are rounded out to round numbers, so a growing series repaints
only the rows its new tail touches (plus the legend) until it crosses a boundary.
Pass `x_max` (e.g. the run's total steps) to fix the x axis altogether.

Keep calls to `set_series` to a few per second (e.g. 5 Hz): each call costs a
rebuild (about a millisecond) and every changed line is written to the terminal.
"""

from __future__ import annotations

from textual.strip import Strip

from .chart_renderer import ChartRenderer
from .chart_series import Series
from .shading import LineCacheWidget, app_no_color, widget_colors

__all__ = ["LineChart"]


class LineChart(LineCacheWidget):
    """A braille line chart of several series (see the module docstring).

    `title` and the keyword `options` (log_y, y_min, y_max, x_min, x_max, x_label,
    value_format, legend_values, bands, y_include, max_y_ticks) go to the chart's
    `ChartRenderer`, which documents them; the other keywords are Textual's widget arguments.
    `lang` is the language of the chart's own words (the x label "step").
    """

    DEFAULT_CSS = """
    LineChart {
        width: 1fr;
        height: 1fr;
        min-height: 4;
    }
    """

    def __init__(
        self,
        title: str = "",
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
        **options,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.renderer = ChartRenderer(title, **options)
        self._series: list[Series] = []

    @property
    def series(self) -> list[Series]:
        return list(self._series)

    def set_series(self, series: list[Series]) -> None:
        """Replace the chart's data; repaints only the lines that changed."""
        self._series = list(series)
        self.update_lines()

    def set_x_max(self, x_max: float | None) -> None:
        """Fix the right end of the x axis (the current run's planned steps), or let data set it."""
        if x_max != self.renderer.x_max:
            self.renderer.x_max = x_max
            self.update_lines()

    def set_title(self, title: str) -> None:
        if title != self.renderer.title:  # a rebuild costs milliseconds: skip it when nothing changed
            self.renderer.title = title
            self.update_lines()

    def build_lines(self, width: int, height: int) -> list[Strip]:
        base, fg, bg = widget_colors(self)
        self.renderer.lang = self.lang
        return self.renderer.render(
            self._series,
            width,
            height,
            base=base,
            foreground=fg,
            background=bg,
            no_color=app_no_color(self),
        )
