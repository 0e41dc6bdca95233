"""TokenStrip: a sequence of tokens as cells that wrap across lines, each with a mark and a colour.

Each token is a cell: its text with whitespace made visible ("␣cat", token_label), then its
mark's glyph, if it has one: masked ▒, replaced ~, predicted right ✓ or wrong ✗, merged
(by the last BPE merge) +. In colour a cell is the text on a background of its colour class
(e.g. the word a piece belongs to, sentence A or B) with the glyph in the mark's colour; with
NO_COLOR the class is the cell's brackets instead, [ ] ( ) { } < > | |, so the cells and
their classes stay apart without colour. Cells are one blank apart and wrap like words.

A cursor (←/→, home/end when the strip has focus) marks one cell in reverse; the top line
reads it out: its position, the token, its id, its mark and a note (e.g. what the model
predicted there). Where the tokens do not fit, the strip scrolls to keep the cursor in view and
says what it leaves out at either end ("+12 before", "+30 more"): nothing is dropped silently.
A token wider than the strip is cut with "…" (the readout gives it whole). Its own words follow
`lang` ("en" or "zh").
"""

from __future__ import annotations

from typing import Sequence

from rich.cells import cell_len
from rich.style import Style
from textual.binding import Binding
from textual.color import Color
from textual.strip import Strip

from nntui.i18n import t
from nntui.spec.events import TOKEN_MARKS

from .chart_legend import RIGHT_GAP_FROM
from .colours import CLASS_COLOURS
from .shading import AppFreeRender, LineCacheWidget, fade, fit_text, parse_color, strip_from_runs
from .token_bars import token_label

__all__ = ["TokenStrip", "MARK_GLYPHS", "BRACKETS", "flow"]

# mark -> (glyph, colour); the glyph is drawn in colour and without.
MARK_GLYPHS: dict[str, tuple[str, str]] = {
    "masked": ("▒", "#9e9e9e"),
    "replaced": ("~", "#ffb74d"),
    "right": ("✓", "#81c784"),
    "wrong": ("✗", "#ff5f5f"),
    "merged": ("+", "#4fc3f7"),
}
assert set(MARK_GLYPHS) == set(TOKEN_MARKS), "every mark the contract allows has a glyph"
UNKNOWN_GLYPH = "?"
# Colour classes (widgets/colours.py): a cell's background in colour (faded towards the panel's),
# its brackets without.
BRACKETS = ("[]", "()", "{}", "<>", "||")
MIN_TITLE = 8  # cells: a title cut shorter than this is dropped for the readout


def flow(widths: Sequence[int], start: int, width: int, rows: int, first_reserve: int = 0) -> list[list[int]]:
    """Token indices from `start` laid out greedily in at most `rows` lines of `width` cells, cells
    one blank apart; the first line keeps `first_reserve` cells free. A cell wider than its line
    has a line of its own (drawn cut)."""
    lines: list[list[int]] = []
    i, n = start, len(widths)
    while i < n and len(lines) < rows:
        cap = width - (first_reserve if not lines else 0)
        line: list[int] = []
        used = 0
        while i < n:
            need = widths[i] + (1 if line else 0)
            if line and used + need > cap:
                break
            line.append(i)
            used += need
            i += 1
            if used >= cap:
                break
        lines.append(line)
    return lines


class TokenStrip(AppFreeRender, LineCacheWidget, can_focus=True):
    """Tokens as cells with marks and colour classes, a cursor and its readout (see the module docstring)."""

    DEFAULT_CSS = """
    TokenStrip {
        width: 1fr;
        height: 1fr;
        min-height: 3;
    }
    """

    BINDINGS = [
        Binding("left", "move(-1)", "token left", show=False),
        Binding("right", "move(1)", "token right", show=False),
        Binding("home", "move(-1000000000)", "first token", show=False),
        Binding("end", "move(1000000000)", "last token", show=False),
    ]

    def __init__(self, title: str | None = None, **widget_kwargs) -> None:
        super().__init__(**widget_kwargs)
        self.title = title  # None: "tokens" in the widget's language
        self._labels: list[str] = []
        self._texts: list[str] = []
        self._ids: list[int | None] = []
        self._marks: list[str] = []
        self._cell_classes: list[int | None] = []
        self._notes: list[str] = []
        self._cursor = 0
        self._style_key: tuple | None = None
        self.shown: list[int] = []  # token indices the last build drew
        self.hidden: tuple[int, int] = (0, 0)  # tokens left out before and after the lines drawn

    # -- data -----------------------------------------------------------------
    def show(
        self,
        tokens: Sequence[str],
        *,
        ids: Sequence[int] = (),
        marks: Sequence[str] = (),
        classes: Sequence[int] = (),
        notes: Sequence[str] = (),
        title: str | None = None,
    ) -> None:
        """Show `tokens` (their texts); `ids`, `marks` ("" for none), `classes` and `notes` are one
        per token or empty. The cursor stays where it was, within the new tokens."""
        n = len(tokens)
        self._texts = [str(x) for x in tokens]
        self._labels = [token_label(x) for x in self._texts]
        self._ids = [int(i) for i in ids][:n] if len(ids) else []
        self._ids += [None] * (n - len(self._ids))
        self._marks = ([str(m) for m in marks][:n] if len(marks) else []) + [""] * max(0, n - len(marks))
        self._cell_classes = [int(c) for c in classes][:n] if len(classes) else []
        self._cell_classes += [None] * (n - len(self._cell_classes))
        self._notes = ([str(x) for x in notes][:n] if len(notes) else []) + [""] * max(0, n - len(notes))
        if title is not None:
            self.title = title
        self._cursor = min(self._cursor, max(n - 1, 0))
        self.update_lines()

    @property
    def cursor(self) -> int:
        """The index of the token the readout shows."""
        return self._cursor

    @cursor.setter
    def cursor(self, value: int) -> None:
        new = min(max(int(value), 0), max(len(self._texts) - 1, 0))
        if new != self._cursor:
            self._cursor = new
            self.update_lines()

    def action_move(self, delta: int) -> None:
        self.cursor = self._cursor + delta

    def readout(self) -> str:
        """The token under the cursor: "5/42 ␣cat id 381 · wrong · predicted ␣dog"."""
        n = len(self._texts)
        if not n:
            return ""
        i = self._cursor
        parts = [f"{i + 1}/{n} {self._labels[i]}"]
        if self._ids[i] is not None:
            parts[0] += " " + t("token_id", self.lang).format(id=self._ids[i])
        mark = self._marks[i]
        if mark:
            parts.append(t(f"mark_{mark}", self.lang) if mark in MARK_GLYPHS else mark)
        if self._notes[i]:
            parts.append(self._notes[i])
        return " · ".join(parts)

    # -- building -------------------------------------------------------------
    def _styles(self, base: Style, fg: Color, bg: Color) -> dict[str, Style]:
        key = (base, fg, bg)
        if key != self._style_key:
            cells = [base + Style(color=fg.rich_color, bgcolor=fade(fg, bg, 0.82).rich_color)]
            cells += [base + Style(color=fg.rich_color, bgcolor=fade(parse_color(c), bg, 0.45).rich_color)
                      for c in CLASS_COLOURS]
            self._cached = {
                "base": base,
                "title": base + Style(color=fg.rich_color, bold=True),
                "text": base + Style(color=fg.rich_color),
                "muted": base + Style(color=fade(fg, bg, 0.45).rich_color),
                "cells": cells,
                "glyphs": {m: Style(color=parse_color(c).rich_color, bold=True) for m, (_, c) in MARK_GLYPHS.items()},
                "dim": Style(color=fade(fg, bg, 0.5).rich_color),
                "cursor": Style(reverse=True, bold=True),
            }
            self._style_key = key
        return self._cached

    render_strip = AppFreeRender.render_standalone

    def _cell_width(self, i: int) -> int:
        return cell_len(self._labels[i]) + 2 + (1 if self._marks[i] else 0)

    def draw_lines(self, width: int, height: int, base: Style, fg: Color, bg: Color, no_color: bool) -> list[Strip]:
        st = self._styles(base, fg, bg)
        lang = self.lang
        n = len(self._texts)
        title = self.title if self.title is not None else t("tokens_title", lang)
        self.shown, self.hidden = [], (0, 0)
        if not n:
            text = f"{title}{t('colon', lang)}{t('waiting_tokens', lang)}"
            return [strip_from_runs([(fit_text(text, width), st["title"])])]
        full_width, width = width, width - 1 if width >= RIGHT_GAP_FROM else width  # a blank last cell
        lines = [self._title_line(title, self.readout(), width, st).adjust_cell_length(full_width, base)]
        rows = height - 1
        if rows <= 0:
            return lines
        widths = [min(self._cell_width(i), width) for i in range(n)]
        before_w = cell_len(t("tokens_before", lang).format(n=n)) + 1
        after_w = cell_len(t("tokens_more", lang).format(n=n)) + 1
        start, window = self._window(widths, width, rows, before_w, after_w)
        visible = [i for line in window for i in line]
        end = visible[-1] + 1 if visible else start
        self.shown = visible
        self.hidden = (start, n - end)
        for r, line in enumerate(window):
            runs: list[tuple[str, Style]] = []
            if r == 0 and start > 0:
                runs.append((t("tokens_before", lang).format(n=start) + " ", st["muted"]))
            cap = width - sum(cell_len(text) for text, _ in runs)
            if r == len(window) - 1 and end < n:
                cap -= after_w
            for k, i in enumerate(line):
                if k:
                    runs.append((" ", base))
                    cap -= 1
                runs.extend(self._cell(i, max(cap, 0), st, no_color))
                cap -= widths[i]
            if r == len(window) - 1 and end < n:
                runs.append((" " + t("tokens_more", lang).format(n=n - end), st["muted"]))
            lines.append(strip_from_runs(runs).adjust_cell_length(width, base).adjust_cell_length(full_width, base))
        return lines[:height]

    def _window(
        self, widths: list[int], width: int, rows: int, before_w: int, after_w: int
    ) -> tuple[int, list[list[int]]]:
        """The lines to draw: from the first token while the cursor is on them, else scrolled so
        that the cursor's line is the last; room is kept for the "+N before" and "+N more" notes."""
        n = len(widths)
        plain = flow(widths, 0, width, n)
        line_of = {i: r for r, line in enumerate(plain) for i in line}
        cursor_line = line_of.get(self._cursor, 0)
        top = 0 if cursor_line < rows else cursor_line - rows + 1
        while True:
            start = plain[top][0]
            window = self._fit(widths, start, width, rows, before_w if start else 0, after_w)
            drawn = [i for line in window for i in line]
            if self._cursor in drawn or top >= cursor_line:
                return start, window
            top += 1

    @staticmethod
    def _fit(widths: list[int], start: int, width: int, rows: int, before_w: int, after_w: int) -> list[list[int]]:
        """flow(), then the last line shortened until "+N more" fits beside it where tokens are left."""
        window = flow(widths, start, width, rows, before_w)
        last = window[-1][-1] + 1 if window and window[-1] else start
        if last < len(widths) and window:
            line = window[-1]
            cap = width - after_w - (before_w if len(window) == 1 else 0)
            while len(line) > 1 and sum(widths[i] for i in line) + len(line) - 1 > cap:
                line.pop()  # a last single cell too wide for its line is drawn cut
        return window

    def _cell(self, i: int, cap: int, st: dict, no_color: bool) -> list[tuple[str, Style]]:
        """One token's cell, at most `cap` cells: brackets (NO_COLOR) or padding, text, glyph."""
        mark = self._marks[i]
        glyph = MARK_GLYPHS.get(mark, (UNKNOWN_GLYPH, ""))[0] if mark else ""
        label = self._labels[i]
        room = cap - 2 - len(glyph)
        if cell_len(label) > room:
            label = fit_text(label, max(room, 1)).rstrip() if room >= 1 else ""
        cls = self._cell_classes[i]
        if no_color:
            brackets = BRACKETS[cls % len(BRACKETS)] if cls is not None else BRACKETS[0]
            cell = st["base"]
            open_, close = brackets[0], brackets[1]
            glyph_style = cell
            text_style = cell
        else:
            cells = st["cells"]
            cell = cells[0] if cls is None else cells[1 + cls % (len(cells) - 1)]
            open_, close = " ", " "
            glyph_style = cell + st["glyphs"].get(mark, Style(bold=True))
            text_style = cell + st["dim"] if mark == "masked" else cell
        if i == self._cursor:
            cell, text_style, glyph_style = (s + st["cursor"] for s in (cell, text_style, glyph_style))
        runs = [(open_, cell), (label, text_style), (glyph, glyph_style), (close, cell)]
        if cap < 2 + len(glyph):
            return [(fit_text(label or self._labels[i], cap), text_style)] if cap > 0 else []
        return runs

    def _title_line(self, title: str, info: str, width: int, st: dict) -> Strip:
        """The title, then the readout; where both do not fit, the title is cut (dropped below
        MIN_TITLE cells) and then the readout."""
        if cell_len(title) + 2 + cell_len(info) > width:
            room = width - 2 - cell_len(info)
            title = fit_text(title, room).rstrip() if room >= min(cell_len(title), MIN_TITLE) else ""
        runs: list[tuple[str, Style]] = []
        if title:
            runs += [(title, st["title"]), ("  ", st["base"])]
        runs.append((fit_text(info, width - cell_len(title) - (2 if title else 0)).rstrip(), st["text"]))
        return strip_from_runs(runs).adjust_cell_length(width, st["base"])
