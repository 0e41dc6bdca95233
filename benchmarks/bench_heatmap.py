"""Micro-benchmark: frame times of the attention heatmaps (Heatmap, HeatmapGrid).

Run by hand:  .venv/bin/python benchmarks/bench_heatmap.py [--repeat 50]

A frame is every line of the widget built anew (what a new attention snapshot costs):
  * HeatmapGrid, 4 layers x 4 heads of 8x8 causal maps, at 80x24 and 120x40, colour and NO_COLOR;
  * HeatmapGrid, 4 x 8 heads of 32x32 maps at 120x40 (the maps elided);
  * Heatmap, one 32x32 causal map at 120x40.
Times are the best of --repeat runs, in ms per frame (show() included: it maps values to steps).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from rich.style import Style
from textual.color import Color

from nntui.widgets.heatmap import Heatmap
from nntui.widgets.heatmap_grid import HeatmapGrid, Tile

FG, BG = Color(224, 224, 224), Color(18, 18, 18)
BASE = Style(color=FG.rich_color, bgcolor=BG.rich_color)


def causal_attention(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    mask = np.triu(np.ones((n, n), dtype=bool), 1)
    scores = np.where(mask, -np.inf, 2.0 * rng.standard_normal((n, n)))
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True), mask


def tiles(layers: int, heads: int, n: int) -> list[Tile]:
    return [
        Tile(f"L{layer} H{head}", *causal_attention(n, layer * heads + head))
        for layer in range(layers)
        for head in range(heads)
    ]


def best_ms(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times) * 1e3  # the least disturbed run (a shared machine inflates the median)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=50)
    args = ap.parse_args()

    for layers, heads, n, sizes in ((4, 4, 8, ((80, 24), (120, 40))), (4, 8, 32, ((120, 40),))):
        grid_tiles = tiles(layers, heads, n)
        grid = HeatmapGrid("attention")
        for w, h in sizes:
            for no_color in (False, True):

                def frame():
                    grid.show(grid_tiles, selected=1, columns=heads)
                    return grid.render_grid(w, h, base=BASE, foreground=FG, background=BG, no_color=no_color)

                ms = best_ms(frame, args.repeat)
                mode = "NO_COLOR" if no_color else "colour"
                print(f"HeatmapGrid {layers}x{heads} tiles of {n}x{n}, {w}x{h} {mode}: {ms:.3f} ms/frame")

    p, mask = causal_attention(32, 0)
    labels = [f"w{i}" for i in range(32)]
    hm = Heatmap("attention")

    def single():
        hm.show(p, row_labels=labels, col_labels=labels, masked=mask)
        return hm.render_map(120, 40, base=BASE, foreground=FG, background=BG)

    print(f"Heatmap 32x32, 120x40 colour: {best_ms(single, args.repeat):.3f} ms/frame")


if __name__ == "__main__":
    main()
