"""Drawing many series that share one x at once: downsampled as the rows of one matrix and
rasterised in one pass.

A deep net's gradient traces are 10-20 lines over the same probe steps; drawn series by series
the numpy overhead per call dominates. The results equal `plotting.downsample`,
`plotting.rasterize` and `plotting.bucket_means` called series by series (tests check).
"""

from __future__ import annotations

import numpy as np

from .plotting import segment_dots

__all__ = ["bucket_means_rows", "downsample_rows", "rasterize_many"]


def downsample_rows(
    x: np.ndarray, Y: np.ndarray, n_buckets: int, x_range: tuple[float, float] | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """`downsample(x, Y[r], n_buckets, x_range)` for every row r of Y (all sharing x), in one pass."""
    x = np.asarray(x, dtype=np.float64).ravel()
    Y = np.asarray(Y, dtype=np.float64).reshape(-1, x.size) if x.size else np.zeros((len(Y), 0))
    rows = Y.shape[0]
    finite_x = np.isfinite(x)
    if not finite_x.all():
        x, Y = x[finite_x], Y[:, finite_x]
    bad = ~np.isfinite(Y)
    if bad.any():
        Y = np.where(bad, np.nan, Y)
    if x.size > 1 and np.any(x[1:] < x[:-1]):
        order = np.argsort(x, kind="stable")
        x, Y = x[order], Y[:, order]
    n_buckets = max(1, int(n_buckets))
    if x.size <= 2 * n_buckets:
        return [(x, Y[r]) for r in range(rows)]
    n = x.size
    lo, hi = (float(x[0]), float(x[-1])) if x_range is None else x_range
    if not hi > lo:
        hi = lo + 1.0
    b = np.floor((x - lo) * (n_buckets / (hi - lo))).astype(np.int64)
    np.clip(b, 0, n_buckets - 1, out=b)
    starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    counts = np.diff(np.r_[starts, n])
    mins = np.minimum.reduceat(Y, starts, axis=1)
    maxs = np.maximum.reduceat(Y, starts, axis=1)
    index = np.broadcast_to(np.arange(n), Y.shape)
    imin = np.minimum.reduceat(np.where(Y == np.repeat(mins, counts, axis=1), index, n), starts, axis=1)
    imax = np.minimum.reduceat(np.where(Y == np.repeat(maxs, counts, axis=1), index, n), starts, axis=1)
    gap = np.isnan(mins)
    imin = np.where(gap, starts, imin)
    imax = np.where(gap, starts, imax)
    first = np.minimum(imin, imax)
    second = np.maximum(imin, imax)
    out = np.stack([first, second], axis=2).reshape(rows, -1)
    keep = np.ones(out.shape, dtype=bool)
    keep[:, 1::2] = second != first
    yout = np.take_along_axis(Y, out, axis=1)
    yout[np.repeat(gap, 2, axis=1)] = np.nan  # a bucket holding a NaN is one NaN point
    result = []
    for r in range(rows):
        o, yo = out[r, keep[r]], yout[r, keep[r]]
        # Keep the series' own first and last points.
        if o[0] != 0:
            o, yo = np.r_[0, o], np.r_[Y[r, 0], yo]
        if o[-1] != n - 1:
            o, yo = np.r_[o, n - 1], np.r_[yo, Y[r, -1]]
        result.append((x[o], yo))
    return result


def rasterize_many(
    pxs: list[np.ndarray], pys: list[np.ndarray], width: int, height: int, patterns: list[tuple[int, ...]]
) -> np.ndarray:
    """`rasterize(pxs[i], pys[i], width, height, patterns[i])` for every i, stacked (n, height, width)."""
    n = len(pxs)
    grid = np.zeros((n, height, width), dtype=bool)
    sizes = [np.asarray(p).size for p in pxs]
    if not n or not sum(sizes) or width <= 0 or height <= 0:
        return grid
    px = np.concatenate([np.asarray(p, dtype=np.float64).ravel() for p in pxs])
    py = np.concatenate([np.asarray(p, dtype=np.float64).ravel() for p in pys])
    sid = np.repeat(np.arange(n), sizes)
    finite = np.isfinite(px) & np.isfinite(py)
    seg = finite[:-1] & finite[1:] & (sid[:-1] == sid[1:])
    has_seg = np.zeros(px.size, dtype=bool)
    has_seg[:-1] |= seg
    has_seg[1:] |= seg
    lone = finite & ~has_seg

    xs, ys, seg_of = segment_dots(px, py, seg, width, height)
    ds = sid[:-1][seg][seg_of]
    lx, ly = np.rint(px[lone]), np.rint(py[lone])
    inside = (lx >= -1) & (lx <= width) & (ly >= -1) & (ly <= height)  # as `rasterize`: edge points stay
    xs = np.concatenate([xs, lx[inside]]).astype(np.int64)
    ys = np.concatenate([ys, ly[inside]]).astype(np.int64)
    ds = np.concatenate([ds, sid[lone][inside]])
    if inside.any():  # each series' lone points after its segments, as `rasterize` orders them
        order = np.argsort(ds, kind="stable")
        xs, ys, ds = xs[order], ys[order], ds[order]
    np.clip(xs, 0, width - 1, out=xs)
    np.clip(ys, 0, height - 1, out=ys)
    if xs.size > 1:
        new = np.r_[True, (xs[1:] != xs[:-1]) | (ys[1:] != ys[:-1]) | (ds[1:] != ds[:-1])]
        xs, ys, ds = xs[new], ys[new], ds[new]
    if any(p is not None and len(p) > 1 for p in patterns):
        # Each dot's position along its own series' path, for the line patterns.
        first_of = np.searchsorted(ds, np.arange(n))
        pos = np.arange(ds.size) - first_of[ds]
        keep = np.ones(ds.size, dtype=bool)
        for pattern in {tuple(p) for p in patterns if p is not None and len(p) > 1}:
            members = np.array([p is not None and tuple(p) == pattern for p in patterns])
            sel = members[ds]
            keep[sel] = np.asarray(pattern, dtype=bool)[pos[sel] % len(pattern)]
        xs, ys, ds = xs[keep], ys[keep], ds[keep]
    grid.reshape(-1)[(ds * height + ys) * width + xs] = True  # flat indices: faster than three
    return grid


def bucket_means_rows(x: np.ndarray, Y: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """`plotting.bucket_means(x, Y[r], n)` for every row r of Y (all sharing x) at once:
    at most `n` bucket means of x, and of each row (a NaN in a bucket makes it NaN, a gap)."""
    x = np.asarray(x, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if x.size <= n:
        return x, Y
    size = -(-x.size // n)
    whole = x.size // size * size
    xs = x[:whole].reshape(-1, size).mean(axis=1)
    ys = Y[:, :whole].reshape(Y.shape[0], -1, size).mean(axis=2)
    if whole < x.size:
        xs = np.r_[xs, x[whole:].mean()]
        ys = np.concatenate([ys, Y[:, whole:].mean(axis=1, keepdims=True)], axis=1)
    return xs, ys
