"""MnistMLP: Nielsen's ladder on MNIST-5k, checked on short seeded trainings."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

from nntui.curriculum.loader import load_curriculum
from nntui.spec.events import ImageGrid, Metrics
from nntui.spec import catalog
from nntui.lab.data import load_mnist, mnist_arrays
from nntui.lab.mnist_mlp import N_TRAIN, MnistMLP

# Short trainings: 30 hidden units, batch 10, 300 steps (3/4 of an epoch).
SMALL = {"hidden": 30, "batch": 10, "epochs": 1, "eval_every": 100}
BASELINE = {**SMALL, "activation": "sigmoid", "cost": "quadratic", "init": "standard",
            "l2": 0.0, "optimizer": "sgd", "lr": 3.0}
IMPROVED = {**BASELINE, "cost": "cross-entropy", "init": "scaled", "l2": 5.0, "lr": 0.5}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def train(exp: MnistMLP, steps: int) -> list:
    events = []
    for _ in range(steps):
        events += exp.step()
    return events


def metric_series(events: list, name: str) -> list[float]:
    return [e.values[name] for e in events if isinstance(e, Metrics) and name in e.values]


def test_data_is_scaled_flat_and_complete():
    data = load_mnist("cpu")
    assert data.train_x.shape == (4000, 784) and data.test_x.shape == (1000, 784)
    assert data.train_x.dtype == torch.float32
    assert 0.0 == data.train_x.min().item() and data.train_x.max().item() == 1.0
    raw = mnist_arrays()["train_images"]
    assert torch.equal(data.train_x[7], torch.from_numpy(raw[7].reshape(-1) / 255.0).float())
    assert torch.bincount(data.test_y).tolist() == [100] * 10
    assert load_mnist("cpu") is data  # cached


def rung(step_id: str) -> dict:
    """The settings a page of the mnist-ladder lesson trains (its defaults with the page's set)."""
    lesson = load_curriculum().find("mnist-ladder")
    return lesson.settings_for(next(step for step in lesson.steps if step.id == step_id))


def first_epoch(params: dict) -> tuple[Metrics, ImageGrid, MnistMLP]:
    """Train one epoch on seed 0 (what the lesson's pages quote): its evaluation and digit grid."""
    exp = MnistMLP(params, seed=0)
    events = train(exp, exp.steps_per_epoch)
    evaluation = [e for e in events if isinstance(e, Metrics) and "test_accuracy" in e.values][-1]
    grid = [e for e in events if isinstance(e, ImageGrid)][-1]
    assert evaluation.epoch == 1.0
    return evaluation, grid, exp


def test_quadratic_cost_starts_slow_and_never_answers_0_cross_entropy_starts_fast():
    # The mnist-ladder rung 2 page compares its first epoch with rung 1's; rung 1 says its
    # silent output unit is the one for 0 all along (its check: never more than 9 digits answered).
    quadratic, grid, exp = first_epoch(rung("quadratic"))
    cross_entropy, _, _ = first_epoch(rung("cross-entropy"))
    # Measured: 0.536 and 9 digits (no 0) against 0.813 and 10; seeds 0-4 quadratic 0.47-0.69.
    assert 0.45 < quadratic.values["test_accuracy"] < 0.6
    assert cross_entropy.values["test_accuracy"] > 0.78
    assert quadratic.values["digits_answered"] == 9 and cross_entropy.values["digits_answered"] == 10
    zeros = [k for k, caption in enumerate(grid.captions) if caption.startswith("0→")]
    assert len(zeros) >= 2 and all(grid.flagged[k] and grid.captions[k] != "0→0" for k in zeros)
    for epoch in range(1, 11):  # the page's whole run: 0 is never an answer
        with torch.no_grad():
            assert 0 not in exp.model(exp.test_x).argmax(1).tolist(), f"epoch {epoch}"
        train(exp, exp.steps_per_epoch if epoch < 10 else 0)
    with torch.no_grad():  # stuck near a = 0, even on the 0s, so sigma'(z) leaves it no gradient
        a0 = torch.sigmoid(exp.model(exp.train_x[exp.train_y == 0]))[:, 0]
    assert exp.done and a0.mean().item() < 0.01  # measured: 0.0001


def test_first_epoch_scaled_init_starts_higher_than_standard_init():
    # The rung 5 page: the same net as rung 4 but for the initialisation.
    standard, _, _ = first_epoch(rung("l2"))
    scaled, _, _ = first_epoch(rung("scaled-init"))
    # Measured: 0.810 against 0.885.
    assert 0.78 < standard.values["test_accuracy"] < 0.84
    assert 0.87 < scaled.values["test_accuracy"] < 0.9


def test_standard_init_saturates_most_hidden_units_and_scaled_init_none():
    # The rung 5 page: with N(0, 1) weights z has a standard deviation of about 9 and most
    # sigmoid units start saturated; with N(0, 1/n_in) about 1 and none are.
    def hidden_z(init: str) -> torch.Tensor:
        exp = MnistMLP({**SMALL, "hidden": 100, "init": init}, seed=0)
        with torch.no_grad():
            return exp.model.hidden(exp.train_x)

    def saturated(z: torch.Tensor) -> float:
        slope = torch.sigmoid(z) * (1 - torch.sigmoid(z))
        return (slope < 0.01).double().mean().item()

    standard, scaled = hidden_z("standard"), hidden_z("scaled")
    # Measured: std 9.6 and 63% of (unit, image) pairs with sigma'(z) < 0.01; std 1.1 and 0%.
    assert 8.5 < standard.std().item() < 10.5 and saturated(standard) > 0.5
    assert 0.9 < scaled.std().item() < 1.3 and saturated(scaled) < 0.01


def test_a_typical_digit_has_a_squared_norm_near_85():
    # The rung 5 page: with N(0, 1) weights Var z = sum x_j^2 + 1, about 85 for a typical digit.
    squared = load_mnist("cpu").train_x.pow(2).sum(dim=1)
    # Measured: median 85.5, mean 88.5.
    assert 80 < squared.median().item() < 90 and 80 < squared.mean().item() < 95


def test_nielsen_l2_update_shrinks_weights_not_biases():
    eta, lam = 0.5, 5.0
    exp = MnistMLP({**IMPROVED, "lr": eta, "l2": lam}, seed=0)
    before = copy.deepcopy(exp.model)
    exp.step()
    # Redo the same step by hand on the copy: the first batch of the epoch's shuffle.
    order = torch.randperm(N_TRAIN, generator=torch.Generator().manual_seed(0))[:10]
    x, y = exp.train_x[order], exp.train_y[order]
    loss = torch.nn.functional.cross_entropy(before(x), y)
    loss.backward()
    for (name, w0), w1 in zip(before.named_parameters(), exp.model.parameters()):
        shrink = 1 - eta * lam / N_TRAIN if name.endswith("weight") else 1.0
        expected = shrink * w0.detach() - eta * w0.grad
        torch.testing.assert_close(w1.detach(), expected, rtol=1e-5, atol=1e-6)


def test_quadratic_cost_is_half_squared_error_of_sigmoid_outputs():
    exp = MnistMLP(BASELINE, seed=0)
    z = exp.model(exp.test_x[:5]).detach().numpy().astype(np.float64)
    y = np.eye(10)[exp.test_y[:5].numpy()]
    expected = np.mean(0.5 * np.sum((1 / (1 + np.exp(-z)) - y) ** 2, axis=1))
    got = exp.cost(exp.model(exp.test_x[:5]), exp.test_y[:5], exp.test_one_hot[:5]).item()
    assert got == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("activation,cost,init", [
    ("sigmoid", "quadratic", "standard"),
    ("tanh", "cross-entropy", "scaled"),
    ("relu", "cross-entropy", "standard"),
])
def test_gradients_are_finite(activation, cost, init):
    exp = MnistMLP({**SMALL, "activation": activation, "cost": cost, "init": init,
                    "lr": 0.1, "dropout": 0.3}, seed=1)
    moved = [False] * 4
    for _ in range(20):
        exp.step()
        grads = [p.grad for p in exp.model.parameters()]
        assert len(grads) == 4
        for i, g in enumerate(grads):
            assert g is not None and torch.isfinite(g).all()
            moved[i] |= bool(g.abs().sum() > 0)
    # A batch the net already classifies with huge margins can give exactly zero gradients
    # (softmax saturates in float32), so ask only that every parameter got some gradient.
    assert all(moved)


def test_standard_init_is_n01_and_scaled_init_divides_by_sqrt_n_in():
    std = MnistMLP({**SMALL, "hidden": 200, "init": "standard"}, seed=0).model
    scaled = MnistMLP({**SMALL, "hidden": 200, "init": "scaled"}, seed=0).model
    assert std.hidden.weight.std().item() == pytest.approx(1.0, rel=0.02)
    assert scaled.hidden.weight.std().item() == pytest.approx(1 / math.sqrt(784), rel=0.02)
    assert scaled.out.weight.std().item() == pytest.approx(1 / math.sqrt(200), rel=0.1)
    assert scaled.hidden.bias.std().item() == pytest.approx(1.0, rel=0.2)


def test_live_params_reach_the_optimiser_and_model():
    exp = MnistMLP({**SMALL, "optimizer": "momentum"}, seed=0)
    exp.step()
    exp.set_param("lr", 0.07)
    assert [g["lr"] for g in exp.optimizer.param_groups] == [0.07, 0.07]
    exp.set_param("momentum", 0.8)
    assert [g["momentum"] for g in exp.optimizer.param_groups] == [0.8, 0.8]
    exp.set_param("l2", 2.0)
    assert exp.optimizer.param_groups[0]["weight_decay"] == pytest.approx(2.0 / N_TRAIN)
    assert exp.optimizer.param_groups[1]["weight_decay"] == 0.0  # biases: no L2
    exp.set_param("dropout", 0.5)
    assert exp.model.dropout.p == 0.5
    exp.step()  # still trains after the changes


def test_restart_only_param_raises():
    exp = MnistMLP(SMALL, seed=0)
    for name, value in [("hidden", 50), ("cost", "quadratic"), ("batch", 20)]:
        with pytest.raises(ValueError, match="restart"):
            exp.set_param(name, value)
    assert exp.model.hidden.out_features == 30


def test_step_zero_shows_24_digits_flagged_where_wrong():
    exp = MnistMLP(SMALL, seed=3)
    with torch.no_grad():
        predicted = exp.model(exp.test_x).argmax(1).numpy()  # the untrained net
    events = exp.step()
    grids = [e for e in events if isinstance(e, ImageGrid)]
    assert len(grids) == 1 and grids[0].step == 0
    assert metric_series(events, "test_accuracy") and events[0].step == 0
    grid = grids[0]
    assert grid.images.shape == (24, 28, 28) and grid.images.dtype == np.uint8
    # find each shown digit in the test set by its pixels, to know its index and label
    raw = mnist_arrays()
    flat = raw["test_images"].reshape(1000, -1)
    index = [int(np.flatnonzero((flat == img.reshape(-1)).all(1))[0]) for img in grid.images]
    labels = raw["test_labels"][index]
    assert set(labels.tolist()) == set(range(10))  # every digit is shown
    assert grid.captions == [f"{t}→{p}" for t, p in zip(labels, predicted[index])]  # true→predicted
    assert grid.flagged == [bool(p != t) for p, t in zip(predicted[index], labels)]
    assert any(grid.flagged)  # an untrained net gets most wrong: the check is not vacuous


def test_evaluations_at_every_eval_every_and_the_last_step():
    exp = MnistMLP({**SMALL, "batch": 100, "epochs": 2, "eval_every": 30}, seed=0)
    assert exp.total_steps == 80
    events = train(exp, 80)
    assert exp.done
    eval_steps = [e.step for e in events if isinstance(e, Metrics) and "test_accuracy" in e.values]
    assert eval_steps == [0, 30, 60, 80]
    train_steps = [e.step for e in events if isinstance(e, Metrics) and "train_loss" in e.values]
    assert train_steps == list(range(1, 81))
    last = [e for e in events if isinstance(e, Metrics)][-1]
    assert last.epoch == 2.0
    evals = [e for e in events if isinstance(e, Metrics) and "test_accuracy" in e.values]
    # Every evaluation reports all four (the accuracy chart draws train beside test at each one),
    # in the same event as its step's train_loss, so a check sees one step's values together.
    measured = {"test_loss", "test_accuracy", "train_accuracy", "digits_answered"}
    assert set(evals[0].values) == measured  # step 0: nothing trained yet
    assert all(set(e.values) == measured | {"train_loss"} for e in evals[1:])
    assert [e.step for e in events if isinstance(e, Metrics)] == list(range(0, 81))
    with torch.no_grad():
        exp.model.eval()
        predicted = exp.model(exp.test_x).argmax(1)
        train_predicted = exp.model(exp.train_x[:1000]).argmax(1)
    assert last.values["train_accuracy"] == pytest.approx((train_predicted == exp.train_y[:1000]).double().mean().item())
    assert last.values["digits_answered"] == len(set(predicted.tolist()))
    summary = exp.summary()
    assert summary["steps"] == 80 and summary["epochs"] == 2.0
    assert summary["test_accuracy"] == last.values["test_accuracy"]


def test_huge_learning_rate_diverges_without_raising():
    # lr 100 is the catalog's maximum; with relu and N(0,1) weights the loss reaches ~1e10
    # within a few steps (cross-entropy is computed stably, so it need not become nan).
    params = {**SMALL, "activation": "relu", "cost": "cross-entropy", "init": "standard",
              "optimizer": "sgd", "lr": 100.0}
    exp = MnistMLP(params, seed=0)
    events = train(exp, 30)
    losses = metric_series(events, "train_loss")
    assert len(losses) == 30
    assert any(not math.isfinite(v) or v > 1e6 for v in losses)
    summary = exp.summary()  # still answers
    assert summary["test_accuracy"] <= 0.2


def test_same_seed_same_losses_other_seed_other_losses():
    params = {**SMALL, "dropout": 0.2}
    a = metric_series(train(MnistMLP(params, seed=5), 50), "train_loss")
    b = metric_series(train(MnistMLP(params, seed=5), 50), "train_loss")
    c = metric_series(train(MnistMLP(params, seed=6), 50), "train_loss")
    assert a == b
    assert a != c


def test_catalog_defaults_are_the_top_rung():
    d = catalog.MNIST_MLP.defaults()
    assert (d["cost"], d["init"], d["optimizer"], d["hidden"]) == ("cross-entropy", "scaled", "momentum", 100)
    assert d["l2"] == 5.0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_matches_the_experiment_shape():
    exp = MnistMLP(SMALL, seed=0, device="cuda")
    events = train(exp, 10)
    assert exp.model.hidden.weight.device.type == "cuda"
    assert all(math.isfinite(v) for v in metric_series(events, "train_loss"))


def test_the_digits_shown_run_through_every_class_from_0():
    import numpy as np

    from nntui.lab.mnist_mlp import pick_digits

    labels = np.array([3, 0, 1, 0, 2, 9, 4, 5, 6, 7, 8, 1, 2])
    picked = pick_digits(labels, 12)
    assert list(labels[picked]) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
