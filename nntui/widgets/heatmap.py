"""Heatmap: an attention map (queries down, keys across) with tokens on both axes.

In colour each text line holds two matrix rows (an upper half block "▀": its
foreground is the upper row's colour, its background the lower row's) on a
perceptual (viridis-like) ramp of 32 steps; each matrix column takes two cells
when the width allows, else one. Masked cells (e.g. above the diagonal of a
causal mask) are a dim grey. With NO_COLOR each line holds one matrix row, the
value as shading " ░▒▓█" and masked cells as "·", so the map stays readable.

Column labels (keys) run along the top: in one row when they fit the cell width,
else written downwards (up to three characters). Row labels (queries) sit on
the left; in colour, where a line holds two rows, as "upper/lower". A map larger
than the widget is elided: the first and the last rows/columns stay, a "…"/"⋮"
marks the gap, and the cursor's row and column are always shown. The top line
gives the title and the value under the cursor, e.g. "q=3 'c' → k=5 'e': 0.81";
the bottom line is a legend: the value range with the ramp between. Its own words
("masked", "waiting for attention") follow `lang` ("en" or "zh").
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from rich.cells import cell_len
from rich.style import Style
from textual.binding import Binding
from textual.color import Color
from textual.strip import Strip

from nntui.i18n import t

from .heatmap_palette import (
    HGAP,
    MASK_GLYPH,
    STEPS,
    VGAP,
    HeatmapStyles,
    Runs,
    elide,
    heatmap_styles,
    palette_index,
    ramp_color,
    value_range,
)
from .numbers import fmt_cell_value
from .shading import AppFreeRender, LineCacheWidget, fit_text, strip_from_runs

__all__ = ["Heatmap", "STEPS", "MASK_GLYPH", "elide", "palette_index", "ramp_color", "value_range"]

MAX_SCALE = 4  # colour: a cell at most 4 cells wide and 4 half lines high
LABEL_ROWS = 3  # vertical column labels: at most this many characters
MIN_TITLE = 12  # cells: a title cut shorter than this says too little to keep


class Heatmap(AppFreeRender, LineCacheWidget, can_focus=True):
    """An attention map with tokens on both axes and a value cursor (see the module docstring)."""

    DEFAULT_CSS = """
    Heatmap {
        width: 1fr;
        height: 1fr;
        min-height: 3;
    }
    """

    BINDINGS = [
        Binding("up", "move(-1, 0)", "query up", show=False),
        Binding("down", "move(1, 0)", "query down", show=False),
        Binding("left", "move(0, -1)", "key left", show=False),
        Binding("right", "move(0, 1)", "key right", show=False),
    ]

    def __init__(self, title: str = "", **widget_kwargs) -> None:
        super().__init__(**widget_kwargs)
        self.title = title
        self._empty: str | None = None  # said instead of "waiting for attention"
        self._matrix = np.zeros((0, 0))
        self._index = np.zeros((0, 0), dtype=np.int64)  # palette step per cell, -1 masked or NaN
        self._masked = np.zeros((0, 0), dtype=bool)
        self.row_labels: list[str] = []
        self.col_labels: list[str] = []
        self.vmin, self.vmax = 0.0, 1.0
        self._cursor = (0, 0)
        self.shown_rows: list[int] = []  # what the last build drew (-1: a gap)
        self.shown_cols: list[int] = []

    # -- data -----------------------------------------------------------------
    def show(
        self,
        matrix: np.ndarray,
        *,
        row_labels: Sequence[str] | None = None,
        col_labels: Sequence[str] | None = None,
        title: str | None = None,
        masked: np.ndarray | None = None,
        vmin: float | None = None,
        vmax: float | None = None,
        empty: str | None = None,
    ) -> None:
        """Show `matrix` (rows = queries, cols = keys); `masked` is True where masked; `empty` is
        said instead of "waiting for attention" when the matrix is empty."""
        self._empty = empty
        m = np.asarray(matrix, dtype=np.float64)
        if m.ndim != 2:
            m = np.atleast_2d(m)[:, :] if m.ndim < 2 else m.reshape(m.shape[0], -1)
        rows, cols = m.shape
        mask = np.zeros(m.shape, dtype=bool) if masked is None else np.asarray(masked, dtype=bool)
        if mask.shape != m.shape:
            mask = np.broadcast_to(mask, m.shape) if mask.size else np.zeros(m.shape, dtype=bool)
        lo, hi = value_range(m, mask)
        self.vmin = float(vmin) if vmin is not None else lo
        self.vmax = float(vmax) if vmax is not None else hi
        self._matrix = m
        self._masked = np.array(mask, dtype=bool)
        index = palette_index(m, self.vmin, self.vmax)
        index[self._masked] = -1
        self._index = index
        self.row_labels = [str(s) for s in (row_labels or [])][:rows]
        self.row_labels += [str(i) for i in range(len(self.row_labels), rows)]
        self.col_labels = [str(s) for s in (col_labels or [])][:cols]
        self.col_labels += [str(i) for i in range(len(self.col_labels), cols)]
        if title is not None:
            self.title = title
        self._cursor = self._clamp(self._cursor)
        self.update_lines()

    def _clamp(self, cursor: tuple[int, int]) -> tuple[int, int]:
        rows, cols = self._matrix.shape
        r, c = cursor
        return (min(max(int(r), 0), max(rows - 1, 0)), min(max(int(c), 0), max(cols - 1, 0)))

    @property
    def cursor(self) -> tuple[int, int]:
        """(row, col) of the cell whose value the title line shows."""
        return self._cursor

    @cursor.setter
    def cursor(self, value: tuple[int, int]) -> None:
        new = self._clamp(value)
        if new != self._cursor:
            self._cursor = new
            self.update_lines()

    def move_cursor(self, drow: int = 0, dcol: int = 0) -> None:
        r, c = self._cursor
        self.cursor = (r + drow, c + dcol)

    def action_move(self, drow: int, dcol: int) -> None:
        self.move_cursor(drow, dcol)

    def cursor_text(self) -> str:
        """The cell under the cursor, e.g. "q=3 'c' → k=5 'e': 0.81"."""
        rows, cols = self._matrix.shape
        if not rows or not cols:
            return ""
        r, c = self._cursor
        head = f"q={r} {self.row_labels[r]!r} → k={c} {self.col_labels[c]!r}: "
        if self._masked[r, c]:
            return head + t("masked", self.lang)
        return head + fmt_cell_value(float(self._matrix[r, c]))

    # -- building -------------------------------------------------------------
    render_map = AppFreeRender.render_standalone

    def draw_lines(self, width: int, height: int, base: Style, fg: Color, bg: Color, no_color: bool) -> list[Strip]:
        st = heatmap_styles(base, fg, bg)
        rows, cols = self._matrix.shape
        title = self.title
        info = self.cursor_text()
        if not rows or not cols:
            waiting = self._empty or t("waiting_attention", self.lang)
            head = f"{title}: {waiting}" if title else waiting
            return [strip_from_runs([(fit_text(head, width), st.bold)])]
        lines = [self._title_line(title, info, width, st)]
        if height < 2:
            return lines
        remaining = height - 1
        has_legend = remaining >= 3
        remaining -= has_legend
        max_label = max(cell_len(s) for s in self.row_labels)
        col_max = max(cell_len(s) for s in self.col_labels)
        cur_r, cur_c = self._cursor

        # Scaled (colour only): each cell a square of s cells x s half lines, no elision.
        single_w = min(max_label, 8, max(0, width // 4))
        single_gutter = single_w + 1 if single_w else 0
        scale = 0
        if not no_color:
            s_w = min((width - single_gutter) // cols, MAX_SCALE)
            want = 1 if col_max <= s_w else min(col_max, LABEL_ROWS)
            s_h = 2 * (remaining - min(want, max(0, remaining - 1))) // rows
            scale = min(s_w, s_h)
        if scale >= 2:
            label_w, gutter, double = single_w, single_gutter, False
            cw = scale
            col_shown = list(range(cols))
        else:
            scale = 0
            double = not no_color  # two matrix rows per line: labels "upper/lower"
            if double:
                label_w = min(max_label, 4, max(0, (width // 4 - 1) // 2))
                gutter = 2 * label_w + 2 if label_w else 0
            else:
                label_w, gutter = single_w, single_gutter
            if width - gutter < 1:
                gutter = label_w = 0
            avail = width - gutter
            cw = 2 if cols * 2 <= avail else 1
            col_shown = elide(cols, avail // cw, cur_c)
        self.shown_cols = col_shown

        # Column labels: one row when every label fits the cell width, else downwards.
        col_max = max(cell_len(self.col_labels[c]) for c in col_shown if c >= 0)
        want = 1 if col_max <= cw else min(col_max, LABEL_ROWS)
        label_rows = min(want, max(0, remaining - 1))
        grid_lines = remaining - label_rows

        # Each map line: None (a gap) or (upper row, lower row or -1, labelled rows).
        specs: list[tuple[int, int, tuple[int, ...]] | None] = []
        if scale:
            n_lines = min(grid_lines, (rows * scale + 1) // 2)
            for y in range(n_lines):
                ra, rb = (2 * y) // scale, (2 * y + 1) // scale
                rb = rb if rb < rows else -1
                labelled = tuple(r for r in (ra, rb) if r >= 0 and r * scale in (2 * y, 2 * y + 1))
                specs.append((ra, rb, labelled[:1]))
        else:
            per_line = 2 if double else 1
            units = (rows + per_line - 1) // per_line
            for u in elide(units, grid_lines, cur_r // per_line):
                if u < 0:
                    specs.append(None)
                elif double:
                    r1 = 2 * u + 1 if 2 * u + 1 < rows else -1
                    specs.append((2 * u, r1, (2 * u, r1)))
                else:
                    specs.append((u, -1, (u,)))
        shown_rows: list[int] = []
        for spec in specs:
            if spec is None:
                shown_rows.append(-1)
            else:
                shown_rows += [r for r in spec[:2] if r >= 0 and r not in shown_rows[-2:]]
        self.shown_rows = shown_rows

        lines += self._col_label_lines(col_shown, cw, label_rows, gutter, width, st)
        index = self._index
        for spec in specs:
            runs: Runs = []
            if spec is None:
                if gutter:
                    runs.append((fit_text(VGAP, gutter - 1, "right") + " ", st.muted))
                runs.append((fit_text(VGAP if cw == 1 else " " + VGAP, len(col_shown) * cw), st.muted))
            else:
                r0, r1, labelled = spec
                if gutter:
                    runs += self._row_label_runs(labelled, label_w, double, st)
                runs += st.cell_runs(index, r0, r1, col_shown, cw, no_color, cur_r, cur_c)
            lines.append(st.line(runs, width))
        if has_legend:  # under the map, after a blank line where there is room
            if len(lines) < height - 1:
                lines.append(Strip.blank(width, base))
            masked = bool(self._masked.any())
            lines.append(st.legend(width, self.vmin, self.vmax, masked=masked, no_color=no_color, indent=gutter,
                                   masked_label=t("masked", self.lang)))
        return lines[:height]

    def cursor_text_short(self) -> str:
        """The cell under the cursor in few cells, e.g. "c→e 0.81"."""
        full = self.cursor_text()
        if not full:
            return ""
        r, c = self._cursor
        return f"{self.row_labels[r]}→{self.col_labels[c]} {full.rsplit(': ', 1)[1]}"

    def _title_line(self, title: str, info: str, width: int, st: HeatmapStyles) -> Strip:
        if title and info and cell_len(title) + 2 + cell_len(info) > width:
            info = self.cursor_text_short()
            if cell_len(title) + 2 + cell_len(info) > width:
                room = width - 2 - cell_len(info)
                # The title cut by cells (with "…") while a useful part of it is left, else dropped.
                title = fit_text(title, room).rstrip() if room >= min(cell_len(title), MIN_TITLE) else ""
                if cell_len(info) > width:  # the value matters most: keep it
                    info = info.rsplit(" ", 1)[1]
        runs = []
        if title:
            runs.append((title, st.bold))
            if info:
                runs.append(("  ", st.base))
        if info:
            runs.append((info, st.text))
        return st.line(runs, width)

    def _col_label_lines(
        self, col_shown: list[int], cw: int, n_rows: int, gutter: int, width: int, st: HeatmapStyles
    ) -> list[Strip]:
        out = []
        cur_c = self._cursor[1]
        for k in range(n_rows):
            runs: Runs = [(" " * gutter, st.base)] if gutter else []
            for c in col_shown:
                if c < 0:
                    runs.append((fit_text(HGAP if k == 0 else "", cw), st.muted))
                    continue
                label = self.col_labels[c]
                if n_rows == 1:
                    text = fit_text(label, cw, "center")
                else:
                    chars = list(label)
                    text = fit_text(chars[k] if k < len(chars) else "", cw, "center")
                runs.append((text, st.hi if c == cur_c else st.muted))
            out.append(st.line(runs, width))
        return out

    def _row_label_runs(self, labelled: tuple[int, ...], label_w: int, double: bool, st: HeatmapStyles) -> Runs:
        cur_r = self._cursor[0]
        muted, hi = st.muted, st.hi
        if not double:
            if not labelled:
                return [(" " * (label_w + 1), st.base)]
            r = labelled[0]
            return [(fit_text(self.row_labels[r], label_w, "right"), hi if r == cur_r else muted), (" ", st.base)]
        r0, r1 = labelled
        upper = fit_text(self.row_labels[r0], label_w, "right")
        lower = fit_text(self.row_labels[r1], label_w) if r1 >= 0 else " " * label_w
        return [
            (upper, hi if r0 == cur_r else muted),
            ("/" if r1 >= 0 else " ", muted),
            (lower, hi if r1 == cur_r else muted),
            (" ", st.base),
        ]
