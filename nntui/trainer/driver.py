"""The trainer's state machine: one experiment, commands in, events out.

Headless runs use it directly; the app uses it inside the trainer process
(`worker.py`). Every failure of the model becomes an event: a non-finite
metric is "diverged", an exception is "error"; the driver itself never raises.
"""

from __future__ import annotations

import math
import time
import traceback
from collections import deque
from typing import Any, Iterator

from nntui.lab.base import resolve_device
from nntui.spec import catalog
from nntui.spec.commands import Command, Pause, Resume, SetPace, SetParam, Shutdown, Start, Stop, StepOnce
from nntui.spec.events import Error, Event, Metrics, RunStarted, Status
from nntui.spec.limits import DeviceError

STATUS_EVERY_S = 0.25  # how often a running trainer reports steps/s
ON_TIME_S = 1e-4  # a paced step this close to its time is due (the worker's wait is not exact)
RATE_WINDOW_S = 2.0  # steps/s is counted over this much recent time, so a new pace shows soon
# A numerically stable loss can explode without ever becoming nan; past this it has diverged.
EXPLODED_LOSS = 1e6


class Driver:
    def __init__(self) -> None:
        self.experiment: Any = None
        self.state = "ready"
        self.run = 0
        self.outbox: list[Event] = []
        self.pace: float | None = None  # steps a second at most; None: full speed
        self._next_due = 0.0  # in slow motion, when the next step starts (a schedule, so a
        # step's own compute time does not slow the pace down)
        self._step_times: deque[float] = deque()
        self._last_status = 0.0

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def step(self) -> int:
        return self.experiment.step_count if self.experiment is not None else 0

    def take(self) -> list[Event]:
        """Hand over the events produced since the last call."""
        events, self.outbox = self.outbox, []
        return events

    def handle(self, command: Command) -> None:
        if isinstance(command, Start):
            self._start(command)
        elif isinstance(command, Pause) and self.state == "running":
            self._set_state("paused")
        elif isinstance(command, Resume) and self.state == "paused":
            self._set_state("running")
        elif isinstance(command, StepOnce) and self.state in ("paused", "running"):
            self._set_state("paused")
            self._advance()
        elif isinstance(command, SetParam):
            self._set_param(command.name, command.value)
        elif isinstance(command, SetPace):
            self.pace = command.steps_per_s if command.steps_per_s and command.steps_per_s > 0 else None
            self._step_times.clear()  # the old rate says nothing about the new pace
            self._next_due = 0.0
            if self.state == "running":
                self._emit_status()
        elif isinstance(command, (Stop, Shutdown)):
            self.experiment = None
            self._set_state("ready")

    def steps(self, max_steps: int | None = None) -> Iterator[list[Event]]:
        """Train in this process (headless runs, screenshots, the claims): one step at a time,
        each step's events handed over, until the run ends or reaches `max_steps`. A caller
        with a reason of its own to stop (Ctrl+C, a check that held) breaks out of the loop."""
        while self.state == "running" and (max_steps is None or self.step < max_steps):
            self.tick()
            yield self.take()

    def due_in(self) -> float | None:
        """Seconds until the next step is due: 0 at full speed, None while not running."""
        if self.state != "running":
            return None
        if self.pace is None:
            return 0.0
        return max(0.0, self._next_due - time.perf_counter())

    def tick(self) -> bool:
        """Run one step if running and, in slow motion, if it is due; return whether a step ran."""
        due = self.due_in()
        if due is None or due > ON_TIME_S:
            return False
        if self.pace is not None:  # on schedule, or (a step or more behind) from now: no rush
            period, now = 1.0 / self.pace, time.perf_counter()
            self._next_due = (self._next_due if self._next_due >= now - period else now) + period
        self._advance()
        now = time.perf_counter()
        if self.state == "running" and now - self._last_status >= STATUS_EVERY_S:
            self._emit_status()
        return True

    def steps_per_s(self) -> float:
        """Steps a second over the last RATE_WINDOW_S (0 until two steps have run)."""
        if len(self._step_times) < 2:
            return 0.0
        span = self._step_times[-1] - self._step_times[0]
        return (len(self._step_times) - 1) / span if span > 0 else 0.0

    def _count_step(self) -> None:
        now = time.perf_counter()
        times = self._step_times
        times.append(now)
        while len(times) > 2 and now - times[0] > RATE_WINDOW_S:
            times.popleft()

    def _start(self, command: Start) -> None:
        self.experiment = None
        self._step_times.clear()
        try:
            spec = catalog.get(command.experiment)
            params = spec.resolve(command.params)
            resolve_device(command.device)  # torch's own error for cuda:7 is a bare AssertionError
            self.experiment = spec.load()(params, seed=command.seed, device=command.device)
        except Exception as exc:  # a bad parameter or a broken model: report, stay up
            self._fail(exc)
            return
        self.run += 1
        self.outbox.append(RunStarted(self.run, command.experiment, params, command.seed, command.device,
                                      command.label, getattr(self.experiment, "total_steps", None)))
        if command.paused:
            self._advance()  # step 0's report (and the first step) so the screen has data
            if self.state not in ("diverged", "error", "finished"):
                self._set_state("paused")
        else:
            self._set_state("running")

    def _advance(self) -> None:
        experiment = self.experiment
        if experiment is None:
            return
        try:
            events = experiment.step()
        except Exception as exc:
            self._fail(exc)
            return
        self._count_step()
        self.outbox.extend(events)
        bad = _first_non_finite(events)
        if bad is not None:
            name, value = bad
            remedy = _remedy(name)
            args = {"step": experiment.step_count, "metric": name, "value": f"{value:.3g}", "remedy": remedy}
            self._set_state("diverged", DIVERGED.format(**args, remedy_text=REMEDIES[remedy]), "diverged", args)
        elif experiment.done:
            self._set_state("finished")

    def _set_param(self, name: str, value: Any) -> None:
        if self.experiment is None:
            return
        try:
            self.outbox.extend(self.experiment.set_param(name, value) or [])
        except (ValueError, KeyError) as exc:
            self.outbox.append(Error(f"{name}: {exc}"))

    def _fail(self, exc: BaseException) -> None:
        message = str(exc) if isinstance(exc, DeviceError) else f"{type(exc).__name__}: {exc}"
        self.outbox.append(Error(message, traceback.format_exc()))
        self._set_state("error", message)

    def _set_state(self, state: str, message: str = "", code: str = "", args: dict | None = None) -> None:
        self.state = state
        self._emit_status(message, code, args)

    def _emit_status(self, message: str = "", code: str = "", args: dict | None = None) -> None:
        self._last_status = time.perf_counter()
        self.outbox.append(Status(self.state, self.step, round(self.steps_per_s(), 1), message, code, args or {}))


# The English for logs and `nntui run`; the app says the same from nntui.i18n ("status_diverged").
DIVERGED = "diverged at step {step}: {metric} is {value}; {remedy_text} and press r"
REMEDIES = {
    "lr": "lower the learning rate (or the initial weights' scale)",
    "clip": "turn clipping on or lower the init scale",
}


def _remedy(metric: str) -> str:
    # A loss blows up from too large steps; a gradient norm can overflow at step 1 from the init.
    return "clip" if metric.startswith(("grad", "bptt")) else "lr"


def _first_non_finite(events: list[Event]) -> tuple[str, float] | None:
    """The first metric that is nan or inf, or a loss that has exploded past EXPLODED_LOSS."""
    for event in events:
        if isinstance(event, Metrics):
            for name, value in event.values.items():
                if not math.isfinite(value) or ("loss" in name and abs(value) > EXPLODED_LOSS):
                    return name, value
    return None
