"""Which experiments exist and which parameters they take, without importing torch.

The curriculum loader and the CLI validate lessons and `--set` flags against
these specs before any model is built, so a typo is reported in milliseconds
and `nntui list` never pays for `import torch`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

PARAM_TYPES = ("choice", "int", "float", "bool")


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any
    choices: tuple = ()
    min: float | None = None
    max: float | None = None
    live: bool = False  # can change while the model trains; otherwise applies on restart
    help: str = ""

    def parse(self, text: str) -> Any:
        """Parse a value typed on the command line; raise ValueError naming the problem."""
        if self.type == "bool":
            lowered = text.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"{self.name}: expected true or false, got {text!r}")
        if self.type == "int":
            try:
                return self.check(int(text))
            except ValueError:
                raise ValueError(f"{self.name}: expected an integer, got {text!r}") from None
        if self.type == "float":
            try:
                return self.check(float(text))
            except ValueError as exc:
                if str(exc).startswith(self.name):
                    raise
                raise ValueError(f"{self.name}: expected a number, got {text!r}") from None
        return self.check(text)

    def check(self, value: Any) -> Any:
        """Return the value if it fits this parameter, else raise ValueError saying why."""
        if self.type == "choice":
            if value not in self.choices:
                options = ", ".join(map(str, self.choices))
                raise ValueError(f"{self.name}: expected one of {options}, got {value!r}")
            return value
        if self.type == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"{self.name}: expected true or false, got {value!r}")
            return value
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not is_number or (self.type == "int" and not isinstance(value, int)):
            expected = "an integer" if self.type == "int" else "a number"
            raise ValueError(f"{self.name}: expected {expected}, got {value!r}")
        if value != value or (self.min is not None and value < self.min) or (
            self.max is not None and value > self.max
        ):
            raise ValueError(f"{self.name}: {value} is outside {self.min}..{self.max}")
        return float(value) if self.type == "float" else value


@dataclass(frozen=True)
class ExperimentSpec:
    name: str
    target: str  # "module:Class", imported only when a run starts
    summary: str
    params: dict[str, Param]
    metrics: tuple[str, ...]  # names that Metrics events carry; lessons' checks may use them
    widgets: tuple[str, ...] = field(default=())  # widget names a lesson layout may show

    def defaults(self) -> dict[str, Any]:
        return {name: p.default for name, p in self.params.items()}

    def resolve(self, overrides: dict[str, Any]) -> dict[str, Any]:
        """Defaults with overrides applied; unknown names and bad values raise ValueError."""
        params = self.defaults()
        for name, value in overrides.items():
            if name not in self.params:
                known = ", ".join(self.params)
                raise ValueError(f"unknown parameter {name!r} for {self.name} (known: {known})")
            params[name] = self.params[name].check(value)
        return params

    def load(self) -> type:
        module, _, cls = self.target.partition(":")
        return getattr(importlib.import_module(module), cls)


def _params(*params: Param) -> dict[str, Param]:
    return {p.name: p for p in params}


MNIST_MLP = ExperimentSpec(
    name="mnist-mlp",
    target="nntui.lab.mnist_mlp:MnistMLP",
    summary="A one-hidden-layer MLP on MNIST-5k with every rung of Nielsen's ladder as a parameter.",
    params=_params(
        Param("hidden", "int", 100, min=1, max=1024, help="hidden units"),
        Param("activation", "choice", "sigmoid", choices=("sigmoid", "tanh", "relu")),
        Param("cost", "choice", "cross-entropy", choices=("quadratic", "cross-entropy")),
        Param("init", "choice", "scaled", choices=("standard", "scaled"),
              help="standard: N(0,1); scaled: N(0,1/n_in)"),
        Param("l2", "float", 5.0, min=0.0, max=100.0, live=True, help="L2 lambda (Nielsen's)"),
        Param("dropout", "float", 0.0, min=0.0, max=0.9, live=True, help="dropout p on the hidden layer"),
        Param("optimizer", "choice", "momentum", choices=("sgd", "momentum")),
        Param("momentum", "float", 0.9, min=0.0, max=0.99, live=True, help="momentum mu"),
        Param("lr", "float", 0.02, min=1e-5, max=100.0, live=True, help="learning rate eta"),
        Param("batch", "int", 10, min=1, max=4000, help="mini-batch size"),
        Param("epochs", "int", 30, min=1, max=1000, help="epochs to train"),
        Param("eval_every", "int", 400, min=10, max=100000, help="steps between test evaluations"),
    ),
    metrics=("step", "epoch", "train_loss", "test_loss", "test_accuracy", "train_accuracy"),
    widgets=("loss", "accuracy", "digits"),
)

TOY_FIT = ExperimentSpec(
    name="toy-fit",
    target="nntui.lab.toy_fit:ToyFit",
    summary="A tiny network fitting a 1-D function live: neurons, activations, depth.",
    params=_params(
        Param("target", "choice", "sine", choices=("sine", "step", "abs", "square", "line")),
        Param("hidden", "int", 8, min=1, max=256, help="units per hidden layer"),
        Param("layers", "int", 1, min=1, max=6, help="hidden layers"),
        Param("activation", "choice", "tanh", choices=("linear", "sigmoid", "tanh", "relu")),
        Param("lr", "float", 0.01, min=1e-5, max=1.0, live=True, help="Adam learning rate"),
        Param("steps", "int", 2000, min=1, max=1_000_000, help="steps to train"),
        Param("points", "int", 64, min=8, max=1024, help="training points"),
    ),
    metrics=("step", "train_loss"),
    widgets=("loss", "fit"),
)

EXPERIMENTS: dict[str, ExperimentSpec] = {spec.name: spec for spec in (MNIST_MLP, TOY_FIT)}


def get(name: str) -> ExperimentSpec:
    try:
        return EXPERIMENTS[name]
    except KeyError:
        known = ", ".join(EXPERIMENTS)
        raise KeyError(f"unknown experiment {name!r} (known: {known})") from None
