"""ToyFit: a tiny net fitting a 1-D function; "linear" collapses to the best straight line."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nntui.spec.events import Curve, Metrics
from nntui.spec import catalog
from nntui.lab.toy_fit import ToyFit


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def run(exp: ToyFit, steps: int | None = None) -> list:
    events = []
    for _ in range(steps if steps is not None else exp.total_steps):
        events += exp.step()
    return events


def losses(events: list) -> list[float]:
    return [e.values["train_loss"] for e in events if isinstance(e, Metrics)]


def best_line_mse(points: int) -> float:
    """The least-squares line through sin(x) on the training points: what any linear net can reach."""
    x = np.linspace(-3.0, 3.0, points)
    design = np.stack([x, np.ones_like(x)], axis=1)
    coef, *_ = np.linalg.lstsq(design, np.sin(x), rcond=None)
    return float(np.mean((design @ coef - np.sin(x)) ** 2))


def test_tanh_fits_sine_but_a_deep_linear_net_only_finds_the_best_line():
    points = catalog.TOY_FIT.defaults()["points"]
    line = best_line_mse(points)
    assert line > 0.1  # sin on [-3, 3] is far from any line

    tanh = ToyFit({"steps": 1000}, seed=0)  # defaults: sine, tanh, 1 layer of 8
    run(tanh)
    linear = ToyFit({"steps": 1000, "activation": "linear", "layers": 3}, seed=0)
    run(linear)

    tanh_loss, linear_loss = tanh.summary()["train_loss"], linear.summary()["train_loss"]
    # Measured: tanh 1e-5 at 1000 steps; linear 0.1748 = the least-squares line's MSE.
    assert tanh_loss < 1e-3
    assert linear_loss == pytest.approx(line, rel=0.01)
    assert linear_loss >= line * (1 - 1e-4)  # no linear net can beat the best line


def test_curves_at_step_zero_every_ten_steps_and_the_last():
    exp = ToyFit({"steps": 25}, seed=0)
    events = run(exp)
    assert exp.done and exp.total_steps == 25
    curves = [e for e in events if isinstance(e, Curve)]
    assert [c.step for c in curves] == [0, 10, 20, 25]
    assert [e.step for e in events if isinstance(e, Metrics)] == list(range(1, 26))
    c = curves[-1]
    assert c.name == "fit" and c.x.dtype == np.float32 and len(c.x) == 128
    assert c.x[0] == -3.0 and c.x[-1] == 3.0
    np.testing.assert_allclose(c.series["target"], np.sin(c.x), atol=1e-6)
    with torch.no_grad():
        model = exp.model(torch.from_numpy(c.x).unsqueeze(1)).squeeze(1).numpy()
    np.testing.assert_allclose(c.series["model"], model, atol=1e-6)
    assert not np.allclose(curves[0].series["model"], c.series["model"])  # it learnt something


def test_steepness_comes_with_every_curve_and_is_its_largest_slope():
    exp = ToyFit({"steps": 25, "hidden": 3}, seed=0)
    events = run(exp)
    metrics = {e.step: e.values for e in events if isinstance(e, Metrics)}
    curves = {e.step: e for e in events if isinstance(e, Curve) and e.step > 0}
    assert [step for step, values in metrics.items() if "steepness" in values] == list(curves) == [10, 20, 25]
    for step, curve in curves.items():
        slopes = np.diff(curve.series["model"]) / np.diff(curve.x)
        assert metrics[step]["steepness"] == pytest.approx(np.abs(slopes).max(), rel=1e-4)


def test_one_sigmoid_unit_is_a_soft_step_of_slope_v_w_over_4():
    """y = v*sigmoid(w x + b) + c is steepest at x = -b/w, with slope v*w/4 (sigmoid'(0) = 1/4)."""
    exp = ToyFit({"target": "step", "hidden": 1, "activation": "sigmoid", "steps": 2000}, seed=0)
    events = run(exp)
    w, b = exp.model[0].weight.item(), exp.model[0].bias.item()
    v = exp.model[2].weight.item()
    assert -3 < -b / w < 3  # the step sits inside the drawn range
    steepness = [e.values["steepness"] for e in events if isinstance(e, Metrics) and "steepness" in e.values]
    assert steepness[-1] == pytest.approx(abs(v * w) / 4, rel=0.02)
    # Measured (the neuron lesson's one-unit page): under 0.1 early, 0.33 at step 500, 1.13 at 2000.
    assert min(steepness) < 0.1 and steepness[49] < 0.5 and steepness[-1] > 1.0


@pytest.mark.parametrize("target,expected", [
    ("step", lambda x: (x > 0).astype(np.float32)),
    ("abs", np.abs),
    ("square", np.square),
    ("line", lambda x: 0.5 * x + 0.5),
])
def test_targets(target, expected):
    curve = ToyFit({"target": target, "steps": 1}, seed=0).step()[0]
    np.testing.assert_allclose(curve.series["target"], expected(curve.x), atol=1e-6)


def test_linear_activation_has_no_nonlinearity_anywhere():
    exp = ToyFit({"activation": "linear", "layers": 3}, seed=0)
    kinds = {type(m).__name__ for m in exp.model.modules()} - {"Sequential"}
    assert kinds == {"Linear"}
    assert sum(isinstance(m, torch.nn.Linear) for m in exp.model.modules()) == 4


def test_same_seed_same_losses_other_seed_other_losses():
    a = losses(run(ToyFit({"steps": 50}, seed=1)))
    b = losses(run(ToyFit({"steps": 50}, seed=1)))
    c = losses(run(ToyFit({"steps": 50}, seed=2)))
    assert a == b and a != c


def test_live_lr_and_restart_only_params():
    exp = ToyFit({}, seed=0)
    exp.step()
    exp.set_param("lr", 0.123)
    assert exp.optimizer.param_groups[0]["lr"] == 0.123
    with pytest.raises(ValueError, match="restart"):
        exp.set_param("hidden", 16)
    with pytest.raises(ValueError):
        exp.set_param("lr", 5.0)  # outside the range
