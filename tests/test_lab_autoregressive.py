"""Autoregressive: d2l's noisy sine, a window MLP or a latent RNN, and k-step-ahead prediction
whose error grows with k; the charts that draw a curve of many series and earlier runs' errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nntui.lab.autoregressive import NOISE_STD, SHOWN_K, Autoregressive, K, T, make_series
from nntui.runtime.history import History
from nntui.spec.events import Curve, Metrics, RunStarted
from nntui.widgets.colours import RUN_COLOURS, TARGET_COLOUR
from nntui.visuals.charts import update_fit, update_forecast, update_k_error

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def trained(**params) -> tuple[Autoregressive, list]:
    exp = Autoregressive(params, seed=0)
    events = []
    while not exp.done:
        events += exp.step()
    return exp, events


def test_the_series_is_d2ls_noisy_sine():
    x = make_series(0)
    noise = x - np.sin(0.01 * np.arange(1, T + 1))
    assert x.shape == (T,) and x.dtype == np.float32
    assert abs(noise.mean()) < 0.02 and noise.std() == pytest.approx(NOISE_STD, rel=0.05)
    assert np.array_equal(make_series(0), x) and not np.array_equal(make_series(1), x)


@pytest.mark.parametrize("model", ["window", "latent"])
def test_the_k_step_error_grows_with_k(model):
    """Measured on seed 0 after d2l's 190 steps: window 0.051, 0.055, 0.090, 0.345 for k = 1, 4,
    16, 64; latent 0.049, 0.058, 0.120, 0.400. Feeding predictions back compounds their errors."""
    _, events = trained(model=model)
    last = [e for e in events if isinstance(e, Metrics)][-1].values
    errors = [last[f"err_k{k}"] for k in SHOWN_K]
    assert errors == sorted(errors) and errors[-1] > 5 * errors[0], errors
    assert 0.04 < errors[0] < 0.06  # one step ahead: near the noise's variance, 0.2^2 = 0.04
    curve = [e for e in events if isinstance(e, Curve) and e.name == "k_error"][-1]
    k_error = curve.series[model]
    assert curve.x.tolist() == list(range(1, K + 1)) and k_error[0] == pytest.approx(errors[0])
    # the trend over every k: each quarter of the horizons worse on average than the one before
    quarters = k_error.reshape(4, -1).mean(axis=1)
    assert np.all(np.diff(quarters) > 0), quarters


@pytest.mark.parametrize("model", ["window", "latent"])
def test_k_step_predictions_use_only_values_before_their_start(model):
    """Row s - tau of `ahead` may depend on x_0..x_{s-1} only: changing x from s on leaves it,
    and its first column is the one-step prediction of x_s."""
    exp = Autoregressive({"model": model, "tau": 4}, seed=0)
    for _ in range(20):
        exp.step()
    one, before = exp.ahead()
    assert before.shape == (T - K - 4 + 1, K)
    assert torch.allclose(before[:, 0], one[: before.shape[0]], atol=1e-6)
    s = 300
    exp.x[s:] += 5.0  # the windows and labels are views of x: they change with it
    _, after = exp.ahead()
    row = s - exp.tau
    assert torch.equal(after[: row + 1], before[: row + 1])
    assert not torch.allclose(after[row + 1], before[row + 1])


def test_the_forecast_curve_puts_each_prediction_at_the_time_it_predicts():
    exp = Autoregressive({"tau": 4, "steps": 5}, seed=0)
    curves = {}
    while not exp.done:
        curves.update({e.name: e for e in exp.step() if isinstance(e, Curve)})
    forecast = curves["forecast"]
    assert list(forecast.series) == ["x", "k=1", "k=4", "k=16", "k=64"]
    assert np.array_equal(forecast.series["x"], exp.x_np) and forecast.x[0] == 1 and forecast.x[-1] == T
    _, predicted = exp.ahead()
    for k in SHOWN_K:
        line = forecast.series[f"k={k}"]
        first = 4 + k - 1  # the first start is s = tau; its k-step prediction is of x_{tau+k-1}
        assert np.isnan(line[:first]).all() and np.isnan(line[first + predicted.shape[0]:]).all()
        assert line[first] == pytest.approx(predicted[0, k - 1].item())


class FakeChart:
    """What the chart updates call: a title, a language and the series."""

    lang, title, series = "en", "", []

    def set_title(self, title):
        self.title = title

    def set_series(self, series):
        self.series = series


def history_of(*curves_per_run):
    history = History()
    for number, curves in enumerate(curves_per_run, 1):
        history.apply([RunStarted(number, "autoregressive", {}, 0, "cpu", label=f"run{number}"), *curves])
    return history


def test_a_curve_of_many_series_is_drawn_in_distinct_colours_with_the_data_in_grey():
    x = np.arange(3, dtype=np.float32)
    names = ["x", "k=1", "k=4", "k=16", "k=64"]
    forecast = Curve(1, "forecast", x, {name: x + i for i, name in enumerate(names)})
    chart = FakeChart()
    update_forecast(chart, history_of([forecast]), "zh")
    assert chart.title == "预测"
    # the data first, then the predictions last to first: k=1 is drawn on top
    assert [s.name for s in chart.series] == ["x", "k=64", "k=16", "k=4", "k=1"]
    assert chart.series[0].color == TARGET_COLOUR and not any(s.dim for s in chart.series)
    assert len({s.color for s in chart.series}) == 5


def test_the_k_error_chart_keeps_earlier_runs_beside_the_current_one_and_fit_keeps_its_look():
    k = np.arange(1, 4, dtype=np.float32)
    window = Curve(1, "k_error", k, {"window": k / 10})
    latent = Curve(1, "k_error", k, {"latent": k / 20})
    chart = FakeChart()
    update_k_error(chart, history_of([window], [latent]), "en")
    assert [(s.name, s.dim) for s in chart.series] == [("run1 window", True), ("latent", False)]
    assert chart.series[0].color != chart.series[1].color

    fit = Curve(1, "fit", k, {"target": k, "model": k})
    update_fit(chart, history_of([fit]), "zh")
    assert [(s.name, s.color) for s in chart.series] == [("目标", TARGET_COLOUR), ("模型", RUN_COLOURS[0])]
