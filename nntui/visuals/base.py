"""What a visual is: the one place that ties a kind of event to the widget that draws it.

A visual names the events it draws (event classes from nntui.spec.events, so a misspelling is
a NameError at import), builds its widget, draws a run's history into it in the lesson's
language, and owns its help rows and the CSV tables `nntui export` writes of those events.
Its keys are the widget's own BINDINGS (Textual's way); the lesson screen hands any key that
nothing else took to the live widgets, so they work without first focusing the panel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, TypeVar

from textual.widget import Widget

from nntui.i18n import t
from nntui.runtime.history import History, Run
from nntui.spec.events import KINDS, Event, RunStarted
from nntui.widgets.chart import LineChart
from nntui.widgets.chart_series import Series
from nntui.widgets.colours import RUN_COLOURS
from nntui.widgets.plotting import bucket_means

E = TypeVar("E", bound=Event)

Rows = Iterator[list[Any]]  # each row starts with the run number (export.py drops it for one run)


@dataclass(frozen=True)
class CsvTable:
    """One CSV file of `nntui export`: its name, and from a recording's events its header
    (without `run`) and its rows; written only when there are rows."""

    file: str
    table: Callable[[list[Event]], tuple[list[str], Rows]]


def csv_table(file: str, header: tuple[str, ...], rows: Callable[[list[Event]], Rows]) -> CsvTable:
    """A table whose header does not depend on the data."""
    return CsvTable(file, lambda events: (list(header), rows(events)))


@dataclass(frozen=True)
class HelpRow:
    keys: str
    en: str
    zh: str


@dataclass(frozen=True)
class Visual:
    name: str  # what a lesson's `layout` and a spec's `widgets` call it
    build: Callable[[], Widget]
    update: Callable[[Any, History, str], None]  # (widget, history, lang "en" or "zh")
    draws: tuple[type[Event], ...]  # one of these arriving (or a new run) makes a redraw due
    interval_s: float = 0.2  # redraw at most this often: keys and SSH bandwidth come first
    help: tuple[HelpRow, ...] = ()
    exports: tuple[CsvTable, ...] = ()

    def __post_init__(self) -> None:
        known = set(KINDS.values())
        if not self.draws or any(cls not in known for cls in self.draws):
            raise TypeError(f"visual {self.name!r}: draws {self.draws!r}, expected event classes of nntui.spec.events")

    @property
    def feeds_on(self) -> frozenset[str]:
        """The History change kinds (event kinds) that call for a redraw."""
        return frozenset({cls.kind for cls in self.draws} | {RunStarted.kind})


# ---- helpers the chart-like visuals share ---------------------------------------------------
SMOOTH_POINTS = 300  # per-step series are averaged down to this many points before drawing


def run_colour(run: Run) -> str:
    return RUN_COLOURS[(run.number - 1) % len(RUN_COLOURS)]


def run_label(run: Run, lang: str) -> str:
    return t("defaults", lang) if run.label in ("", "intro") else run.label


def metric_series(run: Run, metric: str, name: str, colour: str, dim: bool, smooth: bool = False) -> Series | None:
    data = run.series.get(metric)
    if data is None or not len(data):
        return None
    x, y = bucket_means(data.x, data.y, SMOOTH_POINTS) if smooth else (data.x, data.y)
    return Series(name, x, y, colour, dim)


def first_of(run: Run, *metrics: str) -> str | None:
    """The first of these metrics the run reports (experiments name their held-out set differently)."""
    return next((metric for metric in metrics if metric in run.series), None)


def span_current_run(chart: LineChart, history: History) -> None:
    """Steps run along the x axis as far as the current run will go, from its first step: a
    300-step run is not squeezed into the corner of an earlier 2,000-step one (which is cut)."""
    total = history.current.total if history.current else None
    chart.set_x_max(float(total) if total and total > 1 else None)


def numbered(events: list[Event]) -> Iterator[tuple[int, Event]]:
    """Each event with the number of the run it belongs to (1 before any run_started)."""
    run = 1
    for event in events:
        if isinstance(event, RunStarted):
            run = event.run
        else:
            yield run, event


def cell(value: Any) -> Any:
    """A CSV cell: blank for None."""
    return "" if value is None else value


def named_or_newest(run: Run | None, kind: type[E], name: str) -> E | None:
    """The run's newest `kind` event called `name`, else its newest of any name."""
    return (run.latest_of(kind, name) or run.latest_of(kind)) if run else None


def at_step(step: int, lang: str) -> str:
    return t("at_step", lang).format(step=f"{step:,}")
