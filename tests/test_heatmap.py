"""Tests of the attention Heatmap (pure parts, cursor text, snapshots)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from textual.app import App, ComposeResult
from textual.containers import Horizontal

from nntui.widgets.heatmap import MASK_GLYPH, STEPS, Heatmap, elide, palette_index, value_range

TOKENS = ["<s>", "the", "cat", "sat", "on", "the", "mat", "."]


# ---------------------------------------------------------------------------
# Fixed synthetic data (deterministic, no random generator)
# ---------------------------------------------------------------------------
def attention(n: int, causal: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Softmax rows of a smooth score pattern; causal: lower-triangular with the mask above
    the diagonal, else strongest along the anti-diagonal."""
    i = np.arange(n, dtype=np.float64)
    q, k = i[:, None], i[None, :]
    if causal:
        scores = 1.5 * np.cos(0.9 * (q - k)) - 0.15 * (q - k) + 0.4 * np.sin(0.7 * k)
        mask = k > q
        scores = np.where(mask, -np.inf, scores)
    else:
        scores = -0.5 * np.abs(q + k - (n - 1)) + 0.3 * np.cos(0.5 * q + k)
        mask = None
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True), mask


def test_attention_fixture_is_a_causal_softmax():
    p, mask = attention(8, causal=True)
    assert np.allclose(p.sum(axis=1), 1.0)
    assert np.all(p[mask] == 0) and np.array_equal(mask, np.triu(np.ones((8, 8), bool), 1))


# ---------------------------------------------------------------------------
# Pure parts
# ---------------------------------------------------------------------------
def test_palette_index_mapping():
    idx = palette_index(np.array([-1.0, 0.0, 0.5, 1.0, 2.0, np.nan]), 0.0, 1.0)
    assert idx.tolist() == [0, 0, round(0.5 * (STEPS - 1)), STEPS - 1, STEPS - 1, -1]
    # vmin == vmax: never a division by zero; above it the top step, the rest 0
    idx = palette_index(np.array([0.3, 0.3, 0.7]), 0.3, 0.3)
    assert idx.tolist() == [0, 0, STEPS - 1]
    assert value_range(np.array([[0.2, 0.9]])) == (0.0, 1.0)
    assert value_range(np.array([[-2.0, 3.0]])) == (-2.0, 3.0)
    assert value_range(np.array([[5.0, 0.5]]), np.array([[True, False]])) == (0.0, 1.0)


def test_elision_keeps_first_last_and_focus():
    assert elide(5, 10) == [0, 1, 2, 3, 4]
    out = elide(32, 9)
    assert len(out) == 9 and out[0] == 0 and out[-1] == 31 and out.count(-1) == 1
    out = elide(32, 12, focus=15)
    assert len(out) <= 12 and out[0] == 0 and out[-1] == 31 and 15 in out
    for n in (1, 2, 3, 40):
        for slots in range(0, 8):
            for focus in (None, 0, n // 2, n - 1):
                out = elide(n, slots, focus)
                assert len(out) <= slots
                if slots and focus is not None:
                    assert focus in out
    assert elide(10, 2) == [0, 9] and elide(0, 5) == [] and elide(5, 0) == []


def test_masked_cells_show_the_mask_glyph_in_no_color():
    p, mask = attention(8, causal=True)
    hm = Heatmap()
    hm.show(p, row_labels=TOKENS, col_labels=TOKENS, masked=mask)
    lines = [s.text for s in hm.render_map(60, 16, no_color=True)]
    grid = lines[4:12]  # title, three lines of column labels (downwards), one line per query
    assert hm.shown_rows == list(range(8)) and hm.shown_cols == list(range(8))
    gutter = max(len(t) for t in TOKENS) + 1
    for r, line in enumerate(grid):
        cells = line[gutter : gutter + 16 : 2]  # two characters per key
        assert all((ch == MASK_GLYPH) == bool(mask[r, c]) for c, ch in enumerate(cells)), (r, line)
    assert "░▒▓█" in lines[-1] and "masked" in lines[-1]


def test_cursor_text_shows_the_value():
    p, mask = attention(8, causal=True)
    hm = Heatmap("L0 H1")
    hm.show(p, row_labels=list("abcdefgh"), col_labels=list("abcdefgh"), masked=mask)
    hm.cursor = (3, 2)
    assert hm.cursor_text() == f"q=3 'd' → k=2 'c': {p[3, 2]:.2f}"
    assert hm.cursor_text() in hm.render_map(80, 20)[0].text
    hm.move_cursor(-1, 5)  # above the diagonal
    assert hm.cursor == (2, 7) and hm.cursor_text().endswith("masked")
    hm.move_cursor(100, 100)  # clamped
    assert hm.cursor == (7, 7)


def test_a_long_title_is_cut_by_cells_to_leave_the_cursors_value():
    """In Chinese the compact title once vanished beside "Thinking→Thinking 0.62"."""
    p, mask = attention(8, causal=True)
    hm = Heatmap("L1/1 H1/1 softmax 权重 @1")
    hm.show(p, row_labels=["Thinking"] * 8, col_labels=["Thinking"] * 8, masked=mask)
    hm.lang = "zh"
    for width in range(36, 60):
        head = hm.render_map(width, 12)[0].text
        value = f"Thinking→Thinking {p[0, 0]:.2f}"
        assert head.rstrip().endswith(value) and head.startswith("L1/1 H1/1"), (width, head)
        title = head.split("  ")[0]
        assert "L1/1 H1/1 softmax 权重 @1".startswith(title.rstrip("…")), title  # never half a wide character
    hm.move_cursor(0, 5)  # masked
    assert hm.cursor_text().endswith("已掩码") and "已掩码" in hm.render_map(80, 20)[-1].text


def test_every_size_gives_exact_widths_and_never_crashes():
    maps = []
    for n, causal in ((8, True), (32, True), (32, False), (3, False)):
        p, mask = attention(n, causal)
        hm = Heatmap("attn")
        hm.show(p, row_labels=[f"tok{i}" for i in range(n)], col_labels=[f"tok{i}" for i in range(n)], masked=mask)
        hm.cursor = (n // 2, n // 3)
        maps.append(hm)
    empty = Heatmap("empty")
    for no_color in (False, True):
        for w in (1, 2, 5, 9, 17, 40, 80, 120):
            for h in (1, 2, 3, 4, 7, 24, 40):
                for hm in (*maps, empty):
                    lines = hm.render_map(w, h, no_color=no_color)
                    assert len(lines) <= h
                    assert all(s.cell_length == w for s in lines), (w, h, no_color)


def test_long_sequences_are_elided_with_cursor_in_view():
    p, mask = attention(32, causal=True)
    hm = Heatmap()
    hm.show(p, row_labels=[str(i) for i in range(32)], col_labels=[str(i) for i in range(32)], masked=mask)
    hm.cursor = (16, 14)
    text = [s.text for s in hm.render_map(30, 14, no_color=True)]
    assert hm.shown_rows[0] == 0 and hm.shown_rows[-1] == 31 and 16 in hm.shown_rows
    assert hm.shown_cols[0] == 0 and hm.shown_cols[-1] == 31 and 14 in hm.shown_cols
    assert any("⋮" in t for t in text) and any("…" in t for t in text)


def test_heatmap_does_not_import_torch():
    code = "import sys, nntui.widgets.heatmap; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


async def test_cursor_keys_repaint_few_lines():
    app = HeatmapApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        hm = app.query_one("#causal", Heatmap)
        hm.focus()
        before = list(hm.lines_text)
        await pilot.press("down")
        assert hm.cursor == (6, 2)
        assert hm.cursor_text().startswith("q=6 'mat' → k=2 'cat': ")
        assert hm.cursor_text_short() in hm.lines_text[0]  # too narrow for the long form
        changed = [i for i, (a, b) in enumerate(zip(before, hm.lines_text)) if a != b]
        assert 0 in changed and len(changed) <= 6


# ---------------------------------------------------------------------------
# Snapshots
# ---------------------------------------------------------------------------
class HeatmapApp(App):
    """A causal 8x8 map beside a non-causal one (or one 32x32 map)."""

    CSS = """
    Heatmap { margin: 0 1; }
    """

    def __init__(self, n: int = 8) -> None:
        super().__init__()
        self.n = n

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Heatmap("causal L0 H1", id="causal")
            if self.n == 8:
                yield Heatmap("L1 H0", id="full")

    def on_mount(self) -> None:
        n = self.n
        tokens = TOKENS if n == 8 else [f"w{i}" for i in range(n)]
        p, mask = attention(n, causal=True)
        causal = self.query_one("#causal", Heatmap)
        causal.show(p, row_labels=tokens, col_labels=tokens, masked=mask)
        causal.cursor = (5, 2) if n == 8 else (20, 17)
        if n == 8:
            p, _ = attention(n, causal=False)
            self.query_one("#full", Heatmap).show(p, row_labels=tokens, col_labels=tokens, vmin=0, vmax=0.5)


@pytest.mark.parametrize(
    "size,n", [((80, 24), 8), ((120, 40), 32)], ids=["8x8-80x24", "32x32-120x40"]
)
def test_snapshot(snap_compare, size, n, no_color):
    app = HeatmapApp(n)
    assert app.no_color is no_color
    assert snap_compare(app, terminal_size=size)
