"""What the UI knows about the runs so far, built from events alone (no torch).

Screens apply each drained batch here, then redraw the widgets whose data
changed. Replaying a recording is the same: feed its events in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

import numpy as np

from nntui.spec.events import Error, Event, LayerNorms, Metrics, RunStarted, Status, TextSample

E = TypeVar("E", bound=Event)

MAX_RUNS = 8  # older runs drop off the overlay
MAX_TEXTS = 100  # generated texts kept per stream and run; older ones are only counted


class Series:
    """A growing (step, value) series with amortised O(1) appends."""

    def __init__(self) -> None:
        self._x = np.empty(256, dtype=np.float64)
        self._y = np.empty(256, dtype=np.float64)
        self._n = 0

    def append(self, x: float, y: float) -> None:
        if self._n == len(self._x):
            self._x = np.resize(self._x, 2 * self._n)
            self._y = np.resize(self._y, 2 * self._n)
        self._x[self._n], self._y[self._n] = x, y
        self._n += 1

    def __len__(self) -> int:
        return self._n

    @property
    def x(self) -> np.ndarray:
        return self._x[: self._n]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self._n]

    @property
    def last(self) -> float | None:
        return float(self._y[self._n - 1]) if self._n else None


@dataclass
class Run:
    number: int
    label: str
    params: dict[str, Any]
    seed: int
    device: str
    series: dict[str, Series] = field(default_factory=dict)
    latest: dict[str, float] = field(default_factory=dict)
    highest: dict[str, float] = field(default_factory=dict)  # over the run so far, for max() in checks
    lowest: dict[str, float] = field(default_factory=dict)
    newest: dict[type[Event], dict[str, Event]] = field(default_factory=dict)  # see keep()
    grad_series: dict[str, Series] = field(default_factory=dict)  # layer name -> total norm over steps
    clip_series: tuple[Series, Series] | None = None  # pre- and post-clip totals over steps
    texts: dict[str, list[TextSample]] = field(default_factory=dict)  # each stream's newest MAX_TEXTS, oldest first
    texts_dropped: dict[str, int] = field(default_factory=dict)  # how many older ones each stream no longer keeps
    step: int = 0
    epoch: float | None = None
    total: int | None = None  # steps the run will take, where known (1: a worked example)

    def observed(self) -> dict[str, float]:
        """What lesson checks read: the latest value of every metric, plus step and epoch,
        and `max(name)` / `min(name)` over the run so far."""
        values = dict(self.latest)
        values["step"] = float(self.step)
        if self.epoch is not None:
            values["epoch"] = self.epoch
        values.update({f"max({name})": value for name, value in self.highest.items()})
        values.update({f"min({name})": value for name, value in self.lowest.items()})
        return values

    def keep(self, event: Event) -> None:
        """Keep `event` as the newest of its class and name (an event without a name: "")."""
        self.newest.setdefault(type(event), {})[getattr(event, "name", "")] = event

    def latest_of(self, kind: type[E], name: str | None = None) -> E | None:
        """The newest `kind` event called `name`; with no name, the newest of any name (by step)."""
        kept = self.newest.get(kind, {})
        if name is not None:
            return kept.get(name)  # type: ignore[return-value]
        return max(kept.values(), key=lambda event: event.step, default=None)  # type: ignore[return-value]

    def all_of(self, kind: type[E]) -> dict[str, E]:
        """The newest `kind` event of each name, in the order the names first came."""
        return dict(self.newest.get(kind, {}))  # type: ignore[arg-type]

    def record(self, name: str, step: int, value: float) -> None:
        self.series.setdefault(name, Series()).append(step, value)
        self.latest[name] = value
        if value == value:  # nan never counts as a max or a min
            if value > self.highest.get(name, -math.inf):
                self.highest[name] = value
            if value < self.lowest.get(name, math.inf):
                self.lowest[name] = value


class History:
    def __init__(self, on_metrics: Callable[[Run], None] | None = None) -> None:
        """`on_metrics(run)` is called after every Metrics event, so a lesson's check sees each
        step's values however the events were batched (the app and the claims test agree)."""
        self.runs: list[Run] = []
        self.status = Status("starting", 0)
        self.errors: list[Error] = []
        self.on_metrics = on_metrics

    @property
    def current(self) -> Run | None:
        return self.runs[-1] if self.runs else None

    def apply(self, events: list[Event]) -> set[str]:
        """Take a batch of events; return the kinds of the events taken (`Event.kind`): what a
        visual draws is named by its event classes, so there is no second vocabulary here."""
        changed: set[str] = set()
        for event in events:
            if isinstance(event, RunStarted):
                # params are a copy: live changes are written into the run, never into the event
                self.runs.append(Run(event.run, event.label, dict(event.params), event.seed, event.device,
                                     total=event.total))
                del self.runs[:-MAX_RUNS]
            elif isinstance(event, Status):
                self.status = event
            elif isinstance(event, Error):
                self.errors.append(event)
            elif (run := self.current) is not None:
                self._apply_to_run(run, event)
            else:
                continue  # data before any run: nothing keeps it
            changed.add(event.kind)
        return changed

    def _apply_to_run(self, run: Run, event: Event) -> None:
        if isinstance(event, Metrics):
            run.step = max(run.step, event.step)
            if event.epoch is not None:
                run.epoch = event.epoch
            for name, value in event.values.items():
                run.record(name, event.step, value)
            if self.on_metrics is not None:
                self.on_metrics(run)
        elif isinstance(event, TextSample):
            kept = run.texts.setdefault(event.name, [])
            kept.append(event)
            if len(kept) > MAX_TEXTS:
                run.texts_dropped[event.name] = run.texts_dropped.get(event.name, 0) + len(kept) - MAX_TEXTS
                del kept[:-MAX_TEXTS]
        else:
            if isinstance(event, LayerNorms):  # its totals are also drawn over steps
                for name, value in zip(event.layers, event.total):
                    run.grad_series.setdefault(name, Series()).append(event.step, value)
                if event.clipped_norm is not None:
                    if run.clip_series is None:
                        run.clip_series = (Series(), Series())
                    run.clip_series[0].append(event.step, event.total_norm)
                    run.clip_series[1].append(event.step, event.clipped_norm)
            run.keep(event)  # every other kind: its newest is what a visual draws
