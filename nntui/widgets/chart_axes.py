"""A chart's axes: the x and y ranges it plots, the y ticks, and the x axis line.

Free ends are rounded out to round numbers so that a growing run changes the
scale, and with it every row of the chart, only now and then.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from rich.cells import cell_len
from rich.style import Style
from textual.strip import Strip

from .shading import fit_text, strip_from_runs
from .numbers import format_tick
from .ticks import log_ticks, nice_step, nice_ticks

# Axis ends stay inside these, so a span (hi - lo) and 10 ** end never overflow a float:
# a recorded loss of 1e308 (or -1e308 beside it) is drawn at the chart's edge, not crashed on.
# Rounding out may take the ends a little further: never past the second pair.
LINEAR_LIMIT, LINEAR_ROUNDED = 1e300, 1e302
LOG_LIMIT, LOG_ROUNDED = 300.0, 305.0  # log10 units: 10 ** 305 is still a float


def _clamped(lo: float, hi: float, limit: float) -> tuple[float, float]:
    return min(max(lo, -limit), limit), min(max(hi, -limit), limit)


def auto_x_range(xs: Sequence[np.ndarray], x_min: float | None, x_max: float | None) -> tuple[float, float]:
    """The data's x extent; a free right end rounded up (a growing run rescales only now and then)."""
    lo, hi = math.inf, -math.inf
    for x in xs:
        x = np.asarray(x)
        if x.size:
            fin = x[np.isfinite(x)] if x.dtype.kind == "f" else x
            if fin.size:
                lo = min(lo, float(fin.min()))
                hi = max(hi, float(fin.max()))
    if x_min is not None:
        lo = float(x_min)
    if x_max is not None:
        hi = float(x_max)
    if not math.isfinite(lo) or not math.isfinite(hi):
        return (0.0, 1.0)
    lo, hi = _clamped(lo, hi, LINEAR_LIMIT)
    if hi <= lo:  # one point: in the middle of an axis from 0 (steps count from 0), clear of the edges
        pad = max(0.5, abs(lo) * 1e-3)  # relative far out, where 0.5 would be lost in rounding
        if x_max is not None:
            return (hi - 2 * pad, hi)
        return (0.0, 2 * lo) if lo > 0 else (0.0, 1.0) if lo == 0 else (lo - pad, lo + pad)
    if x_max is None:
        # Round the right end up to a fine round number, so a growing series changes
        # the scale (and repaints everything) only now and then.
        step = nice_step(hi - lo, 10)
        hi = min(math.ceil(hi / step - 1e-9) * step, LINEAR_ROUNDED)
    return (lo, hi)


def auto_y_range(
    ys: list[np.ndarray], y_min: float | None, y_max: float | None, log_y: bool, y_include: Sequence[float]
) -> tuple[float, float]:
    """The plotted y range (log10 with log_y): fixed ends kept, free ends rounded out, y_include inside."""
    limit = LOG_LIMIT if log_y else LINEAR_LIMIT
    lo, hi = math.inf, -math.inf
    for y in ys:
        if y.size:
            fin = y[np.isfinite(y)]
            if fin.size:
                lo = min(lo, float(fin.min()))
                hi = max(hi, float(fin.max()))
    fixed_lo = y_min is not None
    fixed_hi = y_max is not None
    for v in y_include:
        if log_y:
            v = math.log10(v) if v > 0 else math.nan
        if math.isfinite(v):
            lo, hi = min(lo, v), max(hi, v)
    if log_y:
        if fixed_lo:
            lo = math.log10(y_min) if y_min > 0 else lo
        if fixed_hi:
            hi = math.log10(y_max) if y_max > 0 else hi
    else:
        lo = float(y_min) if fixed_lo else lo
        hi = float(y_max) if fixed_hi else hi
    if not math.isfinite(lo) and not math.isfinite(hi):
        return (0.0, 1.0)
    if not math.isfinite(lo):
        lo = hi - 1.0
    if not math.isfinite(hi):
        hi = lo + 1.0
    if hi < lo:
        lo, hi = hi, lo
    lo, hi = _clamped(lo, hi, limit)
    if hi == lo:
        pad = 0.5 if log_y else (abs(lo) * 0.1 or 1.0)
        if fixed_lo and fixed_hi:
            return (lo - pad, hi + pad)
        return (lo - (0 if fixed_lo else pad), hi + (0 if fixed_hi else pad))
    span = hi - lo
    # Round the free ends out (2% margin) so small changes in the data keep the scale.
    if log_y:
        step = 1.0 if span > 2 else nice_step(span, 5)
    else:
        step = nice_step(span, 10)
    if not fixed_lo:
        lo = math.floor((lo - span * 0.02) / step + 1e-9) * step
    if not fixed_hi:
        hi = math.ceil((hi + span * 0.02) / step - 1e-9) * step
    return _clamped(lo, hi, LOG_ROUNDED if log_y else LINEAR_ROUNDED)


def y_ticks(
    y_lo: float, y_hi: float, plot_rows: int, log_y: bool, max_ticks: int
) -> tuple[list[tuple[int, str]], list[float]]:
    """(row, label) for the y ticks, at most one per row, and the tick values."""
    if plot_rows < 2 or not y_hi > y_lo:
        return [], []
    n = 3 if plot_rows >= 3 else 2
    if max_ticks > 3:
        n = max(n, min(max_ticks, (plot_rows + 1) // 2))
    if log_y:
        values = log_ticks(10.0**y_lo, 10.0**y_hi, n)
        positions = [math.log10(v) for v in values]
    else:
        values = nice_ticks(y_lo, y_hi, n)
        positions = values
    dots_h = 4 * plot_rows
    out: dict[int, str] = {}
    for v, p in zip(values, positions):
        dot = (y_hi - p) / (y_hi - y_lo) * (dots_h - 1)
        row = int(min(max(round(dot) // 4, 0), plot_rows - 1))
        out.setdefault(row, format_tick(v))
    return sorted(out.items()), values


def x_axis(x_lo: float, x_hi: float, gutter: int, plot_w: int, muted: Style, x_label: str) -> Strip:
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
        name = x_label if cell_len(x_label) <= gutter - 1 else ""
        head = fit_text(name, gutter - 1) + "└"
    return strip_from_runs([(head + "".join(cells), muted)])
