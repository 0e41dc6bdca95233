"""Markdown tables too wide for the guide column, rewritten as one list item per row.

Textual squeezes a wide table into the width it has and cuts every cell ("0.3+0.8…"): at 80x24
the guide column is about 30 cells, and a table of sums reads as ellipses. A table that does
not fit whole becomes a list instead, each row as `**first cell**: header 2 value 2 · header 3
value 3`, which wraps cleanly at any width.
"""

from __future__ import annotations

import re

from rich.cells import cell_len

__all__ = ["stack_wide_tables", "table_width"]

_ROW = re.compile(r"\s*\|.*\|\s*")
_RULE = re.compile(r"\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*")
_FENCE = re.compile(r"\s*(```|~~~)")


def cells_of(row: str) -> list[str]:
    body = row.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", body)]


def table_width(rows: list[list[str]]) -> int:
    """Cells a table needs to show every cell whole: each column's widest cell plus padding,
    and the borders between (as Textual's Markdown draws tables)."""
    columns = max(len(row) for row in rows)
    widest = [max((cell_len(_plain(row[c])) for row in rows if c < len(row)), default=0) for c in range(columns)]
    return sum(width + 2 for width in widest) + columns + 1


def _plain(markdown: str) -> str:
    return re.sub(r"[*`]", "", markdown)


def stack_wide_tables(source: str, width: int) -> str:
    lines = source.split("\n")
    out: list[str] = []
    index, fenced = 0, False
    while index < len(lines):
        line = lines[index]
        if _FENCE.match(line):
            fenced = not fenced
        if fenced or not _ROW.fullmatch(line) or index + 1 >= len(lines) or not _RULE.fullmatch(lines[index + 1]):
            out.append(line)
            index += 1
            continue
        end = index + 2
        while end < len(lines) and _ROW.fullmatch(lines[end]):
            end += 1
        header = cells_of(line)
        body = [cells_of(row) for row in lines[index + 2:end]]
        if table_width([header, *body]) <= width:
            out.extend(lines[index:end])
        else:
            out.extend(_as_list(header, body))
        index = end
    return "\n".join(out)


def _as_list(header: list[str], body: list[list[str]]) -> list[str]:
    items = []
    for row in body:
        first, *rest = row + [""] * (len(header) - len(row))
        pairs = [f"{name} {value}".strip() for name, value in zip(header[1:], rest) if value]
        head = f"**{first}**" if first else ""
        items.append("- " + ": ".join(part for part in (head, " · ".join(pairs)) if part))
    return ["", *items, ""]
