"""The ScatterField widget: points over a decision field, its cursor readout, NO_COLOR, snapshots."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from textual.app import App, ComposeResult
from textual.containers import Horizontal

from nntui.runtime.history import History
from nntui.visuals import VISUALS
from nntui.spec.events import RunStarted, Scatter as ScatterEvent
from nntui.widgets.scatter import ScatterField
from nntui.widgets.scatter_parts import FILLED, FILLS, HOLLOW, LEVELS, bar, confidence, shade_ids

HALF = 6.0
GRID = 81  # both edges included: the middle sample is the origin


# ---------------------------------------------------------------------------
# Fixed synthetic data (deterministic, no random generator)
# ---------------------------------------------------------------------------
def spiral(classes: int = 3, per_class: int = 40) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`classes` spiral arms; every other point is a test point."""
    s = np.tile(np.arange(per_class) / per_class, classes)
    labels = np.repeat(np.arange(classes), per_class)
    angle = 3.5 / classes * 2 * np.pi * s + 2 * np.pi * labels / classes
    radius = 5 * s + 0.1
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return points, labels, np.arange(len(labels)) % 2 == 1


def field(classes: int = 3, grid: int = GRID) -> np.ndarray:
    """Softmax of logits that favour class k in the sector of angle 2πk/classes, surer further out."""
    xs = np.linspace(-HALF, HALF, grid)
    gx, gy = np.meshgrid(xs, xs[::-1])  # row 0 at the top (y = 6)
    angle, radius = np.arctan2(gy, gx), np.hypot(gx, gy)
    logits = np.stack([radius / 2 * np.cos(angle - 2 * np.pi * k / classes) for k in range(classes)], axis=-1)
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def shown(classes: int = 3) -> ScatterField:
    widget = ScatterField("decision field")
    widget.show(*spiral(classes), [-HALF, HALF, -HALF, HALF], field(classes), note="step 300")
    return widget


def texts(widget: ScatterField, width: int, height: int, no_color: bool = False) -> list[str]:
    return [strip.text for strip in widget.render_scatter(width, height, no_color=no_color)]


# ---------------------------------------------------------------------------
# Pure parts
# ---------------------------------------------------------------------------
def test_confidence_is_zero_when_classes_tie_and_one_when_certain():
    probs = np.array([[1 / 3, 1 / 3, 1 / 3], [0.0, 1.0, 0.0], [0.2, 0.2, 0.6]])
    best, sure = confidence(probs)
    assert best.tolist()[1:] == [1, 2]
    np.testing.assert_allclose(sure, [0.0, 1.0, 0.4])
    assert shade_ids(probs).tolist() == [0, LEVELS + LEVELS - 1, 2 * LEVELS + int(0.4 * LEVELS)]


def test_bar_in_eighths():
    assert bar(1.0, 4) == "████" and bar(0.0, 4) == "" and bar(0.5, 3) == "█▌"
    assert bar(float("nan"), 4) == "" and bar(2.0, 2) == "██"


# ---------------------------------------------------------------------------
# The cursor: where it starts, how it moves, what it reads out
# ---------------------------------------------------------------------------
def test_the_cursor_starts_at_the_origin_and_reads_the_fields_probabilities_there():
    widget = shown()
    probs = field()
    assert widget.cursor == (GRID // 2, GRID // 2) and widget.cursor_xy() == (0.0, 0.0)
    assert widget.cursor_probs() == pytest.approx(probs[GRID // 2, GRID // 2].tolist())
    lines = texts(widget, 48, 21)
    assert any("(x, y) = (0.00, 0.00)" in line for line in lines)
    for k, p in enumerate(probs[GRID // 2, GRID // 2]):
        assert any(f"{FILLED[k]} class {k} {p:.2f}" in line for line in lines), (k, lines)


def test_arrow_keys_move_a_plot_cell_at_a_time_and_home_returns_to_the_origin():
    widget = shown()
    texts(widget, 48, 21)  # a drawn plot decides how far one key moves
    lines, cols = widget._plot
    start = widget.cursor
    widget.action_move(1, 0)
    widget.action_move(0, 1)  # up: towards larger y, a smaller row index
    row, col = widget.cursor
    assert col - start[1] == -(-(GRID - 1) // cols) and start[0] - row == -(-(GRID - 1) // lines)
    x, y = widget.cursor_xy()
    assert x > 0 and y > 0
    for _ in range(200):
        widget.action_move(1, -1)
    assert widget.cursor == (GRID - 1, GRID - 1) and widget.cursor_xy() == (HALF, -HALF)  # clamped to the corner
    widget.action_home()
    assert widget.cursor_xy() == (0.0, 0.0)


def test_points_are_drawn_by_class_and_split_and_the_field_shaded_by_class_without_colour():
    points = np.array([[-4.5, 4.5], [4.5, -4.5]])
    widget = ScatterField("two points")
    probs = np.zeros((GRID, GRID, 2))
    probs[:, : GRID // 2, 0] = 1.0  # class 0 certain on the left half
    probs[:, GRID // 2 :, 1] = 1.0
    widget.show(points, np.array([0, 1]), np.array([False, True]), [-HALF, HALF, -HALF, HALF], probs)
    lines = texts(widget, 40, 16, no_color=True)
    assert widget._plot == (10, 20)  # lines, columns: one field sample a cell without colour
    plot = [line[3:23] for line in lines[1:11]]
    body = "".join(plot)
    assert body.count(FILLED[0]) == 1 and body.count(HOLLOW[1]) == 1  # a training point of class 0, a test point of 1
    assert plot[1].index(FILLED[0]) == 2 and plot[8].index(HOLLOW[1]) == 17  # (-4.5, 4.5) and (4.5, -4.5)
    assert set(plot[3][:10]) == {FILLS[0]} and set(plot[3][10:]) == {FILLS[1]}


def test_an_unsure_field_is_left_blank_without_colour():
    widget = ScatterField()
    widget.show(np.zeros((0, 2)), np.zeros(0), np.zeros(0, bool), [-1, 1, -1, 1], np.full((5, 5, 2), 0.5))
    lines = texts(widget, 30, 10, no_color=True)
    assert all(set(line[3:21]) <= {" ", "+", "0"} for line in lines[1:7])


def test_every_size_gives_exact_widths_and_never_crashes():
    diverged = ScatterField("nan")
    diverged.show(*spiral(2), [-HALF, HALF, -HALF, HALF], np.full((GRID, GRID, 2), np.nan))
    widgets = [shown(2), shown(4), shown(9), diverged, ScatterField("empty")]
    for no_color in (False, True):
        for w in (1, 2, 5, 11, 12, 17, 30, 48, 80, 120):
            for h in (1, 2, 3, 4, 5, 7, 10, 24, 40):
                for widget in widgets:
                    lines = widget.render_scatter(w, h, no_color=no_color)
                    assert 1 <= len(lines) <= h
                    assert all(strip.cell_length == w for strip in lines), (w, h, no_color)


def test_the_plot_is_square_and_the_legend_goes_beside_or_below_it():
    widget = shown()
    wide = texts(widget, 100, 24)
    assert widget._plot == (22, 44) and "(x, y)" in wide[1]  # beside: the readout on the plot's first line
    narrow = texts(widget, 28, 21)
    lines, cols = widget._plot
    assert cols in (2 * lines, 2 * lines - 1) and any(line.startswith("(x, y)") for line in narrow)


def test_words_follow_the_language_and_the_waiting_state_says_so():
    widget = shown()
    widget.lang = "zh"
    lines = texts(widget, 48, 21)
    assert any("类别 0" in line for line in lines) and any("训练" in line and "测试" in line for line in lines)
    empty = ScatterField("决策区域")
    empty.lang = "zh"
    assert texts(empty, 40, 10)[0].startswith("决策区域: 等待数据点")


def test_the_panel_draws_the_latest_scatter_of_the_current_run_and_waits_on_a_new_one():
    history = History()
    points, labels, held_out = spiral(2)
    history.apply([RunStarted(1, "playground", {}, 0, "cpu"),
                   ScatterEvent(10, "decision", points, labels, held_out, [-6, 6, -6, 6], field(2)),
                   ScatterEvent(20, "decision", points, labels, held_out, [-6, 6, -6, 6], field(2))])
    widget = VISUALS["scatter"].build()
    VISUALS["scatter"].update(widget, history, "zh")
    assert widget.note == "第 20 步" and widget.title == "决策区域" and widget.classes == 2
    history.apply([RunStarted(2, "playground", {}, 0, "cpu")])
    VISUALS["scatter"].update(widget, history, "en")
    assert widget.probs.size == 0 and texts(widget, 40, 10)[0].startswith("decision field: waiting for points")


def test_scatter_does_not_import_torch():
    code = "import sys, nntui.widgets.scatter; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


async def test_keys_move_the_cursor_when_focused_and_repaint_few_lines():
    app = ScatterApp(3)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        widget = app.query_one(ScatterField)
        widget.focus()
        await pilot.pause()
        before = list(widget.lines_text)
        await pilot.press("right")
        assert widget.cursor_xy()[0] > 0
        changed = [i for i, (a, b) in enumerate(zip(before, widget.lines_text)) if a != b]
        assert changed and len(changed) <= 6  # the cursor's line and the readout, not the whole field
        await pilot.press("home")
        assert widget.cursor_xy() == (0.0, 0.0)


# ---------------------------------------------------------------------------
# Snapshots
# ---------------------------------------------------------------------------
class ScatterApp(App):
    """A 3-class spiral over its field, beside a 4-class one (or one 4-class scatter)."""

    def __init__(self, panels: int = 2) -> None:
        super().__init__()
        self.panels = panels

    def compose(self) -> ComposeResult:
        with Horizontal():
            for i in range(1 if self.panels == 3 else self.panels):
                yield ScatterField("decision field", id=f"s{i}")

    def on_mount(self) -> None:
        for i, widget in enumerate(self.query(ScatterField)):
            classes = 3 if i == 0 and self.panels == 2 else 4 if self.panels != 3 else 3
            widget.show(*spiral(classes), [-HALF, HALF, -HALF, HALF], field(classes), note=f"step {100 * (i + 1)}")
        if self.panels == 2:
            self.query_one("#s1", ScatterField).cursor = (20, 60)


@pytest.mark.parametrize("size,panels", [((80, 24), 2), ((120, 40), 1)], ids=["two-80x24", "one-120x40"])
def test_snapshot(snap_compare, size, panels, no_color):
    app = ScatterApp(panels)
    assert app.no_color is no_color
    assert snap_compare(app, terminal_size=size)
