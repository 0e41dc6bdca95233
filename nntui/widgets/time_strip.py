"""TimeStrip: ||dL/dh_t|| for every time step t of a recurrent net, as a strip over t.

Time runs left to right (t = 1 at the left, t = T at the right; a long sequence
is sampled down to the width, keeping t = 1 and t = T, a short one is stretched
to whole cells per step). Each column is a bar of log10 of the value, drawn with
eighth blocks, over a range of at least `min_decades` powers of ten (so a
gradient that keeps 0.2 of its size looks like it survives and one that falls
to 1e-10 looks like it dies), with powers of ten on the left. Beneath the bars a
one-line heat strip shows the same values on a colour ramp (lower half blocks,
so a thin gap parts it from the bars; with NO_COLOR: the
shading ramp "░▒▓"), then the t axis. The top line gives the values at t = 1
and t = T and their ratio; where it is narrow the title, then the step, give way to
those numbers. Zero, negative and NaN values are gaps ("·" in the heat strip).
Its own words follow `lang` ("en" or "zh").
"""

from __future__ import annotations

import math

import numpy as np
from rich.cells import cell_len
from rich.style import Style
from textual.color import Color
from textual.strip import Strip

from nntui.i18n import t as tr

from .shading import SHADES, AppFreeRender, LineCacheWidget, fade, fit_text, strip_from_runs
from .numbers import fmt_norm, format_tick
from .ticks import log_ticks

__all__ = ["TimeStrip", "log_range", "time_columns"]

VBLOCKS = " ▁▂▃▄▅▆▇█"
GAP = "·"
HEAT_SHADES = SHADES[1:4]  # "░▒▓"
LEVELS = 16
# Dark purple (small, dying) through red and orange to pale yellow (large, alive).
_HEAT = [(60, 40, 130), (150, 40, 140), (225, 70, 80), (250, 150, 50), (250, 235, 120)]


def time_columns(T: int, width: int) -> np.ndarray:
    """For each drawn column, the index (0-based) of the time step it shows.

    T >= width: `width` columns sampled evenly, the first showing t = 1 and the last
    t = T. T < width: the steps are stretched over the width, each taking
    width // T or one more columns.
    """
    if T <= 0 or width <= 0:
        return np.zeros(0, dtype=np.int64)
    if T >= width:
        if width == 1:
            return np.array([T - 1], dtype=np.int64)
        return np.rint(np.arange(width) * ((T - 1) / (width - 1))).astype(np.int64)
    return np.minimum(((np.arange(width) + 0.5) * (T / width)).astype(np.int64), T - 1)


def log_range(values: np.ndarray, min_decades: int = 4) -> tuple[int, int] | None:
    """(lo, hi) whole powers of ten holding the finite positive values, at least
    `min_decades` apart (extended downwards); None when there is no such value."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v) & (v > 0)]
    if not v.size:
        return None
    lv = np.log10(v)
    lo, hi = math.floor(float(lv.min())), math.ceil(float(lv.max()))
    if hi - lo < max(1, min_decades):
        lo = hi - max(1, min_decades)
    return lo, hi


def _heat_color(t: float) -> Color:
    pos = min(max(t, 0.0), 1.0) * (len(_HEAT) - 1)
    k = min(int(pos), len(_HEAT) - 2)
    f = pos - k
    a, b = _HEAT[k], _HEAT[k + 1]
    return Color(*(round(a[j] + (b[j] - a[j]) * f) for j in range(3)))


class TimeStrip(AppFreeRender, LineCacheWidget):
    """||dL/dh_t|| over time steps t as log-scale bars and a heat strip (see the module docstring)."""

    DEFAULT_CSS = """
    TimeStrip {
        width: 1fr;
        height: 1fr;
        min-height: 3;
    }
    """

    def __init__(self, title: str = "", *, min_decades: int = 4, **widget_kwargs) -> None:
        super().__init__(**widget_kwargs)
        self.title = title
        self.label = "‖dL/dh_t‖"
        self.min_decades = min_decades
        self.step: int | None = None
        self._values = np.zeros(0)
        self._style_key: tuple | None = None
        self.columns = np.zeros(0, dtype=np.int64)  # the time index of each column, last build

    def show(self, values: np.ndarray, *, label: str = "‖dL/dh_t‖", step: int | None = None) -> None:
        """Show one value per time step, t = 1 first."""
        self._values = np.asarray(values, dtype=np.float64).ravel()
        self.label = label
        self.step = step
        self.update_lines()

    # -- building -------------------------------------------------------------
    def _styles(self, base: Style, fg: Color, bg: Color) -> dict:
        key = (base, fg, bg)
        if key != self._style_key:
            colors = [_heat_color(i / (LEVELS - 1)) for i in range(LEVELS)]
            self._cached = {
                "levels": [base + Style(color=c.rich_color) for c in colors],
                "muted": base + Style(color=fade(fg, bg, 0.45).rich_color),
                "text": base + Style(color=fg.rich_color),
                "bold": base + Style(color=fg.rich_color, bold=True),
                "base": base,
            }
            self._style_key = key
        return self._cached

    def _header(self, width: int, st: dict) -> Strip:
        v = self._values
        step = f"· {tr('at_step', self.lang).format(step=f'{self.step:,}')}" if self.step is not None else ""
        if not v.size:
            head = " ".join(part for part in (self.title, self.label, step) if part)
            waiting = f"{head}: {tr('waiting_backward', self.lang)}"
            return strip_from_runs([(fit_text(waiting, width), st["bold"])])
        T = v.size
        first, last = float(v[0]), float(v[-1])
        numbers = [f"t=1 {fmt_norm(first)}", f"t={T} {fmt_norm(last)}"]
        if last > 0 and math.isfinite(first) and math.isfinite(last):
            numbers.append(f"{tr('ratio', self.lang)} {fmt_norm(first / last)}")
        # Narrow: the title goes first, then the step; the numbers are what the strip is read for.
        for head in ((self.title, self.label, step), (self.label, step), (self.label,), ()):
            runs = [(" ".join(part for part in head if part), st["bold"]), ("  " + "  ".join(numbers), st["text"])]
            if not head:
                runs = [("  ".join(numbers), st["text"])]
            if sum(cell_len(text) for text, _ in runs) <= width:
                break
        else:  # not even the numbers: as many of them as fit, whole
            kept: list[str] = []
            for part in numbers:
                if cell_len("  ".join([*kept, part])) > width:
                    break
                kept.append(part)
            runs = [("  ".join(kept), st["text"])]
        used = sum(cell_len(text) for text, _ in runs)
        if used < width:
            runs.append((" " * (width - used), st["base"]))
        return strip_from_runs(runs).crop(0, width)

    render_strip = AppFreeRender.render_standalone

    def draw_lines(self, width: int, height: int, base: Style, fg: Color, bg: Color, no_color: bool) -> list[Strip]:
        st = self._styles(base, fg, bg)
        lines = [self._header(width, st)]
        v = self._values
        rng = log_range(v, self.min_decades)
        if rng is None or height < 2:
            return lines[:height]
        lo, hi = rng
        # Rows below the header: bars, the heat strip, the t axis (the bars go first when short).
        has_axis = height >= 3
        has_heat = height >= 4
        bar_rows = height - 1 - has_axis - has_heat

        ticks = self._ticks(lo, hi, bar_rows)
        label_w = max((len(t) for t in ticks.values()), default=0)
        gutter = label_w + 1 if width >= label_w + 1 + 8 else 0
        plot_w = width - gutter
        cols = time_columns(v.size, plot_w)
        self.columns = cols
        shown = v[cols]
        ok = np.isfinite(shown) & (shown > 0)
        frac = np.zeros(cols.size)
        with np.errstate(divide="ignore", invalid="ignore"):
            frac[ok] = (np.log10(shown[ok]) - lo) / (hi - lo)
        frac = np.clip(frac, 0.0, 1.0)
        level = np.where(ok, np.rint(frac * (LEVELS - 1)), -1).astype(np.int64)
        pad = plot_w - cols.size

        if bar_rows > 0:
            eighths = np.where(ok, np.maximum(np.rint(frac * bar_rows * 8), 1), 0).astype(np.int64)
            for r in range(bar_rows):
                fill = np.clip(eighths - (bar_rows - 1 - r) * 8, 0, 8)
                text = "".join(VBLOCKS[f] for f in fill.tolist())
                runs = []
                if gutter:
                    label = ticks.get(r, "")
                    runs.append((label.rjust(gutter - 1) + ("┤" if label else "│"), st["muted"]))
                runs += self._level_runs(text, level, st, no_color)
                if pad:
                    runs.append((" " * pad, st["base"]))
                lines.append(strip_from_runs(runs))
        if has_heat:
            if no_color:
                # Light to dense shading; no blank (a tiny value still differs from a gap) and no
                # full block (it would merge with the bars above).
                q = np.clip(np.rint(frac * (len(HEAT_SHADES) - 1)), 0, len(HEAT_SHADES) - 1).astype(np.int64)
                text = "".join(HEAT_SHADES[k] if good else GAP for k, good in zip(q.tolist(), ok.tolist()))
            else:  # a lower half block: a thin gap parts it from the bars above
                text = "".join("▄" if good else GAP for good in ok.tolist())
            runs = [(" " * (gutter - 1) + "│", st["muted"])] if gutter else []
            runs += self._level_runs(text, level, st, no_color)
            if pad:
                runs.append((" " * pad, st["base"]))
            lines.append(strip_from_runs(runs))
        if has_axis:
            lines.append(self._axis(v.size, cols, gutter, plot_w, st["muted"]))
        return lines[:height]

    @staticmethod
    def _level_runs(text: str, level: np.ndarray, st: dict, no_color: bool) -> list[tuple[str, Style]]:
        """`text` (one character per column) in runs of the same colour level (gaps muted)."""
        if no_color or not text:
            return [(text, st["text"])]
        runs = []
        cuts = np.flatnonzero(level[1:] != level[:-1]) + 1
        start = 0
        for cut in [*cuts.tolist(), len(text)]:
            k = int(level[start])
            runs.append((text[start:cut], st["levels"][k] if k >= 0 else st["muted"]))
            start = cut
        return runs

    @staticmethod
    def _ticks(lo: int, hi: int, rows: int) -> dict[int, str]:
        """Row -> label of the powers of ten beside the bars (a bar reaching a row's top
        has that row's value)."""
        if rows < 2:
            return {}
        out: dict[int, str] = {}
        for v in log_ticks(10.0**lo, 10.0**hi, max(2, min(6, (rows + 1) // 2))):
            f = (math.log10(v) - lo) / (hi - lo)
            row = min(rows - 1, max(0, int(math.floor((1 - f) * rows))))
            out.setdefault(row, format_tick(v))
        return out

    @staticmethod
    def _axis(T: int, cols: np.ndarray, gutter: int, plot_w: int, muted: Style) -> Strip:
        """t = 1 at the left, T/2 in the middle, T at the right (under their columns)."""
        cells = [" "] * plot_w
        n = cols.size
        marks = []
        for t in (1, T, (T + 1) // 2):
            where = np.flatnonzero(cols == t - 1)
            if where.size:
                marks.append((t, int(where.mean())))
            elif n:  # sampled out: the column nearest to it
                marks.append((t, int(np.abs(cols - (t - 1)).argmin())))
        taken = [False] * plot_w
        for i, (t, col) in enumerate(marks):
            label = f"t={t}" if i == 0 else str(t)
            if i == 0:
                start = 0
            elif i == 1:  # t = T ends under the last column
                start = max(0, n - len(label))
            else:
                start = min(max(col - len(label) // 2, 0), max(0, n - len(label)))
            span = range(max(0, start - 1), min(plot_w, start + len(label) + 1))
            if start + len(label) > plot_w or any(taken[c] for c in span):
                continue
            cells[start : start + len(label)] = list(label)
            for c in range(start, start + len(label)):
                taken[c] = True
        head = (" " * (gutter - 1) + "└") if gutter else ""
        return strip_from_runs([(head + "".join(cells), muted)])
