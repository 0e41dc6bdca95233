"""ImagePanel: pictures of any size, greyscale or RGB, side by side with a caption under each.

Each picture is an (h, w) greyscale or (h, w, 3) RGB array, in 0..255 (integers) or 0..1
(floats). All are drawn at one scale, the largest at which every one fits (up to `max_zoom`
cells per pixel for tiny ones), keeping their proportions: a text cell is one pixel wide and
two high, the upper pixel an upper half block "▀" (its foreground), the lower one its background.
Shrinking takes the mean of the pixels a cell covers; enlarging repeats them. Colours are
truecolor, 32 levels a channel (Rich brings them down to 256 colours on terminals without
truecolor). With NO_COLOR a cell is one shading character for its two pixels' brightness:
a half block "▀"/"▄" where one is bright and the other dark (edges keep their shape), else
the ramp " ░▒▓█" by their mean (the digit grid keeps its coarser " ▒▓█", shade_chars).

Where not all fit at a readable size (`MIN_CELLS` across), as many as fit are drawn and the
title line counts the rest, "+N": nothing is left out silently. Flagged pictures get "✗" before
their caption (red where there is colour). The title line also carries `note` where there is
room; the digit grid (digits.py) is this panel with its own scales and a count of right answers.
Its own words follow `lang` ("en" or "zh").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from rich.cells import cell_len
from rich.color import Color as RichColor
from rich.color import ColorType
from rich.color_triplet import ColorTriplet
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.strip import Strip

from nntui.i18n import t
from nntui.spec.events import to_pixels

from .shading import SHADES, AppFreeRender, LineCacheWidget, fade, fit_text, strip_from_runs

__all__ = [
    "ImagePanel", "ImageLayout", "as_pixels", "resample", "fit_layout", "shade_cells", "shade_chars", "GREY_LEVELS",
    "WRONG_MARK",
]

GREY_LEVELS = 32  # levels a channel: 32 greys, 32**3 colours
WRONG_MARK = "✗"
WRONG_COLOR = Color(255, 95, 95)
MAX_ZOOM = 4  # a tiny picture is enlarged at most this many cells a pixel
MIN_CELLS = 8  # below this many cells across a picture is too small to read: show fewer, count the rest
_STYLE_CACHE_MAX = 200_000  # (upper, lower) colour pairs kept between frames

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


def shade_cells(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """One character per (upper, lower) pixel pair, 0..255 each, for screens without colour, with
    more grey levels than shade_chars: a half block where one pixel is bright (2/3 up) and the
    other dark (1/3 down), else the five shades " ░▒▓█" by the pair's mean."""
    top, bottom = np.asarray(top, dtype=np.float32), np.asarray(bottom, dtype=np.float32)
    ramp = np.array(list(SHADES))[np.clip(np.rint((top + bottom) * (4 / 510)).astype(np.int64), 0, 4)]
    ramp[(top >= 170) & (bottom < 85)] = "▀"
    ramp[(bottom >= 170) & (top < 85)] = "▄"
    return ramp


def as_pixels(image: np.ndarray) -> np.ndarray:
    """One picture as (h, w) or (h, w, 3) float32 in 0..255, from integers in 0..255 or floats in
    0..1 (events.to_pixels: clipped, NaN black, one channel or alpha dropped)."""
    a = to_pixels(image)
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] != 3):
        raise ValueError(f"an image must be (h, w) or (h, w, 3), got shape {np.shape(image)}")
    return a.astype(np.float32)


def _bins(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    i = np.arange(n_out + 1, dtype=np.int64) * n_in // n_out
    starts = i[:-1]
    return starts, np.maximum(i[1:] - starts, 1)


def resample(image: np.ndarray, oh: int, ow: int) -> np.ndarray:
    """`image` (h, w[, c]) at oh x ow: each output pixel the mean of the input pixels it covers
    when shrinking, the nearest input pixel when enlarging (np.add.reduceat repeats an index)."""
    h, w = image.shape[:2]
    out = image
    if oh != h:
        starts, counts = _bins(h, oh)
        out = np.add.reduceat(out, starts, axis=0) / counts.reshape((-1,) + (1,) * (out.ndim - 1))
    if ow != w:
        starts, counts = _bins(w, ow)
        out = np.add.reduceat(out, starts, axis=1) / counts.reshape((1, -1) + (1,) * (out.ndim - 2))
    return out


@dataclass(frozen=True)
class ImageLayout:
    """How the pictures sit: each one's size in pixels (oh, ow), the tile every one fits in
    (tile_w cells, tile_rows lines of picture, a caption line under them), the grid of tiles."""

    sizes: list[tuple[int, int]]
    cols: int
    rows: int
    tile_w: int
    tile_rows: int

    @property
    def capacity(self) -> int:
        return self.cols * self.rows


def _layout_at(shapes: Sequence[tuple[int, int]], scale: float, width: int, height: int) -> ImageLayout:
    sizes = [(max(1, round(h * scale)), max(1, round(w * scale))) for h, w in shapes]
    tile_w = max(ow for _, ow in sizes)
    tile_rows = max(-(-oh // 2) for oh, _ in sizes)
    cols = (width + 1) // (tile_w + 1)
    rows = height // (tile_rows + 1)
    return ImageLayout(sizes, cols, rows, tile_w, tile_rows)


def fit_layout(shapes: Sequence[tuple[int, int]], width: int, height: int, max_zoom: int = MAX_ZOOM) -> ImageLayout:
    """The largest common scale at which every picture (h, w) fits `width` x `height` cells
    (captions included), at most `max_zoom` cells a pixel. Where every one fits only below
    MIN_CELLS across, the scale that draws them MIN_CELLS across and as many as fit; where not even
    one fits so, the largest at which one does."""
    widest = max(w for _, w in shapes)
    n = len(shapes)

    def at(m: int) -> ImageLayout:  # m cells across the widest picture
        return _layout_at(shapes, m / widest, width, height)

    def largest(ok) -> int:  # the largest m in 1..widest * max_zoom with ok(at(m)), else 0
        lo, hi = 0, widest * max_zoom
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if ok(at(mid)):
                lo = mid
            else:
                hi = mid - 1
        return lo

    every = largest(lambda lay: lay.capacity >= n)
    floor = min(widest, MIN_CELLS)
    if every >= floor:
        return at(every)
    if at(floor).capacity > 0:
        return at(floor)
    return at(max(1, largest(lambda lay: lay.capacity > 0)))


# Colours and styles depend on the pixels only (never on the theme): one cache for every panel.
_COLORS: list[RichColor | None] = [None] * (GREY_LEVELS**3)
_STYLES: dict[int, Style] = {}  # upper << 15 | lower -> the cell's style


_LEVELS = [round(i * 255 / (GREY_LEVELS - 1)) for i in range(GREY_LEVELS)]
_HEX = [f"{v:02x}" for v in range(256)]
_TRUECOLOR = ColorType.TRUECOLOR


def _color(code: int) -> RichColor:
    """The colour of a 15-bit code (5 bits a channel, red highest); made once per process (the
    first frame of new colours pays for them: about 0.7 µs each)."""
    color = _COLORS[code]
    if color is None:
        r, g, b = _LEVELS[code >> 10], _LEVELS[(code >> 5) & 31], _LEVELS[code & 31]
        color = _COLORS[code] = RichColor("#" + _HEX[r] + _HEX[g] + _HEX[b], _TRUECOLOR, None, ColorTriplet(r, g, b))
    return color


def _style_for(upper: int, lower: int) -> Style:
    """A cell whose upper and lower pixels have these colour codes: "▀" in the upper colour on the
    lower one (equal halves: a blank on it)."""
    key = upper << 15 | lower
    style = _STYLES.get(key)
    if style is None:
        if len(_STYLES) > _STYLE_CACHE_MAX:
            _STYLES.clear()
        style = _STYLES[key] = Style.from_color(None if upper == lower else _color(upper), _color(lower))
    return style


class ImagePanel(AppFreeRender, LineCacheWidget):
    """Pictures side by side with captions, scaled to fit (see the module docstring)."""

    DEFAULT_CSS = """
    ImagePanel {
        width: 1fr;
        height: 1fr;
        min-height: 3;
    }
    """

    def __init__(self, title: str | None = None, *, note: str = "", max_zoom: int = MAX_ZOOM, **widget_kwargs) -> None:
        super().__init__(**widget_kwargs)
        self.title = title  # None: the widget's own word for it ("images")
        self.note = note  # what a caption means
        self.max_zoom = max_zoom
        self._pixels: list[np.ndarray] = []  # each (h, w) or (h, w, 3) float32 in 0..255
        self._captions: list[str] = []
        self._flagged: list[bool] = []
        self.shown = 0  # how many pictures the last build fitted on screen
        self.layout_used: ImageLayout | None = None

    # -- data -----------------------------------------------------------------
    def show(
        self,
        images: np.ndarray | Sequence[np.ndarray],
        captions: Sequence[str] = (),
        flagged: Sequence[bool] = (),
        title: str | None = None,
        note: str | None = None,
    ) -> None:
        """Show pictures: an (n, h, w) or (n, h, w, 3) array, one (h, w) or (h, w, 3) picture, or a
        list of pictures of any sizes; 0..255 integers or 0..1 floats. A 3-D array whose last axis
        is 3 is one RGB picture. `flagged` marks wrong ones; `note` says what a caption means."""
        if isinstance(images, np.ndarray):
            if images.ndim == 2 or (images.ndim == 3 and images.shape[2] in (3, 4)):
                images = [images]
            elif images.ndim not in (3, 4):
                raise ValueError(f"images must be (n, h, w) or (n, h, w, 3), got shape {images.shape}")
        pixels = [as_pixels(image) for image in images]
        self._pixels = [p for p in pixels if p.shape[0] and p.shape[1]]
        self._captions = [str(c) for c in captions]
        self._flagged = [bool(f) for f in flagged]
        if title is not None:
            self.title = title
        if note is not None:
            self.note = note
        self.update_lines()

    # -- what a subclass may change ---------------------------------------------
    shade = staticmethod(shade_cells)  # NO_COLOR: the character of an (upper, lower) pixel pair

    def default_title(self) -> str:
        return t("images_title", self.lang)

    def count_text(self, n: int, flagged: list[bool]) -> str:
        """What the title says about the pictures: how many are right where some are flagged."""
        return t("digits_right", self.lang).format(k=n - sum(flagged), n=n) if self._flagged else ""

    def choose_layout(self, shapes: list[tuple[int, int]], width: int, height: int) -> ImageLayout:
        return fit_layout(shapes, width, height, self.max_zoom)

    # -- building -------------------------------------------------------------
    render_images = AppFreeRender.render_standalone

    def draw_lines(self, width: int, height: int, base: Style, fg: Color, bg: Color, no_color: bool) -> list[Strip]:
        pictures = self._pixels
        n = len(pictures)
        muted = base + Style(color=fade(fg, bg, 0.35).rich_color)
        bold = base + Style(color=fg.rich_color, bold=True)
        wrong = base + Style(color=WRONG_COLOR.rich_color, bold=True)
        title = self.title if self.title is not None else self.default_title()
        if n == 0:
            self.shown = 0
            self.layout_used = None
            text = f"{title}{t('colon', self.lang)}{t('waiting_images', self.lang)}"
            return [strip_from_runs([(fit_text(text, width), bold)])]

        lay = self.choose_layout([p.shape[:2] for p in pictures], width, height - 1)
        self.layout_used = lay
        shown = min(n, lay.capacity)
        self.shown = shown
        flagged = (self._flagged + [False] * n)[:n]
        lines = [self._title_line(title, n, shown, flagged, width, (bold, muted, base))]
        rows = [self._picture_rows(pictures[k], lay.sizes[k], lay.tile_w, lay.tile_rows, base, no_color)
                for k in range(shown)]
        gap = Segment(" ", base)
        for tile_row in range(-(-shown // lay.cols) if shown else 0):
            members = list(range(tile_row * lay.cols, min(shown, (tile_row + 1) * lay.cols)))
            used = len(members) * (lay.tile_w + 1) - 1
            end = [Segment(" " * (width - used), base)] if width > used else []
            for r in range(lay.tile_rows):
                segments: list[Segment] = []
                for j, k in enumerate(members):
                    if j:
                        segments.append(gap)
                    segments.extend(rows[k][r])
                lines.append(Strip(segments + end, used + len(end and end[0].text)))
            runs = []
            for j, k in enumerate(members):
                if j:
                    runs.append((" ", base))
                caption = self._captions[k] if k < len(self._captions) else ""
                if flagged[k]:
                    caption = f"{WRONG_MARK}{caption}"
                runs.append((fit_text(caption, lay.tile_w, "center"), wrong if flagged[k] else muted))
            runs.append((" " * (width - used), base))
            lines.append(strip_from_runs(runs).crop(0, width))
        return lines[:height]

    def _picture_rows(
        self, picture: np.ndarray, size: tuple[int, int], tile_w: int, tile_rows: int, base: Style, no_color: bool
    ) -> list[list[Segment]]:
        """The segments of each text line of one tile's picture, tile_w cells each, centred across."""
        oh, ow = size
        small = resample(picture, oh, ow)
        if oh % 2:  # rows pair into half blocks: a blank (black) pixel row under an odd one
            small = np.concatenate([small, np.zeros((1, *small.shape[1:]), dtype=small.dtype)], axis=0)
        left = (tile_w - ow) // 2
        pad_left = [Segment(" " * left, base)] if left else []
        pad_right = [Segment(" " * (tile_w - ow - left), base)] if tile_w - ow - left else []
        out: list[list[Segment]] = []
        if no_color:
            grey = small if small.ndim == 2 else small @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
            for line in self.shade(grey[0::2], grey[1::2]):
                out.append([*pad_left, Segment("".join(line), base), *pad_right])
        else:
            q = np.clip(np.rint(small * ((GREY_LEVELS - 1) / 255)), 0, GREY_LEVELS - 1).astype(np.int64)
            codes = q * 1057 if q.ndim == 2 else (q[:, :, 0] << 10) | (q[:, :, 1] << 5) | q[:, :, 2]  # 1057: r=g=b
            pairs = (codes[0::2] << 15) | codes[1::2]
            for row in pairs:
                segments = list(pad_left)
                cuts = np.flatnonzero(row[1:] != row[:-1]) + 1
                starts = [0, *cuts.tolist()]
                for start, end, pair in zip(starts, [*starts[1:], ow], row[starts].tolist()):
                    upper, lower = pair >> 15, pair & 0x7FFF
                    segments.append(Segment(("▀" if upper != lower else " ") * (end - start), _style_for(upper, lower)))
                segments.extend(pad_right)
                out.append(segments)
        blank = [Segment(" " * tile_w, base)]
        out.extend([blank] * (tile_rows - len(out)))
        return out

    def _title_line(
        self, title: str, n: int, shown: int, flagged: list[bool], width: int, styles: tuple[Style, Style, Style]
    ) -> Strip:
        """"test digits: 3/24 right +18 · true→predicted, ✗ wrong": the count of what did not fit
        is never cut; where it is narrow the note, then the title, give way."""
        count = self.count_text(n, flagged)
        more = f" +{n - shown}" if shown < n else ""
        note = f" · {self.note}" if self.note else ""
        bold, muted, base = styles
        if count:  # the count outlasts the title, the title the note
            titled = f"{title}{t('colon', self.lang)}{count}{more}"
            options = ((titled, note), (f"{count}{more}", note), (titled, ""), (f"{count}{more}", ""))
        else:  # the title, cut if it must be, outlasts the note; "+N" is never cut
            titled = f"{title}{more}"
            cut = fit_text(title, max(0, width - cell_len(more))).rstrip() + more
            options = ((titled, note), (titled, ""), (cut, ""))
        for head, tail in options:
            if cell_len(head + tail) <= width:
                break
        runs = [(head, bold), (tail, muted)]
        used = cell_len(head + tail)
        if used < width:
            runs.append((" " * (width - used), base))
        return strip_from_runs(runs).crop(0, width)
