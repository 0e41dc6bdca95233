"""What every experiment is: built from parameters, advanced by `step()`, reporting events."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch

from nntui.spec.limits import DEVICE, DeviceError, check_device_name
from nntui.spec.events import Event
from nntui.spec.params import ExperimentSpec


class Experiment:
    """Subclasses set `spec`, build their model in `__init__` and implement `step`.

    `step()` runs one optimisation step and returns the events it produced; the
    runtime decides when to call it, so an experiment never loops or sleeps.
    """

    spec: ExperimentSpec
    optimizer: torch.optim.Optimizer | None = None  # where set_param puts a live learning rate

    def __init__(self, params: dict[str, Any], seed: int = 0, device: str = "cpu") -> None:
        self.params = self.spec.resolve(params)
        self.seed = seed
        self.device = torch.device(device)
        self.step_count = 0
        seed_everything(seed)

    @property
    def done(self) -> bool:
        """True once the experiment has trained as long as its parameters ask (never without total_steps)."""
        total = self.total_steps
        return total is not None and self.step_count >= total

    @property
    def total_steps(self) -> int | None:
        """How long a run trains: the `steps` parameter where the experiment has one."""
        return self.params.get("steps")

    def is_due(self, step: int, every: str = "probe_every") -> bool:
        """Whether step (counted from 1) reports what the parameter `every` paces (a probe, an
        evaluation): the first, every `params[every]`-th, and the last, so a finished run
        always shows its final state. Read at every step: such a parameter may change live."""
        return step == 1 or step % self.params[every] == 0 or step == self.total_steps

    def step(self) -> list[Event]:
        raise NotImplementedError

    def set_param(self, name: str, value: Any) -> list[Event]:
        """Change a live parameter while training; restart-only ones raise ValueError.

        Returns what the change produced at once (a worked example recomputes; most produce nothing).
        """
        param = self.spec.params[name]
        if not param.live:
            raise ValueError(f"{name} applies on restart, not live")
        self.params[name] = param.check(value)
        if name == "lr" and self.optimizer is not None:  # every experiment's live learning rate
            set_learning_rate(self.optimizer, self.params["lr"])
        return self.apply_live(name) or []

    def apply_live(self, name: str) -> list[Event] | None:
        """Push a changed live parameter into the optimiser or model."""

    def summary(self) -> dict[str, float]:
        """The final metrics of the run, for `nntui run --json`."""
        return {}


@torch.no_grad()
def evaluated(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The model's output as an evaluation sees it: dropout off, BatchNorm on its running
    statistics; training mode again afterwards."""
    model.eval()
    try:
        return model(x)
    finally:
        model.train()


def accuracy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The share of rows whose largest logit is the target, as a float64 scalar tensor."""
    return (logits.argmax(dim=1) == targets).double().mean()


def set_learning_rate(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def resolve_device(name: str, flag: str = "--device") -> str:
    """`name`, if this machine has that device; else a DeviceError that reads as a sentence (a
    missing device is an error, not a silent fallback; torch's own for cuda:7 is a bare assert)."""
    check_device_name(name, flag)
    if name == "cpu":
        return name
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if count == 0:
        raise DeviceError(f"{flag} {name}: no CUDA device is available here; use --device cpu")
    index = DEVICE.fullmatch(name)[1]
    if index is not None and int(index) >= count:
        have = "cuda:0 is the only one" if count == 1 else f"there are cuda:0 to cuda:{count - 1}"
        raise DeviceError(f"{flag} {name}: no such CUDA device here ({have})")
    return name

