"""Axis ticks: round tick values for a range, and short labels for them.

Pure Python (no numpy, no Textual). Ticks are multiples of 1, 2, 2.5 or 5 x 10^k
(powers of ten on a log axis), so labels stay short and read as round numbers.
"""

from __future__ import annotations

import math

__all__ = ["log_ticks", "nice_step", "nice_ticks"]


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
    if not math.isfinite(hi - lo):  # e.g. -1e308..1e308: no step fits a float (chart_axes clamps first)
        return []
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


