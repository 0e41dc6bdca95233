"""Tables of numbers for worked examples: labelled rows and columns, two decimals, scrollable.

Each table is a dict {"title", "rows", "cols", "values", "note", "emphasis"?, "format"?} (see
events.Tables); "format": "int" shows whole numbers with thousands separators (counts, ids); "cols_zh" are the
column labels in Chinese, where they are words. Columns that do not fit the width are elided in the middle ("…"), as the
heatmap does, so a 64-wide vector still reads as its first and last entries.

The tables' titles, labels and notes come with the data (the lab writes them); the
widget's own words ("waiting for numbers") follow `lang` ("en" or "zh").
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from rich.cells import cell_len
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from nntui.i18n import t

from .numbers import fmt_cell
from .heatmap import elide

CELL = 7  # a value "-12.34" and its padding
GAP = "…"


def render_table(spec: dict[str, Any], width: int, lang: str = "en") -> Table:
    """A table's own words come with it: `title`, `note` and `cols`, and `title_zh` / `note_zh` / `cols_zh`."""
    rows: Sequence[str] = spec["rows"]
    cols: Sequence[str] = spec.get(f"cols_{lang}") or spec["cols"]
    values: Sequence[Sequence[float | None]] = spec["values"]
    label_w = min(max((len(r) for r in rows), default=0), max(8, width // 2))
    shown = elide(len(cols), max(1, (width - label_w - 2) // CELL), None)
    title = spec.get(f"title_{lang}") or spec["title"]
    note = spec.get(f"note_{lang}") or spec.get("note") or None
    # Titles, notes and labels come with the data (a recording can hold anything): text, not markup.
    # A table without rows (e.g. "not among the words seen") is only its title and note: as wide as they are.
    words_w = None if rows else min(width, max(cell_len(title), cell_len(note or "")))
    table = Table(title=Text(title), title_justify="left", title_style="bold", caption=Text(note) if note else None,
                  caption_justify="left", caption_style="dim", box=None, pad_edge=False, padding=(0, 1),
                  min_width=words_w)
    table.add_column("", style="bold", no_wrap=True, max_width=label_w, overflow="ellipsis")
    for c in shown:
        table.add_column(Text(GAP if c < 0 else str(cols[c])), justify="right", no_wrap=True)
    emphasise = spec.get("emphasis") == "row_max"
    fmt = fmt_int if spec.get("format") == "int" else fmt_cell
    summed = {c for c, name in enumerate(cols) if name.startswith("Σ")}  # a row's total is no weight
    for label, row in zip(rows, values):
        finite = [v for c, v in enumerate(row) if c not in summed and v is not None and math.isfinite(v)]
        top = max(finite) if emphasise and finite else None
        cells: list[Text | str] = [Text(str(label))]
        for c in shown:
            if c < 0:
                cells.append(GAP)
                continue
            value = row[c]
            marked = top is not None and value == top and c not in summed
            cells.append(Text(fmt(value), style="bold reverse" if marked else ""))
        table.add_row(*cells)
    return table


def fmt_int(value: float | None) -> str:
    """A count or an id: 3,559; blank for none."""
    return "" if value is None or not math.isfinite(value) else f"{value:,.0f}"


class NumberTables(VerticalScroll):
    """Worked-example tables, one under the other; scrolls when they are taller than the panel."""

    DEFAULT_CSS = """
    NumberTables { width: 1fr; height: 1fr; }
    NumberTables > Static { width: 1fr; height: auto; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._tables: list[dict[str, Any]] = []
        self._lang = "en"
        self._body = Static(self._waiting())

    def _waiting(self) -> Text:
        return Text(t("waiting_numbers", self._lang), style="dim")

    @property
    def lang(self) -> str:
        return self._lang

    @lang.setter
    def lang(self, value: str) -> None:
        if value != self._lang:
            self._lang = value
            if self._tables:
                self._render_tables()
            else:
                self._body.update(self._waiting())

    def compose(self):
        yield self._body

    def show(self, tables: list[dict[str, Any]]) -> None:
        self._tables = list(tables)
        self._render_tables()

    def on_resize(self) -> None:
        if self._tables:
            self._render_tables()

    def _render_tables(self) -> None:
        width = max(20, self.scrollable_content_region.width or 60)
        parts: list[Any] = []
        for spec in self._tables:
            if parts:
                parts.append(Text(""))
            parts.append(render_table(spec, width, self._lang))
        self._body.update(Group(*parts))
