"""A tiny network fitting a function of one variable, drawn live.

    x -> [Linear(., hidden) -> activation] * layers -> Linear(hidden, 1) -> y

Trained with Adam on `points` evenly spaced x in [-3, 3], full batch, mean squared error.
With activation "linear" there is nothing between the Linear layers, so however deep the
net is, it computes one affine map a*x + b: the best it can do is the least-squares line.

Metrics: train_loss every step; with every drawn curve also `steepness`, the largest slope
|dy/dx| of the model's curve between neighbouring grid points, so a lesson can check what the
fit panel shows (a sigmoid unit fitting a step gets steeper the longer it trains).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nntui.spec.events import Curve, Event, Metrics
from nntui.spec import catalog
from nntui.lab.base import Experiment

X_RANGE = (-3.0, 3.0)
GRID_POINTS = 128  # where the fit is drawn
CURVE_EVERY = 10  # steps between Curve events

TARGETS = {
    "sine": torch.sin,
    "step": lambda x: (x > 0).to(x.dtype),
    "abs": torch.abs,
    "square": torch.square,
    "line": lambda x: 0.5 * x + 0.5,
}

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


def make_net(layers: int, hidden: int, activation: str) -> nn.Sequential:
    modules: list[nn.Module] = []
    width = 1
    for _ in range(layers):
        modules.append(nn.Linear(width, hidden))
        if activation != "linear":
            modules.append(ACTIVATIONS[activation]())
        width = hidden
    modules.append(nn.Linear(width, 1))
    return nn.Sequential(*modules)


def steepness(curve: Curve) -> float:
    """The largest |dy/dx| of the model's curve between neighbouring points of its grid."""
    slopes = np.diff(curve.series["model"].astype(np.float64)) / np.diff(curve.x.astype(np.float64))
    return float(np.abs(slopes).max())


class ToyFit(Experiment):
    spec = catalog.TOY_FIT

    def __init__(self, params: dict[str, Any], seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed, device)
        p = self.params
        target = TARGETS[p["target"]]
        self.x = torch.linspace(*X_RANGE, p["points"], device=self.device).unsqueeze(1)
        self.y = target(self.x)
        self.grid = torch.linspace(*X_RANGE, GRID_POINTS, device=self.device).unsqueeze(1)
        self.grid_np = self.grid.squeeze(1).cpu().numpy().astype(np.float32)
        self.grid_target = target(self.grid).squeeze(1).cpu().numpy().astype(np.float32)

        self.model = make_net(p["layers"], p["hidden"], p["activation"]).to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=p["lr"], fused=True)
        self.last_loss = float("nan")

    def step(self) -> list[Event]:
        events: list[Event] = []
        if self.step_count == 0:
            events.append(self._curve())  # the untrained net, before the first step

        loss = F.mse_loss(self.model(self.x), self.y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.step_count += 1

        self.last_loss = loss.item()
        values = {"train_loss": self.last_loss}
        curve = None
        if self.step_count % CURVE_EVERY == 0 or self.step_count == self.total_steps:
            curve = self._curve()
            values["steepness"] = steepness(curve)  # measured on the curve the panel draws
        events.append(Metrics(self.step_count, values))
        if curve is not None:
            events.append(curve)
        return events

    @torch.no_grad()
    def _curve(self) -> Curve:
        model = self.model(self.grid).squeeze(1).cpu().numpy().astype(np.float32)
        return Curve(
            self.step_count,
            "fit",
            x=self.grid_np,
            series={"target": self.grid_target, "model": model},
        )

    @torch.no_grad()
    def summary(self) -> dict[str, float]:
        """The loss of the net as it is now, on the training points."""
        loss = F.mse_loss(self.model(self.x), self.y).item()
        return {"train_loss": loss, "steps": self.step_count}
