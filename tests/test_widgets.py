"""Tests of the LineChart and DigitGrid widgets: pure numpy parts, line diffing, snapshots."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path


import numpy as np
import pytest
from rich.color import ColorSystem
from textual.app import App, ComposeResult
from textual.containers import Horizontal

from chart_data import grad_series, loss_series
from widget_harness import spy_refreshes
from nntui.widgets import DigitGrid, LineChart, Series
from nntui.widgets.chart_renderer import ChartRenderer
from nntui.widgets.plotting import dots_to_braille, downsample, rasterize
from nntui.widgets.numbers import format_tick
from nntui.widgets.ticks import log_ticks, nice_ticks
from nntui.widgets.digits import layout_grid
from nntui.widgets.images import resample

DATA = Path(__file__).resolve().parents[1] / "nntui" / "data" / "mnist_5k.npz"


def digit_data(n: int = 24):
    data = np.load(DATA)
    images = data["test_images"][:n]
    labels = data["test_labels"][:n].astype(int)
    preds = labels.copy()
    for i in (i for i in (3, 8, 17) if i < n):  # three wrong predictions
        preds[i] = (labels[i] + 3) % 10
    flagged = [bool(p != t) for p, t in zip(preds, labels)]
    captions = [f"{p} (is {t})" if f else f"{p}" for p, t, f in zip(preds, labels, flagged)]
    return images, captions, flagged


class WidgetsApp(App):
    """Two charts (loss with two runs; gradient norms, log scale) above a digit grid."""

    CSS = """
    #charts { height: 1fr; }
    #loss { width: 3fr; }
    #grads { width: 2fr; margin-left: 2; }
    DigitGrid { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal(id="charts"):
            yield LineChart("loss", id="loss")
            yield LineChart("grad norm", id="grads", log_y=True)
        yield DigitGrid("test digits")

    def on_mount(self) -> None:
        self.query_one("#loss", LineChart).set_series(loss_series())
        self.query_one("#grads", LineChart).set_series(grad_series())
        self.query_one(DigitGrid).show(*digit_data())


# ---------------------------------------------------------------------------
# Pure parts
# ---------------------------------------------------------------------------
def test_downsample_keeps_range_and_length():
    x = np.arange(12_000, dtype=np.float64)
    y = np.sin(x / 300.0) + 0.3 * np.cos(x * 1.3)
    y[7_777] = 5.0  # a spike survives
    xo, yo = downsample(x, y, 200)
    assert yo.min() == y.min() and yo.max() == y.max()
    assert 200 <= len(xo) <= 2 * 200 + 2  # two per bucket, plus the first and last points
    assert np.all(np.diff(xo) >= 0)
    # short series are untouched
    xs, ys = downsample(x[:50], y[:50], 200)
    assert len(xs) == 50 and np.array_equal(ys, y[:50])


def test_downsample_nan_bucket_is_a_gap():
    x = np.arange(10_000, dtype=np.float64)
    y = np.ones_like(x)
    y[5_000] = np.nan
    y[6_000] = np.inf
    _, yo = downsample(x, y, 100)
    assert np.isnan(yo).sum() == 2
    assert np.nanmax(yo) == 1.0


def test_nice_and_log_ticks():
    assert nice_ticks(0, 1, 3) == [0.0, 0.5, 1.0]
    assert nice_ticks(0.13, 2.47, 3) == [0.5, 1.0, 1.5, 2.0] or len(nice_ticks(0.13, 2.47, 3)) in (2, 3)
    ticks = log_ticks(1e-9, 10.0, 3)
    assert 2 <= len(ticks) <= 3
    for t in ticks:
        assert math.log10(t) == round(math.log10(t))
    assert log_ticks(1e-4, 1e-2, 3) == [1e-4, 1e-3, 1e-2]
    assert format_tick(1e-3) == "1e-3"
    assert format_tick(1e-6) == "1e-6"
    assert format_tick(12_000) == "12k"
    assert format_tick(2_500) == "2.5k"
    assert format_tick(0.25) == "0.25"
    assert format_tick(0) == "0"


def test_rasterize_nan_leaves_gap():
    px = np.arange(0, 40, 4, dtype=np.float64)  # 0, 4, ..., 36
    py = np.full(px.size, 5.0)
    py[5] = np.nan  # the point at x=20: segments 16-20 and 20-24 vanish
    grid = rasterize(px, py, 40, 8)
    assert grid[5, :17].all() and grid[5, 24:37].all()
    assert not grid[:, 17:24].any()
    bits = dots_to_braille(grid)
    assert bits.shape == (2, 20)


def test_rasterize_far_outside_points_are_clipped():
    grid = rasterize(np.array([0.0, 10.0, 20.0]), np.array([2.0, 1e300, 2.0]), 21, 8)
    assert grid.shape == (8, 21) and grid.any()


def test_renderer_survives_nan_inf_and_log_of_nonpositive():
    x = np.arange(100, dtype=np.float64)
    y = np.linspace(1, 0.01, 100)
    y[40:45] = np.nan
    y[60] = np.inf
    y[70] = -1.0
    y[71] = 0.0
    for log_y in (False, True):
        r = ChartRenderer("t", log_y=log_y)
        lines = r.render([Series("s", x, y, "red")], 40, 12)
        assert len(lines) == 12
        assert all(line.cell_length == 40 for line in lines)
    # all-NaN and empty series
    r = ChartRenderer("t")
    lines = r.render([Series("a", x, np.full(100, np.nan), "red"), Series("b", x[:0], y[:0], "blue")], 30, 8)
    assert len(lines) == 8 and "a nan" in lines[0].text


def test_gap_visible_in_chart():
    x = np.arange(200, dtype=np.float64)
    y = np.full(200, 1.0)
    y[90:110] = np.nan
    r = ChartRenderer("", y_min=0, y_max=2, x_min=0, x_max=199)
    lines = r.render([Series("s", x, y, "red")], 44, 10)
    rows = [line.text for line in lines[1:-1] if any("\u2800" < ch <= "\u28ff" for ch in line.text)]
    assert len(rows) == 1  # a flat line at y=1 lies in one row
    body = rows[0][rows[0].index("┤") + 1 :]  # the plot area, 42 cells
    assert len(body) == 42
    assert " " not in body[:18] and " " not in body[-18:]  # drawn up to both ends
    assert body[19:22] == "   "  # steps 90..109 are NaN: a gap in the middle


def test_no_color_series_are_told_apart_by_pattern():
    r = ChartRenderer("loss")
    lines = r.render(loss_series(), 100, 12, no_color=True)
    legend = lines[0].text
    assert "── train" in legend and "╌╌ test" in legend and "·· run1 train" in legend
    solid = ChartRenderer("").render([Series("a", np.arange(50.0), np.ones(50), "red")], 30, 6, no_color=True)
    dotted = ChartRenderer("").render(
        [Series("a", np.arange(50.0), np.ones(50), "red", dim=True)], 30, 6, no_color=True
    )
    assert "".join(s.text for s in solid) != "".join(s.text for s in dotted)


def test_256_colours_keep_series_apart():
    r = ChartRenderer("loss")
    series = loss_series()
    r.render(series, 80, 12)
    styles, muted, _ = r._cached_styles
    codes = {s.name: st.color.downgrade(ColorSystem.EIGHT_BIT).number for s, st in zip(series, styles)}
    assert codes["train"] != codes["run1 train"]
    assert codes["test"] != codes["run1 test"]
    assert len({codes["train"], codes["test"]}) == 2


def test_digit_layout_and_downscale():
    assert layout_grid(24, 28, 28, 80, 24)[:3] == (2, 5, 2)
    assert layout_grid(2, 28, 28, 80, 24)[0] == 1  # two fit at full size
    assert layout_grid(24, 28, 28, 120, 40)[:3] == (2, 8, 4)
    small = resample(np.full((28, 28), 255.0, dtype=np.float32), 14, 14)
    assert small.shape == (14, 14) and small.min() == 255


def test_every_size_and_wide_characters_give_exact_widths():
    from rich.style import Style
    from textual.color import Color

    zh = [Series("训练", s.x, s.y, s.color, s.dim) for s in loss_series()]
    grid = DigitGrid("测试数字")
    images, captions, flagged = digit_data()
    grid._images, grid._captions, grid._flagged = images, [f"预测 {c}" for c in captions], flagged
    for no_color in (False, True):
        for w in (1, 2, 5, 9, 17, 33, 61):
            for h in (1, 2, 3, 4, 7, 13, 25):
                for renderer, series in (
                    (ChartRenderer("损失"), zh),
                    (ChartRenderer("grad", log_y=True), grad_series()),
                ):
                    lines = renderer.render(series, w, h, no_color=no_color)
                    assert len(lines) == h and {line.cell_length for line in lines} == {w}
                lines = grid.render_grid(w, h, Style(), Color(200, 200, 200), Color(0, 0, 0), no_color)
                assert 1 <= len(lines) <= h and {line.cell_length for line in lines} == {w}


def test_digits_count_what_does_not_fit_and_say_what_a_caption_means():
    """mnist-ladder at 80x24 showed 6 of 24 digits with no sign of the rest."""
    from rich.style import Style
    from textual.color import Color

    grid = DigitGrid()
    images, _, flagged = digit_data()
    grid.show(images, ["7→1"] * 24, flagged, note="true→predicted, ✗ wrong")
    for lang, title, right in (("en", "test digits: ", "21/24 right"), ("zh", "测试数字：", "对 21/24")):
        grid.lang = lang
        lines = [s.text for s in grid.render_grid(48, 18, Style(), Color(200, 200, 200), Color(0, 0, 0), False)]
        assert grid.shown == 6 and f"{right} +18" in lines[0], lines[0]
        assert "true→predicted, ✗ wrong" in lines[0]
        lines = [s.text for s in grid.render_grid(100, 10, Style(), Color(200, 200, 200), Color(0, 0, 0), True)]
        assert lines[0].startswith(f"{title}{right} +") and "true→predicted" in lines[0]
        lines = [s.text for s in grid.render_grid(15, 10, Style(), Color(200, 200, 200), Color(0, 0, 0), False)]
        assert f"+{24 - grid.shown}" in lines[0]  # narrow: the count survives, the words go
    grid.lang = "en"
    lines = [s.text for s in grid.render_grid(200, 60, Style(), Color(200, 200, 200), Color(0, 0, 0), False)]
    assert grid.shown == 24 and "+" not in lines[0]


def test_widgets_do_not_import_torch():
    code = "import sys, nntui.widgets; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------
# In an app: only changed lines are repainted
# ---------------------------------------------------------------------------
async def test_only_changed_lines_refresh():
    app = WidgetsApp()
    async with app.run_test(size=(100, 30)) as pilot:
        chart = app.query_one("#loss", LineChart)
        await pilot.pause()
        assert chart.lines_text and "train" in chart.lines_text[0]
        regions = spy_refreshes(chart)
        series = loss_series()
        train = series[2]
        y = train.y.copy()
        y[-5:] += 0.02  # the tail of the current run's train loss moves a little
        series[2] = Series(train.name, train.x, y, train.color)
        chart.set_series(series)
        lines = sum(r.height for r in regions)
        assert 1 <= lines <= 4, regions
        assert all(r.width == chart.size.width for r in regions)
        assert any(r.y == 0 for r in regions)  # the legend shows the new latest value
        # same data again: nothing to repaint
        regions.clear()
        chart.set_series(series)
        assert regions == []


async def test_resize_rebuilds_and_empty_widgets_render():
    class Empty(App):
        def compose(self) -> ComposeResult:
            yield LineChart("empty")
            yield DigitGrid("digits")

    app = Empty()
    async with app.run_test(size=(60, 20)) as pilot:
        chart = app.query_one(LineChart)
        grid = app.query_one(DigitGrid)
        await pilot.pause()
        assert chart.lines_text[0].startswith("empty")
        assert grid.lines_text[0].startswith("digits: waiting")
        grid.show(*digit_data(4))
        chart.set_series(loss_series())
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert {len(t) for t in chart.lines_text} == {chart.size.width} and chart.size.width == 100
        assert grid.lines_text[0].startswith("digits: 3/4 right")
        assert grid.shown == 4 and "✗" in "".join(grid.lines_text)


# ---------------------------------------------------------------------------
# Snapshots: 80x24 and 120x40, in colour and with NO_COLOR
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot(snap_compare, size, no_color):
    app = WidgetsApp()  # Textual reads NO_COLOR when the app is created
    assert app.no_color is no_color
    assert snap_compare(app, terminal_size=size)


def test_a_single_point_is_drawn_on_an_axis_from_zero_not_around_it():
    import numpy as np

    from nntui.widgets.chart_axes import auto_x_range

    assert auto_x_range([np.array([400.0])], None, None) == (0.0, 800.0)  # mnist's first evaluation
    assert auto_x_range([np.array([0.0])], None, None) == (0.0, 1.0)
    assert auto_x_range([np.array([-2.0])], None, None) == (-2.5, -1.5)
