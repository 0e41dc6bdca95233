"""DigitGrid: small greyscale pictures (e.g. MNIST test digits) with captions.

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

from typing import Sequence

import numpy as np
from rich.cells import cell_len
from rich.style import Style
from textual.color import Color
from textual.strip import Strip

from nntui.i18n import t

from .shading import SHADES, LineCacheWidget, app_no_color, fade, fit_text, strip_from_runs, widget_colors

__all__ = ["DigitGrid", "downscale", "layout_grid", "shade_chars"]

GREY_LEVELS = 32
WRONG_MARK = "✗"
WRONG_COLOR = Color(255, 95, 95)


def downscale(images: np.ndarray, factor: int) -> np.ndarray:
    """Block means of (n, h, w) images, `factor` x `factor` pixels per block, with the
    height padded (by zeros) to an even number of blocks so rows pair into half blocks."""
    images = np.asarray(images, dtype=np.float32)
    n, h, w = images.shape
    hb = -(-h // factor)
    hb += hb % 2
    wb = -(-w // factor)
    padded = np.zeros((n, hb * factor, wb * factor), dtype=np.float32)
    padded[:, :h, :w] = images
    return padded.reshape(n, hb, factor, wb, factor).mean(axis=(2, 4))


# NO_COLOR characters for a cell by (upper, lower) pixel level, each 0 (dark), 1 (mid), 2 (bright):
# half blocks keep the vertical detail of thin strokes, the shading ramp the grey levels.
_SHADE_TABLE = np.array(
    [
        [SHADES[0], "▄", "▄"],
        ["▀", SHADES[2], SHADES[3]],
        ["▀", SHADES[3], SHADES[4]],
    ]
)


def shade_chars(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """One character per (upper, lower) pixel pair, 0..255 each, for screens without colour."""
    tq = np.clip((np.asarray(top) * 3 / 256).astype(np.int64), 0, 2)
    bq = np.clip((np.asarray(bottom) * 3 / 256).astype(np.int64), 0, 2)
    return _SHADE_TABLE[tq, bq]


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


class DigitGrid(LineCacheWidget):
    """A grid of small greyscale pictures with a caption under each (see module docstring)."""

    DEFAULT_CSS = """
    DigitGrid {
        width: 1fr;
        height: 1fr;
        min-height: 3;
    }
    """

    def __init__(self, title: str | None = None, *, note: str = "", **widget_kwargs) -> None:
        super().__init__(**widget_kwargs)
        self.title = title  # None: "test digits" in the widget's language
        self.note = note  # what a caption means
        self._images = np.zeros((0, 28, 28), dtype=np.uint8)
        self._captions: list[str] = []
        self._flagged: list[bool] = []
        self._grey_styles: dict[tuple[int, int], Style] = {}
        self.shown = 0  # how many pictures the last build fitted on screen

    def show(
        self,
        images: np.ndarray,
        captions: Sequence[str],
        flagged: Sequence[bool] = (),
        title: str | None = None,
        note: str | None = None,
    ) -> None:
        """Show (n, h, w) uint8 images (0..255) with their captions; flagged ones are wrong.
        `note` says what a caption means."""
        images = np.asarray(images)
        if images.ndim == 2:
            images = images[None]
        if images.ndim != 3:
            raise ValueError(f"images must be (n, h, w), got shape {images.shape}")
        self._images = images
        self._captions = [str(c) for c in captions]
        self._flagged = [bool(f) for f in flagged]
        if title is not None:
            self.title = title
        if note is not None:
            self.note = note
        self.update_lines()

    # -- building -------------------------------------------------------------
    def _grey_style(self, top: int, bottom: int) -> Style:
        key = (top, bottom)
        style = self._grey_styles.get(key)
        if style is None:
            scale = 255 / (GREY_LEVELS - 1)
            t = round(top * scale)
            b = round(bottom * scale)
            if top == bottom:
                style = Style(bgcolor=Color(b, b, b).rich_color)
            else:
                style = Style(color=Color(t, t, t).rich_color, bgcolor=Color(b, b, b).rich_color)
            self._grey_styles[key] = style
        return style

    def build_lines(self, width: int, height: int) -> list[Strip]:
        base, fg, bg = widget_colors(self)
        return self.render_grid(width, height, base, fg, bg, app_no_color(self))

    def render_grid(self, width: int, height: int, base: Style, fg: Color, bg: Color, no_color: bool) -> list[Strip]:
        images = self._images
        n = len(images)
        muted = base + Style(color=fade(fg, bg, 0.35).rich_color)
        bold = base + Style(color=fg.rich_color, bold=True)
        wrong = base + Style(color=WRONG_COLOR.rich_color, bold=True)
        lines: list[Strip] = []

        title = self.title if self.title is not None else t("digits_title", self.lang)
        if n == 0:
            self.shown = 0
            lines.append(strip_from_runs([(fit_text(f"{title}{t('colon', self.lang)}{t('waiting_images', self.lang)}", width), bold)]))
            return lines

        scale, cols, rows, cell_cols, cell_rows = layout_grid(n, *images.shape[1:], width, height)
        shown = min(n, cols * rows)
        self.shown = shown
        flagged = (self._flagged + [False] * n)[:n]
        lines.append(self._title_line(title, n, shown, flagged, width, (bold, muted, base)))
        if shown == 0:
            return lines

        small = downscale(images[:shown], scale)  # (k, 2*cell_rows, cell_cols)
        top = small[:, 0::2, :cell_cols]
        bottom = small[:, 1::2, :cell_cols]
        if no_color:
            chars = shade_chars(top, bottom)
        else:
            q = (GREY_LEVELS - 1) / 255
            tq = np.clip(np.rint(top * q), 0, GREY_LEVELS - 1).astype(np.int64)
            bq = np.clip(np.rint(bottom * q), 0, GREY_LEVELS - 1).astype(np.int64)
            codes = tq * GREY_LEVELS + bq

        for tile_row in range(-(-shown // cols)):
            members = list(range(tile_row * cols, min(shown, (tile_row + 1) * cols)))
            for r in range(cell_rows):
                runs: list[tuple[str, Style]] = []
                for j, k in enumerate(members):
                    if j:
                        runs.append((" ", base))
                    if no_color:
                        runs.append(("".join(chars[k, r]), base))
                    else:
                        row = codes[k, r]
                        cuts = np.flatnonzero(row[1:] != row[:-1]) + 1
                        start = 0
                        for cut in [*cuts.tolist(), cell_cols]:
                            upper, lower = divmod(int(row[start]), GREY_LEVELS)
                            char = "▀" if upper != lower else " "  # equal halves: just the background
                            runs.append((char * (cut - start), self._grey_style(upper, lower)))
                            start = cut
                runs.append((" " * (width - (len(members) * (cell_cols + 1) - 1)), base))
                lines.append(strip_from_runs(runs).crop(0, width))
            # Caption line.
            runs = []
            for j, k in enumerate(members):
                if j:
                    runs.append((" ", base))
                caption = self._captions[k] if k < len(self._captions) else ""
                if flagged[k]:
                    caption = f"{WRONG_MARK}{caption}"
                caption = fit_text(caption, cell_cols, "center")
                runs.append((caption, wrong if flagged[k] else muted))
            runs.append((" " * (width - (len(members) * (cell_cols + 1) - 1)), base))
            lines.append(strip_from_runs(runs).crop(0, width))
        return lines[:height]

    def _title_line(
        self, title: str, n: int, shown: int, flagged: list[bool], width: int, styles: tuple[Style, Style, Style]
    ) -> Strip:
        """"test digits: 3/24 right +18 · true→predicted, ✗ wrong": the count of what did not fit
        is never cut; where it is narrow the note, then the title, give way."""
        count = t("digits_right", self.lang).format(k=n - sum(flagged), n=n) if self._flagged else f"{n}"
        more = f" +{n - shown}" if shown < n else ""
        note = f" · {self.note}" if self.note else ""
        titled = f"{title}{t('colon', self.lang)}{count}{more}"
        for head, tail in ((titled, note), (f"{count}{more}", note), (titled, ""), (f"{count}{more}", "")):
            if cell_len(head + tail) <= width:
                break
        bold, muted, base = styles
        runs = [(head, bold), (tail, muted)]
        used = cell_len(head + tail)
        if used < width:
            runs.append((" " * (width - used), base))
        return strip_from_runs(runs).crop(0, width)
