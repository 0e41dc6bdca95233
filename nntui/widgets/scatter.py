"""ScatterField: points of a few classes in the plane, over the model's decision field.

The field (the model's class probabilities sampled on a grid) is shaded behind the points.
In colour each text line holds two field rows: an upper half block "▀" whose foreground is
the upper sample's colour and background the lower one's; a sample takes its likeliest
class's colour, faint where the model is unsure and strong where it is confident. With
NO_COLOR each cell is one sample and each class has a fill of its own (`FILLS`), left blank
where the model is unsure, so the boundary shows as a blank band.

Points are drawn over the field, one glyph a cell: each class its shape, filled for a
training point and hollow for a test point (● ○, ▲ △, ■ □, ◆ ◇), in the class's colour. The
plane is drawn square (a half block is as tall as a cell is wide), labelled with its extent,
beside (or under) a legend that doubles as the cursor's readout: each class with the model's
probability at the cursor, and the cursor's x and y. The cursor (a "+") starts at the origin;
with focus (tab) the arrow keys move it a cell at a time and home brings it back. Its words
follow `lang` ("en" or "zh").
"""

from __future__ import annotations

import math

import numpy as np
from rich.cells import cell_len
from rich.style import Style
from textual.binding import Binding
from textual.color import Color
from textual.strip import Strip

from nntui.i18n import t

from .scatter_parts import (
    BAR_CELLS, CURSOR, FILLED, FILLS, HOLLOW, LEVELS, UNSURE, UPPER, Layout, Runs, ScatterStyles, bar, scatter_styles,
    shade_ids, tick,
)
from .shading import AppFreeRender, LineCacheWidget, fit_text, merge_runs

class ScatterField(AppFreeRender, LineCacheWidget, can_focus=True):
    """Points over a decision field with a probability cursor (see the module docstring)."""

    DEFAULT_CSS = """
    ScatterField {
        width: 1fr;
        height: 1fr;
        min-height: 5;
        border-left: blank;
    }
    ScatterField:focus { border-left: outer $accent; }
    """

    BINDINGS = [
        Binding("up", "move(0, 1)", "cursor up", show=False),
        Binding("down", "move(0, -1)", "cursor down", show=False),
        Binding("left", "move(-1, 0)", "cursor left", show=False),
        Binding("right", "move(1, 0)", "cursor right", show=False),
        Binding("home", "home", "cursor to the origin", show=False),
    ]

    def __init__(self, title: str = "", **widget_kwargs) -> None:
        super().__init__(**widget_kwargs)
        self.title = title
        self.note = ""
        self.points = np.zeros((0, 2), dtype=np.float32)
        self.labels = np.zeros(0, dtype=np.int64)
        self.held_out = np.zeros(0, dtype=bool)
        self.extent = (-1.0, 1.0, -1.0, 1.0)
        self.probs = np.zeros((0, 0, 0), dtype=np.float32)
        self._cursor: tuple[int, int] | None = None  # (row, column) of the field's grid; None: the origin
        self._plot: tuple[int, int] = (0, 0)  # the last drawn plot's (lines, columns): how far a key moves

    # -- data -----------------------------------------------------------------
    def show(self, points: np.ndarray, labels: np.ndarray, held_out: np.ndarray, extent, probs: np.ndarray,
             title: str | None = None, note: str = "") -> None:
        """Points (n, 2) with their classes and test flags, over probabilities (gh, gw, classes);
        `note` (e.g. the step) follows the title where it fits."""
        self.points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        self.labels = np.asarray(labels, dtype=np.int64).reshape(-1)
        self.held_out = np.asarray(held_out, dtype=bool).reshape(-1)
        self.extent = tuple(float(v) for v in extent)
        probs = np.asarray(probs, dtype=np.float64)
        self.probs = probs if probs.ndim == 3 else np.zeros((0, 0, 0))
        if title is not None:
            self.title = title
        self.note = note
        self.update_lines()

    def clear(self, title: str | None = None) -> None:
        """No points and no field: the widget says it is waiting for them."""
        self.show(np.zeros((0, 2)), np.zeros(0), np.zeros(0, dtype=bool), self.extent, np.zeros((0, 0, 0)), title)

    @property
    def classes(self) -> int:
        found = int(self.labels.max()) + 1 if self.labels.size else 0
        return max(self.probs.shape[2] if self.probs.size else 0, found)

    @property
    def cursor(self) -> tuple[int, int]:
        """(row, column) of the field sample the readout shows; the origin's (or the centre) at first."""
        gh, gw = self.probs.shape[:2]
        if not gh or not gw:
            return (0, 0)
        if self._cursor is None:
            return (self._row_of(0.0), self._col_of(0.0))
        r, c = self._cursor
        return (min(max(r, 0), gh - 1), min(max(c, 0), gw - 1))

    @cursor.setter
    def cursor(self, value: tuple[int, int]) -> None:
        self._cursor = (int(value[0]), int(value[1]))
        self._cursor = self.cursor
        self.update_lines()

    def _col_of(self, x: float) -> int:
        x0, x1 = self.extent[:2]
        gw = self.probs.shape[1]
        return int(round(min(max((x - x0) / (x1 - x0), 0.0), 1.0) * (gw - 1))) if x1 > x0 else 0

    def _row_of(self, y: float) -> int:
        y0, y1 = self.extent[2:]
        gh = self.probs.shape[0]
        return int(round(min(max((y1 - y) / (y1 - y0), 0.0), 1.0) * (gh - 1))) if y1 > y0 else 0

    def cursor_xy(self) -> tuple[float, float]:
        gh, gw = self.probs.shape[:2]
        r, c = self.cursor
        x0, x1, y0, y1 = self.extent
        return (x0 + c * (x1 - x0) / max(gw - 1, 1), y1 - r * (y1 - y0) / max(gh - 1, 1))

    def cursor_probs(self) -> list[float]:
        """The model's probability of each class at the cursor."""
        if not self.probs.size:
            return []
        r, c = self.cursor
        return self.probs[r, c].tolist()

    def action_move(self, dx: int, dy: int) -> None:
        """One cell of the plot (at least one sample of the field) right/left and up/down."""
        gh, gw = self.probs.shape[:2]
        lines, cols = self._plot
        if not gh or not gw or not lines or not cols:
            return
        r, c = self.cursor
        step_c = max(1, math.ceil((gw - 1) / cols))
        step_r = max(1, math.ceil((gh - 1) / lines))
        self.cursor = (r - dy * step_r, c + dx * step_c)

    def action_home(self) -> None:
        self._cursor = None
        self.update_lines()

    def on_focus(self) -> None:
        self.update_lines()

    def on_blur(self) -> None:
        self.update_lines()

    # -- building -------------------------------------------------------------
    render_scatter = AppFreeRender.render_standalone

    def draw_lines(self, width: int, height: int, base: Style, fg: Color, bg: Color, no_color: bool) -> list[Strip]:
        st = scatter_styles(base, fg, bg)
        if not self.probs.size or height < 4 or width < 12:
            head = self.title if self.probs.size else f"{self.title}: {t('waiting_points', self.lang)}".lstrip(": ")
            return [st.line([(fit_text(head, width), st.bold)], width)]
        x0, x1, y0, y1 = self.extent
        gutter = max(cell_len(tick(y0)), cell_len(tick(y1)), 1) + 1
        classes = self.classes
        names = [t("class_k", self.lang).format(k=k) for k in range(classes)]
        legend_w = 2 + max(cell_len(n) for n in names) + 6 + 6  # glyph, name, " 0.00 ", a bar
        lay = Layout(width, height, classes, gutter, legend_w)
        plot_w, plot_h = lay.plot_w, lay.plot_h
        self._plot = (plot_h, plot_w)
        lines = [self._title_line(width, st, lay.legend == "line")]
        plot = self._plot_rows(plot_w, plot_h, st, no_color)
        legend = self._legend_lines(names, st, no_color, legend_w if lay.legend == "side" else width)
        centre = min(max(int((y1 - 0.0) / (y1 - y0) * plot_h), 0), plot_h - 1) if y1 > 0 > y0 else -1
        for i, runs in enumerate(plot):
            label = tick(y1) if i == 0 else tick(y0) if i == plot_h - 1 else "0" if i == centre else ""
            row: Runs = [(fit_text(label, gutter - 1, "right") + " ", st.muted), *runs]
            if lay.legend == "side" and i < len(legend):
                row += [(" ", base), *legend[i]]
            lines.append(st.line(row, width))
        lines.append(st.line(self._x_labels(gutter, plot_w, st), width))
        if lay.legend == "below":
            lines += [st.line(runs, width) for runs in legend]
        elif lay.legend == "line":
            lines.append(st.line(self._legend_line(names, st, no_color), width))
        return lines[:height]

    def _title_line(self, width: int, st: ScatterStyles, with_xy: bool) -> Strip:
        """The title, its note where it fits, and the cursor's x and y when the legend has no room for them."""
        runs: Runs = [(self.title, st.bold)]
        used = cell_len(self.title)
        for extra in (f" · {self.note}" if self.note else "", f"  {self._xy_text()}" if with_xy else ""):
            if extra and used + cell_len(extra) <= width:
                runs.append((extra, st.text))
                used += cell_len(extra)
        if used > width:
            runs = [(fit_text(self.title, width), st.bold)]
        return st.line(runs, width)

    def _xy_text(self) -> str:
        x, y = self.cursor_xy()
        return f"(x, y) = ({x:.2f}, {y:.2f})"

    def _sample_index(self, n: int, size: int) -> np.ndarray:
        """The field sample nearest the centre of each of `n` equal parts of a side of `size` samples."""
        return np.minimum(np.round((np.arange(n) + 0.5) / n * (size - 1)).astype(np.int64), size - 1)

    def _plot_rows(self, plot_w: int, plot_h: int, st: ScatterStyles, no_color: bool) -> list[Runs]:
        gh, gw, _ = self.probs.shape
        halves = plot_h if no_color else 2 * plot_h
        rows = self._sample_index(halves, gh)
        cols = self._sample_index(plot_w, gw)
        shades = shade_ids(self.probs[np.ix_(rows, cols)])  # (halves, plot_w)
        marks = self._point_cells(plot_w, halves, 1 if no_color else 2)
        cur_r, cur_c = self._cursor_cell(plot_w, halves)
        focused = self.has_focus if self.is_mounted else False
        out = []
        for line in range(plot_h):
            if no_color:
                up = shades[line]
                out.append(self._shade_line(up.tolist(), marks.get(line, {}), cur_c if cur_r == line else -1, st))
            else:
                up, lo = shades[2 * line].tolist(), shades[2 * line + 1].tolist()
                cur = cur_c if cur_r // 2 == line else -1
                out.append(self._colour_line(up, lo, marks.get(line, {}), cur, cur_r % 2, focused, st))
        return out

    def _point_cells(self, plot_w: int, halves: int, per_line: int) -> dict[int, dict[int, tuple[str, int, int]]]:
        """line -> column -> (glyph, class, half): the point each cell shows (test points over training ones)."""
        x0, x1, y0, y1 = self.extent
        if not len(self.points) or x1 <= x0 or y1 <= y0:
            return {}
        col = np.floor((self.points[:, 0] - x0) / (x1 - x0) * plot_w).astype(np.int64)
        half = np.floor((y1 - self.points[:, 1]) / (y1 - y0) * halves).astype(np.int64)
        inside = (col >= 0) & (col < plot_w) & (half >= 0) & (half < halves)
        cells: dict[int, dict[int, tuple[str, int, int]]] = {}
        order = np.argsort(self.held_out, kind="stable")  # training points first, test points over them
        for i in order.tolist():
            if not inside[i]:
                continue
            k = int(self.labels[i])
            glyph = (HOLLOW if self.held_out[i] else FILLED)[k % len(FILLED)]
            h = int(half[i])
            cells.setdefault(h // per_line, {})[int(col[i])] = (glyph, k, h % per_line)
        return cells

    def _cursor_cell(self, plot_w: int, halves: int) -> tuple[int, int]:
        """(half row, column) of the plot where the cursor is drawn."""
        gh, gw = self.probs.shape[:2]
        r, c = self.cursor
        col = min(int((c + 0.5) / gw * plot_w), plot_w - 1) if gw else 0
        half = min(int((r + 0.5) / gh * halves), halves - 1) if gh else 0
        return half, col

    def _colour_line(self, up: list[int], lo: list[int], marks: dict, cur: int, cur_half: int, focused: bool,
                     st: ScatterStyles) -> Runs:
        def cells():
            for c in range(len(up)):
                mark = marks.get(c)
                if c == cur:
                    yield CURSOR, st.cursor(lo[c] if cur_half else up[c], focused)
                elif mark is not None:
                    glyph, k, half = mark
                    yield glyph, st.point(k, lo[c] if half else up[c])
                else:
                    yield UPPER, st.pair(up[c], lo[c])

        return merge_runs(cells())

    def _shade_line(self, shades: list[int], marks: dict, cur: int, st: ScatterStyles) -> Runs:
        chars = []
        for c, shade in enumerate(shades):
            mark = marks.get(c)
            if mark is not None:
                chars.append(mark[0])
            else:
                k, level = divmod(shade, LEVELS)
                chars.append(FILLS[k % len(FILLS)] if level >= UNSURE * LEVELS else " ")
        if 0 <= cur < len(chars):
            return [("".join(chars[:cur]), st.text), (CURSOR, st.text + Style(reverse=True, bold=True)),
                    ("".join(chars[cur + 1:]), st.text)]
        return [("".join(chars), st.text)]

    def _x_labels(self, gutter: int, plot_w: int, st: ScatterStyles) -> Runs:
        x0, x1 = self.extent[:2]
        left, right = tick(x0), tick(x1)
        cells = [" "] * plot_w
        if x0 < 0 < x1:
            zero = min(int((0 - x0) / (x1 - x0) * plot_w), plot_w - 1)
            if cell_len(left) < zero < plot_w - cell_len(right) - 1:
                cells[zero] = "0"
        text = left + "".join(cells)[cell_len(left):plot_w - cell_len(right)] + right
        return [(" " * gutter, st.base), (text, st.muted)]

    def _legend_lines(self, names: list[str], st: ScatterStyles, no_color: bool, width: int) -> list[Runs]:
        """The cursor's x and y, each class with its probability there (and a bar), train/test."""
        probs = self.cursor_probs()
        name_w = max(cell_len(n) for n in names)
        bar_w = min(BAR_CELLS, max(0, width - 2 - name_w - 6))
        out: list[Runs] = [[(fit_text(self._xy_text(), width), st.text)]]
        for k, name in enumerate(names):
            p = probs[k] if k < len(probs) else 0.0
            ink = st.text if no_color else st.ink[k % len(st.ink)]
            out.append([(FILLED[k % len(FILLED)] + " ", ink), (fit_text(name, name_w), st.text),
                        (f" {p:.2f} ", st.text), (bar(p, bar_w), ink)])
        train, test = t("train", self.lang), t("test", self.lang)
        out.append([(fit_text(f"{FILLED[0]} {train}  {HOLLOW[0]} {test}", width), st.muted)])
        return out

    def _legend_line(self, names: list[str], st: ScatterStyles, no_color: bool) -> Runs:
        probs = self.cursor_probs()
        runs: Runs = []
        for k in range(len(names)):
            p = probs[k] if k < len(probs) else 0.0
            ink = st.text if no_color else st.ink[k % len(st.ink)]
            runs += [(FILLED[k % len(FILLED)], ink), (f"{k} {p:.2f}  ", st.text)]
        runs.append((f"{FILLED[0]} {t('train', self.lang)}  {HOLLOW[0]} {t('test', self.lang)}", st.muted))
        return runs
