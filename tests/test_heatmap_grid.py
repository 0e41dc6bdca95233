"""Tests of HeatmapGrid: layout, shared range, masks, elision, repaints, snapshots."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from textual.app import App, ComposeResult

from nntui.widgets.heatmap import MASK_GLYPH, ramp_color
from nntui.widgets.heatmap_grid import HeatmapGrid, Tile


def causal_attention(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Softmax rows of a smooth, seed-shifted score pattern under a causal mask (no random generator)."""
    i = np.arange(n, dtype=np.float64)
    q, k = i[:, None], i[None, :]
    mask = k > q
    scores = 1.5 * np.cos(0.9 * (q - k) + 0.7 * seed) + 0.4 * np.sin(0.5 * k + seed)
    scores = np.where(mask, -np.inf, scores)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True), mask


def all_heads(layers: int = 4, heads: int = 4, n: int = 8) -> list[Tile]:
    return [
        Tile(f"L{layer} H{head}", *causal_attention(n, layer * heads + head))
        for layer in range(layers)
        for head in range(heads)
    ]


def label_columns(line: str, labels: list[str]) -> list[int]:
    return [line.index(label) for label in labels if label in line]


# ---------------------------------------------------------------------------
# Layout
# ---------------------------------------------------------------------------
def test_tiles_per_row_follow_the_width():
    grid = HeatmapGrid("all heads")
    grid.show(all_heads())
    lines = [s.text for s in grid.render_grid(80, 60)]
    # 8 keys x 2 cells + one blank column: 17 cells a tile, 4 of them in 80 cells
    assert grid.grid_layout.per_row == 4 and grid.grid_layout.cell_width == 2
    assert label_columns(lines[1], ["L0 H0", "L0 H1", "L0 H2", "L0 H3"]) == [0, 17, 34, 51]
    assert "L1 H0" in lines[6]  # the next row: label + 4 lines of half blocks later
    grid.render_grid(40, 60)
    assert grid.grid_layout.per_row == 2 and grid.grid_layout.cell_width == 2


def test_columns_fix_the_tiles_per_row():
    grid = HeatmapGrid()
    grid.show(all_heads(layers=2, heads=3), columns=3)
    lines = [s.text for s in grid.render_grid(120, 30)]
    assert grid.grid_layout.per_row == 3
    assert label_columns(lines[1], ["L0 H0", "L0 H1", "L0 H2", "L1 H0"]) == [0, 17, 34]
    assert lines[6].startswith("L1 H0")


def test_one_cell_per_column_when_that_shows_more_tiles():
    grid = HeatmapGrid()
    grid.show(all_heads())
    grid.render_grid(40, 24)  # two cells a column: 2 a row, only 8 of the 16 tiles in 22 lines
    assert grid.grid_layout.cell_width == 1 and grid.grid_layout.per_row == 4
    assert grid.hidden_tiles == 0


def test_selected_label_is_bold_and_reversed():
    grid = HeatmapGrid()
    grid.show(all_heads(layers=1), selected=2)
    label_line = grid.render_grid(80, 12)[1]
    styles = {seg.text.strip(): seg.style for seg in label_line if seg.text.strip()}
    assert styles["L0 H2"].reverse and styles["L0 H2"].bold
    assert not any(styles[f"L0 H{h}"].reverse for h in (0, 1, 3))


def test_all_tiles_share_one_range():
    low_high = Tile("spread", np.linspace(-2.0, 4.0, 16).reshape(4, 4))
    at_max = Tile("at max", np.full((4, 4), 4.0))
    at_one = Tile("at one", np.full((4, 4), 1.0))  # alone its range would be 0..1: the top step
    grid = HeatmapGrid()
    grid.show([low_high, at_max, at_one])
    assert (grid.vmin, grid.vmax) == (-2.0, 4.0)
    lines = grid.render_grid(60, 10, no_color=True)
    texts = [s.text for s in lines]
    assert texts[2][9:17] == "█" * 8  # "at max": the top step everywhere
    assert "█" not in texts[2][18:26]  # "at one": the middle of the shared range
    assert texts[-1].startswith("-2 ") and " 4" in texts[-1]
    top = ramp_color(1.0).rich_color
    color_line = grid.render_grid(60, 10)[2]
    cells = [seg for seg in color_line if seg.text.startswith("▀")]
    assert cells[-2].style.color == top and cells[-2].style.bgcolor == top  # "at max"
    assert cells[-1].style.color != top  # "at one"


def test_explicit_range_overrides_the_data():
    grid = HeatmapGrid()
    grid.show([Tile("half", np.full((2, 2), 0.5))], vmin=0.0, vmax=0.5)
    assert grid.render_grid(20, 6, no_color=True)[2].text.startswith("████")


def test_masked_cells_show_the_mask_glyph_in_no_color():
    p, mask = causal_attention(8, 0)
    grid = HeatmapGrid()
    grid.show([Tile("L0 H0", p, mask)])
    lines = [s.text for s in grid.render_grid(40, 14, no_color=True)]
    for r in range(8):  # one query a line below title and label, two cells a key
        cells = lines[2 + r][0:16:2]
        assert all((ch == MASK_GLYPH) == bool(mask[r, c]) for c, ch in enumerate(cells)), (r, lines[2 + r])
    assert f"{MASK_GLYPH} masked" in lines[-1]


# ---------------------------------------------------------------------------
# Elision
# ---------------------------------------------------------------------------
def test_rows_of_tiles_that_do_not_fit_are_counted():
    grid = HeatmapGrid()
    grid.show(all_heads(), columns=4, selected=13)
    lines = [s.text for s in grid.render_grid(80, 12)]
    # 12 lines: title, legend, blank or not; one row of tiles (label + 4 lines) and the message
    assert grid.grid_layout.grid_rows == 1 and grid.hidden_tiles == 12
    assert any(t.startswith("… 12 more (press g for one map)") for t in lines)
    assert "L3 H1" in lines[1]  # the selected tile's row stays in view


def test_large_maps_are_elided_inside_their_tile():
    p, mask = causal_attention(32, 0)
    grid = HeatmapGrid()
    grid.show([Tile("big", p, mask)])
    lines = [s.text for s in grid.render_grid(20, 10, no_color=True)]
    assert any("⋮" in t for t in lines) and any("…" in t for t in lines)
    assert grid.hidden_tiles == 0


def test_every_size_gives_exact_widths_and_never_crashes():
    grids = []
    for tiles, columns in ((all_heads(), 4), (all_heads(2, 3, 32), None), ([Tile("x", np.ones(3))], None), ([], None)):
        grid = HeatmapGrid("heads")
        grid.show(tiles, columns=columns, selected=1)
        grids.append(grid)
    for no_color in (False, True):
        for w in (1, 2, 5, 9, 17, 40, 80, 120):
            for h in (1, 2, 3, 4, 7, 24, 40):
                for grid in grids:
                    lines = grid.render_grid(w, h, no_color=no_color)
                    assert len(lines) <= h
                    assert all(s.cell_length == w for s in lines), (w, h, no_color)


def test_heatmap_grid_does_not_import_torch():
    code = "import sys, nntui.widgets.heatmap_grid; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------
# In an app: repaints and snapshots
# ---------------------------------------------------------------------------
class GridApp(App):
    """Four layers of four causal heads, the second head of the second layer selected."""

    def compose(self) -> ComposeResult:
        yield HeatmapGrid(id="grid")

    def on_mount(self) -> None:
        self.query_one(HeatmapGrid).show(all_heads(), title="attention: all heads", selected=5, columns=4)


async def test_moving_the_selection_repaints_only_label_lines():
    app = GridApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        grid = app.query_one(HeatmapGrid)
        before = [grid.render_line(y) for y in range(24)]
        grid.selected = 6
        after = [grid.render_line(y) for y in range(24)]
        changed = [y for y in range(24) if before[y] != after[y]]
        assert changed == [6]  # the second row of tiles' label line


def test_snapshot(snap_compare, no_color):
    app = GridApp()
    assert app.no_color is no_color
    assert snap_compare(app, terminal_size=(80, 24))
