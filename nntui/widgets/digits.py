"""DigitGrid: small greyscale pictures (e.g. MNIST test digits) with captions: an ImagePanel
(images.py) with the digit grid's own scales and a count of right answers in its title.

In colour each cell is a half block "▀": the upper pixel is the foreground grey,
the lower pixel the background grey, so a 28x28 digit halved to 14x14 takes
14 columns x 7 rows (or 28 x 14 at full size when everything fits). With
NO_COLOR each cell is one shading character for its two pixels: a half
block "▀"/"▄" where one is bright and the other dark (thin strokes keep their
shape), else the ramp " ▒▓█" by brightness. Wrong (flagged) pictures get a "✗" before their
caption, shown in red where there is colour.

The top line says how many are right, "+N" for the pictures that did not fit (never
left out silently) and, where there is room, what a caption means (`note`, e.g.
"true→predicted, ✗ wrong"). Its own words follow `lang` ("en" or "zh").
"""

from __future__ import annotations

from rich.style import Style
from textual.color import Color
from textual.strip import Strip

from nntui.i18n import t

from .images import ImageLayout, ImagePanel, shade_chars

__all__ = ["DigitGrid", "layout_grid"]


def layout_grid(n: int, h: int, w: int, width: int, height: int) -> tuple[int, int, int, int, int]:
    """Choose (scale, columns, rows, cell_cols, cell_rows) for n pictures of h x w pixels.

    Full size (scale 1) if every picture fits, else halved (scale 2), else quartered
    when not even one halved picture fits. Each tile is the picture plus a caption
    line, and one blank column between tiles; the first line is the title.
    """
    avail = max(0, height - 1)
    best = None
    for scale in (1, 2, 4):
        cell_cols = -(-w // scale)
        hb = -(-h // scale)
        cell_rows = (hb + hb % 2) // 2
        cols = (width + 1) // (cell_cols + 1)
        rows = avail // (cell_rows + 1)
        fits = cols * rows
        option = (scale, cols, rows, cell_cols, cell_rows)
        if fits >= n:
            return option
        if scale == 2 and fits > 0:
            return option
        if best is None or fits > best[1] * best[2]:
            best = option
    return best


class DigitGrid(ImagePanel):
    """A grid of small greyscale pictures with a caption under each (see the module docstring)."""

    DEFAULT_CSS = """
    DigitGrid {
        width: 1fr;
        height: 1fr;
        min-height: 3;
    }
    """

    shade = staticmethod(shade_chars)  # NO_COLOR: thin strokes as half blocks, three levels

    def default_title(self) -> str:
        return t("digits_title", self.lang)

    def count_text(self, n: int, flagged: list[bool]) -> str:
        return super().count_text(n, flagged) or f"{n}"

    def choose_layout(self, shapes: list[tuple[int, int]], width: int, height: int) -> ImageLayout:
        """Full size, halved or quartered (layout_grid); `height` is below the title line."""
        h, w = max(s[0] for s in shapes), max(s[1] for s in shapes)
        scale, cols, rows, cell_cols, cell_rows = layout_grid(len(shapes), h, w, width, height + 1)
        sizes = [(-(-ph // scale), -(-pw // scale)) for ph, pw in shapes]
        return ImageLayout(sizes, cols, rows, cell_cols, cell_rows)

    def render_grid(self, width: int, height: int, base: Style, fg: Color, bg: Color, no_color: bool) -> list[Strip]:
        return self.render_standalone(width, height, base=base, foreground=fg, background=bg, no_color=no_color)
