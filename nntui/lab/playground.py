"""A network in the plane: points of 2 to 4 classes, a small MLP, and its decision field, live.

    (x, y) -> features -> [Linear(., width) -> activation] * layers -> Linear(., classes) -> logits

The data: `points` points per class from one of nine 2-D datasets, drawn with a generator
seeded by the run's seed, with Gaussian `noise` (its standard deviation, in plane units) added
to every coordinate. A `test_fraction` of them is held out. Every point lies in the square
[-6, 6]^2 that the field is drawn over (`EXTENT`); points that noise pushes out are clipped to it.

The features: x and y, and optionally x^2, y^2, x*y, sin x and sin y, computed from the point
(TensorFlow Playground's inputs). With `layers = 0` the net is one Linear layer: logistic
(softmax) regression, whose boundaries between classes are straight lines in feature space.

The loss: softmax over the logits and cross-entropy against the class, for any number of
classes, plus `l2` times the sum of the squared weights (not the biases):

    p = softmax(z),  loss = -log p[class] (mean over the batch) + l2 * sum(W^2)

Mini-batches of `batch` training points, reshuffled every epoch; SGD or Adam at `lr`.

What it reports. Every `eval_every` steps (and at the first and the last): train_loss and
test_loss (cross-entropy over the whole set, without the L2 term), train_accuracy and
test_accuracy, the model's logits and softmax at the origin (origin_z0.., origin_p0..: the
worked example the guide computes by hand), a LayerNorms probe of the gradients of every
layer (the mini-batch's), and the decision field: the softmax at every point of an 81 x 81
grid over the square (`Scatter`). Between those steps the field is also sent whenever
`FIELD_INTERVAL_S` has passed since the last one, so that a slowed-down run redraws its
field at every step; metrics stay on their fixed steps, so a check sees the same values at
any pace.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nntui.lab.base import Experiment, accuracy
from nntui.lab.probes import LayerProbe
from nntui.spec import catalog
from nntui.spec.events import Event, LayerNorms, Metrics, Scatter

HALF = 6.0  # the plane shown is [-HALF, HALF]^2, as in TensorFlow Playground
EXTENT = (-HALF, HALF, -HALF, HALF)  # x_min, x_max, y_min, y_max
GRID = 81  # samples a side, both edges included: odd, so the origin is one of them
FIELD_INTERVAL_S = 0.05  # a slowed-down run sends its field at most this often (the UI's 20 Hz)
REACH = 5.0  # datasets are laid out within this radius, inside the drawn square


# ---- data ----------------------------------------------------------------------------------
def _gaussians(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    centres = np.array([[2.2, 2.2], [-2.2, -2.2]])
    return _blobs_at(rng, n, centres, spread=1.1)


def _blobs(classes: int):
    def make(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        angles = 2 * np.pi * np.arange(classes) / classes + np.pi / 4
        centres = 3.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        return _blobs_at(rng, n, centres, spread=1.0)

    return make


def _blobs_at(rng: np.random.Generator, n: int, centres: np.ndarray, spread: float) -> tuple[np.ndarray, np.ndarray]:
    labels = np.repeat(np.arange(len(centres)), n)
    return centres[labels] + rng.normal(0.0, spread, (len(labels), 2)), labels


def _circles(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Class 0 inside radius 2.2, class 1 in a ring from 3.3 to REACH."""
    radius = np.concatenate([rng.uniform(0.0, 2.2, n), rng.uniform(3.3, REACH, n)])
    angle = rng.uniform(0.0, 2 * np.pi, 2 * n)
    return _polar(radius, angle), np.repeat([0, 1], n)


def _xor(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform in the square, kept 0.4 off the axes; class 1 where x and y have the same sign."""
    labels = np.repeat([0, 1], n)
    size = rng.uniform(0.4, REACH, (2 * n, 2))
    sign_x = rng.choice([-1.0, 1.0], 2 * n)
    sign_y = np.where(labels == 1, sign_x, -sign_x)
    return np.stack([sign_x * size[:, 0], sign_y * size[:, 1]], axis=1), labels


def _moons(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's two interleaved half circles, centred and scaled to the square."""
    t = rng.uniform(0.0, np.pi, 2 * n)
    upper = np.stack([np.cos(t[:n]), np.sin(t[:n])], axis=1)
    lower = np.stack([1 - np.cos(t[n:]), 0.5 - np.sin(t[n:])], axis=1)
    xy = (np.concatenate([upper, lower]) - [0.5, 0.25]) * 3.3
    return xy, np.repeat([0, 1], n)


def _spiral(classes: int):
    def make(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """`classes` arms winding out from the centre: two make TensorFlow Playground's spiral of
        1.75 turns; more arms wind less (3.5 / classes turns), so that neighbouring arms stay as far
        apart as two do."""
        s = np.tile(np.arange(n) / n, classes)
        labels = np.repeat(np.arange(classes), n)
        angle = 3.5 / classes * 2 * np.pi * s + 2 * np.pi * labels / classes
        return _polar(REACH * s + 0.1, angle), labels

    return make


def _polar(radius: np.ndarray, angle: np.ndarray) -> np.ndarray:
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)


DATASETS = {
    "gaussians": _gaussians,
    "circles": _circles,
    "xor": _xor,
    "moons": _moons,
    "spiral": _spiral(2),
    "spiral-3": _spiral(3),
    "spiral-4": _spiral(4),
    "blobs-3": _blobs(3),
    "blobs-4": _blobs(4),
}


def make_points(name: str, per_class: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(points (n, 2) float32 inside the square, labels (n,) int64), from a generator of its own."""
    rng = np.random.default_rng(seed)
    xy, labels = DATASETS[name](rng, per_class)
    xy = xy + rng.normal(0.0, noise, xy.shape) if noise > 0 else xy
    return np.clip(xy, -HALF, HALF).astype(np.float32), labels.astype(np.int64)


def split(n: int, test_fraction: float, seed: int) -> np.ndarray:
    """A held-out mask: round(n * test_fraction) points chosen at random are the test set."""
    held_out = np.zeros(n, dtype=bool)
    held_out[np.random.default_rng(seed + 1).permutation(n)[: round(n * test_fraction)]] = True
    return held_out


# ---- features and model ----------------------------------------------------------------------
FEATURES = {  # parameter -> the feature it adds after x and y
    "x2": lambda x, y: x * x,
    "y2": lambda x, y: y * y,
    "xy": lambda x, y: x * y,
    "sin_x": lambda x, y: torch.sin(x),
    "sin_y": lambda x, y: torch.sin(y),
}


def features(xy: torch.Tensor, chosen: list[str]) -> torch.Tensor:
    x, y = xy[:, 0], xy[:, 1]
    return torch.stack([x, y, *(FEATURES[name](x, y) for name in chosen)], dim=1)


ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "linear": nn.Identity}


def make_net(inputs: int, layers: int, width: int, activation: str, classes: int) -> nn.Sequential:
    modules: list[nn.Module] = []
    for i in range(layers):
        modules += [nn.Linear(inputs if i == 0 else width, width), ACTIVATIONS[activation]()]
    modules.append(nn.Linear(width if layers else inputs, classes))
    return nn.Sequential(*modules)


def grid_points() -> torch.Tensor:
    """The field's samples, row by row from the top (y = y_max), each row left to right; the
    middle one exactly (0, 0) (torch.linspace would put it at -2e-7)."""
    xs = (torch.arange(GRID) - GRID // 2) * (HALF / (GRID // 2))
    ys = -xs
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)


ORIGIN = (GRID // 2) * GRID + GRID // 2  # the grid sample at (0, 0)


class Playground(Experiment):
    spec = catalog.PLAYGROUND

    def __init__(self, params: dict[str, Any], seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed, device)
        p = self.params
        points, labels = make_points(p["dataset"], p["points"], p["noise"], seed)
        held_out = split(len(labels), p["test_fraction"], seed)
        self.points, self.labels, self.held_out = points, labels, held_out
        self.classes = int(labels.max()) + 1
        self.chosen = [name for name in FEATURES if p[name]]
        to = self.device

        def inputs(xy: np.ndarray) -> torch.Tensor:
            return features(torch.from_numpy(xy).to(to), self.chosen)

        self.train_x, self.train_y = inputs(points[~held_out]), torch.from_numpy(labels[~held_out]).to(to)
        self.test_x, self.test_y = inputs(points[held_out]), torch.from_numpy(labels[held_out]).to(to)
        self.grid_x = features(grid_points().to(to), self.chosen)

        self.model = make_net(self.grid_x.shape[1], p["layers"], p["width"], p["activation"], self.classes).to(to)
        self.linears = [m for m in self.model if isinstance(m, nn.Linear)]
        self.layer_names = [f"layer {i + 1}" for i in range(len(self.linears) - 1)] + ["output"]
        self.weights = [m.weight for m in self.linears]
        self.probe = LayerProbe(self.linears)
        # fused: the whole update in one kernel, 3-4x faster than the default for a net this small.
        optimizer = torch.optim.Adam if p["optimizer"] == "adam" else torch.optim.SGD
        self.optimizer = optimizer(self.model.parameters(), lr=p["lr"], fused=True)

        self.shuffler = torch.Generator().manual_seed(seed)
        self.order = torch.randperm(len(self.train_y), generator=self.shuffler)
        self.cursor = 0  # where the next mini-batch starts in `order`
        self.last_field_at = -math.inf
        self.last_metrics: dict[str, float] = {}

    # ---- one step: a mini-batch, the loss, the update -------------------------------------
    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.cursor >= len(self.order):
            self.order = torch.randperm(len(self.train_y), generator=self.shuffler)
            self.cursor = 0
        index = self.order[self.cursor : self.cursor + self.params["batch"]]
        self.cursor += len(index)
        return self.train_x[index], self.train_y[index]

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        loss = F.cross_entropy(self.model(x), y)
        l2 = self.params["l2"]
        if l2 > 0:
            loss = loss + l2 * sum(w.pow(2).sum() for w in self.weights)
        return loss

    def step(self) -> list[Event]:
        x, y = self.next_batch()
        loss = self.loss(x, y)
        self.optimizer.zero_grad()
        loss.backward()
        step = self.step_count = self.step_count + 1
        events: list[Event] = []
        evaluating = self.is_due(step, "eval_every")
        if evaluating:
            norms = self.probe()  # this mini-batch's gradients, before the update
            events.append(LayerNorms(step, self.layer_names, norms.weight, norms.bias, norms.total, [],
                                     norms.total_norm))
        self.optimizer.step()

        now = time.perf_counter()
        if evaluating or now - self.last_field_at >= FIELD_INTERVAL_S:
            probs, logits = self.field()
            self.last_field_at = now
            if evaluating:
                events.insert(0, Metrics(step, self.measure(logits)))
            events.append(Scatter(step, "decision", self.points, self.labels, self.held_out, list(EXTENT), probs))
        return events

    # ---- what it reports --------------------------------------------------------------------
    @torch.no_grad()
    def field(self) -> tuple[np.ndarray, torch.Tensor]:
        """The softmax over the grid, (GRID, GRID, classes) float32, and the grid's logits."""
        logits = self.model(self.grid_x)
        probs = torch.softmax(logits, dim=1).reshape(GRID, GRID, self.classes)
        return probs.cpu().numpy(), logits

    @torch.no_grad()
    def measure(self, grid_logits: torch.Tensor) -> dict[str, float]:
        values: dict[str, float] = {}
        for name, x, y in (("train", self.train_x, self.train_y), ("test", self.test_x, self.test_y)):
            if len(y):
                logits = self.model(x)
                values[f"{name}_loss"] = F.cross_entropy(logits, y).item()
                values[f"{name}_accuracy"] = accuracy(logits, y).item()
        origin = grid_logits[ORIGIN]
        for k, (z, p) in enumerate(zip(origin.tolist(), torch.softmax(origin, dim=0).tolist())):
            values[f"origin_z{k}"], values[f"origin_p{k}"] = z, p
        self.last_metrics = values
        return values

    # lr reaches the optimiser through Experiment.set_param; l2 and eval_every are read at every step.

    def summary(self) -> dict[str, float]:
        return {**self.last_metrics, "steps": self.step_count}
