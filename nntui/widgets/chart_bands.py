"""Horizontal bands behind a chart's lines, e.g. the vanishing and exploding zones of gradient norms."""

from __future__ import annotations

import math
from dataclasses import dataclass

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
