"""Micro-benchmark: LineChart strip building vs textual-plotext, and bytes per frame.

Run by hand:  .venv/bin/python benchmarks/bench_chart.py [--repeat 30]

For 3 series of 12,000 points at 120x40 and 80x24 it times
  * LineChart, full rebuild: downsample + rasterise + build every strip (a fresh renderer);
  * LineChart, tail update: the same renderer after the last 20 points of one series moved
    (unchanged rows keep their strips; "lines" is how many lines changed);
  * plotext via textual-plotext's Plot (the figure PlotextPlot draws), build + `Text.from_ansi`
    + splitting into lines, with all 12,000 points and downsampled to 2 points per column;
and counts the bytes a full frame of each writes in 256 colours (each line's ANSI text,
as `Strip.render` makes it, plus about 8 bytes of cursor movement per line). Compositing
by Textual (the same for both) is not included.

textual-plotext 1.0.1 requires plotext<6 while this project's environment has plotext 6,
so the plotext rows need it on the path, e.g.:
    pip install --no-deps --target /tmp/tplib textual-plotext "plotext<6"
    PYTHONPATH=/tmp/tplib .venv/bin/python benchmarks/bench_chart.py
Without it those rows are skipped.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from rich.console import Console
from rich.segment import Segment
from rich.text import Text
from textual.color import Color
from textual.strip import Strip

from nntui.widgets.chart_series import Series
from nntui.widgets.chart_renderer import ChartRenderer
from nntui.widgets.plotting import downsample

CURSOR_BYTES = 8  # about "\x1b[12;1H" per repainted line


def make_series(n: int = 12_000) -> list[Series]:
    rng = np.random.default_rng(0)
    x = np.arange(n, dtype=np.float64)

    def loss(start, end, tau, noise):
        return end + (start - end) * np.exp(-x / tau) + noise * rng.standard_normal(n) * np.exp(-x / (2 * tau))

    return [
        Series("run1 train", x, loss(2.3, 0.4, 2500, 0.15), "#f0a030", dim=True),
        Series("train", x, loss(2.3, 0.15, 2000, 0.12), "#30a0f0"),
        Series("test", x, loss(2.3, 0.3, 2000, 0.03), "#f04080"),
    ]


def timed(fn, repeat: int) -> tuple[float, object]:
    out = fn()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3, out


def frame_bytes(strips: list[Strip], console: Console) -> int:
    return sum(len(s.render(console).encode("utf-8")) + CURSOR_BYTES for s in strips)


def bench_linechart(series, width, height, console, repeat):
    fg, bg = Color(224, 224, 224), Color(18, 18, 18)
    from rich.style import Style

    base_style = Style(color=fg.rich_color, bgcolor=bg.rich_color)

    def full():
        return ChartRenderer("loss").render(series, width, height, base=base_style, foreground=fg, background=bg)

    ms_full, strips = timed(full, repeat)
    full_bytes = frame_bytes(strips, console)

    # Tail update: one renderer; alternate between two versions of the train series' tail.
    renderer = ChartRenderer("loss")
    moved = list(series)
    y = series[1].y.copy()
    y[-20:] += 0.05
    moved[1] = Series(series[1].name, series[1].x, y, series[1].color)
    versions = [series, moved]
    state = {"i": 0, "prev": renderer.render(series, width, height, base=base_style, foreground=fg, background=bg)}
    changed_counts = []
    changed_bytes = []

    def tail():
        state["i"] ^= 1
        new = renderer.render(versions[state["i"]], width, height, base=base_style, foreground=fg, background=bg)
        changed = [s for s, p in zip(new, state["prev"]) if s is not p and s != p]
        changed_counts.append(len(changed))
        changed_bytes.append(frame_bytes(changed, console))
        state["prev"] = new
        return new

    ms_tail, _ = timed(tail, repeat)
    return ms_full, full_bytes, ms_tail, statistics.median(changed_counts), statistics.median(changed_bytes)


def plotext_figure():
    """textual-plotext's Plot, else plotext 5's figure, else None (plotext 6 has another API)."""
    try:
        from textual_plotext.plot import Plot

        return Plot(), "textual-plotext"
    except ImportError:
        pass
    try:
        from plotext._figure import _figure_class

        return _figure_class(), "plotext 5"
    except ImportError:
        return None, None


def bench_plotext(series, width, height, console, repeat, points_per_col=None):
    fig, source = plotext_figure()
    if fig is None:
        return None, None, None
    colors = [Color.parse(s.color).rgb for s in series]
    data = []
    for s in series:
        x, y = s.x, s.y
        if points_per_col:
            x, y = downsample(x, y, width * points_per_col // 2)
        data.append((x.tolist(), y.tolist()))

    def build():
        fig.clear_figure()
        fig.clear_data()
        for (x, y), c, s in zip(data, colors, series):
            fig.plot(x, y, color=c, label=s.name, marker="braille")
        fig.title("loss")
        fig.plotsize(width, height)
        fig._set_size(width, height)
        text = Text.from_ansi(fig.build())
        lines = console.render_lines(text, console.options.update_width(width), pad=True)
        return [Strip(Segment.simplify(line), width) for line in lines]

    ms, strips = timed(build, repeat)
    return ms, frame_bytes(strips, console), source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    series = make_series()
    console = Console(color_system="256", force_terminal=True, width=200, file=None)
    rows = []
    for width, height in ((120, 40), (80, 24)):
        ms_full, full_b, ms_tail, n_changed, tail_b = bench_linechart(series, width, height, console, args.repeat)
        rows.append((f"{width}x{height}", "LineChart full rebuild", ms_full, full_b, f"{height}"))
        rows.append((f"{width}x{height}", "LineChart tail update", ms_tail, tail_b, f"{n_changed:g}"))
        for ppc, label in ((None, "all points"), (2, "2 pts/col")):
            ms, b, source = bench_plotext(series, width, height, console, max(3, args.repeat // 5), ppc)
            if ms is None:
                print("textual-plotext not importable (it needs plotext<6): plotext rows skipped")
                break
            rows.append((f"{width}x{height}", f"{source} ({label})", ms, b, f"{height}"))
    print(f"3 series x {len(series[0].x):,} points; ms = median per frame; bytes = 256-colour ANSI")
    print(f"{'size':8} {'renderer':34} {'ms/frame':>9} {'bytes/frame':>12} {'lines':>6} {'KB/s at 5 Hz':>13}")
    for size, name, ms, b, lines in rows:
        print(f"{size:8} {name:34} {ms:9.2f} {b:12,.0f} {lines:>6} {b * 5 / 1024:13.1f}")


if __name__ == "__main__":
    main()
