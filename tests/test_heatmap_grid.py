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
def test_rows_of_tiles_that_do_not_fit_are_counted_and_named():
    grid = HeatmapGrid()
    grid.show(all_heads(), columns=4, selected=13)
    lines = [s.text for s in grid.render_grid(80, 12)]
    # 12 lines: the title; 4 rows of tiles need 20 lines even at 3 lines a map (16): two rows
    # of whole maps (label + 4 lines each), the legend dropped, and a line naming the rest
    assert grid.grid_layout.grid_rows == 2 and grid.hidden_tiles == 8 and not grid.grid_layout.legend
    assert lines[11].startswith("+8 hidden: L0 H0–L1 H3 (g: one map)")
    assert "L3 H1" in lines[6]  # the selected tile's row stays in view


def layer_table(grid: HeatmapGrid, layers: int = 2, heads: int = 4, selected: int | None = None) -> None:
    """The attention panel's `g` grid: a row per layer, a column per head."""
    tiles = [Tile(f"L{lay + 1} H{h + 1}", *causal_attention(8, lay * heads + h))
             for lay in range(layers) for h in range(heads)]
    grid.show(tiles, columns=heads, selected=selected, row_names=[f"L{lay + 1}" for lay in range(layers)],
              col_names=[f"H{h + 1}" for h in range(heads)])


@pytest.mark.parametrize("no_color", [False, True], ids=["color", "nocolor"])
def test_the_panel_grid_at_80x24_shows_every_layer(no_color):
    """At 80x24 the attention panel is about 48 x 10 cells: the guide's "layer 1 on the top row"
    must be there (it once showed only layer 2): a table of whole or shortened maps, no tile left out."""
    grid = HeatmapGrid("softmax · every head · step 500")
    layer_table(grid, selected=4)  # the last layer selected, as the panel does by default
    lines = [s.text for s in grid.render_grid(48, 10, no_color=no_color)]
    assert grid.hidden_tiles == 0 and grid.grid_layout.grid_rows == 2
    assert lines[1].split() == ["H1", "H2", "H3", "H4"]
    assert lines[2].startswith("L1 ") and any(line.startswith("L2 ") for line in lines[3:])
    if no_color:  # 8 lines a map do not fit twice: each map shortened, the gap marked inside it
        assert grid.grid_layout.map_lines < 8 and any("⋮" in line for line in lines)


def test_table_keeps_every_layer_or_names_the_hidden_ones():
    grid = HeatmapGrid("t")
    layer_table(grid, layers=4, heads=4, selected=15)
    for no_color in (False, True):
        for height in range(3, 30):
            lines = [s.text for s in grid.render_grid(60, height, no_color=no_color)]
            named = {line.split()[0] for line in lines[2:] if line[:1] == "L" and line.split()[0][1:].isdigit()}
            hidden = [line for line in lines if line.startswith("+")]
            if grid.hidden_tiles:
                assert len(hidden) == 1 and hidden[0].startswith(f"+{grid.hidden_tiles} hidden: L"), (height, lines)
                # the selected layer stays in view, or nothing fits and the line names every layer
                assert "L4" in named or hidden[0].startswith("+16 hidden: L1–L4"), (height, lines)
            else:
                assert named == {"L1", "L2", "L3", "L4"} and not hidden, (height, lines)


def test_table_rows_are_parted_and_the_selection_marks_row_and_column():
    grid = HeatmapGrid("t")
    layer_table(grid, selected=6)  # layer 2, head 3
    strips = grid.render_grid(80, 30)
    lines = [s.text for s in strips]
    assert grid.grid_layout.separated and grid.grid_layout.cell_width == 2
    assert lines[6].strip() == "" and lines[7].startswith("L2")  # a blank line between layers
    header = {seg.text.strip(): seg.style for seg in strips[1] if seg.text.strip()}
    assert header["H3"].reverse and not header["H1"].reverse
    names = {seg.text.strip(): seg.style for s in (strips[2], strips[7]) for seg in s if seg.text.strip() in ("L1", "L2")}
    assert names["L2"].reverse and not names["L1"].reverse


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
