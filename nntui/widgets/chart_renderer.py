"""ChartRenderer: series + size + colours -> the chart's lines as strips.

Needs no app (tests and benchmarks call it directly); `LineChart` wraps it in a
widget. Layout, top to bottom: the legend line (from 2 rows), the plot rows with
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

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np
from rich.cells import cell_len
from rich.style import Style
from textual.color import Color
from textual.strip import Strip

from .chart_legend import legend_strip, line_patterns
from .plotting import dots_to_braille, downsample, rasterize
from .shading import fade, fit_text, parse_color, strip_from_runs
from .ticks import format_tick, log_ticks, nice_step, nice_ticks

if TYPE_CHECKING:  # chart.py imports this module; Series is only a type here
    from .chart import Series

__all__ = ["Band", "ChartRenderer", "band_rows"]

# A series as (x, y) float arrays, y in log10 when the chart has a log y axis.
Points = tuple[np.ndarray, np.ndarray]

# How far a band's background tint moves from the band colour towards the background
# (0.8 stays a visible dark red / blue when downgraded to 256 colours).
BAND_TINT = 0.8
# With NO_COLOR a band's empty cells get this character every BAND_FILL_EVERY cells
# (shifted by half that on every other row: a sparse texture, unlike a dotted line).
BAND_FILL = "·"
BAND_FILL_EVERY = 4


@dataclass(frozen=True)
class Band:
    """A horizontal band of the chart between `lo` and `hi` (data units; None: open-ended),
    drawn behind the lines with a tinted background and `label` at the right edge."""

    lo: float | None
    hi: float | None
    label: str = ""
    color: str = "#808080"


def band_rows(
    band: Band, y_range: tuple[float, float], plot_rows: int, log_y: bool = False
) -> tuple[list[int], int | None]:
    """The plot rows inside `band` (each row's middle in [lo, hi]) and the row for its label.

    `y_range` is the plotted range (in log10 with `log_y`), row 0 at the top. The label
    goes in the row farthest from the band's inner edge: the top row of a band open at
    the top, the bottom row of one open at the bottom, else the middle row.
    """
    y_lo, y_hi = y_range
    if plot_rows <= 0 or not y_hi > y_lo:
        return [], None

    def edge(v: float | None, default: float) -> float:
        if v is None:
            return default
        if log_y:
            return math.log10(v) if v > 0 else -math.inf
        return float(v)

    lo, hi = edge(band.lo, -math.inf), edge(band.hi, math.inf)
    dots_h = 4 * plot_rows
    rows = []
    for r in range(plot_rows):
        mid = y_hi - (4 * r + 1.5) / max(dots_h - 1, 1) * (y_hi - y_lo)
        if lo <= mid <= hi:
            rows.append(r)
    if not rows:
        return [], None
    if band.hi is None and band.lo is not None:
        label_row = rows[0]
    elif band.lo is None and band.hi is not None:
        label_row = rows[-1]
    else:
        label_row = rows[len(rows) // 2]
    return rows, label_row


class ChartRenderer:
    """Builds a chart's lines. Keeps the previous plot rows so unchanged rows keep their strip.

    The keywords are the chart's options (LineChart passes its own straight here):
    `log_y` plots log10(y) and skips values <= 0; `y_min`/`y_max`/`x_min`/`x_max` fix
    an end of an axis (else it follows the data); `x_label` names the x axis;
    `value_format` formats each series' latest value in the legend; `bands` are
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
        x_label: str = "step",
        value_format: str = "{:.3g}",
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
        head: list[Strip] | None = None
        if header is not None:
            head = list(header)[: max(0, height - 1 - (1 if has_xaxis else 0))]
            plot_rows = height - len(head) - (1 if has_xaxis else 0)
        else:
            plot_rows = height - (1 if has_title else 0) - (1 if has_xaxis else 0)

        x_lo, x_hi = self._auto_x_range(series)
        points = self._points_in_view(series, x_lo, x_hi)
        # The y range from the data in the x range (the min/max downsampling keeps it exactly).
        y_lo, y_hi = self._auto_y_range([y for _, y in points])
        self.x_range, self.y_range = (x_lo, x_hi), (y_lo, y_hi)

        tick_rows = self._y_ticks(y_lo, y_hi, plot_rows)
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

        lines: list[Strip] = []
        if head is not None:
            lines += head
        elif has_title:
            lines.append(
                legend_strip(
                    series,
                    self.title,
                    width,
                    styles=styles,
                    muted=muted,
                    bold=bold,
                    blank=base,
                    no_color=no_color,
                    format_value=self._fmt_value,
                )
            )
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
            lines.append(self._x_axis(x_lo, x_hi, gutter, plot_w, muted))
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
        text = f" {label}" if label else ""
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
        try:
            return self.value_format.format(v)
        except (ValueError, TypeError):  # e.g. "{:d}" given a float: a bad format must not crash
            return f"{v:.3g}"

    # -- axes ----------------------------------------------------------------
    def _auto_x_range(self, series: Sequence[Series]) -> tuple[float, float]:
        lo, hi = math.inf, -math.inf
        for s in series:
            x = np.asarray(s.x)
            if x.size:
                fin = x[np.isfinite(x)] if x.dtype.kind == "f" else x
                if fin.size:
                    lo = min(lo, float(fin.min()))
                    hi = max(hi, float(fin.max()))
        if self.x_min is not None:
            lo = float(self.x_min)
        if self.x_max is not None:
            hi = float(self.x_max)
        if not math.isfinite(lo) or not math.isfinite(hi):
            return (0.0, 1.0)
        if hi <= lo:
            return (lo - 0.5, lo + 0.5) if self.x_max is None else (hi - 1.0, hi)
        if self.x_max is None:
            # Round the right end up to a fine round number, so a growing series changes
            # the scale (and repaints everything) only now and then.
            step = nice_step(hi - lo, 10)
            hi = math.ceil(hi / step - 1e-9) * step
        return (lo, hi)

    def _auto_y_range(self, ys: list[np.ndarray]) -> tuple[float, float]:
        lo, hi = math.inf, -math.inf
        for y in ys:
            if y.size:
                fin = y[np.isfinite(y)]
                if fin.size:
                    lo = min(lo, float(fin.min()))
                    hi = max(hi, float(fin.max()))
        fixed_lo = self.y_min is not None
        fixed_hi = self.y_max is not None
        for v in self.y_include:
            if self.log_y:
                v = math.log10(v) if v > 0 else math.nan
            if math.isfinite(v):
                lo, hi = min(lo, v), max(hi, v)
        if self.log_y:
            if fixed_lo:
                lo = math.log10(self.y_min) if self.y_min > 0 else lo
            if fixed_hi:
                hi = math.log10(self.y_max) if self.y_max > 0 else hi
        else:
            lo = float(self.y_min) if fixed_lo else lo
            hi = float(self.y_max) if fixed_hi else hi
        if not math.isfinite(lo) and not math.isfinite(hi):
            return (0.0, 1.0)
        if not math.isfinite(lo):
            lo = hi - 1.0
        if not math.isfinite(hi):
            hi = lo + 1.0
        if hi < lo:
            lo, hi = hi, lo
        if hi == lo:
            pad = 0.5 if self.log_y else (abs(lo) * 0.1 or 1.0)
            if fixed_lo and fixed_hi:
                return (lo - pad, hi + pad)
            return (lo - (0 if fixed_lo else pad), hi + (0 if fixed_hi else pad))
        span = hi - lo
        # Round the free ends out (2% margin) so small changes in the data keep the scale.
        if self.log_y:
            step = 1.0 if span > 2 else nice_step(span, 5)
        else:
            step = nice_step(span, 10)
        if not fixed_lo:
            lo = math.floor((lo - span * 0.02) / step + 1e-9) * step
        if not fixed_hi:
            hi = math.ceil((hi + span * 0.02) / step - 1e-9) * step
        return (lo, hi)

    def _y_ticks(self, y_lo: float, y_hi: float, plot_rows: int) -> list[tuple[int, str]]:
        """(row, label) for the y ticks, at most one per row."""
        if plot_rows < 2 or not y_hi > y_lo:
            return []
        n = 3 if plot_rows >= 3 else 2
        if self.max_y_ticks > 3:
            n = max(n, min(self.max_y_ticks, (plot_rows + 1) // 2))
        if self.log_y:
            values = log_ticks(10.0**y_lo, 10.0**y_hi, n)
            positions = [math.log10(v) for v in values]
        else:
            values = nice_ticks(y_lo, y_hi, n)
            positions = values
        self.y_tick_values = values
        dots_h = 4 * plot_rows
        out: dict[int, str] = {}
        for v, p in zip(values, positions):
            dot = (y_hi - p) / (y_hi - y_lo) * (dots_h - 1)
            row = int(min(max(round(dot) // 4, 0), plot_rows - 1))
            out.setdefault(row, format_tick(v))
        return sorted(out.items())

    def _x_axis(self, x_lo: float, x_hi: float, gutter: int, plot_w: int, muted: Style) -> Strip:
        """The bottom line: the x label under the gutter, then tick labels that do not overlap."""
        dots_w = 2 * plot_w
        cells = [" "] * plot_w
        n = max(2, min(6, plot_w // 14))
        last_end = -2
        for v in nice_ticks(x_lo, x_hi, n):
            label = format_tick(v)
            col = int(round((v - x_lo) / (x_hi - x_lo) * (dots_w - 1))) // 2
            start = min(max(col - len(label) // 2, 0), plot_w - len(label))
            if start < 0 or start <= last_end + 1:
                continue
            cells[start : start + len(label)] = list(label)
            last_end = start + len(label) - 1
        head = ""
        if gutter:
            name = self.x_label if cell_len(self.x_label) <= gutter - 1 else ""
            head = fit_text(name, gutter - 1) + "└"
        return strip_from_runs([(head + "".join(cells), muted)])
