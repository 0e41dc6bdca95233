"""Cheap gradient probes: per-layer norms in one fused call, clipping with before/after norms.

`torch._foreach_norm` computes every tensor's norm in one call without a host sync per
tensor; the results stay on the device until the caller turns them into numbers once.

Why the arithmetic after that is done in Python: a small model's step is a few hundred
microseconds, and every extra torch op (pow, sum, sqrt, cat, ...) costs a few microseconds of
dispatch whatever the tensor's size. Once the norms are one list of floats, the per-layer
totals and the overall total are a handful of float operations (in double precision, so they
are at least as exact as torch's float32 reductions).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import torch
from torch import nn

# clip_grad_norm_ divides by (total + 1e-6) so that a zero gradient does not divide by zero.
CLIP_EPS = 1e-6


def grad_norms(tensors: Sequence[torch.Tensor]) -> torch.Tensor:
    """The 2-norm of each tensor's .grad (0 where there is none), as one 1-D tensor."""
    grads = [t.grad if t.grad is not None else torch.zeros(1, device=t.device) for t in tensors]
    return torch.stack(torch._foreach_norm(grads))


def layer_grad_norms(layers: Sequence[nn.Module]) -> tuple[list[float], list[float], list[float]]:
    """||dL/dW||, ||dL/db|| and their root-sum-square for each layer with a weight and a bias."""
    tensors = [p for layer in layers for p in (layer.weight, layer.bias)]
    norms = grad_norms(tensors).tolist()  # one sync for all layers
    weight, bias = norms[0::2], norms[1::2]
    return weight, bias, [math.hypot(w, b) for w, b in zip(weight, bias)]


def clip_gradients(parameters: Iterable[torch.Tensor], max_norm: float | None) -> tuple[float, float | None]:
    """The total gradient norm before clipping and, when max_norm is given, after it.

    The first number equals what `torch.nn.utils.clip_grad_norm_` returns, and the gradients are
    scaled as it scales them (by max_norm / (total + 1e-6) when that is below 1); with max_norm
    None nothing is clipped and the second number is None. The norms are computed once: the
    norm after clipping is the norm before times the common factor every gradient was scaled by.
    """
    parameters = [p for p in parameters if p.grad is not None]
    if not parameters:
        return 0.0, (None if max_norm is None else 0.0)
    total = math.sqrt(sum(n * n for n in grad_norms(parameters).tolist()))
    if max_norm is None:
        return total, None
    factor = _clip_([p.grad for p in parameters], total, max_norm)
    return total, total * factor


@dataclass(frozen=True, slots=True)
class GradientProbe:
    """What `probe_gradients` measured: per-layer lists input side first, then totals."""

    weight: list[float]  # ||dL/dW|| per layer
    bias: list[float]  # ||dL/db|| per layer
    total: list[float]  # sqrt(weight^2 + bias^2) per layer
    delta: list[float]  # ||dL/dz|| per captured tensor z (empty if none were given)
    total_norm: float  # every parameter's gradient, before clipping
    clipped_norm: float | None  # after clipping; None when max_norm is None


class LayerProbe:
    """The probe for one model, set up once: which parameters, in which order.

    `layers` have a weight and a bias; `others` are the remaining parameters (e.g. a
    LayerNorm's gain), counted in the total norm but not reported by layer. The parameters
    are looked up once (nn.Module attribute access is Python code), so a call does little
    more than the norms themselves.
    """

    def __init__(self, layers: Sequence[nn.Module], others: Iterable[torch.Tensor] = ()) -> None:
        self.params = [p for layer in layers for p in (layer.weight, layer.bias)]
        self.params += [p for p in others if p.requires_grad]
        self.n_layer_params = 2 * len(layers)

    def __call__(self, deltas: Sequence[torch.Tensor] = (), max_norm: float | None = None) -> GradientProbe:
        """Measure every gradient once, then clip like `clip_grad_norm_` when max_norm is given.

        `deltas` are gradients dL/dz themselves (e.g. from torch.autograd.grad, or z.grad after
        z.retain_grad()), reported as ||dL/dz||. The total over every parameter is what
        `clip_grad_norm_` would return. One fused norm call, one host sync.
        """
        grads = [p.grad for p in self.params if p.grad is not None]
        norms = torch.stack(torch._foreach_norm([*grads, *deltas])).tolist()
        n = self.n_layer_params
        weight, bias = norms[0:n:2], norms[1:n:2]
        total = math.sqrt(sum(v * v for v in norms[: len(grads)]))
        clipped = None if max_norm is None else total * _clip_(grads, total, max_norm)
        return GradientProbe(
            weight=weight,
            bias=bias,
            total=[math.hypot(w, b) for w, b in zip(weight, bias)],
            delta=norms[len(grads) :],
            total_norm=total,
            clipped_norm=clipped,
        )


def probe_gradients(
    layers: Sequence[nn.Module],
    deltas: Sequence[torch.Tensor] = (),
    others: Sequence[torch.Tensor] = (),
    max_norm: float | None = None,
) -> GradientProbe:
    """`LayerProbe(layers, others)(deltas, max_norm)` in one call, for code that probes rarely.

    Every layer's weight and bias must have a .grad (the per-layer lists are read by position).
    """
    return LayerProbe(layers, others)(deltas, max_norm)


def _clip_(grads: list[torch.Tensor], total: float, max_norm: float) -> float:
    """Scale grads in place as clip_grad_norm_ does, given their total norm; return the factor."""
    factor = max_norm / (total + CLIP_EPS)
    if factor >= 1.0:
        return 1.0
    # Below 1, or nan when the total is nan: clip_grad_norm_ multiplies by it either way.
    torch._foreach_mul_(grads, factor)
    return factor
