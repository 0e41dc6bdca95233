"""Gradient views: each layer's gradient norm over steps (traces) and at the latest probe (bars),
and the gradient through time of a recurrent net (a strip)."""

from __future__ import annotations

from nntui.i18n import t
from nntui.runtime.history import History
from nntui.spec.events import Event, LayerNorms, TimeNorms
from nntui.visuals.base import Rows, Visual, cell, csv_table, numbered
from nntui.widgets.grad_bars import GradBars
from nntui.widgets.grad_traces import GradTraces
from nntui.widgets.time_strip import TimeStrip

REDRAW_S = 0.1  # cheap to redraw (3-5 ms) and new at every probe: 10 Hz


def layer_name(name: str, lang: str) -> str:
    """Layers are numbered (layer 3, shown L3) in any language; the last is called by its word."""
    return t("layer_output", lang) if name == "output" else name


def update_grad_traces(traces: GradTraces, history: History, lang: str = "en") -> None:
    traces.lang = lang
    run = history.current
    if run is None or not run.grad_series:
        return
    first = next(iter(run.grad_series.values()))
    norms = {layer_name(name, lang): series.y for name, series in run.grad_series.items()}
    clip = None
    if run.clip_series is not None:
        pre, post = run.clip_series
        clip = (pre.x, pre.y, post.y)
    traces.set_traces(first.x, norms, clip)


def update_grad_bars(bars: GradBars, history: History, lang: str = "en") -> None:
    bars.lang = lang
    run = history.current
    probe = run.latest_of(LayerNorms) if run else None
    if probe is not None:
        bars.show([layer_name(name, lang) for name in probe.layers], probe.total,
                  title=t("norm_at_step", lang).format(step=f"{probe.step:,}"))


def update_time_norms(strip: TimeStrip, history: History, lang: str = "en") -> None:
    strip.title = t("grad_through_time", lang)
    strip.lang = lang
    run = history.current
    probe = run.latest_of(TimeNorms) if run else None
    if probe is not None:
        strip.show(probe.values, step=probe.step)


def _layer_norm_rows(events: list[Event]) -> Rows:
    for run, event in numbered(events):
        if isinstance(event, LayerNorms):
            for i, layer in enumerate(event.layers):
                delta = event.delta[i] if i < len(event.delta) else None
                yield [run, event.step, layer, event.weight[i], event.bias[i], event.total[i], cell(delta)]


def _grad_norm_rows(events: list[Event]) -> Rows:
    for run, event in numbered(events):
        if isinstance(event, LayerNorms):
            yield [run, event.step, event.total_norm, cell(event.clipped_norm)]


def _time_norm_rows(events: list[Event]) -> Rows:
    for run, event in numbered(events):
        if isinstance(event, TimeNorms):
            for step_t, norm in enumerate(event.values.tolist(), start=1):
                yield [run, event.step, step_t, norm]


LAYER_NORMS = (
    csv_table("layer_norms.csv", ("step", "layer", "weight", "bias", "total", "delta"), _layer_norm_rows),
    csv_table("grad_norm.csv", ("step", "total_norm", "clipped_norm"), _grad_norm_rows),
)

VISUALS = (
    Visual("grad_traces", GradTraces, update_grad_traces, (LayerNorms,), REDRAW_S, exports=LAYER_NORMS),
    Visual("grad_bars", GradBars, update_grad_bars, (LayerNorms,), REDRAW_S, exports=LAYER_NORMS),
    Visual("time_norms", lambda: TimeStrip("gradient through time"), update_time_norms, (TimeNorms,), REDRAW_S,
           exports=(csv_table("time_norms.csv", ("step", "t", "norm"), _time_norm_rows),)),
)
