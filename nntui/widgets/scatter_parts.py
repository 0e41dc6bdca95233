"""The scatter's pieces that hold no widget state: glyphs, the field's shades, styles, layout.

`confidence` and `shade_ids` turn the model's class probabilities into the field's shades;
`ScatterStyles` caches the Rich styles of one theme; `Layout` places the square plot and its
legend in the space the widget is given.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from rich.style import Style
from textual.color import Color
from textual.strip import Strip

from .colours import CLASS_COLOURS
from .shading import fade, parse_color, strip_of_width

FILLED = "●▲■◆★✚"
HOLLOW = "○△□◇☆✛"
FILLS = "·░▒▓:≡"  # NO_COLOR: the field's fill per class
UPPER = "▀"
CURSOR = "+"
LEVELS = 6  # shades of a class's colour, unsure to confident
FAINT, STRONG = 0.12, 0.62  # how far a shade goes from the background towards its class colour
UNSURE = 0.25  # NO_COLOR: below this confidence (0 = all classes alike, 1 = certain) the cell is blank
BAR = "▏▎▍▌▋▊▉█"
BAR_CELLS = 10  # the longest probability bar in the legend
MIN_PLOT = 8  # columns: a plot narrower than this is not worth drawing beside a legend

Runs = list[tuple[str, Style]]


def confidence(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the likeliest class, how sure: 0 when every class is alike, 1 when one has it all)."""
    classes = probs.shape[-1]
    best = probs.argmax(axis=-1)
    if classes < 2:
        return best, np.ones(best.shape)
    top = np.take_along_axis(probs, best[..., None], axis=-1)[..., 0]
    sure = np.clip((top - 1.0 / classes) / (1.0 - 1.0 / classes), 0.0, 1.0)
    return best, np.nan_to_num(sure, nan=0.0)  # a diverged model's NaN field: unsure everywhere


def shade_ids(probs: np.ndarray) -> np.ndarray:
    """Each sample's shade: colour * LEVELS + level (level 0 unsure .. LEVELS - 1 confident); classes
    past the palette's colours take them again from the first."""
    best, sure = confidence(probs)
    level = np.minimum((sure * LEVELS).astype(np.int64), LEVELS - 1)
    return best % len(CLASS_COLOURS) * LEVELS + level


def tick(value: float) -> str:
    return f"{value:g}"


class ScatterStyles:
    """The Rich styles for one theme: class colours, their shades, the pairs of half blocks."""

    def __init__(self, base: Style, fg: Color, bg: Color) -> None:
        self.base = base
        self.classes = [parse_color(c) for c in CLASS_COLOURS]
        self.shades = [
            bg.blend(colour, FAINT + (STRONG - FAINT) * level / (LEVELS - 1)).rich_color
            for colour in self.classes for level in range(LEVELS)
        ]
        self.text = base + Style(color=fg.rich_color)
        self.bold = base + Style(color=fg.rich_color, bold=True)
        self.muted = base + Style(color=fade(fg, bg, 0.45).rich_color)
        self.ink = [base + Style(color=c.rich_color, bold=True) for c in self.classes]
        self._pairs: dict[int, Style] = {}
        self._points: dict[tuple[int, int], Style] = {}
        self._cursor: dict[int, Style] = {}

    def pair(self, up: int, lo: int) -> Style:
        key = up * 1024 + lo
        style = self._pairs.get(key)
        if style is None:
            style = self._pairs[key] = self.base + Style(color=self.shades[up], bgcolor=self.shades[lo])
        return style

    def point(self, cls: int, shade: int) -> Style:
        """A point of class `cls` over a field sample of shade `shade`: light ink on the shade."""
        key = (cls, shade)
        style = self._points.get(key)
        if style is None:
            ink = self.classes[cls % len(self.classes)].blend(Color(255, 255, 255), 0.25)
            style = self._points[key] = self.base + Style(color=ink.rich_color, bgcolor=self.shades[shade], bold=True)
        return style

    def cursor(self, shade: int, focused: bool) -> Style:
        key = shade * 2 + focused
        style = self._cursor.get(key)
        if style is None:
            ink = "#ffffff" if focused else "#d0d0d0"
            style = self._cursor[key] = self.base + Style(color=ink, bgcolor=self.shades[shade], bold=True)
        return style

    def line(self, runs: Runs, width: int) -> Strip:
        """A strip of exactly `width` cells from `runs` (padded with the base style, or cut)."""
        return strip_of_width(runs, width, self.base)


@lru_cache(maxsize=8)
def scatter_styles(base: Style, fg: Color, bg: Color) -> ScatterStyles:
    return ScatterStyles(base, fg, bg)


class Layout:
    """Where things go: the plot (square, `plot_w` columns by `plot_h` lines, left of `gutter`
    cells of y labels) and the legend: "side" (beside the plot), "below" (one item a line under
    it) or "line" (one line under it)."""

    def __init__(self, width: int, height: int, classes: int, gutter: int, legend_w: int) -> None:
        items = classes + 2  # the cursor's x and y, the classes, train/test
        side_w = min(width - gutter - 1 - legend_w, 2 * (height - 2))
        below_h = height - 2 - items
        below_w = min(width - gutter, 2 * below_h)
        line_w = min(width - gutter, 2 * (height - 3))
        if max(side_w, below_w) >= max(MIN_PLOT, 0.7 * line_w):
            self.legend = "side" if side_w >= below_w else "below"
            self.plot_w = max(side_w, below_w)
        else:
            self.legend, self.plot_w = "line", max(line_w, 0)
        rows = height - 2 - (items if self.legend == "below" else 1 if self.legend == "line" else 0)
        self.plot_h = max(0, min(rows, (self.plot_w + 1) // 2))
        self.gutter = gutter


def bar(p: float, width: int) -> str:
    """p in [0, 1] as a bar of `width` cells, in eighths."""
    if width <= 0 or not math.isfinite(p):
        return ""
    eighths = int(round(min(max(p, 0.0), 1.0) * width * 8))
    full, part = divmod(eighths, 8)
    return "█" * full + (BAR[part - 1] if part else "")
