"""A deep MLP on MNIST-5k whose per-layer gradient norms show vanishing and exploding gradients.

    784 pixels -> `depth` hidden layers of `width` units -> 10 outputs (softmax, cross-entropy)

Each hidden layer l computes its weighted input z^l = W^l h^(l-1) + b^l, optionally normalises
it (LayerNorm or BatchNorm1d, before the activation), applies the activation, and with
`residual` adds its input back (h^l = h^(l-1) + f(z^l)) on every hidden layer after the first,
whose input is the 784 pixels and so has another shape.

Backpropagation multiplies the error by W^T and by the activation's slope once per layer:
    delta^(l-1) = (W^l)^T delta^l * f'(z^(l-1))
With sigmoid (f' <= 1/4) and small weights every factor shrinks the error, so the first
layers learn thousands of times slower than the last, or worse: the vanishing gradient. Large
weights (N(0, 1)) offset the 1/4 in part. ReLU's slope is 0 or 1, so with He's init (variance
2/n_in) the factors stay near 1 on average, and with N(0, 1) weights they are about
sqrt(n/2) > 1: the exploding gradient. A weight's gradient is the layer's error times the
layer's input (dL/dW^l = delta^l h^(l-1)^T); with ReLU and N(0, 1) the inputs grow forward as
fast as the errors grow backward, so the weight gradients are huge (~1e5) but alike in every
layer, while ||delta^l|| and the bias gradients show the growth toward the input.

Initialisations (`init`), weights then biases:
  standard  W ~ N(0, 1),            b ~ N(0, 1)   Nielsen's first network
  scaled    W ~ N(0, 1/n_in),       b ~ N(0, 1)   Nielsen's chapter 3 (as mnist-mlp does)
  xavier    W ~ N(0, 2/(n_in+n_out)), b = 0       Glorot and Bengio (2010), gain 1
  he        W ~ N(0, 2/n_in),       b = 0         He et al. (2015), fan-in, ReLU gain
The papers that introduced xavier and he set the biases to zero; Nielsen draws them from
N(0, 1), which this keeps for his two inits. `init_scale` multiplies every weight afterwards.

The probe: every `probe_every` steps (and at the first and last step) the gradient of every layer's weight and
bias, the layer's error ||delta^l|| = ||dL/dz^l|| (Frobenius over the mini-batch of the mean
loss; the bias gradient is its sum over the batch, Nielsen's measure of a layer's speed of
learning), and the total norm before and after clipping, all from one fused norm call.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from nntui.spec.events import Event, LayerNorms, Metrics
from nntui.spec import catalog
from nntui.lab.base import Experiment, accuracy, evaluated
from nntui.lab.data import ShuffledEpochs
from nntui.lab.probes import LayerProbe

N_TRAIN = 4000

ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "gelu": F.gelu}


class DeepNet(nn.Module):
    def __init__(self, depth: int, width: int, activation: str, norm: str, residual: bool) -> None:
        super().__init__()
        self.hidden = nn.ModuleList(nn.Linear(784 if i == 0 else width, width) for i in range(depth))
        # No Identity modules for "none": a module call costs microseconds, per layer, per step.
        norm_class = {"layernorm": nn.LayerNorm, "batchnorm": nn.BatchNorm1d}.get(norm)
        self.norms = nn.ModuleList(norm_class(width) for _ in range(depth)) if norm_class else None
        self.activation = ACTIVATIONS[activation]
        self.residual = residual
        self.out = nn.Linear(width, 10)

    @property
    def layers(self) -> list[nn.Linear]:
        """The weighted layers, input side first: the probe reports one entry for each."""
        return [*self.hidden, self.out]

    def forward(self, x: torch.Tensor, capture: list[torch.Tensor] | None = None) -> torch.Tensor:
        """Pixels (batch, 784) in, output weighted inputs (batch, 10) out.

        With a `capture` list, each layer's weighted input z^l (input side first, the output
        last) is appended to it, so that the probe can ask autograd for dL/dz^l.
        """
        h = x
        for i, linear in enumerate(self.hidden):
            z = linear(h)
            if capture is not None:
                capture.append(z)
            a = self.activation(z if self.norms is None else self.norms[i](z))
            h = h + a if self.residual and i > 0 else a
        z = self.out(h)
        if capture is not None:
            capture.append(z)
        return z


@torch.no_grad()
def initialise(model: DeepNet, init: str, scale: float) -> None:
    for layer in model.layers:
        if init == "standard":
            nn.init.normal_(layer.weight, 0.0, 1.0)
            nn.init.normal_(layer.bias, 0.0, 1.0)
        elif init == "scaled":
            nn.init.normal_(layer.weight, 0.0, 1.0 / math.sqrt(layer.in_features))
            nn.init.normal_(layer.bias, 0.0, 1.0)
        elif init == "xavier":
            nn.init.xavier_normal_(layer.weight)
            nn.init.zeros_(layer.bias)
        elif init == "he":
            nn.init.kaiming_normal_(layer.weight, mode="fan_in", nonlinearity="relu")
            nn.init.zeros_(layer.bias)
        else:
            raise ValueError(f"unknown init {init!r}")
        layer.weight.mul_(scale)


class DeepMLP(ShuffledEpochs, Experiment):
    spec = catalog.DEEP_MLP

    def __init__(self, params: dict[str, Any], seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed, device)
        p = self.params
        self._load_mnist()

        self.model = DeepNet(p["depth"], p["width"], p["activation"], p["norm"], p["residual"])
        self.model.to(self.device)
        initialise(self.model, p["init"], p["init_scale"])
        self.layers = self.model.layers
        self.layer_names = [f"layer {i + 1}" for i in range(p["depth"])] + ["output"]
        # Parameters outside the Linear layers (a LayerNorm's gain and shift): in the total only.
        in_layers = {id(t) for layer in self.layers for t in layer.parameters()}
        others = [t for t in self.model.parameters() if id(t) not in in_layers]
        self.probe = LayerProbe(self.layers, others)
        self.trainable = list(self.model.parameters())
        # fused: the whole update in one kernel, ~15% more steps/s for a net this small on CPU.
        self.optimizer = torch.optim.SGD(self.trainable, lr=p["lr"], fused=True)

        self.batch = p["batch"]
        if p["norm"] == "batchnorm" and self.batch < 2:
            raise ValueError("batch: BatchNorm needs at least 2 images per mini-batch")
        # Every mini-batch has `batch` images (BatchNorm's statistics need more than one): an
        # incomplete last batch of an epoch is skipped, and the next epoch reshuffles.
        self.steps_per_epoch = N_TRAIN // self.batch
        self.shuffler = torch.Generator().manual_seed(seed)
        self.epoch_x = self.epoch_y = self.train_x  # set by _shuffle()

        self.last_train_loss = math.nan
        self.last_eval: dict[str, float] = {}
        self.last_eval_step = -1
        self.last_probe: LayerNorms | None = None

    # -- training ------------------------------------------------------------------------

    def step(self) -> list[Event]:
        events: list[Event] = []
        if self.step_count == 0:
            events += self._evaluate()  # something to show before the first step

        batch = self._next_batch()
        step = self.step_count + 1
        probing = self.is_due(step)
        max_norm = self.params["max_norm"] if self.params["clip"] else None
        if probing:
            # One backward pass that also returns dL/dz^l for every layer's weighted input z^l:
            # autograd.grad hands back the parameters' gradients and the captured ones together
            # (no retain_grad hooks; it costs no more than loss.backward()), and they become
            # the parameters' .grad as backward() would have left them.
            zs: list[torch.Tensor] = []
            loss = F.cross_entropy(self.model(self.epoch_x[batch], zs), self.epoch_y[batch])
            grads = torch.autograd.grad(loss, [*self.trainable, *zs])
            for param, grad in zip(self.trainable, grads):
                param.grad = grad
            # Measure, then clip with the same norms: clipping is training, so it happens on
            # every step whether or not anyone looks; on the other steps clip_grad_norm_ does
            # it alone, without turning its result into a Python number (a host sync on a GPU).
            probe = self.probe(grads[len(self.trainable):], max_norm)
        else:
            loss = F.cross_entropy(self.model(self.epoch_x[batch]), self.epoch_y[batch])
            self.optimizer.zero_grad()
            loss.backward()
            if max_norm is not None:
                nn.utils.clip_grad_norm_(self.trainable, max_norm, foreach=True)
        self.optimizer.step()
        self.step_count = step

        self.last_train_loss = loss.item()  # nan or inf is reported, never raised
        values = {"train_loss": self.last_train_loss}
        if probing:
            norms = LayerNorms(step, self.layer_names, probe.weight, probe.bias, probe.total,
                               probe.delta, probe.total_norm, probe.clipped_norm)
            self.last_probe = norms
            values.update(gradient_metrics(norms))
            events.append(norms)
        events.append(Metrics(step, values, self._epoch()))
        if step % self.params["eval_every"] == 0 or step == self.total_steps:
            events += self._evaluate()
        return events

    # -- measuring -----------------------------------------------------------------------

    @torch.no_grad()
    def _evaluate(self) -> list[Event]:
        z = evaluated(self.model, self.test_x)  # BatchNorm on its running statistics
        test_loss = F.cross_entropy(z, self.test_y).double()
        test_accuracy = accuracy(z, self.test_y)
        values = torch.stack([test_loss, test_accuracy]).tolist()
        self.last_eval = dict(zip(("test_loss", "test_accuracy"), values))
        self.last_eval_step = self.step_count
        return [Metrics(self.step_count, dict(self.last_eval), self._epoch())]

    # -- live parameters -----------------------------------------------------------------

    @torch.no_grad()
    def summary(self) -> dict[str, float]:
        """Test loss and accuracy, training-set loss, and the last probe's per-layer norms."""
        if self.last_eval_step != self.step_count:
            self._evaluate()
        train_loss = F.cross_entropy(evaluated(self.model, self.train_x), self.train_y).item()
        out = {
            "test_accuracy": self.last_eval["test_accuracy"],
            "test_loss": self.last_eval["test_loss"],
            "train_loss": train_loss,
            "steps": self.step_count,
            "epochs": self._epoch(),
        }
        if self.last_probe is not None:
            out["grad_probe_step"] = self.last_probe.step
            for name, total in zip(self.last_probe.layers, self.last_probe.total):
                out["grad_" + name.replace(" ", "")] = total  # grad_layer1 .. grad_output
            out.update(gradient_metrics(self.last_probe))
        return out


def gradient_metrics(norms: LayerNorms) -> dict[str, float]:
    """The probe's scalars for charts and lesson checks (grad_ratio: first layer / output layer).

    grad_ratio is left out when the output layer's gradient is exactly zero (then every
    gradient is): a nan or inf metric would make the runtime call the run diverged.
    """
    first, last = norms.total[0], norms.total[-1]
    values = {
        "grad_first": first,
        "grad_last": last,
        "grad_max": max(norms.total),
        "grad_total": norms.total_norm,
    }
    if last != 0.0:
        values["grad_ratio"] = first / last
    if norms.clipped_norm is not None:
        values["grad_total_clipped"] = norms.clipped_norm
    return values
