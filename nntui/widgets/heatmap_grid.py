"""HeatmapGrid: every attention head at once, as small maps side by side.

Tiles run left to right and wrap into rows (`columns` tiles per row, e.g. one
layer per row). Each map is drawn as `Heatmap` draws one (half blocks in colour,
shading with NO_COLOR, masked cells dim), with no axis labels: they would not fit.
All tiles share one value range so heads compare at a glance, and one legend at
the bottom gives it.

With `row_names` and `col_names` (e.g. layers and heads) the grid is a table: the
column names once on top, each row's name in a left gutter, no label line per
tile. Otherwise each row of tiles has a line of tile labels above it.

Nothing is left out silently. When the height is short, in this order: the blank
line between table rows goes, then the legend, then the maps lose rows (down to
three lines, the gap marked "⋮" inside each map; the legend comes back if a shorter
map leaves room for it); only then are whole rows of tiles left out, the selected
one kept in view, and a last line names them ("+4 hidden: L1 (g: one map)").
Its own words follow `lang` ("en" or "zh").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from rich.cells import cell_len
from rich.style import Style
from textual.color import Color
from textual.strip import Strip

from nntui.i18n import t

from .heatmap_palette import VGAP, HeatmapStyles, Runs, elide, heatmap_styles, palette_index, value_range
from .shading import AppFreeRender, LineCacheWidget, fit_text

__all__ = ["HeatmapGrid", "Tile", "GridLayout", "plan_grid", "hidden_ranges"]

TILE_GAP = 1  # blank cells between two tiles
MIN_TILE_WIDTH = 4  # below this a map says nothing: wrap fewer tiles per row instead
MIN_MAP_LINES = 3  # a map cut shorter than this could not show where its rows are missing


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
    gutter: int = 0  # cells of row names on the left (a table: named rows and columns)
    separated: bool = False  # a blank line between the rows of a table
    legend: bool = True  # the value range under the grid (with a blank line before it where there is room)

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
    gutter: int = 0,
    legend_lines: int = 0,
) -> GridLayout:
    """Where `n_tiles` maps of `rows` x `cols` go in `width` x `space` cells.

    `gutter` > 0 lays the tiles out as a table (`columns` per row, a header line of
    column names, row names in the gutter); else each grid row has a label line.
    `legend_lines` is what the legend would take (with its blank line), dropped
    before anything else is. Two cells per matrix column unless one cell shows more
    tiles. When not every row of tiles fits, even with maps cut to MIN_MAP_LINES,
    rows are left out with one line to say so, the selected tile's row in view (none
    at all where not even one row fits).
    """
    map_lines_full = -(-rows // rows_per_line)
    table = gutter > 0 and bool(columns)

    def per_row_for(cw: int) -> tuple[int, int]:
        room = width - gutter if table else width
        if table:
            per_row = max(1, min(columns, n_tiles))  # type: ignore[type-var]
        elif columns:
            per_row = max(1, min(columns, n_tiles))
            min_width = min(cols * cw, MIN_TILE_WIDTH)
            while per_row > 1 and (room + TILE_GAP) // per_row - TILE_GAP < min_width:
                per_row -= 1
        else:
            per_row = max(1, min(n_tiles, (room + TILE_GAP) // (cols * cw + TILE_GAP)))
        return per_row, max(0, min(cols * cw, (room + TILE_GAP) // per_row - TILE_GAP))

    def plan(cw: int) -> GridLayout:
        per_row, map_width = per_row_for(cw)
        total_rows = -(-n_tiles // per_row)
        head = 1 if table else 0  # the column names

        def needed(map_lines: int, separated: bool, legend: bool) -> int:
            per_grid_row = map_lines + (0 if table else 1)
            gaps = total_rows - 1 if separated else 0
            return head + total_rows * per_grid_row + gaps + (legend_lines if legend else 0)

        def layout(map_lines: int, first_row: int, grid_rows: int, separated: bool, legend: bool) -> GridLayout:
            return GridLayout(per_row, cw, map_width, map_lines, first_row, grid_rows, gutter if table else 0,
                              separated, legend)

        tiers = [(map_lines_full, table and total_rows > 1, True), (map_lines_full, False, True),
                 (map_lines_full, False, False)]
        for m in range(map_lines_full - 1, min(map_lines_full, MIN_MAP_LINES) - 1, -1):
            tiers += [(m, False, True), (m, False, False)]  # the longest maps that fit, the legend if it still does
        for map_lines, separated, legend in tiers:
            legend = legend and legend_lines > 0
            if needed(map_lines, separated, legend) <= space:
                return layout(map_lines, 0, total_rows, separated, legend)
        # Not every row fits: whole maps in as many rows as fit, one line saying what is left out.
        per_grid_row = map_lines_full + (0 if table else 1)
        grid_rows = (space - head - 1) // per_grid_row
        map_lines = map_lines_full
        if grid_rows < 1:  # not even one row of whole maps: elide the maps' rows
            grid_rows = 1
            map_lines = max(0, space - head - (0 if table else 1) - (total_rows > 1))
            if map_lines < min(map_lines_full, MIN_MAP_LINES):  # too short to show where rows are missing
                grid_rows = map_lines = 0
        first_row = 0
        if selected is not None and 0 <= selected < n_tiles:
            first_row = max(0, selected // per_row - grid_rows + 1)
        return layout(map_lines, first_row, grid_rows, False, False)

    wide, narrow = plan(2), plan(1)
    shows_whole = wide.map_width == cols * 2 and wide.map_lines == map_lines_full
    if shows_whole and len(wide.tiles_shown(n_tiles)) >= len(narrow.tiles_shown(n_tiles)):
        return wide
    return narrow


def hidden_ranges(hidden: Sequence[int], names: Sequence[str]) -> str:
    """Hidden items by name, runs of consecutive ones as "first–last": "L1", "L1–L3, L6"."""
    parts: list[str] = []
    run: list[int] = []
    for i in [*hidden, None]:
        if i is not None and run and i == run[-1] + 1:
            run.append(i)
            continue
        if run:
            parts.append(names[run[0]] if len(run) == 1 else f"{names[run[0]]}–{names[run[-1]]}")
        run = [i] if i is not None else []
    return ", ".join(parts)


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
        self._empty: str | None = None  # said instead of "waiting for attention"
        self._labels: list[str] = []
        self._steps: list[np.ndarray] = []  # per tile: palette step per cell, -1 masked or NaN
        self._any_masked = False
        self._selected: int | None = None
        self.columns: int | None = None
        self.row_names: list[str] = []
        self.col_names: list[str] = []
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
        row_names: Sequence[str] = (),
        col_names: Sequence[str] = (),
        empty: str | None = None,
    ) -> None:
        """Show `tiles` on one value range (vmin/vmax, else the range of every tile).

        With `row_names` and `col_names` (as many as there are rows and columns of tiles,
        `columns` per row) the grid is drawn as a table named along both edges. `empty` is said
        instead of "waiting for attention" when there are no tiles.
        """
        self._empty = empty
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
        is_table = bool(columns) and len(col_names) == columns and len(row_names) * len(col_names) == len(tiles)
        self.row_names = [str(n) for n in row_names] if is_table else []
        self.col_names = [str(n) for n in col_names] if is_table else []
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
            waiting = self._empty or t("waiting_attention", self.lang)
            head = f"{self.title}: {waiting}" if self.title else waiting
            return [st.line([(fit_text(head, width), st.bold)], width)]
        lines = [st.line([(fit_text(self.title, width), st.bold)], width)]
        space = height - 1
        rows = max(s.shape[0] for s in self._steps)
        cols = max(s.shape[1] for s in self._steps)
        rows_per_line = 1 if no_color else 2
        gutter = max(map(cell_len, self.row_names)) + 1 if self.row_names else 0
        if gutter and width - gutter < self.columns * (MIN_TILE_WIDTH + TILE_GAP) - TILE_GAP:  # type: ignore[operator]
            gutter = 0  # too narrow for a table: labelled tiles, wrapped
        layout = plan_grid(
            n, rows, cols, width, space, rows_per_line=rows_per_line, columns=self.columns,
            selected=self._selected, gutter=gutter, legend_lines=1 if space >= 3 else 0,
        )
        self.grid_layout = layout
        shown = layout.tiles_shown(n)
        self.hidden_tiles = n - len(shown)
        if layout.gutter and layout.grid_rows:
            lines.append(self._header_line(layout, width, st))
        for start in range(shown.start, shown.stop, layout.per_row):
            tiles = list(range(start, min(shown.stop, start + layout.per_row)))
            if layout.gutter:
                if layout.separated and start > shown.start:
                    lines.append(Strip.blank(width, base))
                name = self.row_names[start // layout.per_row]
            else:
                lines.append(self._label_line(tiles, layout.map_width, width, st))
                name = None
            lines += self._map_lines(tiles, layout, rows_per_line, width, no_color, st, name)
        if self.hidden_tiles:
            lines.append(st.line([(fit_text(self._hidden_text(layout, shown, n), width), st.muted)], width))
        if layout.legend:  # under the grid, after a blank line where there is room
            if len(lines) < height - 1:
                lines.append(Strip.blank(width, base))
            lines.append(st.legend(width, self.vmin, self.vmax, masked=self._any_masked, no_color=no_color,
                                   masked_label=t("masked", self.lang)))
        return lines[:height]

    def _hidden_text(self, layout: GridLayout, shown: range, n: int) -> str:
        """What the grid leaves out, by name: "+4 hidden: L1 (g: one map)"."""
        hidden = [i for i in range(n) if i not in shown]
        if layout.gutter:
            rows = sorted({i // layout.per_row for i in hidden})
            which = hidden_ranges(rows, self.row_names)
        else:
            which = hidden_ranges(hidden, self._labels)
        return t("grid_hidden", self.lang).format(n=len(hidden), which=which)

    def _header_line(self, layout: GridLayout, width: int, st: HeatmapStyles) -> Strip:
        """A table's column names, over their maps; the selected tile's column highlighted."""
        selected_col = self._selected % layout.per_row if self._selected is not None else None
        runs: Runs = [(" " * layout.gutter, st.base)]
        for c, name in enumerate(self.col_names):
            if c:
                runs.append((" " * TILE_GAP, st.base))
            runs.append((fit_text(name, layout.map_width), st.hi if c == selected_col else st.muted))
        return st.line(runs, width)

    def _label_line(self, tiles: list[int], map_width: int, width: int, st: HeatmapStyles) -> Strip:
        runs: Runs = []
        for tile in tiles:
            if runs:
                runs.append((" " * TILE_GAP, st.base))
            runs.append((fit_text(self._labels[tile], map_width), st.hi if tile == self._selected else st.muted))
        return st.line(runs, width)

    def _map_lines(
        self,
        tiles: list[int],
        layout: GridLayout,
        rows_per_line: int,
        width: int,
        no_color: bool,
        st: HeatmapStyles,
        row_name: str | None = None,
    ) -> list[Strip]:
        cw, map_width = layout.cell_width, layout.map_width
        plans = []
        for tile in tiles:
            steps = self._steps[tile]
            units = elide(-(-steps.shape[0] // rows_per_line), layout.map_lines)
            plans.append((steps, units, elide(steps.shape[1], map_width // cw)))
        selected_row = self._selected is not None and self._selected in tiles
        out = []
        for y in range(layout.map_lines):
            runs: Runs = []
            if row_name is not None:
                name = row_name if y == 0 else ""
                runs.append((fit_text(name, layout.gutter - 1) + " ", st.hi if selected_row else st.muted))
            first = True
            for steps, units, col_shown in plans:
                if not first:
                    runs.append((" " * TILE_GAP, st.base))
                first = False
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
