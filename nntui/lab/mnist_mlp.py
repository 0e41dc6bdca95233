"""Nielsen's MNIST network, one rung of his ladder per parameter.

    784 pixels -> `hidden` units (sigmoid / tanh / relu, optional dropout) -> 10 outputs

The rungs (chapters 1 and 3 of "Neural Networks and Deep Learning"):
  cost        quadratic: a = sigmoid(z), C = 1/2 ||a - y||^2, averaged over the mini-batch
              cross-entropy: softmax output with the log-likelihood cost (F.cross_entropy)
  init        standard: every weight and bias ~ N(0, 1)
              scaled:   weights ~ N(0, 1/n_in), biases ~ N(0, 1)
  l2          Nielsen's lambda: each step shrinks the weights (not the biases) by a factor
              (1 - eta * lambda / n), n = 4,000 training images
  dropout     p on the hidden layer (PyTorch's inverted dropout: the survivors are scaled by
              1/(1-p) while training, so nothing changes at test time)
  optimizer   sgd, or momentum: v <- mu v + g, w <- w - eta v (g includes the L2 term, so
              with mu 0.9 both act roughly like plain SGD with eta ten times larger)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nntui.spec.events import Event, ImageGrid, Metrics
from nntui.spec import catalog
from nntui.lab.base import Experiment, accuracy, evaluated
from nntui.lab.data import ShuffledEpochs, load_mnist

N_TRAIN = 4000  # the n in Nielsen's L2 term
N_DIGITS = 24  # test digits shown with their predictions
N_TRAIN_ACCURACY = 1000  # a fixed subset of the training images for train_accuracy
# Reported at every evaluation; digits_answered: how many different digits the net's answers
# on the 1,000 test images cover (below 10 when an output unit never wins)
EVAL_METRICS = ("test_loss", "test_accuracy", "train_accuracy", "digits_answered")

ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


class MLP(nn.Module):
    def __init__(self, hidden: int, activation: str, dropout: float) -> None:
        super().__init__()
        self.hidden = nn.Linear(784, hidden)
        self.activation = ACTIVATIONS[activation]
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pixels (batch, 784) in, the output layer's weighted inputs z (batch, 10) out."""
        h = self.dropout(self.activation(self.hidden(x)))
        return self.out(h)


def initialise(model: MLP, init: str) -> None:
    for layer in (model.hidden, model.out):
        std = 1.0 if init == "standard" else 1.0 / math.sqrt(layer.in_features)
        nn.init.normal_(layer.weight, 0.0, std)
        nn.init.normal_(layer.bias, 0.0, 1.0)


def quadratic_cost(z: torch.Tensor, labels: torch.Tensor, one_hot: torch.Tensor) -> torch.Tensor:
    a = torch.sigmoid(z)
    return 0.5 * (a - one_hot).pow(2).sum(dim=1).mean()


def cross_entropy_cost(z: torch.Tensor, labels: torch.Tensor, one_hot: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(z, labels)


COSTS = {"quadratic": quadratic_cost, "cross-entropy": cross_entropy_cost}


def make_optimizer(model: MLP, params: dict[str, Any]) -> torch.optim.SGD:
    """SGD with two groups: weights (L2 applies) and biases (no L2)."""
    weights = [model.hidden.weight, model.out.weight]
    biases = [model.hidden.bias, model.out.bias]
    # PyTorch's weight_decay wd adds wd * w to the gradient, so w <- (1 - eta wd) w - eta grad:
    # Nielsen's (1 - eta lambda / n) when wd = lambda / n.
    return torch.optim.SGD(
        [
            {"params": weights, "weight_decay": params["l2"] / N_TRAIN},
            {"params": biases, "weight_decay": 0.0},
        ],
        lr=params["lr"],
        momentum=params["momentum"] if params["optimizer"] == "momentum" else 0.0,
        fused=True,  # the same update in one kernel: ~15% more steps/s for this small net on CPU
    )


def pick_digits(labels: np.ndarray, n: int) -> np.ndarray:
    """Indices of n test digits, one of each class in turn (0, 1, .., 9, 0, ..): however few a
    small screen shows, it shows different digits, a 0 first (the digit rung 1 never answers)."""
    by_class = [list(np.flatnonzero(labels == c)) for c in range(10)]
    return np.array([by_class[i % 10][i // 10] for i in range(n)])


class MnistMLP(ShuffledEpochs, Experiment):
    spec = catalog.MNIST_MLP

    def __init__(self, params: dict[str, Any], seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed, device)
        p = self.params
        self._load_mnist()
        self.train_one_hot = F.one_hot(self.train_y, 10).float()
        self.test_one_hot = F.one_hot(self.test_y, 10).float()

        self.model = MLP(p["hidden"], p["activation"], p["dropout"]).to(self.device)
        initialise(self.model, p["init"])
        self.cost = COSTS[p["cost"]]
        self.optimizer = make_optimizer(self.model, p)

        self.batch = p["batch"]
        self.steps_per_epoch = math.ceil(N_TRAIN / self.batch)
        self.shuffler = torch.Generator().manual_seed(seed)
        self.epoch_x = self.epoch_y = self.epoch_one_hot = self.train_x  # set by _shuffle()

        test_labels = self.test_y.cpu().numpy()
        digits = pick_digits(test_labels, N_DIGITS)
        self.digit_index = torch.from_numpy(digits).to(self.device)
        self.digit_images = load_mnist(str(self.device)).test_images_u8[digits]  # (24, 28, 28) uint8, a copy
        self.digit_images.setflags(write=False)  # every ImageGrid event shares it
        self.digit_labels = test_labels[digits]

        self.last_train_loss = math.nan
        self.last_eval: dict[str, float] = {}
        self.last_eval_step = -1

    @property
    def total_steps(self) -> int:
        return self.params["epochs"] * self.steps_per_epoch

    # -- training ------------------------------------------------------------------------

    def _shuffle(self) -> torch.Tensor:
        order = super()._shuffle()
        self.epoch_one_hot = self.train_one_hot[order]
        return order

    def step(self) -> list[Event]:
        events: list[Event] = []
        if self.step_count == 0:
            events += self._evaluate()  # something to show before the first step

        batch = self._next_batch()
        z = self.model(self.epoch_x[batch])
        loss = self.cost(z, self.epoch_y[batch], self.epoch_one_hot[batch])

        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.step_count += 1

        self.last_train_loss = loss.item()  # nan or inf is reported, never raised
        values = {"train_loss": self.last_train_loss}
        if self.step_count % self.params["eval_every"] == 0 or self.step_count == self.total_steps:
            # One event for the step, so that a lesson's check never sees this step's epoch
            # beside the previous evaluation's accuracy.
            events += self._evaluate(also=values)
        else:
            events.append(Metrics(self.step_count, values, self._epoch()))
        return events

    # -- measuring -----------------------------------------------------------------------

    @torch.no_grad()
    def _evaluate(self, also: dict[str, float] | None = None) -> list[Event]:
        """Test loss and accuracy, train accuracy on a fixed subset, the digits answered (with the
        metrics in `also`), and the digit grid captioned true→predicted."""
        z = evaluated(self.model, self.test_x)
        predicted = z.argmax(dim=1)
        test_loss = self.cost(z, self.test_y, self.test_one_hot)
        test_accuracy = accuracy(z, self.test_y)
        sub = slice(0, N_TRAIN_ACCURACY)
        train_accuracy = accuracy(evaluated(self.model, self.train_x[sub]), self.train_y[sub])

        # A saturated output unit never wins: how many of the ten digits the net answers at all.
        digits_answered = predicted.bincount(minlength=10).count_nonzero().double()
        values = torch.stack([test_loss.double(), test_accuracy, train_accuracy, digits_answered]).tolist()
        digits = predicted[self.digit_index].cpu().numpy()
        self.last_eval = dict(zip(EVAL_METRICS, values))
        self.last_eval_step = self.step_count
        return [
            Metrics(self.step_count, {**(also or {}), **self.last_eval}, self._epoch()),
            ImageGrid(
                self.step_count,
                "digits",
                images=self.digit_images,
                captions=[f"{t}→{d}" for t, d in zip(self.digit_labels, digits)],  # true→predicted
                flagged=[bool(d != t) for d, t in zip(digits, self.digit_labels)],
            ),
        ]

    # -- live parameters -----------------------------------------------------------------

    def apply_live(self, name: str) -> None:
        p = self.params
        if name == "momentum":
            if p["optimizer"] == "momentum":  # plain sgd has no velocity to carry
                for group in self.optimizer.param_groups:
                    group["momentum"] = p["momentum"]
        elif name == "l2":
            self.optimizer.param_groups[0]["weight_decay"] = p["l2"] / N_TRAIN  # weights only
        elif name == "dropout":
            self.model.dropout.p = p["dropout"]

    @torch.no_grad()
    def summary(self) -> dict[str, float]:
        """Test loss and accuracy now, and the cost over the whole training set (no dropout)."""
        if self.last_eval_step != self.step_count:
            self._evaluate()
        self.model.eval()
        train_loss = self.cost(self.model(self.train_x), self.train_y, self.train_one_hot).item()
        self.model.train()
        return {
            "test_accuracy": self.last_eval["test_accuracy"],
            "test_loss": self.last_eval["test_loss"],
            "train_loss": train_loss,
            "steps": self.step_count,
            "epochs": self._epoch(),
        }
