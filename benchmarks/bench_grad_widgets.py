"""Micro-benchmark: rebuild times of the gradient widgets (GradTraces, GradBars, TimeStrip).

Run by hand:  .venv/bin/python benchmarks/bench_grad_widgets.py [--repeat 30]

GradTraces with 16 layers x 3,000 probe steps plus the two clip lines, at 120x40 and 80x24:
  * full rebuild: every strip built anew (row cache emptied first);
  * new probe: one more step appended to every layer (what a live run does), rows whose
    content did not change keep their strips ("lines" is how many lines changed);
and GradBars (16 layers) and TimeStrip (T = 300) full builds. Times are the best of --repeat runs, in ms.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from rich.style import Style
from textual.color import Color

from nntui.widgets.grad_bars import GradBars
from nntui.widgets.grad_traces import GradTraces
from nntui.widgets.time_strip import TimeStrip

FG, BG = Color(224, 224, 224), Color(18, 18, 18)
BASE = Style(color=FG.rich_color, bgcolor=BG.rich_color)


def traces_data(n_layers: int = 16, n_points: int = 3000, every: int = 10):
    steps = np.arange(n_points, dtype=np.float64) * every
    rng = np.random.default_rng(0)
    norms = {}
    for i in range(n_layers):
        depth = (n_layers - 1 - i) / (n_layers - 1)
        norms[f"layer {i + 1}"] = 10.0 ** (-6 * depth) * np.exp(0.3 * rng.standard_normal(n_points))
    pre = 3.0 * np.exp(0.2 * rng.standard_normal(n_points))
    return steps, norms, (steps, pre, np.minimum(pre, 1.0))


def timed(fn, repeat: int, setup=None) -> float:
    fn()
    times = []
    for _ in range(repeat):
        if setup:
            setup()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times) * 1e3  # the least disturbed run (a shared machine inflates the median)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    extra = args.repeat + 5
    all_steps, all_norms, all_clip = traces_data(n_points=3000 + extra)

    def window(n: int):
        """The first n probe steps (views, no copies)."""
        return all_steps[:n], {k: v[:n] for k, v in all_norms.items()}, tuple(a[:n] for a in all_clip)

    steps, norms, clip = window(3000)
    print(f"GradTraces: {len(norms)} layers x {steps.size} points + pre/post clip")
    for w, h in ((120, 40), (80, 24)):
        tr = GradTraces()
        tr.set_traces(steps, norms, clip)

        def full():
            return tr.render_traces(w, h, base=BASE, foreground=FG, background=BG)

        ms_full = timed(full, args.repeat, setup=tr.renderer._row_cache.clear)
        # A new probe step: every layer gets one more point.
        n = [3000]

        def grow():
            n[0] += 1
            tr.set_traces(*window(n[0]))

        before = full()
        grow()
        after = full()
        changed = sum(a is not b and a != b for a, b in zip(before, after))
        ms_tail = timed(full, args.repeat, setup=grow)
        print(f"  {w}x{h}: full rebuild {ms_full:.2f} ms, new probe step {ms_tail:.2f} ms ({changed} lines changed)")

    bars = GradBars()
    bars.show(list(norms), [float(v[-1]) for v in norms.values()])
    ms = timed(lambda: bars.render_bars(40, 38, base=BASE, foreground=FG, background=BG), args.repeat)
    print(f"GradBars 16 layers, 40x38: {ms:.2f} ms")
    strip = TimeStrip()
    strip.show(10.0 ** np.linspace(-10, 0, 300))
    ms = timed(lambda: strip.render_strip(120, 14, base=BASE, foreground=FG, background=BG), args.repeat)
    print(f"TimeStrip T=300, 120x14: {ms:.2f} ms")


if __name__ == "__main__":
    main()
