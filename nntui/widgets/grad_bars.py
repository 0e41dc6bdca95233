"""GradBars: the current step's gradient norm per layer, one horizontal bar each.

Bars run on a log10 scale over a fixed range (1e-8 .. 1e4, widened when a value
falls outside it), input side at the top, so the decay through depth reads as
bars shrinking towards the top. The vanishing and exploding zones of the scale
are tinted like the bands of `GradTraces` (with NO_COLOR: a sparse "·" fill),
each bar's value is printed, and a value inside a zone gets a mark: "↓"
(vanishing) or "↑" (exploding), in the zone's colour where there is colour.

No layer is ever left out silently: when the height is short of one row per layer the
scale under the bars goes first, then the middle layers give way to one row that says
how many are hidden and which ("⋮ +3 L4–L6"), the first and last layers always shown.
Its own words follow `lang` ("en" or "zh").

Also home to what the gradient widgets share: the depth colour ramp (input side
cool, output side warm), the zone colours and the short number format.
"""

from __future__ import annotations

import math
import re
from typing import Sequence

import numpy as np
from rich.cells import cell_len
from rich.style import Style
from textual.color import Color
from textual.strip import Strip

from nntui.i18n import t

from .numbers import fmt_norm, threshold_label
from .shading import AppFreeRender, LineCacheWidget, fade, fit_text, parse_color, strip_from_runs

__all__ = [
    "EXPLODING_COLOR",
    "GradBars",
    "VANISHING_COLOR",
    "bar_eighths",
    "bar_range",
    "band_flags",
    "depth_colors",
    "pick_rows",
    "hidden_marker",
    "short_name",
]

VANISHING_COLOR = "#4f8fff"
EXPLODING_COLOR = "#ff4f4f"
VANISHING_MARK = "↓"
EXPLODING_MARK = "↑"
# Background tint of a zone (as the chart's bands) and, with NO_COLOR, its fill.
ZONE_TINT = 0.8
ZONE_FILL = "·"
EIGHTHS = " ▏▎▍▌▋▊▉█"

# Input side (cool) to output side (warm); depth_colors interpolates between these.
_RAMP = [(70, 110, 255), (40, 190, 230), (70, 210, 110), (225, 215, 60), (255, 150, 50), (255, 80, 80)]


def depth_colors(n: int) -> list[str]:
    """`n` hex colours from cool (input side, first) to warm (output side, last)."""
    if n <= 0:
        return []
    out = []
    for i in range(n):
        t = i / (n - 1) if n > 1 else 1.0
        pos = t * (len(_RAMP) - 1)
        k = min(int(pos), len(_RAMP) - 2)
        f = pos - k
        a, b = _RAMP[k], _RAMP[k + 1]
        r, g, bl = (round(a[j] + (b[j] - a[j]) * f) for j in range(3))
        out.append(f"#{r:02x}{g:02x}{bl:02x}")
    return out


def band_flags(values: Sequence[float], vanishing: float, exploding: float) -> list[int]:
    """Per value: -1 below `vanishing` (zero included), +1 above `exploding` (inf included),
    0 otherwise (NaN included: it is neither)."""
    out = []
    for v in values:
        v = float(v)
        if v < vanishing:
            out.append(-1)
        elif v > exploding:
            out.append(1)
        else:
            out.append(0)
    return out


def bar_range(values: Sequence[float], lo: float = 1e-8, hi: float = 1e4) -> tuple[int, int]:
    """The scale as whole powers of ten (lo_exp, hi_exp): [lo, hi] widened to hold every
    finite positive value."""
    lo_e = math.floor(math.log10(lo))
    hi_e = math.ceil(math.log10(hi))
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size:
        lv = np.log10(v)
        lo_e = min(lo_e, math.floor(float(lv.min())))
        hi_e = max(hi_e, math.ceil(float(lv.max())))
    if hi_e <= lo_e:
        hi_e = lo_e + 1
    return lo_e, hi_e


def bar_eighths(values: Sequence[float], lo_exp: float, hi_exp: float, width: int) -> np.ndarray:
    """Each bar's length in eighths of a cell for `width` cells on a log10 scale from
    10**lo_exp (empty) to 10**hi_exp (full). Zero, negative and NaN: 0; +inf: full;
    any other positive value: at least one eighth, so it never looks absent."""
    v = np.asarray(values, dtype=np.float64).ravel()
    full = 8 * max(0, int(width))
    out = np.zeros(v.size, dtype=np.int64)
    pos = np.isfinite(v) & (v > 0)
    if pos.any():
        f = (np.log10(v[pos]) - lo_exp) / (hi_exp - lo_exp)
        out[pos] = np.clip(np.rint(f * full), 1 if full else 0, full).astype(np.int64)
    out[np.isposinf(v)] = full
    return out


def pick_rows(n: int, rows: int) -> list[int]:
    """Which of `n` layers get a row of their own in `rows` rows: all when they fit, else
    the first ones and the last ones, one row left for the marker of the hidden middle
    (the input side gets the extra row when the split is uneven)."""
    if rows <= 0 or n <= 0:
        return []
    if n <= rows:
        return list(range(n))
    keep = rows - 1
    head = (keep + 1) // 2
    return [*range(head), *range(n - (keep - head), n)]


def hidden_marker(names: Sequence[str], width: int) -> str:
    """The row standing for hidden layers: "⋮ +3 L4–L6" (their count, first and last name), in `width` cells."""
    if not names:
        return ""
    count = f"⋮ +{len(names)}"
    first, last = short_name(names[0], 6), short_name(names[-1], 6)
    which = first if len(names) == 1 else f"{first}–{last}"
    text = f"{count} {which}"
    return text if cell_len(text) <= width else count if cell_len(count) <= width else f"+{len(names)}"


_NUMBERED = re.compile(r"^([^\W\d_])[^\W\d_]*[\s_.-]*(\d+)$")


def short_name(name: str, width: int) -> str:
    """`name` in at most `width` cells: as it is if it fits, "layer 12" as "L12", else cut with "…"."""
    if cell_len(name) <= width:
        return name
    m = _NUMBERED.match(name.strip())
    if m and len(m.group(1)) + len(m.group(2)) <= width:
        return m.group(1).upper() + m.group(2)
    return fit_text(name, width).rstrip()


class GradBars(AppFreeRender, LineCacheWidget):
    """The current gradient norm per layer as horizontal log-scale bars (see the module docstring)."""

    DEFAULT_CSS = """
    GradBars {
        width: 1fr;
        height: 1fr;
        min-height: 3;
    }
    """

    def __init__(self, title: str | None = None, *, lo: float = 1e-8, hi: float = 1e4, **widget_kwargs) -> None:
        super().__init__(**widget_kwargs)
        self.title = title  # None: "norm now" in the widget's language
        self.lo = lo
        self.hi = hi
        self.vanishing = 1e-5
        self.exploding = 1e2
        self._layers: list[str] = []
        self._values: list[float] = []
        self._style_key: tuple | None = None
        self.shown: list[int] = []  # which layers the last build showed

    def show(
        self,
        layers: Sequence[str],
        values: Sequence[float],
        *,
        vanishing: float = 1e-5,
        exploding: float = 1e2,
        title: str | None = None,
    ) -> None:
        """Show one bar per layer (input side first); values inside a zone are marked."""
        self._layers = [str(name) for name in layers]
        self._values = [float(v) for v in values][: len(self._layers)]
        self._values += [math.nan] * (len(self._layers) - len(self._values))
        self.vanishing, self.exploding = float(vanishing), float(exploding)
        if title is not None:
            self.title = title
        self.update_lines()

    # -- building -------------------------------------------------------------
    def _styles(self, base: Style, fg: Color, bg: Color, n: int) -> dict:
        key = (base, fg, bg, n)
        if key != self._style_key:
            zones = {}
            for z, color in ((-1, VANISHING_COLOR), (1, EXPLODING_COLOR)):
                c = parse_color(color)
                tint = Style(bgcolor=fade(c, bg, ZONE_TINT).rich_color)
                zones[z] = {
                    "tint": tint,
                    "fill": base + Style(color=fade(fg, bg, 0.5).rich_color) + tint,
                    "mark": base + Style(color=c.rich_color, bold=True),
                }
            self._cached = {
                "bars": [base + Style(color=parse_color(c).rich_color) for c in depth_colors(n)],
                "muted": base + Style(color=fade(fg, bg, 0.45).rich_color),
                "text": base + Style(color=fg.rich_color),
                "bold": base + Style(color=fg.rich_color, bold=True),
                "zones": zones,
                "base": base,
            }
            self._style_key = key
        return self._cached

    render_bars = AppFreeRender.render_standalone

    def draw_lines(self, width: int, height: int, base: Style, fg: Color, bg: Color, no_color: bool) -> list[Strip]:
        n = len(self._layers)
        st = self._styles(base, fg, bg, n)

        has_title = height >= 2 or not n
        # The scale under the bars goes before any layer does.
        has_axis = height >= 4 and height - has_title - 1 >= n
        rows = height - has_title - has_axis
        shown = pick_rows(n, rows)
        self.shown = shown
        lines: list[Strip] = []
        if has_title:
            title = self.title if self.title is not None else t("norm_now", self.lang)
            title = title if n else f"{title}{t('colon', self.lang)}{t('waiting_grads', self.lang)}"
            lines.append(strip_from_runs([(fit_text(title, width), st["bold"])]))
        if not n:
            return lines
        hidden = sorted(set(range(n)) - set(shown))  # one run of middle layers (pick_rows)
        if not shown:  # a single row: the marker alone
            return lines + [self._marker_line(hidden, 0, width, st)]
        gap_after = hidden[0] - 1 if hidden else None

        values = np.asarray(self._values, dtype=np.float64)
        flags = band_flags(values, self.vanishing, self.exploding)
        lo_e, hi_e = bar_range(values, self.lo, self.hi)
        name_w = min(max(cell_len(self._layers[i]) for i in shown), 12, max(1, width // 3))
        texts = [fmt_norm(v) for v in values]
        value_w = max(len(texts[i]) for i in shown) + 1  # the value, then the mark
        bar_w = width - name_w - 1 - 1 - value_w
        if bar_w < 3:  # too narrow for bars: names and values only
            bar_w = 0
        eighths = bar_eighths(values, lo_e, hi_e, bar_w)
        zone_of_col = self._zone_columns(lo_e, hi_e, bar_w)

        for i in shown:
            name = fit_text(short_name(self._layers[i], name_w), name_w, "right")
            runs: list[tuple[str, Style]] = [(name + " ", st["muted"])]
            if bar_w:
                runs += self._bar_runs(int(eighths[i]), bar_w, zone_of_col, st["bars"][i], st, no_color)
                runs.append((" ", st["base"]))
            flag = flags[i]
            mark = {-1: VANISHING_MARK, 1: EXPLODING_MARK}.get(flag, " ")
            text = texts[i].rjust(value_w - 1)
            runs.append((text, st["zones"][flag]["mark"] if flag else st["text"]))
            runs.append((mark, st["zones"][flag]["mark"] if flag else st["base"]))
            used = sum(cell_len(t) for t, _ in runs)
            if used < width:
                runs.append((" " * (width - used), st["base"]))
            lines.append(strip_from_runs(runs).crop(0, width))
            if i == gap_after:
                lines.append(self._marker_line(hidden, name_w, width, st))
        if has_axis:
            lines += [Strip.blank(width, base)] * (height - 1 - len(lines))
            lines.append(self._axis(lo_e, hi_e, name_w, bar_w, width, st["muted"]))
        return lines[:height]

    def _marker_line(self, hidden: list[int], name_w: int, width: int, st: dict) -> Strip:
        """The hidden layers' row, its "⋮" in the names' column where there is room."""
        text = hidden_marker([self._layers[i] for i in hidden], width)
        indent = max(0, name_w - 1)
        if indent and cell_len(text) + indent <= width:
            text = " " * indent + text
        return strip_from_runs([(fit_text(text, width), st["muted"])])

    def _zone_columns(self, lo_e: float, hi_e: float, bar_w: int) -> np.ndarray:
        """Per bar cell: -1 in the vanishing zone, +1 in the exploding zone, else 0."""
        if bar_w <= 0:
            return np.zeros(0, dtype=np.int64)
        mid = lo_e + (np.arange(bar_w) + 0.5) / bar_w * (hi_e - lo_e)  # log10 at each cell's middle
        zone = np.zeros(bar_w, dtype=np.int64)
        if self.vanishing > 0:
            zone[mid < math.log10(self.vanishing)] = -1
        if self.exploding > 0:
            zone[mid > math.log10(self.exploding)] = 1
        return zone

    @staticmethod
    def _bar_runs(
        eighths: int, bar_w: int, zone_of_col: np.ndarray, bar_style: Style, st: dict, no_color: bool
    ) -> list[tuple[str, Style]]:
        """The bar cells: full blocks, a partial block, then the empty rest with the zone tints."""
        full, part = divmod(eighths, 8)
        runs: list[tuple[str, Style]] = []
        if full:
            runs.append(("█" * full, bar_style))
        col = full
        if part and col < bar_w:
            zone = int(zone_of_col[col])
            style = bar_style + st["zones"][zone]["tint"] if zone else bar_style
            runs.append((EIGHTHS[part], style))
            col += 1
        while col < bar_w:
            zone = int(zone_of_col[col])
            end = col
            while end < bar_w and zone_of_col[end] == zone:
                end += 1
            if zone:
                if no_color:
                    text = ZONE_FILL * (end - col)
                else:
                    text = " " * (end - col)
                runs.append((text, st["zones"][zone]["fill"]))
            else:
                runs.append((" " * (end - col), st["base"]))
            col = end
        return runs

    def _axis(self, lo_e: int, hi_e: int, name_w: int, bar_w: int, width: int, muted: Style) -> Strip:
        """Powers of ten under the bars: the thresholds (the zone edges), the ends and 1, where they fit."""
        if not bar_w:
            return Strip.blank(width, muted)
        cells = [" "] * bar_w
        taken = [False] * bar_w
        wanted = [math.log10(v) for v in (self.vanishing, self.exploding) if v > 0] + [lo_e, hi_e, 0.0]
        for e in wanted:
            if not lo_e <= e <= hi_e:
                continue
            label = threshold_label(10.0**e)
            col = int(round((e - lo_e) / (hi_e - lo_e) * bar_w))
            start = min(max(col - len(label) // 2, 0), bar_w - len(label))
            if start < 0:
                continue
            span = range(max(0, start - 2), min(bar_w, start + len(label) + 2))
            if any(taken[c] for c in span):
                continue
            cells[start : start + len(label)] = list(label)
            for c in range(start, start + len(label)):
                taken[c] = True
        text = " " * (name_w + 1) + "".join(cells)
        return strip_from_runs([(fit_text(text, width), muted)])
