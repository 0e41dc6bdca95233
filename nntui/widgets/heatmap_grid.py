"""HeatmapGrid: every attention head at once, as small maps side by side.

Tiles run left to right and wrap into rows (`columns` tiles per row, e.g. one
layer per row). Each tile is its label line over its map, drawn as `Heatmap`
draws one (half blocks in colour, shading with NO_COLOR, masked cells dim), with
no axis labels: they would not fit. All tiles share one value range so heads
compare at a glance, and one legend at the bottom gives it. Grid rows that do
not fit the height are left out behind a "… N more" line; a map larger than its
tile is elided like Heatmap's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from rich.style import Style
from textual.color import Color
from textual.strip import Strip

from .heatmap_palette import VGAP, HeatmapStyles, Runs, elide, heatmap_styles, palette_index, value_range
from .shading import AppFreeRender, LineCacheWidget, fit_text

__all__ = ["HeatmapGrid", "Tile", "GridLayout", "plan_grid"]

TILE_GAP = 1  # blank cells between two tiles
MIN_TILE_WIDTH = 4  # below this a map says nothing: wrap fewer tiles per row instead
MORE_HINT = "press g for one map"


@dataclass(frozen=True)
class Tile:
    label: str  # e.g. "L1 H2"
    matrix: np.ndarray  # (T, T), rows = queries, cols = keys
    masked: np.ndarray | None = None  # True where masked (e.g. a causal mask's upper triangle)


@dataclass(frozen=True)
class GridLayout:
    per_row: int  # tiles per grid row
    cell_width: int  # cells per matrix column: 2, or 1 when that shows more tiles
    map_width: int  # cells per tile (its label's width too)
    map_lines: int  # text lines per map (less than the map needs: rows elided)
    first_row: int  # the first grid row drawn
    grid_rows: int  # grid rows drawn

    def tiles_shown(self, n_tiles: int) -> range:
        start = self.first_row * self.per_row
        return range(start, min(n_tiles, start + self.grid_rows * self.per_row))


def plan_grid(
    n_tiles: int,
    rows: int,
    cols: int,
    width: int,
    space: int,
    *,
    rows_per_line: int,
    columns: int | None = None,
    selected: int | None = None,
) -> GridLayout:
    """Where `n_tiles` maps of `rows` x `cols` go in `width` x `space` cells.

    Two cells per matrix column unless one cell shows more tiles; grid rows that do
    not fit leave a line for the "… N more" message; the selected tile stays in view.
    """
    map_lines_full = -(-rows // rows_per_line)
    tile_height = 1 + map_lines_full

    def plan(cw: int) -> GridLayout:
        if columns:
            per_row = max(1, min(columns, n_tiles))
            min_width = min(cols * cw, MIN_TILE_WIDTH)
            while per_row > 1 and (width + TILE_GAP) // per_row - TILE_GAP < min_width:
                per_row -= 1
        else:
            per_row = max(1, min(n_tiles, (width + TILE_GAP) // (cols * cw + TILE_GAP)))
        map_width = max(0, min(cols * cw, (width + TILE_GAP) // per_row - TILE_GAP))
        total_rows = -(-n_tiles // per_row)
        map_lines = map_lines_full
        if total_rows * tile_height <= space:
            grid_rows = total_rows
        elif (space - 1) // tile_height >= 1:  # the last line says what is left out
            grid_rows = (space - 1) // tile_height
        else:  # not even one row of whole maps: elide the maps' rows
            grid_rows = 1
            map_lines = max(0, space - 1 - (total_rows > 1))
        first_row = 0
        if selected is not None and 0 <= selected < n_tiles:
            first_row = max(0, selected // per_row - grid_rows + 1)
        return GridLayout(per_row, cw, map_width, map_lines, first_row, grid_rows)

    wide, narrow = plan(2), plan(1)
    shows_whole = wide.map_width == cols * 2
    if shows_whole and len(wide.tiles_shown(n_tiles)) >= len(narrow.tiles_shown(n_tiles)):
        return wide
    return narrow


class HeatmapGrid(AppFreeRender, LineCacheWidget):
    """All heads' attention maps in a grid with one shared range (see the module docstring)."""

    DEFAULT_CSS = """
    HeatmapGrid {
        width: 1fr;
        height: 1fr;
        min-height: 3;
    }
    """

    def __init__(self, title: str = "", **widget_kwargs) -> None:
        super().__init__(**widget_kwargs)
        self.title = title
        self._labels: list[str] = []
        self._steps: list[np.ndarray] = []  # per tile: palette step per cell, -1 masked or NaN
        self._any_masked = False
        self._selected: int | None = None
        self.columns: int | None = None
        self.vmin, self.vmax = 0.0, 1.0
        self.grid_layout: GridLayout | None = None  # what the last build drew
        self.hidden_tiles = 0  # tiles the last build left out

    def show(
        self,
        tiles: Sequence[Tile],
        *,
        title: str | None = None,
        selected: int | None = None,
        vmin: float | None = None,
        vmax: float | None = None,
        columns: int | None = None,
    ) -> None:
        """Show `tiles` on one value range (vmin/vmax, else the range of every tile)."""
        matrices = [np.atleast_2d(np.asarray(t.matrix, dtype=np.float64)) for t in tiles]
        masks = [_mask_for(t.masked, m.shape) for t, m in zip(tiles, matrices)]
        # Every tile's values in one flat array: one range and one palette lookup for all.
        values = np.concatenate([m.ravel() for m in matrices]) if matrices else np.zeros(0)
        masked = np.concatenate([k.ravel() for k in masks]) if masks else np.zeros(0, dtype=bool)
        lo, hi = value_range(values, masked)
        self.vmin = float(vmin) if vmin is not None else lo
        self.vmax = float(vmax) if vmax is not None else hi
        steps = palette_index(values, self.vmin, self.vmax)
        steps[masked] = -1
        ends = np.cumsum([m.size for m in matrices])[:-1]
        self._steps = [part.reshape(m.shape) for part, m in zip(np.split(steps, ends), matrices)]
        self._labels = [str(t.label) for t in tiles]
        self._any_masked = bool(masked.any())
        self._selected = selected
        self.columns = columns
        if title is not None:
            self.title = title
        self.update_lines()

    @property
    def selected(self) -> int | None:
        """The tile whose label is highlighted (None: none)."""
        return self._selected

    @selected.setter
    def selected(self, value: int | None) -> None:
        if value != self._selected:
            self._selected = value
            self.update_lines()  # only the label lines change, so only they repaint

    # -- building -------------------------------------------------------------
    render_grid = AppFreeRender.render_standalone

    def draw_lines(self, width: int, height: int, base: Style, fg: Color, bg: Color, no_color: bool) -> list[Strip]:
        st = heatmap_styles(base, fg, bg)
        n = len(self._steps)
        if not n:
            head = f"{self.title}: waiting for attention" if self.title else "waiting for attention"
            return [st.line([(fit_text(head, width), st.bold)], width)]
        lines = [st.line([(fit_text(self.title, width), st.bold)], width)]
        space = height - 1
        has_legend = space >= 3
        space -= has_legend
        rows = max(s.shape[0] for s in self._steps)
        cols = max(s.shape[1] for s in self._steps)
        rows_per_line = 1 if no_color else 2
        layout = plan_grid(
            n, rows, cols, width, space, rows_per_line=rows_per_line, columns=self.columns, selected=self._selected
        )
        self.grid_layout = layout
        shown = layout.tiles_shown(n)
        self.hidden_tiles = n - len(shown)
        for start in range(shown.start, shown.stop, layout.per_row):
            tiles = list(range(start, min(shown.stop, start + layout.per_row)))
            lines.append(self._label_line(tiles, layout.map_width, width, st))
            lines += self._map_lines(tiles, layout, rows_per_line, width, no_color, st)
        if self.hidden_tiles:
            more = f"… {self.hidden_tiles} more ({MORE_HINT})"
            lines.append(st.line([(fit_text(more, width), st.muted)], width))
        if has_legend:  # under the grid, after a blank line where there is room
            if len(lines) < height - 1:
                lines.append(Strip.blank(width, base))
            lines.append(st.legend(width, self.vmin, self.vmax, masked=self._any_masked, no_color=no_color))
        return lines[:height]

    def _label_line(self, tiles: list[int], map_width: int, width: int, st: HeatmapStyles) -> Strip:
        runs: Runs = []
        for t in tiles:
            if runs:
                runs.append((" " * TILE_GAP, st.base))
            runs.append((fit_text(self._labels[t], map_width), st.hi if t == self._selected else st.muted))
        return st.line(runs, width)

    def _map_lines(
        self, tiles: list[int], layout: GridLayout, rows_per_line: int, width: int, no_color: bool, st: HeatmapStyles
    ) -> list[Strip]:
        cw, map_width = layout.cell_width, layout.map_width
        plans = []
        for t in tiles:
            steps = self._steps[t]
            units = elide(-(-steps.shape[0] // rows_per_line), layout.map_lines)
            plans.append((steps, units, elide(steps.shape[1], map_width // cw)))
        out = []
        for y in range(layout.map_lines):
            runs: Runs = []
            for steps, units, col_shown in plans:
                if runs:
                    runs.append((" " * TILE_GAP, st.base))
                unit = units[y] if y < len(units) else None
                if unit is None:  # a map shorter than its neighbours
                    cells = [(" " * map_width, st.base)]
                elif unit < 0:
                    cells = [(fit_text(VGAP, map_width, "center"), st.muted)]
                else:
                    r0 = unit * rows_per_line
                    r1 = r0 + 1 if rows_per_line == 2 and r0 + 1 < steps.shape[0] else -1
                    cells = st.cell_runs(steps, r0, r1, col_shown, cw, no_color)
                    used = len(col_shown) * cw
                    if used < map_width:
                        cells.append((" " * (map_width - used), st.base))
                runs += cells
            out.append(st.line(runs, width))
        return out


def _mask_for(masked: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    if masked is None:
        return np.zeros(shape, dtype=bool)
    mask = np.asarray(masked, dtype=bool)
    return np.array(np.broadcast_to(mask, shape)) if mask.shape != shape else mask.copy()
