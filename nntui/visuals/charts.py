"""Line charts of a run's metrics and curves: loss, accuracy, the fitted function, a series and
its predictions, the error of predicting k steps ahead, the total gradient norm. Earlier runs
stay in the loss, accuracy and k-step error charts, dimmed, one line each."""

from __future__ import annotations

from typing import Any

from nntui.i18n import t
from nntui.runtime.history import History
from nntui.spec.events import Curve, Event, Metrics
from nntui.visuals.base import (
    CsvTable, Rows, Visual, cell, csv_table, first_of, metric_series, numbered,
    run_colour, run_label, span_current_run,
)
from nntui.widgets.chart import LineChart
from nntui.widgets.chart_series import Series
from nntui.widgets.colours import AUX_COLOUR, TARGET_COLOUR, TEST_COLOUR, TRAIN_COLOUR

# The loss on data the model never trains on: a test set, or a validation set (language models).
HELD_OUT_LOSS = ("test_loss", "val_loss")
_LOSS_WORD = {"test_loss": "test", "val_loss": "val"}


def update_loss(chart: LineChart, history: History, lang: str = "en") -> None:
    chart.lang = lang
    chart.set_title(t("loss", lang))
    span_current_run(chart, history)
    current = history.current
    series = []
    for run in history.runs[:-1]:
        metric = first_of(run, *HELD_OUT_LOSS, "train_loss")
        if metric is not None:
            name = f"{run_label(run, lang)} {t(_LOSS_WORD.get(metric, 'train'), lang)}"
            series.append(metric_series(run, metric, name, run_colour(run), True, smooth=metric == "train_loss"))
    if current is not None:
        series.append(metric_series(current, "train_loss", t("train", lang), TRAIN_COLOUR, False, smooth=True))
        held_out = first_of(current, *HELD_OUT_LOSS)
        if held_out is not None:
            series.append(metric_series(current, held_out, t(_LOSS_WORD[held_out], lang), TEST_COLOUR, False))
        if "aux_loss" in current.series:  # e.g. a fine-tuned model's L1, which its task loss may make it forget
            series.append(metric_series(current, "aux_loss", t("aux", lang), AUX_COLOUR, False))
    chart.set_series([s for s in series if s is not None])


def update_loss_time(chart: LineChart, history: History, lang: str = "en") -> None:
    """Validation loss against the seconds each run has spent training (wall_s): every run in its
    own colour, earlier ones dimmed and named by their label, so models that take steps of very
    different cost compare at equal time. Runs without both metrics are left out."""
    chart.lang = lang
    chart.set_title(t("loss_time", lang))
    series = []
    for run in history.runs:
        loss, seconds = run.series.get("val_loss"), run.series.get("wall_s")
        if loss is None or seconds is None or not len(loss):
            continue
        n = min(len(loss), len(seconds))  # reported together; a batch may hold one before the other
        earlier = run is not history.current
        name = run_label(run, lang) if earlier else t("val", lang)
        series.append(Series(name, seconds.y[:n], loss.y[:n], run_colour(run) if earlier else TEST_COLOUR, earlier))
    chart.set_series(series)


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


# A curve's series beyond those given a colour of their own take these in turn (the first is
# the current run's colour, as a fit's model has).
CURVE_COLOURS = ("#4fc3f7", "#81c784", "#ffb74d", "#e57373", "#ba68c8", "#fff176")


def curve_series(curve: Curve, lang: str, colours: dict[str, str], dim: bool = False,
                 prefix: str = "") -> list[Series]:
    """Every series of a Curve, in its order, each a line named in the legend (an app word in
    the lesson's language where the name is one, e.g. "target"; else as it is, e.g. "k=4"):
    those in `colours` in theirs, the others in CURVE_COLOURS in turn, so no two look alike."""
    spare = iter(c for c in CURVE_COLOURS if c not in colours.values())
    out = []
    for name, values in curve.series.items():
        colour = colours.get(name) or next(spare, TARGET_COLOUR)
        out.append(Series(f"{prefix}{t(name, lang)}", curve.x, values, colour, dim))
    return out


def update_fit(chart: LineChart, history: History, lang: str = "en") -> None:
    """Target and model over x, named in the legend (their last y would mean nothing there; the
    loss chart gives how far apart they are, train_loss, over the training points)."""
    chart.lang = lang
    chart.set_title(t("fit", lang))
    run = history.current
    curve = run.latest_of(Curve, "fit") if run else None
    if curve is None:
        return
    chart.set_series(curve_series(curve, lang, {"target": TARGET_COLOUR, "model": run_colour(run)}))


def update_forecast(chart: LineChart, history: History, lang: str = "en") -> None:
    """A series over time and a model's predictions of it, each in a colour of its own (e.g. 1,
    4, 16 and 64 steps ahead); NaN where a prediction does not exist leaves a gap. The series
    (the curve's first) is drawn in grey, then the predictions last to first (a cell takes one
    colour, the last drawn): the first, closest to the data, stays in view where they agree, a
    later one shows where it leaves them; the legend lists them in that order."""
    chart.lang = lang
    chart.set_title(t("forecast", lang))
    run = history.current
    curve = run.latest_of(Curve, "forecast") if run else None
    if curve is not None:
        data, *predictions = curve_series(curve, lang, {next(iter(curve.series)): TARGET_COLOUR})
        chart.set_series([data, *predictions[::-1]])


def update_k_error(chart: LineChart, history: History, lang: str = "en") -> None:
    """The error of k-step-ahead prediction against k: the current run bright, the earlier runs
    beside it, dimmed, each in its run's colour (a window model next to a latent one)."""
    chart.lang = lang
    chart.set_title(t("k_error", lang))
    chart.set_series(every_runs_curve(history, "k_error", lang))


def update_length_accuracy(chart: LineChart, history: History, lang: str = "en") -> None:
    """Accuracy against input length (a Curve "by_length"): the current run bright, the earlier
    runs beside it, dimmed (a seq2seq without attention next to one with)."""
    chart.lang = lang
    chart.set_title(t("length_accuracy", lang))
    chart.set_series(every_runs_curve(history, "by_length", lang))


def every_runs_curve(history: History, name: str, lang: str) -> list[Series]:
    """The Curve `name` of every run, each in its run's colour, earlier ones dimmed and named
    by their label."""
    series: list[Series] = []
    for run in history.runs:
        curve = run.latest_of(Curve, name)
        if curve is not None:
            earlier = run is not history.current
            prefix = f"{run_label(run, lang)} " if earlier else ""
            colours = {key: run_colour(run) for key in curve.series}
            series += curve_series(curve, lang, colours, dim=earlier, prefix=prefix)
    return series


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


def metrics_chart(metrics: tuple[tuple[str, str, str], ...], title: str):
    """An update drawing the current run's `metrics`, each (metric, its legend's word, colour), over
    steps, titled by the word `title`: e.g. a tokenizer's compression against its merges."""

    def update(chart: LineChart, history: History, lang: str = "en") -> None:
        chart.lang = lang
        chart.set_title(t(title, lang))
        span_current_run(chart, history)
        run = history.current
        if run is None:
            return
        series = [metric_series(run, metric, t(word, lang), colour, False) for metric, word, colour in metrics]
        chart.set_series([s for s in series if s is not None])

    return update


# BPE trained merge by merge (text-pipeline): characters per token, and the vocabulary it grows.
# One line each: at 80x24 a second line's name no longer fits in the legend.
update_compression = metrics_chart((("bpe_compression", "bpe", TRAIN_COLOUR),), "compression_title")
update_vocab_growth = metrics_chart((("bpe_vocab", "bpe", TRAIN_COLOUR),), "vocab_growth_title")


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
    Visual("loss_time", lambda: LineChart("loss against time", x_label="", log_y=True), update_loss_time,
           (Metrics,), exports=(METRICS_CSV,)),
    Visual("accuracy", lambda: LineChart("accuracy", y_min=0.0, y_max=1.0), update_accuracy, (Metrics,),
           exports=(METRICS_CSV,)),
    Visual("fit", lambda: LineChart("fit", x_label="x", legend_values=False), update_fit, (Curve,),
           exports=(CURVES_CSV,)),
    Visual("forecast", lambda: LineChart("predictions", x_label="t", legend_values=False), update_forecast, (Curve,),
           exports=(CURVES_CSV,)),
    Visual("length_accuracy", lambda: LineChart("accuracy by length", x_label="length", y_min=0.0, y_max=1.0,
                                                legend_values=False), update_length_accuracy, (Curve,),
           exports=(CURVES_CSV,)),
    Visual("k_error", lambda: LineChart("k-step error", x_label="k", log_y=True, legend_values=False), update_k_error,
           (Curve,), exports=(CURVES_CSV,)),
    Visual("grad_total", lambda: LineChart("total gradient norm", log_y=True), update_grad_total, (Metrics,),
           exports=(METRICS_CSV,)),
    Visual("compression", lambda: LineChart("compression"), update_compression, (Metrics,), exports=(METRICS_CSV,)),
    Visual("vocab_growth", lambda: LineChart("vocabulary"), update_vocab_growth, (Metrics,), exports=(METRICS_CSV,)),
)
