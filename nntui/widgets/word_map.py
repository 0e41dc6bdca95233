"""WordMap: labelled points in the plane, each drawn as its word (e.g. word vectors after PCA).

A point's word is written starting at the point's cell (the first letter marks the spot), or
ending there when it would run off the right edge. Words are placed in priority order (class
1 first, then 2, then the rest in the order given: the lab sends the most frequent first),
each keeping one blank cell from the words already placed; a word with no room is drawn as a
"·" at its point, or left out when even that cell is taken. Class 0 is plain text, class 1
bold in the first highlight colour (e.g. the typed word), class 2 in the second (its nearest
neighbours). The title line carries a note (e.g. the step); its words follow `lang`.
"""

from __future__ import annotations

import numpy as np
from rich.cells import cell_len
from rich.style import Style
from textual.color import Color
from textual.strip import Strip

from nntui.i18n import t

from .shading import AppFreeRender, LineCacheWidget, fade, fit_text, parse_color, strip_of_width

HIGHLIGHTS = ("#e69f00", "#56b4e9")  # class 1, class 2 (Okabe-Ito, as the scatter's classes)
DOT = "·"


def place_words(xy: np.ndarray, names: list[str], classes: np.ndarray, extent, width: int,
                height: int) -> list[tuple[int, int, str, int]]:
    """(row, column, text, class) for each word drawn in a width x height plot: row 0 at the top
    (y_max). Priority: class 1, then 2, then 0, each in the order given."""
    x0, x1, y0, y1 = extent
    if width <= 0 or height <= 0 or x1 <= x0 or y1 <= y0:
        return []
    cols = np.clip(np.floor((xy[:, 0] - x0) / (x1 - x0) * width), 0, width - 1).astype(int)
    rows = np.clip(np.floor((y1 - xy[:, 1]) / (y1 - y0) * height), 0, height - 1).astype(int)
    taken = np.zeros((height, width + 2), dtype=bool)  # one spare cell each side: the gap rule
    order = sorted(range(len(names)), key=lambda i: ({1: 0, 2: 1}.get(int(classes[i]), 2), i))
    placed = []
    for i in order:
        r, c, name = int(rows[i]), int(cols[i]), names[i]
        size = cell_len(name)
        for start in (c, c - size + 1):
            if 0 <= start and start + size <= width and not taken[r, start:start + size + 2].any():
                taken[r, start:start + size + 2] = True
                placed.append((r, start, name, int(classes[i])))
                break
        else:
            if not taken[r, c + 1]:
                taken[r, c:c + 3] = True
                placed.append((r, c, DOT, int(classes[i])))
    return placed


class WordMap(AppFreeRender, LineCacheWidget):
    """Words at their points in the plane (see the module docstring)."""

    DEFAULT_CSS = """
    WordMap {
        width: 1fr;
        height: 1fr;
        min-height: 4;
    }
    """

    def __init__(self, title: str = "", **widget_kwargs) -> None:
        super().__init__(**widget_kwargs)
        self.title = title
        self.note = ""
        self.points = np.zeros((0, 2))
        self.kinds = np.zeros(0, dtype=np.int64)
        self.names: list[str] = []
        self.extent = (-1.0, 1.0, -1.0, 1.0)

    def show(self, points: np.ndarray, classes: np.ndarray, names: list[str], extent, title: str | None = None,
             note: str = "") -> None:
        self.points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        self.kinds = np.asarray(classes, dtype=np.int64).reshape(-1)
        self.names = list(names) if len(names) == len(self.points) else [DOT] * len(self.points)
        self.extent = tuple(float(v) for v in extent)
        if title is not None:
            self.title = title
        self.note = note
        self.update_lines()

    def clear(self, title: str | None = None) -> None:
        self.show(np.zeros((0, 2)), np.zeros(0), [], self.extent, title)

    render_word_map = AppFreeRender.render_standalone

    def draw_lines(self, width: int, height: int, base: Style, fg: Color, bg: Color, no_color: bool) -> list[Strip]:
        text = base + Style(color=fg.rich_color)
        bold = base + Style(color=fg.rich_color, bold=True)
        muted = base + Style(color=fade(fg, bg, 0.45).rich_color)
        if not len(self.points):
            head = f"{self.title}: {t('waiting_points', self.lang)}".lstrip(": ")
            return [strip_of_width([(fit_text(head, width), bold)], width, base)]
        ink = [text] + [text + Style(bold=True) if no_color else base + Style(color=parse_color(c).rich_color, bold=True)
                        for c in HIGHLIGHTS]
        title = self.title + (f" · {self.note}" if self.note else "")
        lines = [strip_of_width([(fit_text(title, width), bold)], width, base)]
        plot_h = height - 1
        rows: list[list[tuple[int, str, int]]] = [[] for _ in range(plot_h)]
        for r, c, name, k in place_words(self.points, self.names, self.kinds, self.extent, width, plot_h):
            rows[r].append((c, name, k))
        for row in rows:
            runs, at = [], 0
            for c, name, k in sorted(row):
                runs += [(" " * (c - at), muted), (name, ink[min(max(k, 0), 2)])]
                at = c + cell_len(name)
            lines.append(strip_of_width(runs, width, base))
        return lines
