"""A chart's top line (title and legend), and the line patterns that tell series apart.

With NO_COLOR every series is drawn in the same colour, so each one gets a line
pattern instead (solid, dashed, dash-dot, sparse; dim series dotted), and the
legend shows that pattern as the series' mark. With colour all lines are solid
and the mark is a bar in the series' colour.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from rich.cells import cell_len
from rich.style import Style
from textual.strip import Strip

from .chart_series import Series
from .shading import fit_text, strip_from_runs


__all__ = ["DASHED", "DASH_DOT", "DOTTED", "SOLID", "SPARSE", "legend_lines", "legend_strip", "line_patterns"]

# Line patterns along a line's path (1 = dot drawn), used with NO_COLOR, and their legend marks.
SOLID = (1,)
DASHED = (1, 1, 1, 1, 0, 0)
DASH_DOT = (1, 1, 1, 1, 0, 0, 1, 0, 0)
SPARSE = (1, 0, 0, 0)
DOTTED = (1, 0)
_PATTERNS = (SOLID, DASHED, DASH_DOT, SPARSE)
PATTERN_MARKS = {SOLID: "──", DASHED: "╌╌", DASH_DOT: "─·", SPARSE: "┈┈", DOTTED: "··"}
PATTERN_MARKS_SHORT = {SOLID: "─", DASHED: "╌", DASH_DOT: "┄", SPARSE: "┈", DOTTED: "·"}
_COLOR_MARK = "━━"
_DIM_COLOR_MARK = "──"

# A legend entry: (series index, gap before it, mark, name and latest value).
Entry = tuple[int, str, str, str]


def line_patterns(series: Sequence[Series], no_color: bool) -> list[tuple[int, ...]]:
    """Each series' line pattern: all solid with colour; with NO_COLOR, the main series
    take the patterns in turn (dim series are not counted) and dim series are dotted."""
    out = []
    k = 0
    for s in series:
        if s.dim:
            out.append(DOTTED if no_color else SOLID)
        else:
            out.append(_PATTERNS[k % len(_PATTERNS)] if no_color else SOLID)
            k += 1
    return out


# Header lines leave their last cell blank from this width on: with the panels' one-cell margin,
# two side-by-side charts' titles and legends never run into each other.
RIGHT_GAP_FROM = 16


def legend_lines(
    series: Sequence[Series],
    title: str,
    width: int,
    *,
    styles: list[Style],
    muted: Style,
    bold: Style,
    blank: Style,
    no_color: bool,
    format_value: Callable[[float], str],
    values: bool = True,
    max_lines: int = 1,
) -> list[Strip]:
    """The chart's header: title and legend on one line when they fit (compacted as
    `legend_strip` does), else, with `max_lines` >= 2, the title on a line of its own and
    the legend under it. The legend never overwrites the title: what does not fit is "+k".
    """
    kwargs = dict(styles=styles, muted=muted, bold=bold, blank=blank, no_color=no_color,
                  format_value=format_value, values=values)
    usable = width - 1 if width >= RIGHT_GAP_FROM else width
    if max_lines < 2 or not title or not series or _fits_beside(series, title, usable, values, no_color):
        return [legend_strip(series, title, width, **kwargs)]
    return [legend_strip([], title, width, **kwargs), legend_strip(series, "", width, **kwargs)]


def _fits_beside(series: Sequence[Series], title: str, width: int, values: bool, no_color: bool) -> bool:
    """Whether the title and every main series fit on one line at some level of compaction."""
    for level in range(4):
        items = _entries(series, level, line_patterns(series, no_color), no_color, values, lambda v: "")
        left = len(series) - len(items)
        main_left = sum(not s.dim for s in series) - sum(not series[i].dim for i, *_ in items)
        if main_left == 0 and cell_len(title) + _length(items) + (2 + len(str(left)) if left else 0) <= width:
            return True
    return False


def _entries(
    series: Sequence[Series],
    level: int,
    patterns: list[tuple[int, ...]],
    no_color: bool,
    values: bool,
    format_value: Callable[[float], str],
) -> list[Entry]:
    """Legend entries at a level of compaction: 0 everything; 1 without the dim series;
    2 one-cell marks and one-space gaps; 3 main series without values. A value (the number a
    page asks the learner to watch) outlasts a wide mark."""
    # Main series first: when the line is too narrow, the dim (earlier) runs go first.
    order = [i for i, s in enumerate(series) if not s.dim] + [i for i, s in enumerate(series) if s.dim]
    out = []
    for i in order:
        s = series[i]
        if s.dim and level >= 1:
            continue
        if no_color:
            marks = PATTERN_MARKS_SHORT if level >= 2 else PATTERN_MARKS
            mark = marks.get(patterns[i], "─")
        else:
            mark = _DIM_COLOR_MARK if s.dim else _COLOR_MARK
            mark = mark[:1] if level >= 2 else mark
        body = s.name
        if values and not s.dim and level <= 2:
            y = np.asarray(s.y).ravel()
            body += " " + (format_value(float(y[-1])) if y.size else "–")
        out.append((i, " " if level >= 2 else "  ", mark, body))
    return out


def _length(items: list[Entry]) -> int:
    return sum(len(sep) + len(mark) + 1 + cell_len(body) for _, sep, mark, body in items)


def legend_strip(
    series: Sequence[Series],
    title: str,
    width: int,
    *,
    styles: list[Style],
    muted: Style,
    bold: Style,
    blank: Style,
    no_color: bool,
    format_value: Callable[[float], str],
    values: bool = True,
) -> Strip:
    """Title, then each series' mark, name and (with `values`) latest value, compacted to fit `width`.

    Levels, tried in turn: everything; without the dim series (counted as "+k"); one-cell
    marks and one-space gaps; main series without values; the same without counting the dim
    series; then as many entries as fit, values kept, and "+k" for the rest.
    `styles` holds one style per series; the strip is exactly `width` cells, its last cell
    blank from RIGHT_GAP_FROM cells on. A title cut to fit is cut by cells, never inside a
    wide character.
    """
    patterns = line_patterns(series, no_color)
    usable = width - 1 if width >= RIGHT_GAP_FROM else width
    title = fit_text(title, usable).rstrip() if cell_len(title) > usable else title

    chosen: list[Entry] = []
    for level in range(4):
        items = _entries(series, level, patterns, no_color, values, format_value)
        left = len(series) - len(items)
        if cell_len(title) + _length(items) + (2 + len(str(left)) if left else 0) <= usable:
            chosen = items
            break
    else:
        main = _entries(series, 3, patterns, no_color, values, format_value)
        if len(main) > 1 and cell_len(title) + _length(main) <= usable:
            # Every line of the current run named beats one named with its value: the earlier
            # runs are counted ("+k") only where that still fits.
            chosen = main
    if not chosen:
        # Even the most compact level does not fit: keep entries, with their values, while they
        # and "+k" fit (the current run's first series, with its latest value, comes first).
        items = _entries(series, 2, patterns, no_color, values, format_value)
        used = cell_len(title)
        for item in items:
            left = len(series) - len(chosen) - 1
            reserve = 2 + len(str(left)) if left else 0
            if used + _length([item]) + reserve > usable:
                break
            chosen.append(item)
            used += _length([item])

    runs: list[tuple[str, Style]] = [(title, bold)] if title else []
    used = cell_len(title)
    for i, sep, mark, body in chosen:
        if not used:
            sep = ""
        runs += [(sep, blank), (mark, styles[i]), (" " + body, muted if series[i].dim else styles[i])]
        used += len(sep) + len(mark) + 1 + cell_len(body)
    omitted = len(series) - len(chosen)
    if omitted and used + 2 + len(str(omitted)) <= usable:
        more = f" +{omitted}"
        runs.append((more, muted))
        used += len(more)
    if used < width:
        runs.append((" " * (width - used), blank))
    return strip_from_runs(runs).crop(0, width)
