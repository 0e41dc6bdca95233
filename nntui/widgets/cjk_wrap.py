"""Line breaking for Chinese guide text, done before Textual's Markdown sees it.

Textual wraps text at spaces only. Chinese has no spaces between words, so a long run of
Chinese is folded wherever the line is full: an identifier (`train_loss`) or a number (0.125)
is cut in two, and a line can start with "。" or "）". Here every paragraph and list item that
holds wide (CJK) characters is broken with the Unicode line-breaking rules (UAX #14, from
uniseg: no break inside a word, an identifier or a number, none before closing punctuation or
after opening punctuation) into lines that fit `width` cells, and each break is written as a
Markdown hard break, so Textual keeps the lines exactly as chosen. Code blocks, tables and
headings pass through unchanged; text without wide characters too (spaces serve it well).
"""

from __future__ import annotations

import re
import textwrap

from rich.cells import cell_len
from uniseg.linebreak import line_break_units

__all__ = ["break_plain", "wrap_cjk_markdown"]

HARD_BREAK = "\\\n"
_FENCE = re.compile(r"\s*(```|~~~)")
_BULLET = re.compile(r"(?P<indent>\s*)(?P<marker>[-*+])\s+(?P<text>.*)")
_NUMBERED = re.compile(r"(?P<indent>\s*)(?P<marker>\d{1,9}[.)])\s+(?P<text>.*)")
_BLOCK_START = re.compile(r"\s*(#|\||>|[-*_]{3,}\s*$)")


def has_wide(text: str) -> bool:
    return cell_len(text) != len(text)


def wrap_cjk_markdown(source: str, width: int) -> str:
    """`source` with its CJK paragraphs and list items broken into lines of at most `width` cells."""
    if width < 8 or not has_wide(source):
        return source
    out: list[str] = []
    lines = source.split("\n")
    numbers = [len(m["marker"]) - 1 for line in lines if (m := _NUMBERED.fullmatch(line))]
    number_cells = max(numbers, default=1)
    index, fenced = 0, False
    while index < len(lines):
        line = lines[index]
        if _FENCE.match(line):
            fenced = not fenced
        if fenced or _FENCE.match(line) or not line.strip() or _BLOCK_START.match(line):
            out.append(line)
            index += 1
            continue
        # A paragraph or list item: its first line and the lines that continue it.
        end = index + 1
        while end < len(lines) and lines[end].strip() and not _starts_block(lines[end]):
            end += 1
        first = lines[index]
        rest = [part.strip() for part in lines[index + 1:end]]
        out.extend(_wrap_block(first, rest, width, number_cells))
        index = end
    return "\n".join(out)


def _starts_block(line: str) -> bool:
    return bool(_FENCE.match(line) or _BLOCK_START.match(line) or _BULLET.fullmatch(line) or _NUMBERED.fullmatch(line))


def _wrap_block(first: str, rest: list[str], width: int, number_cells: int) -> list[str]:
    """One paragraph or list item, re-broken to fit (as it was if it has no wide characters)."""
    item = _BULLET.fullmatch(first) or _NUMBERED.fullmatch(first)
    if item:
        # Textual draws a bullet as "• " and numbers right-aligned as " 1. ", " 10. ".
        prefix = f"{item['indent']}{item['marker']} "
        text = item["text"]
        hang = 2 if item["marker"] in "-*+" else number_cells + 3
        room = width - hang - len(item["indent"])
    else:
        prefix, text, room = "", first.strip(), width
    text = " ".join([text, *rest]).strip()
    if not has_wide(text):
        return [first, *(f"  {part}" if item else part for part in rest)]
    broken = _break_lines(text, max(4, room))
    broken = broken[:1] + [_not_a_block(part) for part in broken[1:]]
    pad = " " * len(prefix)
    return [(prefix if n == 0 else pad) + part + (HARD_BREAK.rstrip("\n") if n < len(broken) - 1 else "")
            for n, part in enumerate(broken)]


_READS_AS_BLOCK = re.compile(r"(?P<mark>[-+*](?=\s)|\d{1,9}(?=[.)]\s)|#|>|`{3}|~{3}|\|)")


def _not_a_block(line: str) -> str:
    """A continuation line that Markdown would read as a list item, heading, quote, fence or
    table row ("+ b)" after a break in "w x + b") would end the paragraph: escape its mark."""
    match = _READS_AS_BLOCK.match(line)
    if match is None:
        return line
    end = len(match["mark"])
    if match["mark"][0].isdigit():  # "1. x": escape the full stop, not the number
        return line[:end] + "\\" + line[end:]
    return "\\" + line


def _break_lines(text: str, width: int) -> list[str]:
    """Greedy lines of at most `width` shown cells, breaking only where UAX #14 allows."""
    lines: list[str] = []
    line: list[str] = []
    used = 0
    for source, cells in _units(text):
        trailing = len(source) - len(source.rstrip(" "))
        if line and used + cells - trailing > width:
            lines.append("".join(line).rstrip(" "))
            line, used = [], 0
        line.append(source)
        used += cells
    if line:
        lines.append("".join(line).rstrip(" "))
    return [part for part in lines if part]


def _units(text: str) -> list[tuple[str, int]]:
    """(source, shown cells) of each piece between two break opportunities.

    The rules run on what is shown (markup removed, a code span never broken); each piece then
    takes back its markup: markup that closes (`**` after bold text, a code span's last
    backtick) stays with the text it ends, markup that opens goes with the text it starts.
    """
    shown, owner, closes, span = _visible(text)
    if not shown:
        return [(text, 0)]
    cuts, start = [], 0
    for piece in line_break_units(shown):
        start += len(piece)
        if start < len(shown) and not (span[start] >= 0 and span[start] == span[start - 1]):
            cuts.append(start)
    bounds = [0]
    for cut in cuts:
        position = owner[cut - 1] + 1
        while position < owner[cut] and closes[position]:
            position += 1
        bounds.append(position)
    bounds.append(len(text))
    shown_bounds = [0, *cuts, len(shown)]
    return [(text[a:b], cell_len(shown[c:d]))
            for (a, b), (c, d) in zip(zip(bounds, bounds[1:]), zip(shown_bounds, shown_bounds[1:]))]


def _visible(text: str) -> tuple[str, list[int], list[bool], list[int]]:
    """What `text` shows once Markdown's inline markup is gone.

    Returns the shown characters, the source index of each, for every source character whether
    it is closing markup, and for every shown character the code span it sits in (-1: none).
    """
    shown: list[str] = []
    owner: list[int] = []
    span: list[int] = []
    closes = [False] * len(text)
    open_runs: list[int] = []  # lengths of the `*` runs that opened emphasis, innermost last
    index, spans = 0, 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and not text[index + 1].isalnum():
            index += 1  # the backslash hides itself and shows the next character
            char = text[index]
        elif char == "`":
            end = text.find("`", index + 1)
            if end > index:
                closes[end] = True
                for position in range(index + 1, end):
                    shown.append(text[position])
                    owner.append(position)
                    span.append(spans)
                spans += 1
                index = end + 1
                continue
        elif char == "*":
            end = index
            while end < len(text) and text[end] == "*":
                end += 1
            run = end - index
            if open_runs and open_runs[-1] == run:
                open_runs.pop()
                closes[index:end] = [True] * run
            else:
                open_runs.append(run)
            index = end
            continue
        shown.append(char)
        owner.append(index)
        span.append(-1)
        index += 1
    return "".join(shown), owner, closes, span


def break_plain(text: str, width: int) -> str:
    """Plain text (no Markdown) with Chinese broken into lines of at most `width` cells, by the
    same rules; text without wide characters is left for the widget to wrap at its spaces."""
    if width < 8 or not has_wide(text):
        return text
    lines, line, used = [], "", 0
    for unit in line_break_units(text):
        cells = cell_len(unit)
        if line and used + cells - (len(unit) - len(unit.rstrip(" "))) > width:
            lines.append(line.rstrip(" "))
            line, used = "", 0
        line += unit
        used += cells
    lines.append(line.rstrip(" "))
    return "\n".join(lines)


def wrap_plain(text: str, width: int) -> list[str]:
    """Plain text as lines of at most `width` cells: English at its spaces, Chinese by the rules
    above (a word longer than a line is left whole, for the caller to cut)."""
    if has_wide(text):
        return break_plain(text, width).split("\n")
    return textwrap.wrap(text, max(width, 1)) or [""]
