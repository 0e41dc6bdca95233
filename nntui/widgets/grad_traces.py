"""GradTraces: each layer's gradient norm over the steps, on a log10 axis.

A `LineChart` (braille lines, strip cache) with:
- one line per layer, coloured along a cool (input side) to warm (output side)
  ramp, so the depth order reads at a glance;
- the vanishing (< 1e-5) and exploding (> 1e2) zones as `Band`s behind the
  lines, labelled at the right edge; both thresholds stay inside the y range
  (which then changes only when the data leaves 1e-6 .. 1e3, so repaints stay small);
- each layer's line is its trend: with more probe steps than the chart has dot
  columns, the mean of each column's worth of steps (noisy per-batch
  norms would otherwise draw 16 overlapping bands); `smooth=False` draws the
  min/max envelope instead, like `LineChart`;
- with clipping on, the total norm before and after clipping as two more lines
  (always min/max, so a spike in the total stays visible);
- its own legend: each layer's latest value, compacted when there are many
  (first layer, a swatch of the middle ones with "+n", the last layer; then short
  names, then no values), and the clip totals. It is cut only between entries, with
  "+n" for what is left out. From 10 rows the legend takes two lines (title and clip
  totals, then the layers). Its last cell stays blank, a gap to a panel beside it.

Its own words (the title, the zones, the clip totals) follow `lang` ("en" or "zh").

With NO_COLOR the first and last layers are solid and dashed lines, the middle
layers dotted, the clip totals dash-dot and sparse; the legend shows each
pattern, and the zones get a sparse "·" fill.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np
from rich.cells import cell_len
from rich.style import Style
from textual.color import Color
from textual.strip import Strip

from nntui.i18n import t

from .chart import LineChart
from .chart_bands import Band
from .chart_legend import PATTERN_MARKS, PATTERN_MARKS_SHORT, RIGHT_GAP_FROM, line_patterns
from .chart_renderer import ChartRenderer
from .chart_series import Series
from .plotting import dots_to_braille
from .plotting_rows import bucket_means_rows, downsample_rows, rasterize_many
from .grad_bars import EXPLODING_COLOR, VANISHING_COLOR, depth_colors, short_name
from .numbers import fmt_norm, threshold_label
from .shading import AppFreeRender, fit_text, strip_from_runs

__all__ = ["GradTraces", "TracesRenderer", "latest_finite"]

PRE_CLIP_COLOR = "#e8e8e8"
POST_CLIP_COLOR = "#ff66dd"
_COLOR_MARK = "━━"
# How many cells the swatch of the middle layers' colours may take in the compact legend.
_SWATCH_MAX = 8
# From this height the legend takes two lines (title and clip totals, then the layers).
TWO_LEGEND_LINES_FROM = 10
# The compact legend's layer names: "layer 12" as "L12", others cut to this many cells.
_SHORT_NAME = 6

Run = tuple[str, Style]


class TracesRenderer(ChartRenderer):
    """A ChartRenderer that draws series sharing an x array in one batch (same output, faster)."""

    def _series_bits(self, points, patterns, plot_w, plot_rows):
        (x_lo, x_hi), (y_lo, y_hi) = self.x_range, self.y_range
        dots_w, dots_h = 2 * plot_w, 4 * plot_rows
        sx = (dots_w - 1) / (x_hi - x_lo)
        sy = (dots_h - 1) / (y_hi - y_lo)
        groups: list[tuple[np.ndarray, list[int]]] = []
        for i, (x, _) in enumerate(points):
            for gx, members in groups:
                if gx is x or (gx.size == x.size and np.array_equal(gx, x)):
                    members.append(i)
                    break
            else:
                groups.append((x, [i]))
        down: list[tuple[np.ndarray, np.ndarray]] = [None] * len(points)  # type: ignore[list-item]
        for gx, members in groups:
            Y = np.stack([points[i][1] for i in members]) if gx.size else np.zeros((len(members), 0))
            for i, xy in zip(members, downsample_rows(gx, Y, dots_w, (x_lo, x_hi))):
                down[i] = xy
        pxs = [(x - x_lo) * sx for x, _ in down]
        pys = [(y_hi - y) * sy for _, y in down]
        grids = rasterize_many(pxs, pys, dots_w, dots_h, patterns)
        bits = dots_to_braille(grids.reshape(len(points) * dots_h, dots_w)).reshape(len(points), plot_rows, plot_w)
        return [None if x.size == 0 else bits[i] for i, (x, _) in enumerate(down)]


def latest_finite(y: np.ndarray) -> float:
    """The last finite value of `y` (NaN when there is none)."""
    y = np.asarray(y, dtype=np.float64).ravel()
    if y.size and math.isfinite(y[-1]):
        return float(y[-1])
    fin = np.flatnonzero(np.isfinite(y))
    return float(y[fin[-1]]) if fin.size else math.nan


class GradTraces(AppFreeRender, LineChart):
    """Per-layer gradient norms over steps on a log axis, with vanishing/exploding bands
    and pre/post-clip totals (see the module docstring).

    Other keyword `options` go to the chart (e.g. `x_max` = the run's total steps to fix
    the x axis, `x_label`).
    """

    DEFAULT_CSS = """
    GradTraces {
        width: 1fr;
        height: 1fr;
        min-height: 4;
    }
    """

    def __init__(
        self,
        title: str | None = None,
        *,
        vanishing: float = 1e-5,
        exploding: float = 1e2,
        smooth: bool = True,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
        **options,
    ) -> None:
        options["log_y"] = True
        options.setdefault("max_y_ticks", 6)
        self._own_title = title  # None: "gradient norm per layer" in the widget's language
        super().__init__(title or "", name=name, id=id, classes=classes, disabled=disabled, **options)
        self.renderer = TracesRenderer(title or "", **options)
        self._steps = np.zeros(0)
        self._norms: dict[str, np.ndarray] = {}
        self._clip: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.smooth = smooth
        self._smoothed: tuple[tuple, np.ndarray, np.ndarray] | None = None
        self._set_bands(vanishing, exploding)

    # -- data -----------------------------------------------------------------
    def set_traces(
        self,
        steps: np.ndarray,
        norms: Mapping[str, np.ndarray],
        clip: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> None:
        """Replace the data: `norms` maps each layer (input side first) to its norm at each
        of `steps`; `clip` is (steps, pre-clip totals, post-clip totals) when clipping is on.
        Repaints only the lines that changed."""
        self._steps = np.asarray(steps)
        self._norms = {str(k): np.asarray(v) for k, v in norms.items()}
        self._clip = None if clip is None else tuple(np.asarray(a) for a in clip)  # type: ignore[assignment]
        self._smoothed = None
        self.update_lines()

    def set_thresholds(self, vanishing: float = 1e-5, exploding: float = 1e2) -> None:
        self._set_bands(vanishing, exploding)
        self.update_lines()

    def _set_bands(self, vanishing: float, exploding: float) -> None:
        self.vanishing, self.exploding = float(vanishing), float(exploding)
        self._label_bands()
        self.renderer.y_include = [float(vanishing), float(exploding)]

    def _label_bands(self) -> None:
        """The zones, labelled in the widget's language (kept when nothing changed: the band
        styles are cached on them)."""
        exploding = f"{t('exploding', self.lang)} > {threshold_label(self.exploding)}"
        vanishing = f"{t('vanishing', self.lang)} < {threshold_label(self.vanishing)}"
        bands = [
            Band(self.exploding, None, exploding, EXPLODING_COLOR),
            Band(None, self.vanishing, vanishing, VANISHING_COLOR),
        ]
        if bands != self.renderer.bands:
            self.renderer.bands = bands

    def _layer_points(self, max_points: int | None) -> tuple[np.ndarray, list[np.ndarray]]:
        """The layers' x and y as drawn: smoothed to at most `max_points` (kept until the data changes)."""
        ys = list(self._norms.values())
        if not self.smooth or max_points is None or self._steps.size <= max_points or not ys:
            return self._steps, ys
        if any(y.shape != self._steps.shape for y in ys):  # ragged input: no shared x to smooth over
            return self._steps, ys
        key = (max_points, len(ys), id(self._steps), self._steps.size)
        if self._smoothed is None or self._smoothed[0] != key:
            xs, Y = bucket_means_rows(self._steps, np.stack(ys), max_points)
            self._smoothed = (key, xs, Y)
        _, xs, Y = self._smoothed
        return xs, list(Y)

    def make_series(self, no_color: bool = False, max_points: int | None = None) -> list[Series]:
        """The chart's series: the layers (input side first), then the clip totals. With
        `smooth`, layers with more than `max_points` points are drawn as bucket means."""
        names = list(self._norms)
        n = len(names)
        colors = depth_colors(n)
        x, ys = self._layer_points(max_points)
        out = [
            Series(name, x if y.shape == x.shape else self._steps, y, colors[i], dim=no_color and 0 < i < n - 1)
            for i, (name, y) in enumerate(zip(names, ys))
        ]
        if self._clip is not None:
            cs, pre, post = self._clip
            out.append(Series(t("pre_clip", self.lang), cs, pre, PRE_CLIP_COLOR))
            out.append(Series(t("post_clip", self.lang), cs, post, POST_CLIP_COLOR))
        return out

    # -- building -------------------------------------------------------------
    render_traces = AppFreeRender.render_standalone

    def draw_lines(self, width: int, height: int, base: Style, fg: Color, bg: Color, no_color: bool) -> list[Strip]:
        # One point per dot column is enough for a trend line (the gutter only makes it fewer).
        series = self.make_series(no_color, max_points=2 * width)
        self.renderer.lang = self.lang
        self.renderer.title = self._own_title if self._own_title is not None else t("grad_per_layer", self.lang)
        self._label_bands()
        styles, muted, bold = self.renderer.series_styles(series, base, fg, bg, no_color)
        header = None
        if height >= 2:
            lines = 2 if height >= TWO_LEGEND_LINES_FROM else 1
            header = self._header(series, styles, muted, bold, base, width, lines, no_color)
        return self.renderer.render(
            series, width, height, base=base, foreground=fg, background=bg, no_color=no_color, header=header
        )

    # -- the legend -------------------------------------------------------------
    def _header(
        self,
        series: list[Series],
        styles: list[Style],
        muted: Style,
        bold: Style,
        blank: Style,
        width: int,
        n_lines: int,
        no_color: bool,
    ) -> list[Strip]:
        n_layers = len(self._norms)
        patterns = line_patterns(series, no_color)
        # Latest values from the data itself (not the smoothed trend).
        raw = list(self._norms.values())
        if self._clip is not None:
            raw += [self._clip[1], self._clip[2]]
        values = [latest_finite(y) for y in raw]
        title = self.renderer.title
        if not n_layers:
            title = f"{title}{t('colon', self.lang)}{t('waiting_grads', self.lang)}"

        def entry(i: int, short: bool, name: str | None = None, value: bool = True) -> list[Run]:
            if no_color:
                mark = (PATTERN_MARKS_SHORT if short else PATTERN_MARKS).get(patterns[i], "─")
            else:
                mark = _COLOR_MARK[:1] if short else _COLOR_MARK
            label = series[i].name if name is None else name
            text = f" {label} {fmt_norm(values[i])}" if value else f" {label}"
            return [(mark, styles[i]), (text, styles[i])]

        def layer_entry(i: int, level: int) -> list[Run]:
            """Level 3 names a layer in few cells ("L12"), level 4 also drops its value."""
            if level < 3:
                return entry(i, level >= 2)
            return entry(i, True, short_name(series[i].name, _SHORT_NAME), value=level < 4)

        def layers(level: int) -> list[list[Run]]:
            """Layer entries: 0 all; 1 first, middle summary, last; 2 the same with short marks;
            3 with short names; 4 without values."""
            if level == 0 or n_layers <= 2:
                return [layer_entry(i, level) for i in range(n_layers)]
            mid = list(range(1, n_layers - 1))
            if no_color:
                summary = [((PATTERN_MARKS_SHORT if level >= 2 else PATTERN_MARKS)[patterns[1]], styles[1])]
            else:
                k = min(len(mid), _SWATCH_MAX if level < 2 else 3)
                picks = [mid[round(j * (len(mid) - 1) / max(k - 1, 1))] for j in range(k)]
                summary = [("━", styles[i]) for i in picks]
            summary.append((f" +{len(mid)}", muted))
            return [layer_entry(0, level), summary, layer_entry(n_layers - 1, level)]

        def clips(level: int) -> list[list[Run]]:
            if self._clip is None:
                return []
            k = n_layers
            if level >= 2:
                pre, post = t("pre_clip_short", self.lang), t("post_clip_short", self.lang)
                return [entry(k, True, pre, level < 4), entry(k + 1, True, post, level < 4)]
            return [entry(k, False), entry(k + 1, False)]

        def join(parts: list[list[Run]], with_title: bool, gap: str) -> list[Run]:
            runs: list[Run] = [(title, bold)] if with_title and title else []
            for part in parts:
                if runs:
                    runs.append((gap, blank))
                runs += part
            return runs

        # The last cell stays blank: a gap to the panel beside this one.
        usable = width - 1 if width >= RIGHT_GAP_FROM else width

        def size(runs: list[Run]) -> int:
            return sum(cell_len(text) for text, _ in runs)

        def fit(candidates: list[list[Run]], parts: list[list[Run]], with_title: bool) -> Strip:
            """The first candidate that fits; else `parts` while they and a "+k" for the rest fit."""
            runs = next((c for c in candidates if size(c) <= usable), None)
            if runs is None:
                runs = join([], with_title, " ")
                if size(runs) > usable:  # a title alone too long: cut by cells, never in a wide character
                    runs = [(fit_text(title, usable).rstrip(), bold)]
                for k, part in enumerate(parts):
                    rest = len(parts) - k - 1
                    more = [(f" +{rest}", muted)] if rest else []
                    if size(runs) + (1 if runs else 0) + size(part) + size(more) > usable:
                        left = len(parts) - k
                        if size(runs) + 1 + len(str(left)) + 1 <= usable:
                            runs = runs + [(f" +{left}" if runs else f"+{left}", muted)]
                        break
                    runs = runs + ([(" ", blank)] if runs else []) + part
            used = size(runs)
            if used < width:
                runs = runs + [(" " * (width - used), blank)]
            return strip_from_runs(runs).crop(0, width)

        levels = ((0, "  "), (1, "  "), (2, " "), (3, " "), (4, " "))
        if n_lines >= 2:
            first = fit([join(clips(0), True, "  "), join(clips(2), True, " "), join(clips(2), False, " ")],
                        clips(4), True)
            second = fit([join(layers(lv), False, gap) for lv, gap in levels], layers(4), False)
            return [first, second]
        # Without the clip totals' entries (they are lines too, counted "+2") before the layers lose more.
        no_clips = [[(f"+{len(clips(4))}", muted)]] if self._clip is not None else []
        candidates = [join(layers(0) + clips(0), True, "  "), join(layers(1) + clips(1), True, "  ")]
        candidates += [join(layers(1) + clips(1), False, "  "), join(layers(2) + clips(2), False, " ")]
        for lv in (2, 3, 4):
            candidates.append(join(layers(lv) + no_clips, False, " "))
        candidates.insert(-1, join(layers(4) + clips(4), False, " "))
        return [fit(candidates, layers(4) + clips(4), False)]
