"""Gradient probes: exact against torch's own norms and clipping, and cheap by construction."""

from __future__ import annotations

import copy
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

from nntui.lab.probes import LayerProbe, clip_gradients, grad_norms, layer_grad_norms, probe_gradients

pytestmark = pytest.mark.usefixtures("one_torch_thread")

REL = 1e-6


def close(a: float, b: float, rel: float = REL) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=0.0)


def tiny_net(depth: int = 4, width: int = 16, seed: int = 0, layernorm: bool = False):
    """Linear layers (the probe's `layers`), an optional LayerNorm (its `others`), a backward."""
    torch.manual_seed(seed)
    layers = [nn.Linear(20 if i == 0 else width, width) for i in range(depth)] + [nn.Linear(width, 5)]
    norm = nn.LayerNorm(width) if layernorm else None
    x, y = torch.randn(12, 20), torch.randint(0, 5, (12,))
    zs = []
    h = x
    for layer in layers[:-1]:
        z = layer(h)
        zs.append(z)
        h = torch.tanh(norm(z) if norm is not None else z)
    zs.append(layers[-1](h))
    loss = F.cross_entropy(zs[-1], y)
    params = [p for layer in layers for p in layer.parameters()] + (list(norm.parameters()) if norm else [])
    grads = torch.autograd.grad(loss, params + zs)
    for p, g in zip(params, grads):
        p.grad = g
    return layers, norm, params, list(grads[len(params):])


def test_per_layer_norms_match_vector_norm_of_each_grad():
    layers, _, _, deltas = tiny_net()
    probe = LayerProbe(layers)(deltas)
    for layer, w, b, total in zip(layers, probe.weight, probe.bias, probe.total):
        assert close(w, torch.linalg.vector_norm(layer.weight.grad).item())
        assert close(b, torch.linalg.vector_norm(layer.bias.grad).item())
        both = torch.cat([layer.weight.grad.flatten(), layer.bias.grad.flatten()])
        assert close(total, torch.linalg.vector_norm(both).item())
    for d, delta in zip(probe.delta, deltas):
        assert close(d, torch.linalg.vector_norm(delta).item())
    assert len(probe.weight) == len(probe.delta) == len(layers)


def test_total_norm_is_what_clip_grad_norm_returns_and_includes_other_parameters():
    layers, norm, params, deltas = tiny_net(layernorm=True)
    probe = LayerProbe(layers, norm.parameters())(deltas)
    grads = [p.grad.clone() for p in params]
    expected = nn.utils.clip_grad_norm_(params, max_norm=1e9).item()  # 1e9: scales by 1, changes nothing
    assert close(probe.total_norm, expected)
    assert probe.clipped_norm is None
    assert all(torch.equal(p.grad, g) for p, g in zip(params, grads))  # measuring changes nothing
    # Without the LayerNorm's gain and shift the total is smaller: they are counted, not dropped.
    assert LayerProbe(layers)(deltas).total_norm < probe.total_norm


@pytest.mark.parametrize("max_norm", [0.05, 1e6])
def test_clipping_scales_like_clip_grad_norm_and_reports_both_norms(max_norm):
    layers, norm, params, deltas = tiny_net(layernorm=True)
    twin = [p.grad.clone() for p in params]
    before = [torch.linalg.vector_norm(p.grad).item() for p in params]
    probe = LayerProbe(layers, norm.parameters())(deltas, max_norm=max_norm)
    # The per-layer numbers are the pre-clip ones, as the total is.
    assert all(close(w, b) for w, b in zip(probe.weight, before[0::2]))

    class Holder:  # clip_grad_norm_ on copies of the same gradients
        def __init__(self, g):
            self.grad = g

    expected_total = nn.utils.clip_grad_norm_([Holder(g) for g in twin], max_norm)
    assert close(probe.total_norm, expected_total.item())
    for p, g in zip(params, twin):
        torch.testing.assert_close(p.grad, g, rtol=1e-6, atol=0.0)
    after = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in params])).item()
    assert close(probe.clipped_norm, after, rel=1e-5)
    assert probe.clipped_norm <= max_norm + 1e-6
    if max_norm < probe.total_norm:
        assert probe.clipped_norm == pytest.approx(max_norm, rel=1e-5)
    else:
        assert probe.clipped_norm == probe.total_norm  # below the threshold nothing moves


def test_clip_gradients_matches_torch_and_is_none_without_a_threshold():
    layers, _, params, _ = tiny_net(seed=1)
    twin = copy.deepcopy(params)
    for t, p in zip(twin, params):
        t.grad = p.grad.clone()
    total, none = clip_gradients(params, None)
    assert none is None and close(total, nn.utils.clip_grad_norm_(twin, 1e9).item())
    total, after = clip_gradients(params, 0.1)
    expected = nn.utils.clip_grad_norm_(twin, 0.1).item()
    assert close(total, expected)
    for p, t in zip(params, twin):
        torch.testing.assert_close(p.grad, t.grad, rtol=1e-6, atol=0.0)
    measured = math.sqrt(sum(torch.linalg.vector_norm(p.grad).item() ** 2 for p in params))
    assert after <= 0.1 + 1e-6 and close(after, measured, rel=1e-5)


def test_non_finite_gradients_are_reported_and_clipped_as_torch_does():
    layers, _, params, deltas = tiny_net(seed=2)
    layers[1].weight.grad[0, 0] = float("nan")
    twin = [p.grad.clone() for p in params]
    probe = probe_gradients(layers, deltas, max_norm=1.0)
    assert math.isnan(probe.total_norm) and math.isnan(probe.clipped_norm)

    class Holder:
        def __init__(self, g):
            self.grad = g

    nn.utils.clip_grad_norm_([Holder(g) for g in twin], 1.0)  # scales everything by nan
    assert all(torch.isnan(p.grad).all() and torch.isnan(g).all() for p, g in zip(params, twin))


def test_grad_norms_and_layer_grad_norms_agree_with_the_probe():
    layers, _, params, deltas = tiny_net(seed=3)
    probe = LayerProbe(layers)(deltas)
    weight, bias, total = layer_grad_norms(layers)
    assert (weight, bias, total) == (probe.weight, probe.bias, probe.total)
    norms = grad_norms(params).tolist()
    assert norms[0::2] == probe.weight
    unused = nn.Parameter(torch.ones(3))  # no .grad: counts as 0
    assert grad_norms([unused]).tolist() == [0.0]


class CountOps(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.ops: list[str] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops.append(str(func))
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("max_norm", [None, 0.01])
def test_the_probe_costs_the_same_few_torch_ops_however_deep_the_net(max_norm):
    """Fused: one norm call over every tensor, one stack, no per-tensor op or sync (the .tolist)."""
    counts = []
    for depth in (2, 12):
        layers, _, _, deltas = tiny_net(depth=depth)
        probe = LayerProbe(layers)
        with CountOps() as mode:
            probe(deltas, max_norm)
        counts.append(mode.ops)
    assert counts[0] == counts[1]
    assert len(counts[0]) <= 3  # _foreach_norm, stack, and _foreach_mul_ when clipping
