"""Shared helpers for the line-cached widgets: colours, NO_COLOR, a strip cache.

Nothing here imports torch. The widgets draw with the Line API: they build
every line of their content as a `Strip` in one pass (when their data or size
changes), keep the strips, and repaint only the lines that changed.
"""

from __future__ import annotations

from typing import Iterable

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

# Light to dark shading for NO_COLOR pictures (index 0 is blank).
SHADES = " ░▒▓█"


def parse_color(color: str | Color, fallback: Color | None = None) -> Color:
    """A Textual colour from a name or hex string (`fallback`, else white, if it does not parse)."""
    if isinstance(color, Color):
        return color
    try:
        return Color.parse(color)
    except Exception:  # noqa: BLE001 - a bad colour name must never crash a widget
        return fallback if fallback is not None else Color(255, 255, 255)


def fade(color: Color, background: Color, amount: float = 0.55) -> Color:
    """`color` moved `amount` of the way towards `background` (used for dim series)."""
    return color.blend(background, amount)


def app_no_color(widget: Widget) -> bool:
    """True when the widget's app renders without colour (env NO_COLOR set)."""
    try:
        return bool(widget.app.no_color)
    except Exception:  # noqa: BLE001 - no active app (unit tests, benchmarks)
        return False


def widget_colors(widget: Widget) -> tuple[Style, Color, Color]:
    """The widget's base Rich style, its opaque foreground and background colours."""
    base = widget.rich_style
    _, background = widget.background_colors
    if background.a < 1:
        background = Color(0, 0, 0) + background
    foreground = background + widget.styles.color
    return base, foreground, background


def strip_from_runs(runs: Iterable[tuple[str, Style]]) -> Strip:
    """A strip from (text, style) runs, skipping empty runs."""
    segments = [Segment(text, style) for text, style in runs if text]
    return Strip(segments, sum(cell_len(s.text) for s in segments))


def merge_runs(cells: Iterable[tuple[str, Style]]) -> list[tuple[str, Style]]:
    """(text, style) cells joined into runs: neighbours of one style (the same object, as the
    widgets' style caches hand out) become one segment."""
    runs: list[tuple[str, Style]] = []
    prev: Style | None = None
    text = ""
    for cell, style in cells:
        if style is prev:
            text += cell
        else:
            if text:
                runs.append((text, prev))  # type: ignore[arg-type]
            prev, text = style, cell
    if text:
        runs.append((text, prev))  # type: ignore[arg-type]
    return runs


def strip_of_width(runs: Iterable[tuple[str, Style]], width: int, pad: Style) -> Strip:
    """A strip of exactly `width` cells from `runs`: padded with `pad`, or cut.

    Segments are built here, not by strip_from_runs: measuring each run once matters when a
    panel repaints dozens of lines a frame."""
    segments = [Segment(text, style) for text, style in runs if text]
    used = sum(cell_len(seg.text) for seg in segments)
    if used < width:
        segments.append(Segment(" " * (width - used), pad))
        used = width
    return Strip(segments, used).crop(0, width)


def fit_text(text: str, width: int, align: str = "left") -> str:
    """`text` cut (with "…") or padded with spaces to exactly `width` cells; wide characters count 2."""
    if width <= 0:
        return ""
    n = cell_len(text)
    if n > width:
        if width <= 1:
            return set_cell_size(text, 1)
        # Cut by cells; a wide character that would be split goes whole, the "…" right after the rest.
        cut = set_cell_size(text, width - 1).rstrip(" ")
        return cut + "…" + " " * (width - 1 - cell_len(cut))
    space = width - n
    if align == "center":
        return " " * (space // 2) + text + " " * (space - space // 2)
    if align == "right":
        return " " * space + text
    return text + " " * space


class AppFreeRender:
    """Mixin for line-cached widgets whose lines can be drawn without an app.

    Subclasses implement `draw_lines(width, height, base, fg, bg, no_color)`;
    `build_lines` takes the colours from the widget, `render_standalone` from its
    arguments (tests and benchmarks call it).
    """

    def draw_lines(
        self, width: int, height: int, base: Style, fg: Color, bg: Color, no_color: bool
    ) -> list[Strip]:  # pragma: no cover
        raise NotImplementedError

    def build_lines(self, width: int, height: int) -> list[Strip]:
        base, fg, bg = widget_colors(self)  # type: ignore[arg-type]
        return self.render_standalone(width, height, base=base, foreground=fg, background=bg, no_color=app_no_color(self))  # type: ignore[arg-type]

    def render_standalone(
        self,
        width: int,
        height: int,
        *,
        base: Style | None = None,
        foreground: Color | None = None,
        background: Color | None = None,
        no_color: bool = False,
    ) -> list[Strip]:
        """All lines of the widget (needs no app: tests and benchmarks call it)."""
        if width <= 0 or height <= 0:
            return []
        base = base if base is not None else Style()
        fg = foreground if foreground is not None else Color(224, 224, 224)
        bg = background if background is not None else Color(0, 0, 0)
        return self.draw_lines(width, height, base, fg, bg, no_color)


class LineCacheWidget(Widget):
    """A widget whose content is a list of cached strips, rebuilt on data or size change.

    Subclasses implement `build_lines(width, height)`. `update_lines()` rebuilds and
    refreshes only the lines whose strip changed; `render_line` only returns a strip.
    `lang` ("en" or "zh") is the language of the widget's own words (nntui.i18n); setting
    it redraws them.
    """

    def __init__(self, **widget_kwargs) -> None:
        super().__init__(**widget_kwargs)
        self._lang = "en"
        self._lines: list[Strip] = []
        self._built_size: tuple[int, int] | None = None
        self._dirty = True

    @property
    def lang(self) -> str:
        return self._lang

    @lang.setter
    def lang(self, value: str) -> None:
        if value != self._lang:
            self._lang = value
            self.update_lines()

    # -- to implement ---------------------------------------------------------
    def build_lines(self, width: int, height: int) -> list[Strip]:  # pragma: no cover
        raise NotImplementedError

    # -- machinery ------------------------------------------------------------
    def on_mount(self) -> None:
        # Colours depend on the theme: rebuild everything when it changes.
        self.app.theme_changed_signal.subscribe(self, self._on_theme_changed)

    def _on_theme_changed(self, _theme) -> None:
        self._dirty = True
        self.refresh()

    def _ensure_lines(self) -> None:
        size = (self.size.width, self.size.height)
        if self._dirty or self._built_size != size:
            self._lines = self._build(*size)
            self._built_size = size
            self._dirty = False

    def _build(self, width: int, height: int) -> list[Strip]:
        if width <= 0 or height <= 0:
            return []
        lines = self.build_lines(width, height)
        blank = None
        out = []
        for y in range(height):
            if y < len(lines):
                out.append(lines[y])
            else:
                blank = blank or Strip.blank(width, self.rich_style)
                out.append(blank)
        return out

    def update_lines(self) -> int:
        """Rebuild now and refresh the lines that changed; return how many changed."""
        if not self.is_mounted:
            self._dirty = True
            return 0
        size = (self.size.width, self.size.height)
        if self._built_size != size or not self._lines:
            self._dirty = True
            self.refresh()
            return size[1]
        old = self._lines
        new = self._build(*size)
        self._lines = new
        self._dirty = False
        changed = [y for y in range(len(new)) if new[y] is not old[y] and new[y] != old[y]]
        for start, count in _runs(changed):
            self.refresh(Region(0, start, size[0], count))
        return len(changed)

    def render_line(self, y: int) -> Strip:
        self._ensure_lines()
        if 0 <= y < len(self._lines):
            return self._lines[y]
        return Strip.blank(self.size.width, self.rich_style)

    @property
    def lines_text(self) -> list[str]:
        """The plain text of the cached lines (for tests and debugging)."""
        self._ensure_lines()
        return [strip.text for strip in self._lines]


def _runs(ys: list[int]) -> list[tuple[int, int]]:
    """Group sorted line numbers into (start, count) runs of consecutive lines."""
    out: list[tuple[int, int]] = []
    for y in ys:
        if out and out[-1][0] + out[-1][1] == y:
            out[-1] = (out[-1][0], out[-1][1] + 1)
        else:
            out.append((y, 1))
    return out
