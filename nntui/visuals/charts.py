"""Line charts of a run's metrics and curves: loss, accuracy, the fitted function, the total
gradient norm. Earlier runs stay in the loss and accuracy charts, dimmed, one line each."""

from __future__ import annotations

from typing import Any

from nntui.i18n import t
from nntui.runtime.history import History
from nntui.spec.events import Curve, Event, Metrics
from nntui.visuals.base import (
    TARGET_COLOUR, TEST_COLOUR, TRAIN_COLOUR, CsvTable, Rows, Visual, cell, csv_table, first_of, metric_series, numbered,
    run_colour, run_label, span_current_run,
)
from nntui.widgets.chart import LineChart
from nntui.widgets.chart_series import Series


def update_loss(chart: LineChart, history: History, lang: str = "en") -> None:
    chart.lang = lang
    chart.set_title(t("loss", lang))
    span_current_run(chart, history)
    current = history.current
    series = []
    for run in history.runs[:-1]:
        metric = first_of(run, "test_loss", "train_loss")
        if metric is not None:
            name = f"{run_label(run, lang)} {t('test' if metric == 'test_loss' else 'train', lang)}"
            series.append(metric_series(run, metric, name, run_colour(run), True, smooth=metric == "train_loss"))
    if current is not None:
        series.append(metric_series(current, "train_loss", t("train", lang), TRAIN_COLOUR, False, smooth=True))
        series.append(metric_series(current, "test_loss", t("test", lang), TEST_COLOUR, False))
    chart.set_series([s for s in series if s is not None])


# Accuracy on the training data: measured on a fixed subset, or (noisy) batch by batch.
TRAIN_ACCURACY = ("train_accuracy", "accuracy", "token_accuracy")


def update_accuracy(chart: LineChart, history: History, lang: str = "en") -> None:
    """The current run's train accuracy beside its test accuracy, where it reports them (the gap
    between the two is what overfitting looks like); earlier runs dim, one line each."""
    chart.lang = lang
    span_current_run(chart, history)
    current = history.current
    series = []
    for run in history.runs[:-1]:
        metric = first_of(run, "test_accuracy", *TRAIN_ACCURACY)
        if metric is not None:
            name = f"{run_label(run, lang)} {t('test' if metric == 'test_accuracy' else 'train', lang)}"
            per_batch = metric in ("accuracy", "token_accuracy")
            series.append(metric_series(run, metric, name, run_colour(run), True, smooth=per_batch))
    if current is not None:
        train = first_of(current, *TRAIN_ACCURACY)
        if train is not None:  # batch by batch it is noisy: draw the trend
            series.append(metric_series(current, train, t("train", lang), TRAIN_COLOUR, False,
                                        smooth=train != "train_accuracy"))
        series.append(metric_series(current, "test_accuracy", t("test", lang), TEST_COLOUR, False))
    token_level = current is not None and "token_accuracy" in current.series
    chart.set_title(t("token_accuracy" if token_level else "accuracy", lang))
    chart.set_series([s for s in series if s is not None])


def update_fit(chart: LineChart, history: History, lang: str = "en") -> None:
    """Target and model over x, named in the legend (their last y would mean nothing there; the
    loss chart gives how far apart they are, train_loss, over the training points)."""
    chart.lang = lang
    chart.set_title(t("fit", lang))
    run = history.current
    curve = run.curves.get("fit") if run else None
    if curve is None:
        return
    target, model = curve.series["target"], curve.series["model"]
    chart.set_series([
        Series(t("target", lang), curve.x, target, TARGET_COLOUR, False),
        Series(t("model", lang), curve.x, model, run_colour(run), False),
    ])


def update_grad_total(chart: LineChart, history: History, lang: str = "en") -> None:
    """The total gradient norm over steps, and after clipping when clipping is on."""
    chart.lang = lang
    chart.set_title(t("grad_total", lang))
    span_current_run(chart, history)
    run = history.current
    if run is None:
        return
    series = [
        metric_series(run, "grad_total", t("before_clip", lang), TEST_COLOUR, False),
        metric_series(run, "grad_total_clipped", t("after_clip", lang), TRAIN_COLOUR, False),
    ]
    chart.set_series([s for s in series if s is not None])


# ---- export -------------------------------------------------------------------------------
def _metrics_table(events: list[Event]) -> tuple[list[str], Rows]:
    """step[,epoch], one column per metric (first seen first), blank where a step did not report
    it; several Metrics events at one step share a row."""
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    names: dict[str, None] = {}  # an ordered set
    epochs = False
    for run, event in numbered(events):
        if isinstance(event, Metrics):
            row = rows.setdefault((run, event.step), {})
            row.update(event.values)
            names.update(dict.fromkeys(event.values))
            if event.epoch is not None:
                row["epoch"] = event.epoch
                epochs = True
    columns = (["epoch"] if epochs else []) + [n for n in names if n != "epoch"]
    body = ([run, step, *(cell(values.get(c)) for c in columns)] for (run, step), values in rows.items())
    return ["step", *columns], body


def _curve_rows(events: list[Event]) -> Rows:
    for run, event in numbered(events):
        if isinstance(event, Curve):
            x = event.x.tolist()
            for name, values in event.series.items():
                for xi, yi in zip(x, values.tolist()):
                    yield [run, event.step, event.name, name, xi, yi]


METRICS_CSV = CsvTable("metrics.csv", _metrics_table)
CURVES_CSV = csv_table("curves.csv", ("step", "name", "series", "x", "y"), _curve_rows)

VISUALS = (
    Visual("loss", lambda: LineChart("loss", log_y=True), update_loss, (Metrics,), exports=(METRICS_CSV,)),
    Visual("accuracy", lambda: LineChart("accuracy", y_min=0.0, y_max=1.0), update_accuracy, (Metrics,),
           exports=(METRICS_CSV,)),
    Visual("fit", lambda: LineChart("fit", x_label="x", legend_values=False), update_fit, (Curve,),
           exports=(CURVES_CSV,)),
    Visual("grad_total", lambda: LineChart("total gradient norm", log_y=True), update_grad_total, (Metrics,),
           exports=(METRICS_CSV,)),
)
