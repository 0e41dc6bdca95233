"""ChartRenderer: series + size + colours -> the chart's lines as strips.

Needs no app (tests and benchmarks call it directly); `LineChart` wraps it in a
widget. Layout, top to bottom: the legend line (from 2 rows; from 8 rows the title
gets a line of its own when title and legend do not fit on one), the plot rows with
a y-axis gutter on the left, and the x axis (from 4 rows).

Horizontal bands (`bands=[Band(lo, hi, label, color)]`, e.g. the vanishing and
exploding zones of a gradient-norm chart) are drawn behind the lines: the plot
rows whose middle lies in a band get a tinted background (with NO_COLOR, a sparse
"·" fill in the empty cells) and the band's label at the right edge, in the row
farthest from the band's inner edge. `y_include` values are always inside the
automatic y range (so a band stays in view), and `render(header=[...])` replaces
the legend line with the caller's own lines (a widget with its own legend).

Two things keep repaints small while a run is growing:
- The automatic y range and the right end of the x range are rounded out to
  round numbers, so the scale (and with it every row) changes only now and then.
- Each plot row's strip is kept with a key of everything it shows; a row whose
  key did not change returns the very same strip, which the widget skips.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from rich.cells import cell_len
from rich.style import Style
from textual.color import Color
from textual.strip import Strip

from .chart_axes import auto_x_range, auto_y_range, x_axis, y_ticks
from .chart_bands import BAND_FILL, BAND_FILL_EVERY, BAND_TINT, Band, band_rows
from nntui.i18n import t

from .chart_legend import legend_lines, line_patterns
from .plotting import dots_to_braille, downsample, rasterize
from .chart_series import Series
from .numbers import fmt_legend
from .shading import fade, parse_color, strip_from_runs


__all__ = ["Band", "ChartRenderer", "band_rows"]

# A series as (x, y) float arrays, y in log10 when the chart has a log y axis.
Points = tuple[np.ndarray, np.ndarray]

# From this height a title that does not fit beside the legend gets a line of its own.
TWO_HEADER_LINES_FROM = 8

class ChartRenderer:
    """Builds a chart's lines. Keeps the previous plot rows so unchanged rows keep their strip.

    The keywords are the chart's options (LineChart passes its own straight here):
    `log_y` plots log10(y) and skips values <= 0; `y_min`/`y_max`/`x_min`/`x_max` fix
    an end of an axis (else it follows the data); `x_label` names the x axis (None:
    "step" in the chart's `lang`); `value_format` formats each series' latest value in
    the legend (None: `fmt_legend`, 2,069 rather than 2.07e+03), `legend_values=False` leaves the values out (where the last y means
    nothing, e.g. a curve over x); `bands` are
    horizontal `Band`s drawn behind the lines; `y_include` values (data units) are
    always inside the automatic y range; `max_y_ticks` caps the y tick labels
    (at most one every other row beyond 3).
    """

    def __init__(
        self,
        title: str = "",
        *,
        log_y: bool = False,
        y_min: float | None = None,
        y_max: float | None = None,
        x_min: float | None = None,
        x_max: float | None = None,
        x_label: str | None = None,
        value_format: str | None = None,
        legend_values: bool = True,
        bands: Sequence[Band] = (),
        y_include: Sequence[float] = (),
        max_y_ticks: int = 3,
    ) -> None:
        self.title = title
        self.log_y = log_y
        self.y_min = y_min
        self.y_max = y_max
        self.x_min = x_min
        self.x_max = x_max
        self.x_label = x_label
        self.value_format = value_format
        self.legend_values = legend_values
        self.lang = "en"  # the language of the chart's own words (the x label "step")
        self.bands = list(bands)
        self.y_include = list(y_include)
        self.max_y_ticks = max_y_ticks
        self._row_cache: dict[int, tuple[tuple, Strip]] = {}
        self._style_key: tuple | None = None
        # What the last render used (for tests and tooltips).
        self.x_range: tuple[float, float] = (0.0, 1.0)
        self.y_range: tuple[float, float] = (0.0, 1.0)
        self.y_tick_values: list[float] = []
        self.band_rows: list[tuple[list[int], int | None]] = []

    # -- the build ---------------------------------------------------------
    def render(
        self,
        series: Sequence[Series],
        width: int,
        height: int,
        *,
        base: Style | None = None,
        foreground: Color | None = None,
        background: Color | None = None,
        no_color: bool = False,
        header: Sequence[Strip] | None = None,
    ) -> list[Strip]:
        """All `height` lines of the chart, each `width` cells wide.

        `header`, when given, replaces the legend line: its strips (each `width` cells)
        come first, as many as leave at least one plot row.
        """
        if width <= 0 or height <= 0:
            return []
        base = base if base is not None else Style()
        fg = foreground if foreground is not None else Color(224, 224, 224)
        bg = background if background is not None else Color(0, 0, 0)
        styles, muted, bold = self._styles(series, base, fg, bg, no_color)

        has_title = height >= 2
        has_xaxis = height >= 4
        if header is not None:
            head = list(header)[: max(0, height - 1 - (1 if has_xaxis else 0))]
        elif has_title:
            head = legend_lines(
                series,
                self.title,
                width,
                styles=styles,
                muted=muted,
                bold=bold,
                blank=base,
                no_color=no_color,
                format_value=self._fmt_value,
                values=self.legend_values,
                max_lines=2 if height >= TWO_HEADER_LINES_FROM else 1,
            )
        else:
            head = []
        plot_rows = height - len(head) - (1 if has_xaxis else 0)

        x_lo, x_hi = auto_x_range([s.x for s in series], self.x_min, self.x_max)
        points = self._points_in_view(series, x_lo, x_hi)
        # The y range from the data in the x range (the min/max downsampling keeps it exactly).
        y_lo, y_hi = auto_y_range([y for _, y in points], self.y_min, self.y_max, self.log_y, self.y_include)
        self.x_range, self.y_range = (x_lo, x_hi), (y_lo, y_hi)

        tick_rows, self.y_tick_values = y_ticks(y_lo, y_hi, plot_rows, self.log_y, self.max_y_ticks)
        label_w = max((len(lbl) for _, lbl in tick_rows), default=0)
        # Tick labels only where at least 8 cells of plot remain; else just the axis line.
        if tick_rows and width >= label_w + 1 + 8:
            gutter = label_w + 1
        else:
            gutter = 1 if width >= 8 else 0
        plot_w = max(1, width - gutter)

        patterns = line_patterns(series, no_color)
        bits, color_idx = self._plot_cells(series, points, patterns, plot_w, plot_rows)

        row_bands = self._row_bands(plot_rows)
        band_styles = self._band_styles(styles + [base], base, fg, bg) if self.bands else []

        lines: list[Strip] = list(head)
        lines += self._plot_rows(
            bits,
            color_idx,
            dict(tick_rows),
            width,
            gutter,
            styles + [base],
            muted,
            row_bands=row_bands,
            band_styles=band_styles,
            no_color=no_color,
        )
        if has_xaxis:
            x_label = self.x_label if self.x_label is not None else t("step_word", self.lang)
            lines.append(x_axis(x_lo, x_hi, gutter, plot_w, muted, x_label))
        return lines

    def _points_in_view(self, series: Sequence[Series], x_lo: float, x_hi: float) -> list[Points]:
        """Each series as float arrays (y in log10 with `log_y`), cut to a fixed x range."""
        points: list[Points] = []
        for s in series:
            x = np.asarray(s.x, dtype=np.float64).ravel()
            y = np.asarray(s.y, dtype=np.float64).ravel()
            n = min(x.size, y.size)
            x, y = x[:n], y[:n]
            if self.log_y:
                with np.errstate(invalid="ignore", divide="ignore"):
                    keep = ~(y <= 0)  # skip values <= 0; NaN stays (a gap)
                    x, y = x[keep], np.log10(y[keep])
            points.append((x, y))
        if self.x_min is not None or self.x_max is not None:
            points = [(x[(x >= x_lo) & (x <= x_hi)], y[(x >= x_lo) & (x <= x_hi)]) for x, y in points]
        return points

    def _plot_cells(
        self,
        series: Sequence[Series],
        points: list[Points],
        patterns: list[tuple[int, ...]],
        plot_w: int,
        plot_rows: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The plot area's braille bits and, per cell, the index of the series that colours it (-1: none)."""
        bits = np.zeros((plot_rows, plot_w), dtype=np.uint8)
        color_idx = np.full((plot_rows, plot_w), -1, dtype=np.int64)
        layers = self._series_bits(points, patterns, plot_w, plot_rows)
        # Dim series first, then the others: later non-dim series win shared cells.
        order = [i for i, s in enumerate(series) if s.dim] + [i for i, s in enumerate(series) if not s.dim]
        for i in order:
            b = layers[i]
            if b is None:
                continue
            bits |= b
            color_idx[b != 0] = i
        return bits, color_idx

    def _series_bits(
        self, points: list[Points], patterns: list[tuple[int, ...]], plot_w: int, plot_rows: int
    ) -> list[np.ndarray | None]:
        """Each series' own braille bits (plot_rows, plot_w), None for a series with no points.
        (A subclass may compute them in a batch; the result must be the same.)"""
        (x_lo, x_hi), (y_lo, y_hi) = self.x_range, self.y_range
        dots_w, dots_h = 2 * plot_w, 4 * plot_rows
        sx = (dots_w - 1) / (x_hi - x_lo)
        sy = (dots_h - 1) / (y_hi - y_lo)
        layers: list[np.ndarray | None] = []
        for (x, y), pattern in zip(points, patterns):
            x, y = downsample(x, y, dots_w, (x_lo, x_hi))
            if x.size == 0:
                layers.append(None)
                continue
            grid = rasterize((x - x_lo) * sx, (y_hi - y) * sy, dots_w, dots_h, pattern)
            layers.append(dots_to_braille(grid))
        return layers

    def _plot_rows(
        self,
        bits: np.ndarray,
        color_idx: np.ndarray,
        labels: dict[int, str],
        width: int,
        gutter: int,
        cell_styles: list[Style],
        muted: Style,
        *,
        row_bands: list[tuple[int, str]] | None = None,
        band_styles: list[list[Style]] | None = None,
        no_color: bool = False,
    ) -> list[Strip]:
        """One strip per plot row: the gutter (tick label and axis), then the braille cells.

        `cell_styles` holds the series' styles then the blank style (for cells no series
        touches). `row_bands` gives each row's (band index or -1, label); `band_styles[b]`
        is `cell_styles` on band b's tint plus the label style. A row whose content did not
        change reuses its previous strip.
        """
        plot_rows, plot_w = bits.shape
        codes = np.where(bits == 0, 0x20, 0x2800 + bits.astype(np.uint32)).astype("<u4")
        text = codes.tobytes().decode("utf-32-le")
        blank_idx = len(cell_styles) - 1
        cache = self._row_cache
        new_cache: dict[int, tuple[tuple, Strip]] = {}
        lines: list[Strip] = []
        for r in range(plot_rows):
            label = labels.get(r, "")
            axis = ("┤" if r in labels else "│") if gutter else ""
            crow = color_idx[r]
            crow = np.where(crow < 0, blank_idx, crow)
            band, band_label = row_bands[r] if row_bands else (-1, "")
            key = (width, gutter, label, axis, bits[r].tobytes(), crow.tobytes(), band, band_label, no_color)
            prev = cache.get(r)
            if prev is not None and prev[0] == key:
                lines.append(prev[1])
                new_cache[r] = prev
                continue
            runs: list[tuple[str, Style]] = []
            if gutter:
                runs.append((label.rjust(gutter - 1)[: gutter - 1] + axis, muted))
            row_text = text[r * plot_w : (r + 1) * plot_w]
            row_styles = cell_styles
            if band >= 0:
                row_styles = band_styles[band]
                row_text, crow = self._band_row(row_text, crow, bits[r], band_label, blank_idx, no_color, r)
            # One run per stretch of cells coloured by the same series.
            cuts = np.flatnonzero(crow[1:] != crow[:-1]) + 1
            start = 0
            for cut in [*cuts.tolist(), plot_w]:
                runs.append((row_text[start:cut], row_styles[crow[start]]))
                start = cut
            strip = strip_from_runs(runs)
            lines.append(strip)
            new_cache[r] = (key, strip)
        self._row_cache = new_cache
        return lines

    # -- bands ---------------------------------------------------------------
    def _row_bands(self, plot_rows: int) -> list[tuple[int, str]] | None:
        """Each plot row's (band index or -1, label to write in it); None without bands."""
        self.band_rows = []
        if not self.bands:
            return None
        out = [(-1, "")] * plot_rows
        for b, band in enumerate(self.bands):
            rows, label_row = band_rows(band, self.y_range, plot_rows, self.log_y)
            self.band_rows.append((rows, label_row))
            for r in rows:
                if out[r][0] < 0:
                    out[r] = (b, band.label if r == label_row else "")
        return out

    @staticmethod
    def _band_row(
        row_text: str, crow: np.ndarray, bits: np.ndarray, label: str, blank_idx: int, no_color: bool, row: int = 0
    ) -> tuple[str, np.ndarray]:
        """A band row's text and style indices: the NO_COLOR fill, then the label at the right."""
        plot_w = len(row_text)
        if no_color:
            chars = list(row_text)
            phase = (row % 2) * (BAND_FILL_EVERY // 2)
            for c in np.flatnonzero((bits == 0) & (np.arange(plot_w) % BAND_FILL_EVERY == phase)).tolist():
                chars[c] = BAND_FILL
            row_text = "".join(chars)
        # A blank cell after the label too: it must not run into a panel beside the chart.
        text = f" {label} " if label else ""
        if text and cell_len(text) <= plot_w - 2:
            n = cell_len(text)
            row_text = row_text[: plot_w - n] + text
            crow = crow.copy()
            crow[plot_w - n :] = blank_idx + 1  # the label style follows the blank one
        return row_text, crow

    def _band_styles(self, cell_styles: list[Style], base: Style, fg: Color, bg: Color) -> list[list[Style]]:
        """Per band: `cell_styles` on the band's tint, then its label style (built once per colours)."""
        key = (tuple(cell_styles), fg, bg, tuple(self.bands))
        if key == getattr(self, "_band_key", None):
            return self._band_cached
        out = []
        for band in self.bands:
            c = parse_color(band.color, fallback=fg)
            tint = Style(bgcolor=fade(c, bg, BAND_TINT).rich_color)
            label = base + Style(color=c.blend(fg, 0.35).rich_color, italic=True) + tint
            out.append([s + tint for s in cell_styles] + [label])
        self._band_key, self._band_cached = key, out
        self._row_cache.clear()  # cached rows hold the old styles
        return out

    # -- styles --------------------------------------------------------------
    def series_styles(
        self, series: Sequence[Series], base: Style, fg: Color, bg: Color, no_color: bool
    ) -> tuple[list[Style], Style, Style]:
        """(one style per series, muted, bold), as the chart draws them (for a caller's own legend)."""
        return self._styles(series, base, fg, bg, no_color)

    def _styles(self, series: Sequence[Series], base: Style, fg: Color, bg: Color, no_color: bool):
        """(one style per series, muted, bold), rebuilt only when colours or series change."""
        key = (base, fg, bg, no_color, tuple((s.color, s.dim) for s in series))
        if key == self._style_key:
            return self._cached_styles
        styles = []
        for s in series:
            c = parse_color(s.color, fallback=fg)
            if s.dim:
                c = fade(c, bg, 0.55)
            styles.append(base + Style(color=c.rich_color))
        muted = base + Style(color=fade(fg, bg, 0.45).rich_color)
        bold = base + Style(color=fg.rich_color, bold=True)
        self._cached_styles = (styles, muted, bold)
        self._style_key = key
        # Cached rows hold the old styles.
        self._row_cache.clear()
        return self._cached_styles

    def _fmt_value(self, v: float) -> str:
        if self.value_format is None:
            return fmt_legend(v)
        try:
            return self.value_format.format(v)
        except (ValueError, TypeError):  # e.g. "{:d}" given a float: a bad format must not crash
            return f"{v:.3g}"
