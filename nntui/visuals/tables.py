"""Number tables: a worked example's matrices, step by step (Q, K, V, scores, ...)."""

from __future__ import annotations

from nntui.runtime.history import History
from nntui.spec.events import Tables
from nntui.visuals.base import Visual
from nntui.widgets.number_tables import NumberTables


def update_tables(tables: NumberTables, history: History, lang: str = "en") -> None:
    tables.lang = lang
    run = history.current
    found = run.latest_of(Tables) if run else None
    if found is not None:
        tables.show(found.tables)


# Tables are a worked example's pictures of numbers, not series: `nntui export` leaves them out.
VISUALS = (Visual("tables", NumberTables, update_tables, (Tables,)),)
