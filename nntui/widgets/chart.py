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

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from rich.cells import cell_len
from rich.style import Style
from textual.color import Color
from textual.strip import Strip

from .shading import (
    LineCacheWidget,
    app_no_color,
    fade,
    fit_text,
    parse_color,
    strip_from_runs,
    widget_colors,
)

__all__ = [
    "LineChart",
    "Series",
    "ChartRenderer",
    "downsample",
    "rasterize",
    "dots_to_braille",
    "nice_ticks",
    "log_ticks",
    "format_tick",
]


@dataclass(frozen=True, eq=False)
class Series:
    """One line of a chart. `color` is a Textual colour name or hex; `dim` marks a
    background series (e.g. an earlier run), drawn faded (dotted with NO_COLOR)."""

    name: str
    x: np.ndarray
    y: np.ndarray
    color: str
    dim: bool = False


# Braille dot bits by (row within cell 0..3, column within cell 0..1).
BRAILLE_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.uint8)

# Line patterns along a line's path (1 = dot drawn), used with NO_COLOR, and their legend marks.
SOLID = (1,)
DASHED = (1, 1, 1, 1, 0, 0)
DASH_DOT = (1, 1, 1, 1, 0, 0, 1, 0, 0)
SPARSE = (1, 0, 0, 0)
DOTTED = (1, 0)
_PATTERNS = (SOLID, DASHED, DASH_DOT, SPARSE)
_PATTERN_MARKS = {SOLID: "──", DASHED: "╌╌", DASH_DOT: "─·", SPARSE: "┈┈", DOTTED: "··"}
_PATTERN_MARKS_SHORT = {SOLID: "─", DASHED: "╌", DASH_DOT: "┄", SPARSE: "┈", DOTTED: "·"}
_COLOR_MARK = "━━"
_DIM_COLOR_MARK = "──"


# ---------------------------------------------------------------------------
# Pure numpy parts (no Textual, unit tested)
# ---------------------------------------------------------------------------
def downsample(
    x: np.ndarray, y: np.ndarray, n_buckets: int, x_range: tuple[float, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Reduce a series to at most about `2 * n_buckets` points.

    The x range is cut into `n_buckets` equal buckets (one per dot column); each
    bucket keeps its minimum and maximum, in their original order, so the full
    min..max range and spikes survive. A bucket holding a NaN or inf becomes one
    NaN point (a gap in the line). Short series come back unchanged (but as
    float64, with non-finite y as NaN, points with non-finite x dropped, sorted by x).
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    n = min(x.size, y.size)
    x, y = x[:n], y[:n]
    finite_x = np.isfinite(x)
    if not finite_x.all():
        x, y = x[finite_x], y[finite_x]
    bad = ~np.isfinite(y)
    if bad.any():
        y = np.where(bad, np.nan, y)
    if x.size > 1 and np.any(x[1:] < x[:-1]):
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[order]
    n_buckets = max(1, int(n_buckets))
    if x.size <= 2 * n_buckets:
        return x, y
    lo, hi = (float(x[0]), float(x[-1])) if x_range is None else x_range
    if not hi > lo:
        hi = lo + 1.0
    b = np.floor((x - lo) * (n_buckets / (hi - lo))).astype(np.int64)
    np.clip(b, 0, n_buckets - 1, out=b)
    starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    counts = np.diff(np.r_[starts, y.size])
    mins = np.minimum.reduceat(y, starts)  # NaN propagates: a bucket with a NaN is NaN
    maxs = np.maximum.reduceat(y, starts)
    index = np.arange(y.size)
    big = y.size
    imin = np.minimum.reduceat(np.where(y == np.repeat(mins, counts), index, big), starts)
    imax = np.minimum.reduceat(np.where(y == np.repeat(maxs, counts), index, big), starts)
    gap = np.isnan(mins)
    imin[gap] = starts[gap]
    imax[gap] = starts[gap]
    first = np.minimum(imin, imax)
    second = np.maximum(imin, imax)
    out = np.stack([first, second], axis=1).ravel()
    keep = np.ones(out.size, dtype=bool)
    keep[1::2] = second != first
    out = out[keep]
    # Keep the series' own first and last points so a line starts and ends where it should.
    if out[0] != 0:
        out = np.r_[0, out]
    if out[-1] != y.size - 1:
        out = np.r_[out, y.size - 1]
    gap_at = np.isnan(y[out])
    xo = x[out]
    yo = y[out]
    yo[gap_at] = np.nan
    # A bucket holding a NaN is one NaN point (y of a NaN bucket's start may itself be finite).
    nan_buckets = np.flatnonzero(gap)
    if nan_buckets.size:
        yo[np.isin(out, starts[nan_buckets])] = np.nan
    return xo, yo


def rasterize(
    px: np.ndarray, py: np.ndarray, width: int, height: int, pattern: Sequence[int] | None = None
) -> np.ndarray:
    """A (height, width) boolean dot grid with consecutive points joined by lines.

    `px`, `py` are dot coordinates (x to the right, y downwards; NaN = gap). Segments
    are clipped to the grid (so points far outside cannot blow up the work), sampled
    once per dot along their major axis, and deduplicated. `pattern` (e.g. (1, 0) for
    dotted) keeps only some dots along the path.
    """
    grid = np.zeros((height, width), dtype=bool)
    px = np.asarray(px, dtype=np.float64)
    py = np.asarray(py, dtype=np.float64)
    if px.size == 0 or width <= 0 or height <= 0:
        return grid
    finite = np.isfinite(px) & np.isfinite(py)
    seg = finite[:-1] & finite[1:]
    # Points with no segment on either side are drawn on their own.
    has_seg = np.zeros(px.size, dtype=bool)
    has_seg[:-1] |= seg
    has_seg[1:] |= seg
    lone = finite & ~has_seg

    x0, y0 = px[:-1][seg], py[:-1][seg]
    x1, y1 = px[1:][seg], py[1:][seg]
    dx, dy = x1 - x0, y1 - y0
    # Liang-Barsky clipping to [-0.5, width - 0.5] x [-0.5, height - 0.5].
    t0 = np.zeros(x0.size)
    t1 = np.ones(x0.size)
    ok = np.ones(x0.size, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for p, q in (
            (-dx, x0 + 0.5),
            (dx, width - 0.5 - x0),
            (-dy, y0 + 0.5),
            (dy, height - 0.5 - y0),
        ):
            r = q / p
            neg = p < 0
            pos = p > 0
            t0 = np.where(neg, np.maximum(t0, r), t0)
            t1 = np.where(pos, np.minimum(t1, r), t1)
            ok &= ~((p == 0) & (q < 0))
    ok &= t0 <= t1
    cx0, cy0 = x0[ok] + t0[ok] * dx[ok], y0[ok] + t0[ok] * dy[ok]
    cx1, cy1 = x0[ok] + t1[ok] * dx[ok], y0[ok] + t1[ok] * dy[ok]
    steps = np.ceil(np.maximum(np.abs(cx1 - cx0), np.abs(cy1 - cy0))).astype(np.int64) + 1
    total = int(steps.sum())
    if total:
        seg_id = np.repeat(np.arange(steps.size), steps)
        offset = np.arange(total) - np.repeat(np.cumsum(steps) - steps, steps)
        t = offset / np.maximum(steps - 1, 1)[seg_id]
        xs = np.rint(cx0[seg_id] + t * (cx1 - cx0)[seg_id])
        ys = np.rint(cy0[seg_id] + t * (cy1 - cy0)[seg_id])
    else:
        xs = ys = np.zeros(0)
    lx, ly = np.rint(px[lone]), np.rint(py[lone])
    inside = (lx >= 0) & (lx < width) & (ly >= 0) & (ly < height)
    xs = np.concatenate([xs, lx[inside]]).astype(np.int64)
    ys = np.concatenate([ys, ly[inside]]).astype(np.int64)
    np.clip(xs, 0, width - 1, out=xs)
    np.clip(ys, 0, height - 1, out=ys)
    if xs.size > 1:
        new = np.r_[True, (xs[1:] != xs[:-1]) | (ys[1:] != ys[:-1])]
        xs, ys = xs[new], ys[new]
    if pattern is not None and len(pattern) > 1:
        keep = np.asarray(pattern, dtype=bool)[np.arange(xs.size) % len(pattern)]
        xs, ys = xs[keep], ys[keep]
    grid[ys, xs] = True
    return grid


def dots_to_braille(grid: np.ndarray) -> np.ndarray:
    """Pack a (4*rows, 2*cols) boolean dot grid into (rows, cols) braille bit masks (uint8)."""
    h, w = grid.shape
    rows, cols = h // 4, w // 2
    g = grid[: rows * 4, : cols * 2].reshape(rows, 4, cols, 2).view(np.uint8)
    out = np.zeros((rows, cols), dtype=np.uint8)
    for r in range(4):
        for c in range(2):
            out |= g[:, r, :, c] * BRAILLE_BITS[r, c]
    return out


def nice_step(span: float, target: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is >= span / target."""
    raw = abs(span) / max(target, 1e-9)
    if not raw > 0 or not math.isfinite(raw):
        return 1.0
    mag = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * mag >= raw * (1 - 1e-9):
            return m * mag
    return 10.0 * mag


def nice_ticks(lo: float, hi: float, n: int = 3) -> list[float]:
    """About `n` round tick values (multiples of 1, 2, 2.5 or 5 x 10^k) inside [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        return [lo]
    best: list[float] = []
    best_score = None
    base = 10.0 ** math.floor(math.log10((hi - lo) / max(n, 1)))
    for mag in (base / 10, base, base * 10):
        for m in (1.0, 2.0, 2.5, 5.0):
            step = m * mag
            first = math.ceil(lo / step - 1e-9)
            last = math.floor(hi / step + 1e-9)
            count = last - first + 1
            if count < 2 or count > 3 * n:
                continue
            score = (abs(count - n), count < n, m == 2.5, -step)
            if best_score is None or score < best_score:
                best_score = score
                best = [_clean(k * step) for k in range(first, last + 1)]
    return best or [lo, hi]


def log_ticks(lo: float, hi: float, max_n: int = 3) -> list[float]:
    """Powers of ten between the positive values lo and hi (at most `max_n`, evenly strided).

    When the range holds fewer than two powers of ten, round linear ticks are used instead.
    """
    if not (lo > 0 and hi > 0 and math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi < lo:
        lo, hi = hi, lo
    e_lo = math.ceil(math.log10(lo) - 1e-9)
    e_hi = math.floor(math.log10(hi) + 1e-9)
    exps = list(range(e_lo, e_hi + 1))
    if len(exps) < 2:
        return [t for t in nice_ticks(lo, hi, max_n) if t > 0]
    for stride in (1, 2, 3, 4, 5, 6, 10, 20, 25, 50, 100):
        chosen = [e for e in exps if e % stride == 0]
        if 2 <= len(chosen) <= max_n or (len(chosen) <= max_n and stride > len(exps)):
            break
    if len(chosen) < 2:
        chosen = [exps[0], exps[-1]]
    return [10.0**e for e in chosen]


def _clean(v: float) -> float:
    return 0.0 if abs(v) < 1e-12 else float(f"{v:.12g}")


def format_tick(v: float) -> str:
    """A short tick label: 0, 0.25, 1.5e3 -> '1.5e3', 12000 -> '12k', 1e-3 -> '1e-3'."""
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return str(v)
    a = abs(v)
    for unit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= unit and abs(v / unit * 100 - round(v / unit * 100)) < 1e-6:
            return f"{v / unit:g}{suffix}"
    e = math.log10(a)
    if abs(e - round(e)) < 1e-9 and (e <= -3 or e >= 4):
        return f"{'-' if v < 0 else ''}1e{int(round(e))}"
    s = f"{v:.3g}"
    if "e" in s:
        mant, exp = s.split("e")
        s = f"{mant}e{int(exp)}"
    return s


# ---------------------------------------------------------------------------
# The renderer: data + size + colours -> strips (no app needed; benchmarked)
# ---------------------------------------------------------------------------
class ChartRenderer:
    """Builds a chart's lines. Keeps the previous plot rows so unchanged rows keep their strip."""

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
    ) -> None:
        self.title = title
        self.log_y = log_y
        self.y_min = y_min
        self.y_max = y_max
        self.x_min = x_min
        self.x_max = x_max
        self.x_label = x_label
        self.value_format = value_format
        self._row_cache: dict[int, tuple[tuple, Strip]] = {}
        self._style_key: tuple | None = None
        # What the last render used (for tests and tooltips).
        self.x_range: tuple[float, float] = (0.0, 1.0)
        self.y_range: tuple[float, float] = (0.0, 1.0)
        self.y_tick_values: list[float] = []

    # -- helpers -----------------------------------------------------------
    def _fmt_value(self, v: float) -> str:
        try:
            return self.value_format.format(v)
        except (ValueError, TypeError):
            return f"{v:.3g}"

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
        if self.log_y:
            step = 1.0 if span > 2 else nice_step(span, 5)
        else:
            step = nice_step(span, 10)
        if not fixed_lo:
            lo = math.floor((lo - span * 0.02) / step + 1e-9) * step
        if not fixed_hi:
            hi = math.ceil((hi + span * 0.02) / step - 1e-9) * step
        return (lo, hi)

    def _styles(self, series: Sequence[Series], base: Style, fg: Color, bg: Color, no_color: bool):
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
        self._row_cache.clear()
        return self._cached_styles

    def _patterns(self, series: Sequence[Series], no_color: bool) -> list[tuple[int, ...]]:
        out = []
        k = 0
        for s in series:
            if s.dim:
                out.append(DOTTED if no_color else SOLID)
            else:
                out.append(_PATTERNS[k % len(_PATTERNS)] if no_color else SOLID)
                k += 1
        return out

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
    ) -> list[Strip]:
        """All `height` lines of the chart, each `width` cells wide."""
        if width <= 0 or height <= 0:
            return []
        base = base if base is not None else Style()
        fg = foreground if foreground is not None else Color(224, 224, 224)
        bg = background if background is not None else Color(0, 0, 0)
        styles, muted, bold = self._styles(series, base, fg, bg, no_color)
        patterns = self._patterns(series, no_color)
        blank_style = base

        has_title = height >= 2
        has_xaxis = height >= 4
        plot_top = 1 if has_title else 0
        plot_rows = height - plot_top - (1 if has_xaxis else 0)

        # Data to log space, x range.
        x_lo, x_hi = self._auto_x_range(series)
        prepared: list[tuple[np.ndarray, np.ndarray]] = []
        for s in series:
            x = np.asarray(s.x, dtype=np.float64).ravel()
            y = np.asarray(s.y, dtype=np.float64).ravel()
            n = min(x.size, y.size)
            x, y = x[:n], y[:n]
            if self.log_y:
                with np.errstate(invalid="ignore", divide="ignore"):
                    keep = ~(y <= 0)  # skip values <= 0; NaN stays (a gap)
                    x, y = x[keep], np.log10(y[keep])
            prepared.append((x, y))

        # The y range from the data in the x range (the min/max downsampling keeps it exactly).
        if self.x_min is not None or self.x_max is not None:
            prepared = [(x[(x >= x_lo) & (x <= x_hi)], y[(x >= x_lo) & (x <= x_hi)]) for x, y in prepared]
        y_lo, y_hi = self._auto_y_range([y for _, y in prepared])
        self.x_range, self.y_range = (x_lo, x_hi), (y_lo, y_hi)

        tick_rows = self._y_ticks(y_lo, y_hi, plot_rows)
        label_w = max((len(lbl) for _, lbl in tick_rows), default=0)
        if tick_rows and width >= label_w + 1 + 8:
            gutter = label_w + 1
        else:
            gutter = 1 if width >= 8 else 0
        plot_w = max(1, width - gutter)
        dots_w, dots_h = 2 * plot_w, 4 * plot_rows
        reduced = [downsample(x, y, dots_w, (x_lo, x_hi)) for x, y in prepared]

        # Rasterise each series into braille bits; colour index per cell.
        bits = np.zeros((plot_rows, plot_w), dtype=np.uint8)
        color_idx = np.full((plot_rows, plot_w), -1, dtype=np.int64)
        sx = (dots_w - 1) / (x_hi - x_lo)
        sy = (dots_h - 1) / (y_hi - y_lo)
        layers = []
        for i, (x, y) in enumerate(reduced):
            if x.size == 0:
                layers.append(None)
                continue
            px = (x - x_lo) * sx
            py = (y_hi - y) * sy
            grid = rasterize(px, py, dots_w, dots_h, patterns[i])
            layers.append(dots_to_braille(grid))
        # Dim series first, then the others: later non-dim series win shared cells.
        order = [i for i, s in enumerate(series) if s.dim] + [i for i, s in enumerate(series) if not s.dim]
        for i in order:
            b = layers[i]
            if b is None:
                continue
            bits |= b
            color_idx[b != 0] = i
        codes = np.where(bits == 0, 0x20, 0x2800 + bits.astype(np.uint32)).astype("<u4")
        text = codes.tobytes().decode("utf-32-le")

        lines: list[Strip] = []
        if has_title:
            lines.append(self._legend(series, width, styles, muted, bold, blank_style, no_color))
        # Plot rows (reusing the previous strip where nothing in the row changed).
        labels = dict(tick_rows)
        n_styles = len(styles)
        all_styles = styles + [blank_style]
        cache = self._row_cache
        new_cache: dict[int, tuple[tuple, Strip]] = {}
        for r in range(plot_rows):
            label = labels.get(r, "")
            axis = ("┤" if r in labels else "│") if gutter else ""
            crow = color_idx[r]
            crow = np.where(crow < 0, n_styles, crow)
            key = (width, gutter, label, axis, bits[r].tobytes(), crow.tobytes())
            prev = cache.get(r)
            if prev is not None and prev[0] == key:
                lines.append(prev[1])
                new_cache[r] = prev
                continue
            runs: list[tuple[str, Style]] = []
            if gutter:
                runs.append((label.rjust(gutter - 1)[: gutter - 1] + axis, muted))
            row_text = text[r * plot_w : (r + 1) * plot_w]
            cuts = np.flatnonzero(crow[1:] != crow[:-1]) + 1
            start = 0
            for cut in [*cuts.tolist(), plot_w]:
                runs.append((row_text[start:cut], all_styles[crow[start]]))
                start = cut
            strip = strip_from_runs(runs)
            lines.append(strip)
            new_cache[r] = (key, strip)
        self._row_cache = new_cache
        if has_xaxis:
            lines.append(self._x_axis(x_lo, x_hi, width, gutter, plot_w, dots_w, muted))
        return lines

    def _y_ticks(self, y_lo: float, y_hi: float, plot_rows: int) -> list[tuple[int, str]]:
        """(row, label) for the y ticks, at most one per row."""
        if plot_rows < 2 or not y_hi > y_lo:
            return []
        n = 3 if plot_rows >= 3 else 2
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

    def _x_axis(self, x_lo, x_hi, width, gutter, plot_w, dots_w, muted) -> Strip:
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

    def _legend(self, series, width, styles, muted, bold, blank_style, no_color) -> Strip:
        """Title, then each series' mark, name and latest value, compacted to fit `width`.

        Levels, tried in turn: everything; without the dim series (counted as "+k");
        main series without values; one-cell marks and one-space gaps; then cut with "+k".
        """
        patterns = self._patterns(series, no_color)
        order = [i for i, s in enumerate(series) if not s.dim] + [i for i, s in enumerate(series) if s.dim]
        title = fit_text(self.title, width).rstrip() if cell_len(self.title) > width else self.title

        def entries(level: int) -> list[tuple[int, str, str, str]]:
            out = []
            for i in order:
                s = series[i]
                if s.dim and level >= 1:
                    continue
                if no_color:
                    marks = _PATTERN_MARKS_SHORT if level >= 3 else _PATTERN_MARKS
                    mark = marks.get(patterns[i], "─")
                else:
                    mark = _DIM_COLOR_MARK if s.dim else _COLOR_MARK
                    mark = mark[:1] if level >= 3 else mark
                body = s.name
                if not s.dim and level <= 1:
                    y = np.asarray(s.y).ravel()
                    body += " " + (self._fmt_value(float(y[-1])) if y.size else "–")
                out.append((i, " " if level >= 3 else "  ", mark, body))
            return out

        def length(items) -> int:
            return sum(len(sep) + len(mark) + 1 + cell_len(body) for _, sep, mark, body in items)

        chosen: list[tuple[int, str, str, str]] = []
        for level in range(4):
            items = entries(level)
            left = len(series) - len(items)
            if cell_len(title) + length(items) + (2 + len(str(left)) if left else 0) <= width:
                chosen = items
                break
        else:
            items = entries(3)
            used = cell_len(title)
            for item in items:
                left = len(series) - len(chosen) - 1
                reserve = 2 + len(str(left)) if left else 0
                if used + length([item]) + reserve > width:
                    break
                chosen.append(item)
                used += length([item])

        runs: list[tuple[str, Style]] = [(title, bold)] if title else []
        used = cell_len(title)
        for i, sep, mark, body in chosen:
            if not used:
                sep = ""
            runs += [(sep, blank_style), (mark, styles[i]), (" " + body, muted if series[i].dim else styles[i])]
            used += len(sep) + len(mark) + 1 + cell_len(body)
        omitted = len(series) - len(chosen)
        if omitted and used + 2 + len(str(omitted)) <= width:
            more = f" +{omitted}"
            runs.append((more, muted))
            used += len(more)
        if used < width:
            runs.append((" " * (width - used), blank_style))
        return strip_from_runs(runs).crop(0, width)


# ---------------------------------------------------------------------------
# The widget
# ---------------------------------------------------------------------------
class LineChart(LineCacheWidget):
    """A braille line chart of several series (see the module docstring)."""

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
        log_y: bool = False,
        y_min: float | None = None,
        y_max: float | None = None,
        x_min: float | None = None,
        x_max: float | None = None,
        x_label: str = "step",
        value_format: str = "{:.3g}",
        **widget_kwargs,
    ) -> None:
        super().__init__(**widget_kwargs)
        self.renderer = ChartRenderer(
            title,
            log_y=log_y,
            y_min=y_min,
            y_max=y_max,
            x_min=x_min,
            x_max=x_max,
            x_label=x_label,
            value_format=value_format,
        )
        self._series: list[Series] = []

    @property
    def series(self) -> list[Series]:
        return list(self._series)

    def set_series(self, series: list[Series]) -> None:
        """Replace the chart's data; repaints only the lines that changed."""
        self._series = list(series)
        self.update_lines()

    def set_title(self, title: str) -> None:
        self.renderer.title = title
        self.update_lines()

    def build_lines(self, width: int, height: int) -> list[Strip]:
        base, fg, bg = widget_colors(self)
        return self.renderer.render(
            self._series,
            width,
            height,
            base=base,
            foreground=fg,
            background=bg,
            no_color=app_no_color(self),
        )


def bucket_means(x: np.ndarray, y: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A noisy series (e.g. a per-batch loss) as at most `n` bucket means, for a readable trend.

    Min/max downsampling keeps spikes, which turns per-batch noise into a solid band;
    a loss curve is read as a trend, so it is averaged first.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size <= n:
        return x, y
    size = -(-x.size // n)
    whole = x.size // size * size
    xs, ys = x[:whole].reshape(-1, size).mean(axis=1), y[:whole].reshape(-1, size).mean(axis=1)
    if whole < x.size:
        xs, ys = np.r_[xs, x[whole:].mean()], np.r_[ys, y[whole:].mean()]
    return xs, ys
