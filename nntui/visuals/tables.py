"""Number tables: a worked example's matrices, step by step (Q, K, V, scores, ...)."""

from __future__ import annotations

from nntui.runtime.history import History
from nntui.spec.events import Tables
from nntui.visuals.base import Visual
from nntui.widgets.number_tables import NumberTables


def update_tables(tables: NumberTables, history: History, lang: str = "en") -> None:
    tables.lang = lang
    run = history.current
    if run is not None and run.tables is not None:
        tables.show(run.tables.tables)


# Tables are a worked example's pictures of numbers, not series: `nntui export` leaves them out.
VISUALS = (Visual("tables", NumberTables, update_tables, (Tables,)),)
