"""DeepMLP: vanishing and exploding gradients on MNIST-5k, and an exact, cheap probe.

The phenomena are checked at step 1 (the gradients at initialisation, one mini-batch of 32,
seed 0), where they are sharpest and cost nothing to reach. The measured values are in the
comments. Where the vanishing-gradients lesson quotes a value at initialisation ("near 2e-5",
"about 18"), the bounds here are tight enough to keep its words true; what it says about
whole runs is its pages' checks (tests/test_claims.py).
"""

from __future__ import annotations

import copy
import json
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nntui.spec.events import LayerNorms, Metrics, from_dict
from nntui.spec import catalog
from nntui.lab.deep_mlp import N_TRAIN, DeepMLP
from nntui.spec.commands import Start
from nntui.trainer.driver import Driver

pytestmark = pytest.mark.usefixtures("one_torch_thread")

REL = 1e-6


def train(exp: DeepMLP, steps: int) -> list:
    events = []
    for _ in range(steps):
        events += exp.step()
    return events


def layer_norms(events: list) -> list[LayerNorms]:
    return [e for e in events if isinstance(e, LayerNorms)]


def metrics(events: list, name: str) -> list[float]:
    return [e.values[name] for e in events if isinstance(e, Metrics) and name in e.values]


def first_probe(**params) -> LayerNorms:
    exp = DeepMLP(params, seed=0)
    return layer_norms(exp.step())[0]


def ratio(norms: LayerNorms) -> float:
    return norms.total[0] / norms.total[-1]


# -- the lesson's phenomena ----------------------------------------------------------------


def test_defaults_are_the_lessons_opening_state():
    p = catalog.DEEP_MLP.defaults()
    assert (p["activation"], p["depth"], p["width"], p["init"]) == ("sigmoid", 8, 30, "xavier")
    norms = first_probe()
    assert norms.layers == [f"layer {i}" for i in range(1, 9)] + ["output"]


def test_sigmoid_depth_8_glorot_vanishes():
    norms = first_probe(activation="sigmoid", depth=8, init="xavier")
    # Measured: total 2.3e-5 (weight 2.4e-5, bias 8.1e-6, delta 9.8e-6); seeds 0-4: 2.3e-5..5.4e-5.
    assert 1.5e-5 <= ratio(norms) <= 3e-5  # the lesson: "near 2e-5"
    assert norms.bias[0] / norms.bias[-1] <= 1e-2 and norms.delta[0] / norms.delta[-1] <= 1e-2
    # Layer by layer, the error shrinks on its way back to the input.
    assert all(a < b for a, b in zip(norms.delta, norms.delta[1:]))
    # From layer 2 up, each layer's gradient is "about 4 times" smaller than the next one's
    # (measured 4.1 4.4 5.2 4.6 4.4 3.8 3.7), and the output's starts "near 0.9" (0.86).
    upward = [above / below for below, above in zip(norms.total[1:], norms.total[2:])]
    assert all(3 <= factor <= 6 for factor in upward)
    assert 0.75 <= norms.total[-1] <= 1.0


def test_sixteen_sigmoid_layers_vanish_further_and_two_learn():
    assert 2e-10 <= ratio(first_probe(depth=16)) <= 1e-9  # measured 5.2e-10: "about 5e-10"
    shallow = DeepMLP({"depth": 2, "steps": 1000}, seed=0)
    train(shallow, 1000)
    assert 0.75 <= shallow.summary()["test_accuracy"] <= 0.85  # measured 0.80: "about 0.8"


def z_spreads(**params) -> tuple[list[float], list[float]]:
    """Each hidden layer's z on the first mini-batch, at initialisation: how much it varies from
    image to image (std over the batch, mean over units), and from unit to unit (std over the
    units, mean over images). Normalisation divides by one of these."""
    exp = DeepMLP(params, seed=0)
    x, _ = first_batch(exp)
    zs: list[torch.Tensor] = []
    with torch.no_grad():
        exp.model(x, zs)
    hidden = zs[:-1]
    return [z.std(0).mean().item() for z in hidden], [z.std(1).mean().item() for z in hidden]


def test_why_the_sigmoid_net_stalls_and_batchnorm_does_not():
    # Measured across images: 0.33 0.078 0.018 0.0044 0.0010 2.4e-4 5e-5 1e-5 (the default);
    # with BatchNorm 0.20-0.22 from layer 2 on; with LayerNorm 0.33 ... 4.4e-4.
    plain, _ = z_spreads()
    assert all(a > 3 * b for a, b in zip(plain, plain[1:]))  # images look alike layer by layer
    assert plain[4] < 3e-3  # the lesson: "by layer 5, by about 0.001"
    batchnorm, _ = z_spreads(norm="batchnorm")
    assert all(0.15 <= spread <= 0.25 for spread in batchnorm[1:])  # "about 0.2", divided by
    layernorm_images, layernorm_units = z_spreads(norm="layernorm")
    assert all(0.35 <= spread <= 0.8 for spread in layernorm_units)  # "about 0.5", divided by
    assert layernorm_images[-1] < 1e-3  # and the images still fade alike


def test_sigmoid_scaled_init_vanishes_too_and_nielsens_standard_init_much_less():
    scaled = ratio(first_probe(activation="sigmoid", init="scaled"))  # measured 5.3e-6
    standard = ratio(first_probe(activation="sigmoid", init="standard"))  # measured 1.9e-2 (~50x)
    xavier = ratio(first_probe(activation="sigmoid", init="xavier"))  # measured 2.3e-5 (~44,000x)
    assert 3e-6 <= scaled <= 1e-5  # the lesson: "about 5e-6"
    # N(0, 1) weights offset sigmoid' <= 1/4 in part: tens of times of decay, not tens of thousands.
    assert 0.015 <= standard <= 0.025  # "near 2e-2", "about 50 times"
    assert 3e4 <= 1 / xavier <= 6e4  # "40,000 times"


def test_relu_with_he_init_keeps_the_layers_within_10x():
    norms = first_probe(activation="relu", init="he")
    # Measured: total ratio 5.7 (first layer above the output: it has 784 inputs), bias 0.82.
    assert 4 <= ratio(norms) <= 8  # the lesson: "near 6"
    assert max(norms.total) / min(norms.total) <= 10
    # Layers 2-8 "near 0.3" (measured 0.25-0.34), layer 1 "about 1.5" (1.50).
    assert all(0.2 <= total <= 0.4 for total in norms.total[1:-1])
    assert 1.2 <= norms.total[0] <= 1.8


def test_relu_with_standard_init_explodes():
    exp = DeepMLP({"activation": "relu", "init": "standard"}, seed=0)
    events = exp.step()
    norms = layer_norms(events)[0]
    # Measured: every layer 2.5e5..3.7e5, total 9.3e5; the exploding band starts at 1e2.
    assert max(norms.total) > 1e2 and norms.total_norm > 1e2
    assert all(2e5 <= total <= 4e5 for total in norms.total)  # the lesson: "between 2e5 and 4e5"
    assert 0.5 <= ratio(norms) <= 2  # "near 1"
    # Before any step the test loss (measured 1.1e6) is past the runtime's divergence line.
    assert metrics(events, "test_loss")[0] > 1e6
    # The growth is in the error: ||delta^1|| / ||delta^out|| measured 8.3e4. The weight
    # gradients (delta times the layer's input, which grows the other way) are flat: ratio 0.91.
    assert norms.delta[0] / norms.delta[-1] > 1e3


@pytest.mark.parametrize(
    "params, low, high",
    [
        ({"norm": "batchnorm"}, 1.5, 3),  # measured 2.2: fixed ("near 2")
        ({"residual": True}, 0.06, 0.1),  # measured 8.3e-2 at init ("near 0.08")
        ({"norm": "layernorm"}, 1.5e-3, 2.5e-3),  # measured 2.0e-3: ~90x the default's, not fixed
    ],
)
def test_normalisation_and_residual_connections_against_the_sigmoid_default(params, low, high):
    assert low <= ratio(first_probe(**params)) <= high


def test_the_layers_sit_together_with_batchnorm_and_residual_connections():
    batchnorm = first_probe(norm="batchnorm").total  # measured 1.5, 0.31-0.48 (layers 2-8), 0.70
    assert all(0.3 <= total <= 0.5 for total in batchnorm[1:-1])
    residual = first_probe(residual=True).total  # measured 1.5 0.70 1.3 1.4 1.8 1.8 1.7 1.9, output 18
    assert max(residual[:-1]) / min(residual[:-1]) <= 3
    assert 15 <= residual[-1] <= 20


@pytest.mark.parametrize(
    "params, low, high",
    [
        ({}, 0.0, 0.2),  # measured 0.10 (loss ln 10)
        ({"init": "scaled"}, 0.0, 0.2),  # measured 0.10: small weights again, stuck
        ({"norm": "batchnorm"}, 0.7, 1.0),  # measured 0.88
        ({"norm": "layernorm", "residual": True}, 0.5, 1.0),  # measured 0.76: LayerNorm needs the residual
    ],
)
def test_after_300_steps_the_fixes_train_and_the_default_sits_at_chance(params, low, high):
    exp = DeepMLP({**params, "steps": 300}, seed=0)
    train(exp, 300)
    assert low <= exp.summary()["test_accuracy"] <= high


def test_unclipped_relu_at_eta_1_diverges_at_step_8():
    # The clipping page's run with clip off: the total gradient norm goes from 1.7 to 6.2e6.
    driver = Driver()
    driver.handle(Start("deep-mlp", {"activation": "relu", "init": "he", "lr": 1.0, "probe_every": 1}, 0, "cpu"))
    events = []
    while driver.tick():
        events += driver.take()
    events += driver.take()
    totals = metrics(events, "grad_total")
    assert driver.state == "diverged" and driver.step == 8
    assert 1 <= totals[0] <= 3 and 3e6 <= totals[-1] <= 1e7  # measured 1.7 and 6.2e6


# -- the probe inside the experiment: exact ------------------------------------------------


def first_batch(exp: DeepMLP, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    order = torch.randperm(N_TRAIN, generator=torch.Generator().manual_seed(seed))[: exp.batch]
    return exp.train_x[order], exp.train_y[order]


@pytest.mark.parametrize("params", [{}, {"norm": "layernorm", "residual": True}, {"activation": "relu", "init": "he"}])
def test_probe_matches_torch_norms_of_every_grad(params):
    exp = DeepMLP(params, seed=0)
    norms = layer_norms(exp.step())[0]  # .grad keeps step 1's gradients until step 2
    for layer, w, b, total in zip(exp.layers, norms.weight, norms.bias, norms.total):
        assert math.isclose(w, torch.linalg.vector_norm(layer.weight.grad).item(), rel_tol=REL)
        assert math.isclose(b, torch.linalg.vector_norm(layer.bias.grad).item(), rel_tol=REL)
        assert math.isclose(total, math.hypot(w, b), rel_tol=REL)
    total = nn.utils.clip_grad_norm_(exp.model.parameters(), max_norm=1e9).item()  # scales by 1
    assert math.isclose(norms.total_norm, total, rel_tol=REL)
    assert norms.clipped_norm is None


def test_delta_is_the_norm_of_autograds_dl_dz():
    exp = DeepMLP({"residual": True}, seed=0)
    before = copy.deepcopy(exp.model)
    norms = layer_norms(exp.step())[0]
    # Independently: a forward hook on each Linear of the step-0 copy records z = Wx + b.
    zs = []
    for layer in before.layers:
        layer.register_forward_hook(lambda module, args, out: zs.append(out))
    x, y = first_batch(exp)
    loss = F.cross_entropy(before(x), y)
    expected = [torch.linalg.vector_norm(g).item() for g in torch.autograd.grad(loss, zs)]
    assert len(norms.delta) == len(expected) == 9
    for got, want in zip(norms.delta, expected):
        assert math.isclose(got, want, rel_tol=REL)
    assert math.isclose(exp.last_train_loss, loss.item(), rel_tol=REL)


def test_probe_steps_update_the_weights_as_plain_backward_would():
    """autograd.grad on probe steps, loss.backward() on the others: the same training."""
    probed = DeepMLP({"probe_every": 1}, seed=0)
    plain = DeepMLP({"probe_every": 1000}, seed=0)
    train(probed, 5)
    train(plain, 5)  # probes at step 1 only
    for a, b in zip(probed.model.parameters(), plain.model.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)


def test_clipping_bounds_the_post_clip_norm_and_reports_the_pre_clip_total():
    max_norm = 0.05
    exp = DeepMLP({"activation": "relu", "init": "he", "clip": True, "max_norm": max_norm,
                   "probe_every": 4, "lr": 0.1}, seed=0)
    before = [p.detach().clone() for p in exp.model.parameters()]
    events = exp.step()
    norms = layer_norms(events)[0]
    assert norms.total_norm > 10 * max_norm  # measured 1.7: clipping has work to do
    assert norms.clipped_norm <= max_norm + 1e-6
    assert metrics(events, "grad_total") == [norms.total_norm]
    assert metrics(events, "grad_total_clipped") == [norms.clipped_norm]
    # The optimiser used the clipped gradient: w1 = w0 - lr * g, with ||g|| = max_norm.
    g = [(w0 - w1) / 0.1 for w0, w1 in zip(before, exp.model.parameters())]
    used = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(t) for t in g])).item()
    assert used == pytest.approx(max_norm, rel=1e-3)
    # Steps that do not probe clip too: step 2's gradients, left in .grad, are within max_norm.
    events = exp.step()
    assert not layer_norms(events)
    after = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in exp.model.parameters()]))
    assert after.item() <= max_norm + 1e-6


# -- schedule, live parameters, summary, failure ---------------------------------------------


def test_probe_every_10_emits_layer_norms_on_step_1_every_10th_and_the_last():
    exp = DeepMLP({"probe_every": 10, "steps": 25, "eval_every": 10}, seed=0)
    events = train(exp, 25)
    probes = layer_norms(events)
    assert [p.step for p in probes] == [1, 10, 20, 25]
    gradient_steps = [e.step for e in events if isinstance(e, Metrics) and "grad_ratio" in e.values]
    assert gradient_steps == [1, 10, 20, 25]
    assert metrics(events, "grad_ratio") == [p.total[0] / p.total[-1] for p in probes]
    assert len(metrics(events, "train_loss")) == 25
    assert [e.step for e in events if isinstance(e, Metrics) and "test_accuracy" in e.values] == [0, 10, 20, 25]
    assert exp.done


def test_live_parameters_take_effect_on_the_next_step():
    exp = DeepMLP({"probe_every": 1}, seed=0)
    exp.step()
    exp.set_param("lr", 0.5)
    assert all(group["lr"] == 0.5 for group in exp.optimizer.param_groups)
    exp.set_param("clip", True)
    exp.set_param("max_norm", 0.01)
    events = exp.step()
    assert metrics(events, "grad_total_clipped")[0] <= 0.01 + 1e-6
    exp.set_param("probe_every", 5)
    steps = [p.step for p in layer_norms(train(exp, 8))]  # steps 3..10
    assert steps == [5, 10]
    exp.set_param("clip", False)
    assert not metrics(train(exp, 5), "grad_total_clipped")
    with pytest.raises(ValueError):
        exp.set_param("depth", 4)  # restart-only


def test_summary_has_the_final_per_layer_norms():
    exp = DeepMLP({"depth": 3, "steps": 20}, seed=0)
    events = train(exp, 20)
    last = layer_norms(events)[-1]
    summary = exp.summary()
    assert last.step == 20 and summary["grad_probe_step"] == 20
    assert [summary[k] for k in ("grad_layer1", "grad_layer2", "grad_layer3", "grad_output")] == last.total
    assert summary["grad_ratio"] == last.total[0] / last.total[-1]
    assert {"train_loss", "test_accuracy", "test_loss", "grad_first", "grad_last"} <= summary.keys()
    json.dumps(summary)


def test_layer_norms_survive_json():
    norms = first_probe(depth=2, clip=True)
    again = from_dict(json.loads(json.dumps(norms.to_dict())))
    assert again == norms


def test_a_non_finite_loss_is_reported_not_raised():
    exp = DeepMLP({"activation": "relu", "init": "standard", "lr": 10.0, "steps": 10}, seed=0)
    losses = metrics(train(exp, 10), "train_loss")
    assert not math.isfinite(losses[-1])
    driver = Driver()
    driver.handle(Start("deep-mlp", {"activation": "relu", "init": "standard", "lr": 10.0}, 0, "cpu"))
    while driver.tick():
        pass
    assert driver.state == "diverged" and driver.step < 10


def test_batchnorm_needs_two_images_per_batch_and_every_batch_is_full():
    with pytest.raises(ValueError, match="BatchNorm"):
        DeepMLP({"norm": "batchnorm", "batch": 1})
    exp = DeepMLP({"norm": "batchnorm", "batch": 3000, "steps": 3}, seed=0)
    train(exp, 3)  # 4,000 = 3,000 + 1,000: the short batch is skipped, every step sees 3,000
    assert exp.steps_per_epoch == 1


@pytest.mark.parametrize("init, std", [("standard", 1.0), ("scaled", 1 / math.sqrt(30)),
                                       ("xavier", math.sqrt(2 / 60)), ("he", math.sqrt(2 / 30))])
def test_initialisations_have_the_documented_spread(init, std):
    exp = DeepMLP({"init": init, "depth": 16, "width": 30, "init_scale": 2.0}, seed=0)
    weights = torch.cat([layer.weight.flatten() for layer in exp.model.hidden[1:]])  # 30 -> 30
    assert weights.std().item() == pytest.approx(2.0 * std, rel=0.05)
    biases = torch.cat([layer.bias for layer in exp.model.hidden])
    if init in ("xavier", "he"):
        assert biases.abs().max().item() == 0.0
    else:
        assert biases.std().item() == pytest.approx(1.0, rel=0.15)
