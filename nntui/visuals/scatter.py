"""The decision field: 2-D points by class over the model's shaded field (Scatter events)."""

from __future__ import annotations

from nntui.i18n import t
from nntui.runtime.history import History
from nntui.spec.events import Event, Scatter
from nntui.visuals.base import HelpRow, Rows, Visual, at_step, csv_table, numbered
from nntui.widgets.scatter import ScatterField


def update_scatter(widget: ScatterField, history: History, lang: str = "en") -> None:
    """The current run's latest points and field."""
    widget.lang = lang
    run = history.current
    found = next(iter(run.all_of(Scatter).values()), None) if run else None
    title = t("decision_field", lang)
    if found is None:
        widget.clear(title)
        return
    widget.show(found.points, found.labels, found.held_out, found.extent, found.probs, title=title,
                note=at_step(found.step, lang))


def _point_rows(events: list[Event]) -> Rows:
    """A set of points is written once, at the first step that showed it."""
    shown: dict[tuple[int, str], tuple] = {}  # the points last written for each run and name
    for run, event in numbered(events):
        if isinstance(event, Scatter):
            key = (event.points.tobytes(), event.labels.tobytes(), event.held_out.tobytes())
            if shown.get((run, event.name)) == key:
                continue
            shown[(run, event.name)] = key
            for i, ((x, y), label, test) in enumerate(
                    zip(event.points.tolist(), event.labels.tolist(), event.held_out.tolist())):
                yield [run, event.step, event.name, i, x, y, label, "test" if test else "train"]


def _field_rows(events: list[Event]) -> Rows:
    """The model's probability of each class at each grid sample (row 0 at the top, y = y_max)."""
    for run, event in numbered(events):
        if isinstance(event, Scatter) and event.probs.ndim == 3:
            gh, gw, _ = event.probs.shape
            x0, x1, y0, y1 = event.extent
            xs = [x0 + j * (x1 - x0) / max(gw - 1, 1) for j in range(gw)]
            ys = [y1 - i * (y1 - y0) / max(gh - 1, 1) for i in range(gh)]
            for i, row in enumerate(event.probs.tolist()):
                for j, cell in enumerate(row):
                    for k, p in enumerate(cell):
                        yield [run, event.step, event.name, i, j, xs[j], ys[i], k, p]


VISUALS = (
    Visual("scatter", ScatterField, update_scatter, (Scatter,), 0.1,
           help=(HelpRow("← → ↑ ↓ Home", "decision field (focused): move the cursor / back to (0, 0)",
                         "决策区域（有焦点时）：移动光标 / 回到 (0, 0)"),),
           exports=(csv_table("scatter_points.csv", ("step", "name", "point", "x", "y", "class", "split"), _point_rows),
                    csv_table("scatter_field.csv", ("step", "name", "row", "col", "x", "y", "class", "p"),
                              _field_rows))),
)
