"""The heatmaps' palette and pure helpers, shared by `Heatmap` and `HeatmapGrid`.

Values map to 32 steps of a viridis-like ramp (`palette_index`). In colour one
text line holds two matrix rows: an upper half block "▀" whose foreground is the
upper row's colour and background the lower row's. With NO_COLOR a line holds
one matrix row and the step becomes shading " ░▒▓█". `HeatmapStyles` holds the
Rich styles of one theme, built once and shared by every heatmap on screen.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from rich.cells import cell_len
from rich.style import Style
from textual.color import Color
from textual.strip import Strip

from .numbers import fmt_norm
from .shading import SHADES, fade, fit_text, merge_runs, strip_of_width

STEPS = 32
MASK_GLYPH = "·"
HGAP = "…"
VGAP = "⋮"
UPPER = "▀"
CURSOR_MARK = "◆"
LEGEND_BLOCKS = 16
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

Runs = list[tuple[str, Style]]


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


def shade_of(step: int) -> str:
    """The NO_COLOR character of a palette step (-1: the mask glyph)."""
    if step < 0:
        return MASK_GLYPH
    return SHADES[(step * (len(SHADES) - 1) + (STEPS - 1) // 2) // (STEPS - 1)]


@lru_cache(maxsize=8)
def heatmap_styles(base: Style, fg: Color, bg: Color) -> HeatmapStyles:
    """The styles for one theme; every heatmap with these colours shares them."""
    return HeatmapStyles(base, fg, bg)


class HeatmapStyles:
    """The Rich styles of the heatmaps for one (base, fg, bg) theme.

    Colour slots: 0..STEPS-1 the ramp, BACKGROUND below an odd last row, MASKED a
    dim grey. Half-block pairs are made on first use and kept, so a repaint never
    builds a Style.
    """

    BACKGROUND = STEPS
    MASKED = STEPS + 1

    def __init__(self, base: Style, fg: Color, bg: Color) -> None:
        ramp = [ramp_color(i / (STEPS - 1)).rich_color for i in range(STEPS)]
        self.colors = ramp + [bg.rich_color, fade(fg, bg, 0.78).rich_color]
        self.base = base
        self.fg_only = [base + Style(color=c) for c in self.colors]
        self.muted = base + Style(color=fade(fg, bg, 0.45).rich_color)
        self.text = base + Style(color=fg.rich_color)
        self.bold = base + Style(color=fg.rich_color, bold=True)
        self.hi = base + Style(color=fg.rich_color, bold=True, reverse=True)
        self._pairs: dict[tuple[int, int], Style] = {}
        self._cursors: dict[int, Style] = {}

    def pair(self, up: int, lo: int) -> Style:
        """A half block: the upper row's colour on the lower row's."""
        style = self._pairs.get((up, lo))
        if style is None:
            style = self._pairs[(up, lo)] = self.base + Style(color=self.colors[up], bgcolor=self.colors[lo])
        return style

    def cursor(self, k: int) -> Style:
        """A contrasting mark on the colour of step `k`."""
        style = self._cursors.get(k)
        if style is None:
            color = self.colors[k]
            r, g, b = color.get_truecolor()
            ink = "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"
            style = self._cursors[k] = self.base + Style(color=ink, bgcolor=color, bold=True)
        return style

    def line(self, runs: Runs, width: int) -> Strip:
        """A strip of exactly `width` cells from `runs` (padded with the base style, or cut)."""
        return strip_of_width(runs, width, self.base)

    def cell_runs(
        self,
        index: np.ndarray,
        r0: int,
        r1: int,
        col_shown: list[int],
        cw: int,
        no_color: bool,
        cur_r: int = -1,
        cur_c: int = -1,
    ) -> Runs:
        """The cells of one line (matrix rows r0 and r1, r1 -1: none), runs of equal style merged.

        `index` holds palette steps, -1 where masked; -1 in `col_shown` is a gap.
        """
        if no_color:
            return self._shade_runs(index[r0].tolist(), r0 == cur_r, col_shown, cw, cur_c)
        up_row = index[r0].tolist()
        lo_row = index[r1].tolist() if r1 >= 0 else None

        def cells():
            for c in col_shown:
                if c < 0:
                    yield HGAP + " " * (cw - 1), self.muted
                    continue
                up = up_row[c]
                lo = self.BACKGROUND if lo_row is None else lo_row[c]
                up, lo = (self.MASKED if up < 0 else up), (self.MASKED if lo < 0 else lo)
                if cw >= 2 and c == cur_c and r0 == cur_r and r1 == cur_r:
                    # the cursor (scaled cells only): a mark on the cell's colour
                    yield fit_text(CURSOR_MARK, cw, "center"), self.cursor(up)
                else:
                    yield UPPER * cw, self.pair(up, lo)

        return merge_runs(cells())

    def _shade_runs(self, row: list[int], on_cursor_row: bool, col_shown: list[int], cw: int, cur_c: int) -> Runs:
        runs: Runs = []
        chars: list[str] = []
        for c in col_shown:
            if c < 0:
                chars.append(HGAP * cw)
                continue
            ch = shade_of(row[c]) * cw
            if on_cursor_row and c == cur_c:
                if chars:
                    runs.append(("".join(chars), self.text))
                    chars = []
                runs.append((ch, self.hi))
            else:
                chars.append(ch)
        if chars:
            runs.append(("".join(chars), self.text))
        return runs

    def legend(
        self,
        width: int,
        vmin: float,
        vmax: float,
        *,
        masked: bool,
        no_color: bool,
        indent: int = 0,
        masked_label: str = "masked",
    ) -> Strip:
        """"lo ███ hi" with the ramp between (and the mask's swatch, named `masked_label`, when `masked`)."""
        runs: Runs = [(" " * indent, self.base)] if indent else []
        runs.append((fmt_norm(vmin) + " ", self.muted))
        if no_color:
            runs.append((SHADES[1:] if SHADES[0] == " " else SHADES, self.text))
        else:
            for i in range(LEGEND_BLOCKS):
                runs.append(("█", self.fg_only[round(i * (STEPS - 1) / (LEGEND_BLOCKS - 1))]))
        runs.append((" " + fmt_norm(vmax), self.muted))
        if masked:
            if no_color:
                runs.append((f"   {MASK_GLYPH} {masked_label}", self.muted))
            else:
                runs += [("   ", self.base), ("█", self.fg_only[self.MASKED]), (f" {masked_label}", self.muted)]
        if indent and sum(cell_len(t) for t, _ in runs) > width:  # drop the indent first
            runs = runs[1:]
        return self.line(runs, width)
