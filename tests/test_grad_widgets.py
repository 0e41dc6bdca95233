"""Tests of the gradient widgets: GradTraces, GradBars and TimeStrip (pure parts, line diffing, snapshots)."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from rich.color import ColorSystem
from rich.style import Style
from textual.app import App, ComposeResult
from textual.color import Color
from textual.containers import Horizontal

from widget_harness import spy_refreshes
from nntui.widgets.chart_renderer import Band, ChartRenderer, band_rows
from nntui.widgets.grad_bars import (
    GradBars,
    band_flags,
    bar_eighths,
    bar_range,
    depth_colors,
    fmt_norm,
    pick_rows,
    threshold_label,
)
from nntui.widgets.grad_traces import GradTraces, latest_finite
from nntui.widgets.time_strip import TimeStrip, log_range, time_columns


# ---------------------------------------------------------------------------
# Fixed synthetic data (deterministic, no random generator)
# ---------------------------------------------------------------------------
def layer_traces(n_layers: int = 9, n_steps: int = 2000, every: int = 10):
    """Norms that decay geometrically through depth: about 1 at the output, 1e-6 at layer 1,
    a clipped total (max norm 1) above them."""
    steps = np.arange(0, n_steps + 1, every, dtype=np.float64)
    names = [f"layer {i + 1}" for i in range(n_layers - 1)] + ["output"]
    norms = {}
    for i, name in enumerate(names):
        depth = (n_layers - 1 - i) / (n_layers - 1)  # 1 at layer 1, 0 at the output
        wiggle = 1 + 0.3 * np.sin(steps * 0.013 + i) * np.cos(steps * 0.0021 + 2 * i)
        norms[name] = 10.0 ** (-6 * depth) * wiggle * (1 + 2 * np.exp(-steps / 300))
    pre = 3.0 * (1 + 4 * np.exp(-steps / 400)) * (1 + 0.3 * np.sin(steps * 0.01))
    post = np.minimum(pre, 1.0)
    return steps, norms, (steps, pre, post)


def decaying_profile(T: int = 50, ratio: float = 1e-10) -> np.ndarray:
    """||dL/dh_t|| from `ratio` at t = 1 up to 1 at t = T, geometric in between."""
    t = np.arange(1, T + 1, dtype=np.float64)
    return ratio ** ((T - t) / (T - 1))


def make_traces(**kwargs) -> GradTraces:
    traces = GradTraces(**kwargs)
    traces.set_traces(*layer_traces())  # not mounted: just stored
    return traces


class GradApp(App):
    """Gradient traces and the current step's bars side by side, the time strip beneath."""

    CSS = """
    #top { height: 2fr; }
    GradTraces { width: 2fr; }
    GradBars { width: 1fr; margin-left: 1; }
    TimeStrip { height: 1fr; margin-top: 1; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal(id="top"):
            yield GradTraces()
            yield GradBars()
        yield TimeStrip("tanh RNN, T=50")

    def on_mount(self) -> None:
        steps, norms, clip = layer_traces()
        self.query_one(GradTraces).set_traces(steps, norms, clip)
        self.query_one(GradBars).show(list(norms), [latest_finite(v) for v in norms.values()], title="norm @ 2000")
        self.query_one(TimeStrip).show(decaying_profile(), step=2000)


# ---------------------------------------------------------------------------
# Pure parts
# ---------------------------------------------------------------------------
def test_bar_log_scale_mapping():
    lo, hi = bar_range([1e-3, 1.0])
    assert (lo, hi) == (-8, 4)
    e = bar_eighths([1e-8, 1e-2, 1e4, 1e-12, 0.0, -1.0, math.nan, math.inf], lo, hi, 12)
    assert e[1] == 48 and e[2] == 96  # 1e-2 is half way (6 of 12 decades), 1e4 the full 12 cells
    assert e[0] == 1 and e[3] == 1  # at or below the low end: still a sliver, never "absent"
    assert list(e[4:7]) == [0, 0, 0]  # zero, negative, NaN: no bar
    assert e[7] == 96  # inf: full
    assert bar_range([1e-11, 3e6]) == (-11, 7)  # the fixed range widens for values outside it
    # lengths grow with the value
    vals = np.logspace(-8, 4, 25)
    assert np.all(np.diff(bar_eighths(vals, -8, 4, 20)) >= 0)


def test_which_bars_are_flagged():
    values = [0.0, 1e-6, 1e-5, 1.0, 100.0, 101.0, math.inf, math.nan]
    assert band_flags(values, 1e-5, 1e2) == [-1, -1, 0, 0, 0, 1, 1, 0]
    assert band_flags(values, 1e-3, 10.0) == [-1, -1, -1, 0, 1, 1, 1, 0]


def test_bars_mark_flagged_values_and_keep_first_and_last_rows():
    bars = GradBars()
    names = [f"layer {i + 1}" for i in range(15)] + ["output"]
    values = [10.0 ** (-7 + i * 0.6) for i in range(15)] + [300.0]
    bars._layers, bars._values = names, values
    for no_color in (False, True):
        lines = [s.text for s in bars.render_bars(40, 8, no_color=no_color)]
        assert len(lines) == 8 and {len(t) for t in lines} == {40}
        # 7 rows for 16 layers: the first 3 and the last 3, the 10 between named on one row
        assert bars.shown == [0, 1, 2, 13, 14, 15]
        assert lines[4].strip() == "⋮ +10 L4–L13"
        assert lines[1].lstrip().startswith("layer 1") and lines[1].rstrip().endswith("↓")
        assert lines[7].lstrip().startswith("output") and lines[7].rstrip().endswith("↑")
    # with room for every layer, the log axis comes back under the bars
    lines = [s.text for s in bars.render_bars(40, 18)]
    assert bars.shown == list(range(16)) and ("1e-5" in lines[-1] or "1e-8" in lines[-1])
    # with NO_COLOR the zones are filled (bars and marks stay readable without colour)
    text = "\n".join(s.text for s in bars.render_bars(40, 8, no_color=True))
    assert "·" in text
    assert pick_rows(3, 5) == [0, 1, 2]
    assert pick_rows(16, 5) == [0, 1, 14, 15]
    assert pick_rows(16, 1) == []


@pytest.mark.parametrize("n_layers", [8, 9, 16])
def test_bars_never_drop_a_layer_silently(n_layers):
    """vanishing-gradients at 80x24 once showed L4 then L6: every layer has a row of its own
    or is counted and named on the one row that stands for the hidden ones."""
    bars = GradBars("norm at step 1,000")
    names = [f"layer {i + 1}" for i in range(n_layers - 1)] + ["output"]
    values = [10.0 ** (-6 + 0.5 * i) for i in range(n_layers)]
    bars._layers, bars._values = names, values
    for no_color in (False, True):
        for height in range(1, n_layers + 4):
            lines = [s.text for s in bars.render_bars(30, height, no_color=no_color)]
            assert len(lines) <= height
            markers = [line.strip() for line in lines if line.strip().startswith("⋮ +")]
            hidden = [i for i in range(n_layers) if i not in bars.shown]
            for i in bars.shown:  # a row with the layer's own value
                assert any(fmt_norm(values[i]) in line for line in lines), (height, i, lines)
            if not hidden:
                assert not markers
                continue
            # one run of middle layers, named by its first and last
            assert hidden == list(range(hidden[0], hidden[-1] + 1)) and len(markers) == 1, (height, lines)
            last = "output" if hidden[-1] == n_layers - 1 else f"L{hidden[-1] + 1}"
            which = f"L{hidden[0] + 1}" if len(hidden) == 1 else f"L{hidden[0] + 1}–{last}"
            assert markers[0] == f"⋮ +{len(hidden)} {which}", (height, lines)


def test_band_placement_rows():
    vanishing = Band(None, 1e-5, "vanishing < 1e-5")
    exploding = Band(1e2, None, "exploding > 1e2")
    # log10 range -7 .. 3 over 10 rows: 4 dots per row, one decade per row
    rows, label = band_rows(vanishing, (-7.0, 3.0), 10, log_y=True)
    assert rows == [8, 9] and label == 9  # below 1e-5: the two bottom rows, labelled at the bottom
    rows, label = band_rows(exploding, (-7.0, 3.0), 10, log_y=True)
    assert rows == [0] and label == 0
    assert band_rows(exploding, (-7.0, 1.0), 10, log_y=True) == ([], None)  # out of view
    rows, label = band_rows(Band(0.2, 0.4), (0.0, 1.0), 10)
    assert rows == [6, 7] and label in rows  # a closed band, linear axis


def test_chart_bands_drawn_labelled_and_kept_in_view():
    x = np.arange(100, dtype=np.float64)
    series_y = np.full(100, 0.1)
    from nntui.widgets.chart_series import Series

    r = ChartRenderer(
        "",
        log_y=True,
        bands=[Band(1e2, None, "exploding > 1e2", "red"), Band(None, 1e-5, "vanishing < 1e-5", "blue")],
        y_include=[1e-5, 1e2],
    )
    lines = [s.text for s in r.render([Series("a", x, series_y, "white")], 60, 16, no_color=True)]
    lo, hi = r.y_range
    assert lo <= -5 and hi >= 2  # the thresholds stay in the y range although the data is flat at 0.1
    (top_rows, top_label), (bottom_rows, bottom_label) = r.band_rows
    assert lines[1 + top_label].rstrip().endswith("exploding > 1e2")
    assert lines[1 + bottom_label].rstrip().endswith("vanishing < 1e-5")
    assert "·" in lines[1 + bottom_rows[0]]  # the NO_COLOR fill
    # in colour, band rows carry a background tint that survives 256 colours
    r.render([Series("a", x, series_y, "white")], 60, 16, background=Color(18, 18, 18))
    red_tint = r._band_cached[0][-2].bgcolor  # the blank style on the exploding band's tint
    assert red_tint.downgrade(ColorSystem.EIGHT_BIT).number != Color(18, 18, 18).rich_color.downgrade(
        ColorSystem.EIGHT_BIT
    ).number


def test_time_strip_downsampling_keeps_first_and_last_t():
    cols = time_columns(300, 76)
    assert cols.size == 76 and cols[0] == 0 and cols[-1] == 299
    assert np.all(np.diff(cols) >= 0)
    cols = time_columns(50, 76)  # stretched: every step shows, in order
    assert cols.size == 76 and cols[0] == 0 and cols[-1] == 49 and set(cols.tolist()) == set(range(50))
    assert time_columns(7, 1).tolist() == [6]
    assert time_columns(1, 5).tolist() == [0] * 5
    assert time_columns(0, 5).size == 0
    assert log_range(np.array([0.2, 1.0]), 4) == (-4, 0)  # at least 4 decades: 0.2 is near the top
    assert log_range(decaying_profile(), 4) == (-10, 0)
    assert log_range(np.array([0.0, math.nan])) is None


def test_time_strip_dies_out_for_rnn_and_survives_for_lstm():
    strip = TimeStrip()

    def heights(values):
        strip._values = values
        lines = [s.text for s in strip.render_strip(80, 10, no_color=True)]
        gutter = lines[-1].index("└") + 1
        bars = lines[1:-2]
        n = len(strip.columns)
        cols = [[line[gutter + c] for line in bars] for c in range(n)]
        return [sum(" ▁▂▃▄▅▆▇█".index(ch) for ch in col) for col in cols], lines

    rnn, lines = heights(decaying_profile(50, 1e-10))
    assert rnn[0] <= 2 and rnn[-1] >= 8 * 6  # a sliver at t=1, full height at t=T
    assert "ratio 1e-10" in lines[0]
    assert lines[-1].split("└")[1].startswith("t=1") and lines[-1].rstrip().endswith("50")
    lstm, _ = heights(decaying_profile(50, 0.2))
    assert lstm[0] >= 0.8 * lstm[-1]  # survives: the first bar is nearly as tall as the last
    # zeros and NaN are gaps: no bar, "·" in the heat strip
    values = decaying_profile(40, 1e-3)
    values[[5, 6]] = [0.0, math.nan]
    gaps, lines = heights(values)
    heat = lines[-2][lines[-1].index("└") + 1 :]
    gap_cols = [c for c, t in enumerate(strip.columns) if t in (5, 6)]
    assert all(gaps[c] == 0 for c in gap_cols) and all(heat[c] == "·" for c in gap_cols)
    assert "·" not in heat.replace("·", "", len(gap_cols))


def test_traces_legend_bands_and_no_color_patterns():
    traces = make_traces()
    for no_color in (False, True):
        lines = [s.text for s in traces.render_traces(80, 20, no_color=no_color)]
        assert len(lines) == 20 and {len(t) for t in lines} == {80}
        text = "\n".join(lines)
        assert "vanishing < 1e-5" in text and "exploding > 1e2" in text
        assert "pre-clip" in lines[0] and "post-clip 1" in lines[0]
        assert "layer 1 " in lines[1] and "output " in lines[1] and "+7" in lines[1]
        assert "layer 5" not in lines[1]
    lines = [s.text for s in traces.render_traces(80, 20, no_color=True)]
    assert "── layer 1" in lines[1] and "╌╌ output" in lines[1] and "·· +7" in lines[1]
    # small: one legend line, compacted, still first and last
    lines = [s.text for s in traces.render_traces(50, 9)]
    assert "layer 1" in lines[0] and "output" in lines[0]
    # from 10 rows the title gets a line of its own
    lines = [s.text for s in traces.render_traces(50, 10)]
    assert lines[0].startswith("gradient norm per layer") and "layer 1" in lines[1] and "output" in lines[1]
    # few layers: every one in the legend; custom thresholds
    traces = GradTraces("g", vanishing=1e-3, exploding=10)
    steps, norms, _ = layer_traces(3)
    traces.set_traces(steps, norms)
    text = "\n".join(s.text for s in traces.render_traces(100, 20))
    assert all(name in text for name in norms)
    assert "vanishing < 1e-3" in text and "exploding > 1e1" in text
    # no data yet
    assert "waiting" in GradTraces().render_traces(60, 10)[0].text


def test_traces_draw_the_trend_but_report_the_latest_value():
    steps = np.arange(3000, dtype=np.float64)
    noisy = {"layer 1": 1e-3 * np.exp(0.5 * np.sin(steps * 2.1)), "output": np.full(3000, 0.5)}
    noisy["layer 1"][-1] = 7.7e-4
    traces = GradTraces()
    traces.set_traces(steps, noisy)
    series = traces.make_series(max_points=160)
    assert all(s.y.size <= 160 for s in series)
    assert series[0].x is series[1].x  # the layers still share one x (drawn in one batch)
    lines = [s.text for s in traces.render_traces(80, 20)]
    assert "layer 1 7.7e-4" in lines[1]  # the legend shows the data's own latest value
    rows_smooth = sum(any("\u2800" < ch <= "\u28ff" for ch in t) for t in lines[2:-1])
    rough = GradTraces(smooth=False)
    rough.set_traces(steps, noisy)
    rows_rough = sum(any("\u2800" < ch <= "\u28ff" for ch in t.text) for t in rough.render_traces(80, 20)[2:-1])
    assert rows_smooth < rows_rough  # the min/max envelope of the noise covers more rows


def test_depth_ramp_survives_256_colours():
    for n in (9, 16):
        codes = [Color.parse(c).rich_color.downgrade(ColorSystem.EIGHT_BIT).number for c in depth_colors(n)]
        assert codes[0] != codes[-1]
        assert len(set(codes)) >= min(n, 9) - 0  # 9 layers: 9 distinct colours
    assert depth_colors(1) and depth_colors(0) == []


def test_number_formats():
    assert fmt_norm(8.9e-7) == "8.9e-7" and fmt_norm(1e-10) == "1e-10" and fmt_norm(0.221) == "0.221"
    assert fmt_norm(15000.0) == "1.5e4" and fmt_norm(0.0) == "0" and fmt_norm(math.nan) == "nan"
    assert threshold_label(1e-5) == "1e-5" and threshold_label(100.0) == "1e2" and threshold_label(1.0) == "1"
    assert latest_finite(np.array([1.0, 2.0, math.nan])) == 2.0 and math.isnan(latest_finite(np.array([])))


def test_every_size_gives_exact_widths():
    traces = make_traces(title="梯度范数")
    bars = GradBars("现在")
    steps, norms, _ = layer_traces(16)
    bars._layers, bars._values = [f"层 {i}" for i in range(16)], [latest_finite(v) for v in norms.values()]
    strip = TimeStrip("循环网络")
    values = decaying_profile(50)
    values[3] = math.nan
    strip._values = values
    empty = (GradTraces(), GradBars(), TimeStrip())
    for no_color in (False, True):
        for w in (1, 2, 5, 9, 17, 33, 61):
            for h in (1, 2, 3, 4, 7, 13, 25):
                for lines in (
                    traces.render_traces(w, h, no_color=no_color),
                    bars.render_bars(w, h, no_color=no_color),
                    strip.render_strip(w, h, no_color=no_color),
                    empty[0].render_traces(w, h, no_color=no_color),
                    empty[1].render_bars(w, h, no_color=no_color),
                    empty[2].render_strip(w, h, no_color=no_color),
                ):
                    assert 1 <= len(lines) <= h and {line.cell_length for line in lines} == {w}, (w, h)


def test_rebuild_is_fast():
    """16 layers x 3,000 points at 120x40 (the budget is 5 ms; asserted loosely here)."""
    import time

    traces = GradTraces()
    steps, norms, clip = layer_traces(16, 30_000, 10)
    traces.set_traces(steps[:3000], {k: v[:3000] for k, v in norms.items()}, tuple(a[:3000] for a in clip))
    base, fg, bg = Style(), Color(224, 224, 224), Color(18, 18, 18)
    traces.render_traces(120, 40, base=base, foreground=fg, background=bg)
    best = math.inf
    for _ in range(5):
        traces.renderer._row_cache.clear()
        t = time.perf_counter()
        traces.render_traces(120, 40, base=base, foreground=fg, background=bg)
        best = min(best, time.perf_counter() - t)
    assert best < 0.05


def test_batched_drawing_equals_series_by_series():
    from nntui.widgets.chart_series import Series
    from nntui.widgets.chart_legend import DASHED, DOTTED, SOLID, SPARSE
    from nntui.widgets.grad_traces import TracesRenderer
    from nntui.widgets.plotting_rows import bucket_means_rows, downsample_rows, rasterize_many
    from nntui.widgets.plotting import bucket_means, downsample, rasterize

    x = np.arange(0, 5000, 2, dtype=np.float64)
    Y = np.stack([np.sin(x / (50 + 9 * i)) * 40 + 10 * np.cos(x * (0.3 + i)) + 60 for i in range(6)])
    Y[1, 100:140] = np.nan
    Y[2, 777] = np.inf
    Y[3, -1] = np.nan
    for n_buckets in (50, 333, 5000):
        for r, (xo, yo) in enumerate(downsample_rows(x, Y, n_buckets, (0.0, 6000.0))):
            xe, ye = downsample(x, Y[r], n_buckets, (0.0, 6000.0))
            assert np.array_equal(xo, xe) and np.array_equal(yo, ye, equal_nan=True), (n_buckets, r)
    xs, ys = bucket_means_rows(x, Y, 77)
    for r in range(Y.shape[0]):
        xe, ye = bucket_means(x, Y[r], 77)
        assert np.allclose(xs, xe) and np.allclose(ys[r], ye, equal_nan=True)
    # rasterize: lone points, gaps, points far outside, every pattern
    pxs, pys = [], []
    for i in range(6):
        px = np.linspace(-20, 250, 90 + 7 * i)
        py = 40 + 35 * np.sin(px / (9 + i)) + (300 if i == 4 else 0) * (px > 200)
        py[10 + i] = np.nan
        py[13 + i] = np.nan  # a lone point between two gaps
        pxs.append(px)
        pys.append(py)
    pxs.append(np.zeros(0))
    pys.append(np.zeros(0))
    patterns = [SOLID, DASHED, DOTTED, SPARSE, SOLID, DOTTED, SOLID]
    grids = rasterize_many(pxs, pys, 230, 80, patterns)
    for i in range(len(pxs)):
        assert np.array_equal(grids[i], rasterize(pxs[i], pys[i], 230, 80, patterns[i])), i
    # and the whole chart: the same lines as a plain ChartRenderer
    steps, norms, clip = layer_traces()
    norms["layer 3"] = norms["layer 3"].copy()
    norms["layer 3"][50:60] = 0.0  # dropped on a log axis: this layer no longer shares x
    series = [Series(k, steps, v, c) for (k, v), c in zip(norms.items(), depth_colors(len(norms)))]
    series.append(Series("pre-clip", clip[0], clip[1], "white", dim=True))
    for no_color in (False, True):
        a = TracesRenderer("g", log_y=True).render(series, 90, 30, no_color=no_color)
        b = ChartRenderer("g", log_y=True).render(series, 90, 30, no_color=no_color)
        assert [line.text for line in a] == [line.text for line in b]
        assert a == b


def test_grad_widgets_do_not_import_torch():
    code = (
        "import sys, nntui.widgets.grad_traces, nntui.widgets.grad_bars, nntui.widgets.time_strip; "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------
# In an app: only changed lines are repainted
# ---------------------------------------------------------------------------
async def test_new_probe_repaints_few_lines():
    app = GradApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        traces = app.query_one(GradTraces)
        assert "layer 1" in traces.lines_text[1]
        regions = spy_refreshes(traces)
        steps, norms, clip = layer_traces()
        norms["layer 4"] = norms["layer 4"].copy()
        norms["layer 4"][-1] *= 1.5  # one layer's latest value moves
        traces.set_traces(steps, norms, clip)
        assert 1 <= sum(r.height for r in regions) <= 4, regions
        regions.clear()
        traces.set_traces(steps, norms, clip)  # same data: nothing to repaint
        assert regions == []

        bars = app.query_one(GradBars)
        before = list(bars.lines_text)
        values = [latest_finite(v) for v in norms.values()]
        values[0] = 2e-8  # inside the fixed 1e-8 .. 1e4 scale: only its own row changes
        bars.show(list(norms), values, title="norm @ 2000")
        changed = [i for i, (a, b) in enumerate(zip(before, bars.lines_text)) if a != b]
        assert changed == [1, 4]  # layer 1 (set here) and layer 4 (moved above)


# ---------------------------------------------------------------------------
# Snapshots: 80x24 and 120x40, in colour and with NO_COLOR
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot(snap_compare, size, no_color):
    app = GradApp()  # Textual reads NO_COLOR when the app is created
    assert app.no_color is no_color
    assert snap_compare(app, terminal_size=size)


def test_a_run_with_a_single_probe_is_drawn():
    """vanishing-gradients' exploding page diverges at step 1: its one probe once drew an empty chart."""
    import numpy as np

    from nntui.widgets.grad_traces import GradTraces

    traces = GradTraces()
    traces.set_traces(np.array([1.0]), {"layer 1": np.array([3e5]), "output": np.array([2e5])}, None)
    plot = [line.text[5:] for line in traces.render_traces(50, 10)[2:-1]]
    assert any(set(row) - set(" ") - set("exploding>1e2vanishing<-5") for row in plot), plot
