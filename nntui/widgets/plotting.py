"""The pure numpy half of a braille chart: series in, braille bit masks out.

No Textual and no Rich here, so each step is unit tested and benchmarked on its
own: `downsample` (or `bucket_means` for a noisy series) cuts a series to about
two points per dot column, `rasterize` joins the points into a dot grid, and
`dots_to_braille` packs 2 x 4 dots into one braille cell (U+2800 block).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["BRAILLE_BITS", "bucket_means", "dots_to_braille", "downsample", "rasterize", "segment_dots"]

# Braille dot bits by (row within cell 0..3, column within cell 0..1).
BRAILLE_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.uint8)


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


def segment_dots(
    px: np.ndarray, py: np.ndarray, seg: np.ndarray, width: int, height: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dots along the segments from point i to i + 1 wherever `seg[i]`, clipped to the grid.

    Segments are clipped (Liang-Barsky) to [-0.5, width - 0.5] x [-0.5, height - 0.5]
    and sampled once per dot along their major axis. Returns the rounded dot x, y and,
    for each dot, the index of its segment among those selected by `seg`.
    """
    x0, y0 = px[:-1][seg], py[:-1][seg]
    x1, y1 = px[1:][seg], py[1:][seg]
    dx, dy = x1 - x0, y1 - y0
    t0 = np.zeros(x0.size)
    t1 = np.ones(x0.size)
    ok = np.ones(x0.size, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for p, q in ((-dx, x0 + 0.5), (dx, width - 0.5 - x0), (-dy, y0 + 0.5), (dy, height - 0.5 - y0)):
            r = q / p
            t0 = np.where(p < 0, np.maximum(t0, r), t0)
            t1 = np.where(p > 0, np.minimum(t1, r), t1)
            ok &= ~((p == 0) & (q < 0))
    ok &= t0 <= t1
    cx0, cy0 = x0[ok] + t0[ok] * dx[ok], y0[ok] + t0[ok] * dy[ok]
    cx1, cy1 = x0[ok] + t1[ok] * dx[ok], y0[ok] + t1[ok] * dy[ok]
    steps = np.ceil(np.maximum(np.abs(cx1 - cx0), np.abs(cy1 - cy0))).astype(np.int64) + 1
    total = int(steps.sum())
    if not total:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64)
    seg_id = np.repeat(np.arange(steps.size), steps)
    offset = np.arange(total) - np.repeat(np.cumsum(steps) - steps, steps)
    t = offset / np.maximum(steps - 1, 1)[seg_id]
    xs = np.rint(cx0[seg_id] + t * (cx1 - cx0)[seg_id])
    ys = np.rint(cy0[seg_id] + t * (cy1 - cy0)[seg_id])
    return xs, ys, np.flatnonzero(ok)[seg_id]


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

    xs, ys, _ = segment_dots(px, py, seg, width, height)
    lx, ly = np.rint(px[lone]), np.rint(py[lone])
    # A lone point on the plot's edge (a run's only probe sits at the right end) rounds to one
    # dot past it: it is still on the plot, and is drawn at the edge.
    inside = (lx >= -1) & (lx <= width) & (ly >= -1) & (ly <= height)
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
