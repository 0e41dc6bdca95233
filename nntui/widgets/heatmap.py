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
the bottom line is a legend: the value range with the ramp between.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from rich.cells import cell_len
from rich.style import Style
from textual.binding import Binding
from textual.color import Color
from textual.strip import Strip

from .grad_bars import fmt_norm
from .shading import SHADES, AppFreeRender, LineCacheWidget, fade, fit_text, strip_from_runs

__all__ = ["Heatmap", "STEPS", "MASK_GLYPH", "elide", "palette_index", "ramp_color", "value_range"]

STEPS = 32
MASK_GLYPH = "·"
HGAP = "…"
VGAP = "⋮"
UPPER = "▀"
CURSOR_MARK = "◆"
MAX_SCALE = 4  # colour: a cell at most 4 cells wide and 4 half lines high
LABEL_ROWS = 3  # vertical column labels: at most this many characters
# Viridis, sampled at 0, 1/8, ..., 1 (ramp_color interpolates between these).
_VIRIDIS = [
    (68, 1, 84),
    (71, 44, 122),
    (59, 81, 139),
    (44, 113, 142),
    (33, 144, 141),
    (39, 173, 129),
    (92, 200, 99),
    (170, 220, 50),
    (253, 231, 37),
]


def ramp_color(t: float) -> Color:
    """The viridis-like colour at `t` in [0, 1] (clipped)."""
    pos = min(max(float(t), 0.0), 1.0) * (len(_VIRIDIS) - 1)
    k = min(int(pos), len(_VIRIDIS) - 2)
    f = pos - k
    a, b = _VIRIDIS[k], _VIRIDIS[k + 1]
    return Color(*(round(a[j] + (b[j] - a[j]) * f) for j in range(3)))


def palette_index(values: np.ndarray, vmin: float, vmax: float, steps: int = STEPS) -> np.ndarray:
    """Each value's step on the ramp, 0 (vmin or below) .. steps-1 (vmax or above); NaN: -1.

    vmin == vmax (a constant map): values above it get the top step, the rest 0.
    """
    v = np.asarray(values, dtype=np.float64)
    out = np.zeros(v.shape, dtype=np.int64)
    nan = np.isnan(v)
    span = float(vmax) - float(vmin)
    with np.errstate(invalid="ignore"):
        if span > 0 and math.isfinite(span):
            f = np.clip((v - vmin) / span, 0.0, 1.0)
            out = np.rint(np.nan_to_num(f) * (steps - 1)).astype(np.int64)
        else:
            out = np.where(v > vmin, steps - 1, 0).astype(np.int64)
    out[nan] = -1
    return out


def value_range(matrix: np.ndarray, masked: np.ndarray | None = None) -> tuple[float, float]:
    """(0, 1) when every unmasked finite value lies in [0, 1], else their min and max."""
    v = np.asarray(matrix, dtype=np.float64)
    ok = np.isfinite(v)
    if masked is not None:
        ok &= ~masked
    v = v[ok]
    if not v.size:
        return 0.0, 1.0
    lo, hi = float(v.min()), float(v.max())
    if lo >= 0.0 and hi <= 1.0:
        return 0.0, 1.0
    return lo, hi


def elide(n: int, slots: int, focus: int | None = None) -> list[int]:
    """Which of `n` items to draw in `slots` places: all when they fit, else the first and
    the last ones with a gap (-1) between; `focus` (when given) is always among them,
    in a window of its own between two gaps when it falls in the middle."""
    if n <= 0 or slots <= 0:
        return []
    if n <= slots:
        return list(range(n))
    if slots == 1:
        return [focus if focus is not None else 0]
    if slots == 2:
        if focus is not None and 0 < focus < n - 1:
            return [0, focus]
        return [0, n - 1]
    head = (slots - 1 + 1) // 2
    tail = slots - 1 - head
    if focus is None or focus < head or focus >= n - tail:
        return [*range(head), -1, *range(n - tail, n)]
    if slots < 5:  # no room for a window: the focus replaces the gap's neighbour
        shown = sorted({0, focus, n - 1})
    else:
        win = max(1, (slots - 2) // 3)
        head = (slots - 2 - win + 1) // 2
        tail = slots - 2 - win - head
        start = min(max(focus - win // 2, head), n - tail - win)
        shown = sorted({*range(head), *range(start, start + win), *range(n - tail, n)})
    out: list[int] = []
    for i in shown:
        if out and i != out[-1] + 1:
            out.append(-1)
        out.append(i)
    return out[:slots]


def _fmt_value(v: float) -> str:
    if math.isfinite(v) and 0.01 <= abs(v) < 100:
        return f"{v:.2f}"
    return fmt_norm(v)


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
        self._matrix = np.zeros((0, 0))
        self._index = np.zeros((0, 0), dtype=np.int64)  # palette step per cell, -1 masked or NaN
        self._masked = np.zeros((0, 0), dtype=bool)
        self.row_labels: list[str] = []
        self.col_labels: list[str] = []
        self.vmin, self.vmax = 0.0, 1.0
        self._cursor = (0, 0)
        self._style_key: tuple | None = None
        self._cached: dict = {}
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
    ) -> None:
        """Show `matrix` (rows = queries, cols = keys); `masked` is True where masked."""
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
            return head + "masked"
        return head + _fmt_value(float(self._matrix[r, c]))

    # -- styles ---------------------------------------------------------------
    def _styles(self, base: Style, fg: Color, bg: Color) -> dict:
        key = (base, fg, bg)
        if key != self._style_key:
            colors = [ramp_color(i / (STEPS - 1)).rich_color for i in range(STEPS)]
            # index -1 (masked): dim grey; index STEPS: the background (below an odd last row)
            colors = colors + [bg.rich_color, fade(fg, bg, 0.78).rich_color]
            self._cached = {
                "colors": colors,
                "pairs": {},
                "fg_only": [base + Style(color=c) for c in colors],
                "muted": base + Style(color=fade(fg, bg, 0.45).rich_color),
                "text": base + Style(color=fg.rich_color),
                "bold": base + Style(color=fg.rich_color, bold=True),
                "hi": base + Style(color=fg.rich_color, bold=True, reverse=True),
                "base": base,
            }
            self._style_key = key
        return self._cached

    def _pair_style(self, st: dict, up: int, lo: int) -> Style:
        """The style of a half block: the upper row's colour on the lower row's (built once)."""
        pairs = st["pairs"]
        style = pairs.get((up, lo))
        if style is None:
            colors = st["colors"]
            style = pairs[(up, lo)] = st["base"] + Style(color=colors[up], bgcolor=colors[lo])
        return style

    def _cursor_style(self, st: dict, k: int) -> Style:
        """A contrasting mark on the colour of step `k`."""
        pairs = st["pairs"]
        style = pairs.get(("cursor", k))
        if style is None:
            color = st["colors"][k]
            r, g, b = color.get_truecolor()
            ink = "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"
            style = pairs[("cursor", k)] = st["base"] + Style(color=ink, bgcolor=color, bold=True)
        return style

    # -- building -------------------------------------------------------------
    render_map = AppFreeRender.render_standalone

    def draw_lines(self, width: int, height: int, base: Style, fg: Color, bg: Color, no_color: bool) -> list[Strip]:
        st = self._styles(base, fg, bg)
        rows, cols = self._matrix.shape
        title = self.title
        info = self.cursor_text()
        if not rows or not cols:
            head = f"{title}: waiting for attention" if title else "waiting for attention"
            return [strip_from_runs([(fit_text(head, width), st["bold"])])]
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
            runs: list[tuple[str, Style]] = []
            if spec is None:
                if gutter:
                    runs.append((fit_text(VGAP, gutter - 1, "right") + " ", st["muted"]))
                runs.append((fit_text(VGAP if cw == 1 else " " + VGAP, len(col_shown) * cw), st["muted"]))
            else:
                r0, r1, labelled = spec
                if gutter:
                    runs += self._row_label_runs(labelled, label_w, double, st)
                runs += self._cell_runs(index, r0, r1, col_shown, cw, no_color, st, cur_r, cur_c)
            used = sum(cell_len(t) for t, _ in runs)
            if used < width:
                runs.append((" " * (width - used), st["base"]))
            lines.append(strip_from_runs(runs).crop(0, width))
        if has_legend:  # under the map, after a blank line where there is room
            if len(lines) < height - 1:
                lines.append(Strip.blank(width, base))
            lines.append(self._legend(width, gutter, no_color, st))
        return lines[:height]

    def cursor_text_short(self) -> str:
        """The cell under the cursor in few cells, e.g. "c→e 0.81"."""
        full = self.cursor_text()
        if not full:
            return ""
        r, c = self._cursor
        return f"{self.row_labels[r]}→{self.col_labels[c]} {full.rsplit(': ', 1)[1]}"

    def _title_line(self, title: str, info: str, width: int, st: dict) -> Strip:
        if title and info and cell_len(title) + 2 + cell_len(info) > width:
            info = self.cursor_text_short()
            if cell_len(title) + 2 + cell_len(info) > width:
                title = ""
                if cell_len(info) > width:  # the value matters most: keep it
                    info = info.rsplit(" ", 1)[1]
        runs = []
        if title:
            runs.append((title, st["bold"]))
            if info:
                runs.append(("  ", st["base"]))
        if info:
            runs.append((info, st["text"]))
        used = sum(cell_len(t) for t, _ in runs)
        if used < width:
            runs.append((" " * (width - used), st["base"]))
        return strip_from_runs(runs).crop(0, width)

    def _col_label_lines(
        self, col_shown: list[int], cw: int, n_rows: int, gutter: int, width: int, st: dict
    ) -> list[Strip]:
        out = []
        cur_c = self._cursor[1]
        for k in range(n_rows):
            runs: list[tuple[str, Style]] = [(" " * gutter, st["base"])] if gutter else []
            for c in col_shown:
                if c < 0:
                    runs.append((fit_text(HGAP if k == 0 else "", cw), st["muted"]))
                    continue
                label = self.col_labels[c]
                if n_rows == 1:
                    text = fit_text(label, cw, "center")
                else:
                    chars = list(label)
                    text = fit_text(chars[k] if k < len(chars) else "", cw, "center")
                runs.append((text, st["hi"] if c == cur_c else st["muted"]))
            used = sum(cell_len(t) for t, _ in runs)
            if used < width:
                runs.append((" " * (width - used), st["base"]))
            out.append(strip_from_runs(runs).crop(0, width))
        return out

    def _row_label_runs(self, labelled: tuple[int, ...], label_w: int, double: bool, st: dict) -> list[tuple[str, Style]]:
        cur_r = self._cursor[0]
        muted, hi = st["muted"], st["hi"]
        if not double:
            if not labelled:
                return [(" " * (label_w + 1), st["base"])]
            r = labelled[0]
            return [(fit_text(self.row_labels[r], label_w, "right"), hi if r == cur_r else muted), (" ", st["base"])]
        r0, r1 = labelled
        upper = fit_text(self.row_labels[r0], label_w, "right")
        lower = fit_text(self.row_labels[r1], label_w) if r1 >= 0 else " " * label_w
        return [
            (upper, hi if r0 == cur_r else muted),
            ("/" if r1 >= 0 else " ", muted),
            (lower, hi if r1 == cur_r else muted),
            (" ", st["base"]),
        ]

    def _cell_runs(
        self,
        index: np.ndarray,
        r0: int,
        r1: int,
        col_shown: list[int],
        cw: int,
        no_color: bool,
        st: dict,
        cur_r: int,
        cur_c: int,
    ) -> list[tuple[str, Style]]:
        """The cells of one line, runs of equal style merged."""
        runs: list[tuple[str, Style]] = []
        up_row = index[r0].tolist()
        if no_color:
            text_style, hi = st["text"], st["hi"]
            chars: list[str] = []
            for c in col_shown:
                if c < 0:
                    chars.append(HGAP * cw)
                    continue
                k = up_row[c]
                ch = MASK_GLYPH if k < 0 else SHADES[(k * (len(SHADES) - 1) + (STEPS - 1) // 2) // (STEPS - 1)]
                if r0 == cur_r and c == cur_c:
                    if chars:
                        runs.append(("".join(chars), text_style))
                        chars = []
                    runs.append((ch * cw, hi))
                else:
                    chars.append(ch * cw)
            if chars:
                runs.append(("".join(chars), text_style))
            return runs
        lo_row = index[r1].tolist() if r1 >= 0 else None
        bg_i, mask_i = STEPS, STEPS + 1
        prev: Style | None = None
        text = ""
        for c in col_shown:
            if c < 0:
                style, cell = st["muted"], HGAP + " " * (cw - 1)
            else:
                up = up_row[c]
                lo = bg_i if lo_row is None else lo_row[c]
                up, lo = (mask_i if up < 0 else up), (mask_i if lo < 0 else lo)
                if cw >= 2 and c == cur_c and r0 == cur_r and r1 == cur_r:
                    # the cursor (scaled cells only): a mark on the cell's colour
                    style = self._cursor_style(st, up)
                    cell = fit_text(CURSOR_MARK, cw, "center")
                else:
                    style = self._pair_style(st, up, lo)
                    cell = UPPER * cw
            if style is prev:
                text += cell
            else:
                if text:
                    runs.append((text, prev))  # type: ignore[arg-type]
                prev, text = style, cell
        if text:
            runs.append((text, prev))  # type: ignore[arg-type]
        return runs

    def _legend(self, width: int, gutter: int, no_color: bool, st: dict) -> Strip:
        lo, hi = fmt_norm(self.vmin), fmt_norm(self.vmax)
        runs: list[tuple[str, Style]] = [(" " * gutter, st["base"])] if gutter else []
        runs.append((lo + " ", st["muted"]))
        if no_color:
            runs.append((SHADES[1:] if SHADES[0] == " " else SHADES, st["text"]))
        else:
            n = 16
            for i in range(n):
                k = round(i * (STEPS - 1) / (n - 1))
                runs.append(("█", st["fg_only"][k]))
        runs.append((" " + hi, st["muted"]))
        if self._masked.any():
            if no_color:
                runs.append((f"   {MASK_GLYPH} masked", st["muted"]))
            else:
                runs += [("   ", st["base"]), ("█", st["fg_only"][STEPS + 1]), (" masked", st["muted"])]
        used = sum(cell_len(t) for t, _ in runs)
        if used > width and gutter:  # drop the indent first
            runs = runs[1:]
            used -= gutter
        if used < width:
            runs.append((" " * (width - used), st["base"]))
        return strip_from_runs(runs).crop(0, width)
