"""Micro-benchmark: frame time of the ScatterField widget (points over a decision field).

Run by hand:  .venv/bin/python benchmarks/bench_scatter.py [--repeat 30]

A frame is show() (a new field and the points handed over, as an update from the history does)
plus every line of the widget built anew, at 120x40 and 80x24, in colour and NO_COLOR: the
playground's 81x81 field with 4 classes and 600 points (its largest dataset at 150 points a
class), and a field that changes every frame (a new softmax, so no two frames are alike). The
styles of the half-block pairs are cached across frames, as in the app; "cold" clears that
cache first (the first frame after start). Times are the best of --repeat runs, in ms per frame.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from rich.style import Style
from textual.color import Color

from nntui.widgets import scatter as scatter_module
from nntui.widgets.scatter import ScatterField

FG, BG = Color(224, 224, 224), Color(18, 18, 18)
BASE = Style(color=FG.rich_color, bgcolor=BG.rich_color)
SIZES = ((120, 40), (80, 24))
GRID, HALF = 81, 6.0


def data(classes: int, per_class: int, phase: float) -> tuple:
    """A spiral of `classes` arms and a field that turns with `phase`."""
    rng = np.random.default_rng(0)
    s = np.tile(np.arange(per_class) / per_class, classes)
    labels = np.repeat(np.arange(classes), per_class)
    angle = 3.5 / classes * 2 * np.pi * s + 2 * np.pi * labels / classes
    points = np.stack([(5 * s + 0.1) * np.cos(angle), (5 * s + 0.1) * np.sin(angle)], axis=1)
    xs = np.linspace(-HALF, HALF, GRID)
    gx, gy = np.meshgrid(xs, xs[::-1])
    theta, radius = np.arctan2(gy, gx), np.hypot(gx, gy)
    logits = np.stack([2 * np.cos(theta - radius + phase - 2 * np.pi * k / classes) for k in range(classes)], -1)
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    return points, labels, rng.random(len(labels)) < 0.5, [-HALF, HALF, -HALF, HALF], probs.astype(np.float32)


def best_ms(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    frames = [data(4, 150, phase) for phase in np.linspace(0, 1, 8)]
    widget = ScatterField("decision field")
    for width, height in SIZES:
        for no_color in (False, True):
            count = iter(range(10**9))

            def frame(cold: bool = False) -> None:
                if cold:
                    scatter_module.scatter_styles.cache_clear()
                widget.show(*frames[next(count) % len(frames)], note="step 1,000")
                widget.render_scatter(width, height, base=BASE, foreground=FG, background=BG, no_color=no_color)

            mode = "NO_COLOR" if no_color else "colour"
            warm = best_ms(frame, args.repeat)
            cold = best_ms(lambda: frame(cold=True), args.repeat)
            print(f"{width}x{height} {mode:8}  {warm:6.2f} ms/frame  (cold styles {cold:6.2f} ms)")


if __name__ == "__main__":
    main()
