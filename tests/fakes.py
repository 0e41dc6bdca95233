"""Torch-free stand-ins for experiments and the trainer, for runtime and app tests."""

from __future__ import annotations

import math

from nntui.spec.events import Event, Metrics
from nntui.spec.params import ExperimentSpec, Param

SPEC = ExperimentSpec(
    name="fake",
    target="fakes:Counter",
    summary="counts steps",
    params={
        "steps": Param("steps", "int", 20, min=1, max=10_000),
        "lr": Param("lr", "float", 0.1, min=0.0, max=10.0, live=True),
        "width": Param("width", "int", 4, min=1, max=64),
        "nan_at": Param("nan_at", "int", 0, min=0, max=10_000),
        "crash_at": Param("crash_at", "int", 0, min=0, max=10_000),
    },
    metrics=("step", "train_loss"),
)


class Counter:
    spec = SPEC

    def __init__(self, params, seed=0, device="cpu"):
        self.params = SPEC.resolve(params)
        self.step_count = 0

    @property
    def done(self) -> bool:
        return self.step_count >= self.params["steps"]

    total_steps = property(lambda self: self.params["steps"])

    def step(self) -> list[Event]:
        self.step_count += 1
        if self.step_count == self.params["crash_at"]:
            raise RuntimeError("boom at step %d" % self.step_count)
        loss = math.nan if self.step_count == self.params["nan_at"] else self.params["lr"] / self.step_count
        return [Metrics(self.step_count, {"train_loss": loss})]

    def set_param(self, name, value):
        if not SPEC.params[name].live:
            raise ValueError(f"{name} applies on restart, not live")
        self.params[name] = SPEC.params[name].check(value)

    def summary(self):
        return {"steps": float(self.step_count)}


class FakeTrainer:
    """Records the commands the app sends; tests push the events it should drain."""

    def __init__(self) -> None:
        self.sent: list = []
        self.pending: list[Event] = []

    def send(self, command) -> bool:
        self.sent.append(command)
        return True

    def drain(self) -> list[Event]:
        events, self.pending = self.pending, []
        return events

    def push(self, *events: Event) -> None:
        self.pending.extend(events)
