"""The live widgets a lesson's `layout` names, and how each is fed from the run history.

Each panel's `update(widget, history, lang)` draws the history in the lesson's language:
it sets the widget's `lang` (the words the widget draws itself) and passes titles and
series names from nntui.i18n. Identifiers (metric names, tokens, layer names) stay as
they are; numbers look the same in both languages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from typing import Callable

from rich.cells import cell_len
from textual.containers import Vertical
from textual.widget import Widget

from nntui.spec.events import AttentionMaps
from nntui.i18n import t
from nntui.runtime.history import History, Run
from nntui.widgets.chart import LineChart
from nntui.widgets.chart_series import Series
from nntui.widgets.plotting import bucket_means
from nntui.widgets.digits import DigitGrid
from nntui.widgets.grad_bars import GradBars
from nntui.widgets.grad_traces import GradTraces
from nntui.widgets.heatmap import Heatmap
from nntui.widgets.heatmap_grid import HeatmapGrid, Tile
from nntui.widgets.beam_tree import BeamTree
from nntui.widgets.number_tables import NumberTables
from nntui.widgets.token_bars import TokenBars
from nntui.widgets.samples import SampleList, update_samples
from nntui.widgets.images import ImagePanel, update_images
from nntui.widgets.tokens import TokenStrip, update_tokens
from nntui.widgets.text_stream import TextStream, update_text_stream
from nntui.widgets.scatter import Scatter, update_scatter
from nntui.widgets.time_strip import TimeStrip

# One colour per run, so overlaid runs stay apart; the current run is drawn bright.
RUN_COLOURS = ("#4fc3f7", "#ffb74d", "#81c784", "#e57373", "#ba68c8", "#fff176", "#4db6ac", "#f06292")
TRAIN_COLOUR = "#4fc3f7"
TEST_COLOUR = "#ffb74d"
TARGET_COLOUR = "#9e9e9e"


@dataclass(frozen=True)
class Panel:
    build: Callable[[], Widget]
    update: Callable[[Widget, History, str], None]  # (widget, history, lang): lang "en" or "zh"
    feeds_on: frozenset[str]  # History change kinds that call for a redraw
    interval_s: float = 0.2  # redraw at most this often: keys and SSH bandwidth come first


def _run_colour(run: Run) -> str:
    return RUN_COLOURS[(run.number - 1) % len(RUN_COLOURS)]


def _label(run: Run, lang: str) -> str:
    return t("defaults", lang) if run.label in ("", "intro") else run.label


SMOOTH_POINTS = 300  # per-step series are averaged down to this many points before drawing


def _series(run: Run, metric: str, name: str, colour: str, dim: bool, smooth: bool = False) -> Series | None:
    data = run.series.get(metric)
    if data is None or not len(data):
        return None
    x, y = bucket_means(data.x, data.y, SMOOTH_POINTS) if smooth else (data.x, data.y)
    return Series(name, x, y, colour, dim)


def _first_of(run: Run, *metrics: str) -> str | None:
    """The first of these metrics the run reports (experiments name their held-out set differently)."""
    return next((metric for metric in metrics if metric in run.series), None)


def _span_of_current_run(chart: LineChart, history: History) -> None:
    """Steps run along the x axis as far as the current run will go, from its first step: a
    300-step run is not squeezed into the corner of an earlier 2,000-step one (which is cut)."""
    total = history.current.total if history.current else None
    chart.set_x_max(float(total) if total and total > 1 else None)


def update_loss(chart: LineChart, history: History, lang: str = "en") -> None:
    chart.lang = lang
    chart.set_title(t("loss", lang))
    _span_of_current_run(chart, history)
    current = history.current
    series = []
    for run in history.runs[:-1]:
        metric = _first_of(run, "test_loss", "train_loss")
        if metric is not None:
            name = f"{_label(run, lang)} {t('test' if metric == 'test_loss' else 'train', lang)}"
            series.append(_series(run, metric, name, _run_colour(run), True, smooth=metric == "train_loss"))
    if current is not None:
        series.append(_series(current, "train_loss", t("train", lang), TRAIN_COLOUR, False, smooth=True))
        series.append(_series(current, "test_loss", t("test", lang), TEST_COLOUR, False))
    chart.set_series([s for s in series if s is not None])


# Accuracy on the training data: measured on a fixed subset, or (noisy) batch by batch.
TRAIN_ACCURACY = ("train_accuracy", "accuracy", "token_accuracy")


def update_accuracy(chart: LineChart, history: History, lang: str = "en") -> None:
    """The current run's train accuracy beside its test accuracy, where it reports them (the gap
    between the two is what overfitting looks like); earlier runs dim, one line each."""
    chart.lang = lang
    _span_of_current_run(chart, history)
    current = history.current
    series = []
    for run in history.runs[:-1]:
        metric = _first_of(run, "test_accuracy", *TRAIN_ACCURACY)
        if metric is not None:
            name = f"{_label(run, lang)} {t('test' if metric == 'test_accuracy' else 'train', lang)}"
            per_batch = metric in ("accuracy", "token_accuracy")
            series.append(_series(run, metric, name, _run_colour(run), True, smooth=per_batch))
    if current is not None:
        train = _first_of(current, *TRAIN_ACCURACY)
        if train is not None:  # batch by batch it is noisy: draw the trend
            series.append(_series(current, train, t("train", lang), TRAIN_COLOUR, False, smooth=train != "train_accuracy"))
        series.append(_series(current, "test_accuracy", t("test", lang), TEST_COLOUR, False))
    token_level = current is not None and "token_accuracy" in current.series
    chart.set_title(t("token_accuracy" if token_level else "accuracy", lang))
    chart.set_series([s for s in series if s is not None])


def update_digits(grid: DigitGrid, history: History, lang: str = "en") -> None:
    grid.lang = lang
    run = history.current
    event = run.images.get("digits") if run else None
    if event is not None:  # the lab captions each digit true→predicted
        grid.show(event.images, event.captions, event.flagged, title=t("digits_title", lang), note=t("digits_note", lang))


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
    chart.set_series(
        [
            Series(t("target", lang), curve.x, target, TARGET_COLOUR, False),
            Series(t("model", lang), curve.x, model, _run_colour(run), False),
        ]
    )


def _layer_name(name: str, lang: str) -> str:
    """Layers are numbered (layer 3, shown L3) in any language; the last is called by its word."""
    return t("layer_output", lang) if name == "output" else name


def update_grad_traces(traces: GradTraces, history: History, lang: str = "en") -> None:
    traces.lang = lang
    run = history.current
    if run is None or not run.grad_series:
        return
    first = next(iter(run.grad_series.values()))
    norms = {_layer_name(name, lang): series.y for name, series in run.grad_series.items()}
    clip = None
    if run.clip_series is not None:
        pre, post = run.clip_series
        clip = (pre.x, pre.y, post.y)
    traces.set_traces(first.x, norms, clip)


def update_grad_bars(bars: GradBars, history: History, lang: str = "en") -> None:
    bars.lang = lang
    run = history.current
    probe = run.layer_norms if run else None
    if probe is not None:
        bars.show([_layer_name(name, lang) for name in probe.layers], probe.total,
                  title=t("norm_at_step", lang).format(step=f"{probe.step:,}"))


def update_time_norms(strip: TimeStrip, history: History, lang: str = "en") -> None:
    strip.title = t("grad_through_time", lang)
    strip.lang = lang
    run = history.current
    probe = run.time_norms if run else None
    if probe is not None:
        strip.show(probe.values, step=probe.step)


def update_grad_total(chart: LineChart, history: History, lang: str = "en") -> None:
    """The total gradient norm over steps, and after clipping when clipping is on."""
    chart.lang = lang
    chart.set_title(t("grad_total", lang))
    _span_of_current_run(chart, history)
    run = history.current
    if run is None:
        return
    series = [
        _series(run, "grad_total", t("before_clip", lang), TEST_COLOUR, False),
        _series(run, "grad_total_clipped", t("after_clip", lang), TRAIN_COLOUR, False),
    ]
    chart.set_series([s for s in series if s is not None])


STAGES = ("softmax", "raw", "scaled", "masked")  # what `v` cycles through, the weights first


class AttentionPanel(Vertical):
    """One attention map, or every head at once (g); [ ] choose the layer, { } the head, v the stage.

    The choice lives here, not in the run, so it survives new captures and new runs.
    """

    DEFAULT_CSS = """
    AttentionPanel { width: 1fr; height: 1fr; }
    AttentionPanel > HeatmapGrid { display: none; }
    AttentionPanel.grid > HeatmapGrid { display: block; }
    AttentionPanel.grid > Heatmap { display: none; }
    """

    layer: int = -1  # -1: the last layer
    head: int | None = None  # None: the mean over heads
    stage: str = "softmax"

    def compose(self):
        yield Heatmap()
        yield HeatmapGrid()

    @property
    def heatmap(self) -> Heatmap:
        return self.query_one(Heatmap)

    @property
    def grid(self) -> HeatmapGrid:
        return self.query_one(HeatmapGrid)

    @property
    def title(self) -> str:
        return self.heatmap.title

    @property
    def showing_grid(self) -> bool:
        return self.has_class("grid")

    def choose(self, layers: int, heads: int, d_layer: int = 0, d_head: int = 0) -> None:
        self.layer = (self.layer % layers + d_layer) % layers if layers else -1
        options = [None, *range(heads)]  # the mean first, then each head
        self.head = options[(options.index(self.head) + d_head) % len(options)] if heads else None

    def next_stage(self, available: list[str]) -> None:
        options = [s for s in STAGES if s in available]
        self.stage = options[(options.index(self.stage) + 1) % len(options)] if self.stage in options else "softmax"

    def toggle_grid(self) -> None:
        self.toggle_class("grid")

    @property
    def lang(self) -> str:
        return self.heatmap.lang

    @lang.setter
    def lang(self, value: str) -> None:
        """The maps' own words ("masked", "waiting for attention"); update_attention makes the titles."""
        self.heatmap.lang = value
        self.grid.lang = value


def available_stages(maps: AttentionMaps) -> list[str]:
    """The stages worth cycling through: "masked" only where a mask was applied."""
    return ["softmax", *(name for name, values in maps.stages.items()
                         if name != "masked" or np.isneginf(values).any())]


def _stage_maps(maps: AttentionMaps, stage: str) -> tuple[np.ndarray, np.ndarray]:
    """(values, masked) of shape (layers, heads, T, T) for a stage.

    Masked is where the causal mask put -inf, shown only from the "masked" stage on: the raw and
    scaled scores above the diagonal exist, the mask is what removes them.
    """
    masked_stage = maps.stages.get("masked")
    masked = np.zeros(maps.weights.shape, dtype=bool)
    if masked_stage is not None and stage in ("masked", "softmax"):
        masked = np.isneginf(masked_stage)
    values = maps.weights if stage == "softmax" else maps.stages.get(stage, maps.weights)
    return values, masked


def update_attention(panel: AttentionPanel, history: History, lang: str = "en") -> None:
    """The chosen layer, head and stage (the last layer's mean weights by default)."""
    panel.lang = lang
    run = history.current
    maps = run.attention if run else None
    if maps is None or maps.weights.size == 0:
        return
    layers, heads = maps.weights.shape[:2]
    layer = panel.layer % layers
    values, masked = _stage_maps(maps, panel.stage)
    stage = panel.stage if panel.stage in maps.stages or panel.stage == "softmax" else "softmax"
    stage_name = t(f"stage_{stage}", lang)
    at_step = t("at_step", lang).format(step=f"{maps.step:,}")
    if panel.showing_grid:
        tiles = [
            Tile(f"L{lay + 1} H{h + 1}", values[lay, h], masked[lay, h])
            for lay in range(layers) for h in range(heads)
        ]
        # The chosen layer's head (its first for the mean) is marked, and kept in view when the
        # grid is taller than the panel: by default the last layer, where the patterns form.
        selected = layer * heads + (0 if panel.head is None else min(panel.head, heads - 1))
        panel.grid.show(tiles, title=f"{stage_name} · {t('every_head', lang)} · {at_step}", selected=selected,
                        columns=heads, row_names=[f"L{lay + 1}" for lay in range(layers)],
                        col_names=[f"H{h + 1}" for h in range(heads)])
        return
    if panel.head is None:
        matrix = values[layer].mean(axis=0)
        if heads > 1:
            which, short = t("attn_mean_heads", lang).format(n=heads), t("attn_mean_short", lang)
        else:
            which, short = t("attn_one_head", lang), "H1/1"
    else:
        head = min(panel.head, heads - 1)
        matrix = values[layer, head]
        which, short = t("attn_head", lang).format(i=head + 1, n=heads), f"H{head + 1}/{heads}"
    layer_name = t("attn_layer", lang).format(i=layer + 1, n=layers)
    full = f"{t('attention', lang)} · {layer_name} · {which} · {stage_name} · {at_step}"
    compact = f"L{layer + 1}/{layers} {short} {t(f'stage_{stage}_short', lang)} @{maps.step:,}"
    fits = panel.size.width == 0 or cell_len(full) + 24 <= panel.size.width  # room left for the cursor's value
    panel.heatmap.show(
        matrix,
        row_labels=maps.tokens,
        col_labels=maps.tokens,
        title=full if fits else compact,
        masked=masked[layer].all(axis=0) if masked.any() else None,
    )


def update_beam_tree(tree: BeamTree, history: History, lang: str = "en") -> None:
    tree.lang = lang
    run = history.current
    found = run.decoding if run else None
    if found is not None:
        start = f"“{found.prompt}”" if found.prompt else t("from_start", lang)
        # The training step the model had reached; a worked example (one step) has none to tell.
        trained = run.total != 1
        title = f"{start} · {t('at_step', lang).format(step=f'{found.step:,}')}" if trained else start
        tree.show(found.beam, found.vocab, greedy=found.greedy, title=title)


def update_next_token(bars: TokenBars, history: History, lang: str = "en") -> None:
    bars.lang = lang
    run = history.current
    found = run.decoding if run else None
    if found is not None:
        nt = found.next_token
        top_k = nt.get("top_k", 0) or t("off", lang)
        settings = f"T {nt.get('temperature', 1):g} · top-k {top_k} · top-p {nt.get('top_p', 1):g}"
        bars.show(found.vocab, nt["probs"], nt.get("kept", []), title=f"{t('next_token', lang)} · {settings}")


def update_tables(tables: NumberTables, history: History, lang: str = "en") -> None:
    tables.lang = lang
    run = history.current
    if run is not None and run.tables is not None:
        tables.show(run.tables.tables)


PANELS: dict[str, Panel] = {
    "loss": Panel(lambda: LineChart("loss", log_y=True), update_loss, frozenset({"metrics", "runs"})),
    "accuracy": Panel(
        lambda: LineChart("accuracy", y_min=0.0, y_max=1.0), update_accuracy, frozenset({"metrics", "runs"})
    ),
    "digits": Panel(DigitGrid, update_digits, frozenset({"images", "runs"})),
    "fit": Panel(lambda: LineChart("fit", x_label="x", legend_values=False), update_fit, frozenset({"curves", "runs"})),
    # Gradient views are cheap to redraw (3-5 ms) and change with every probe: 10 Hz.
    "grad_traces": Panel(GradTraces, update_grad_traces, frozenset({"grads", "runs"}), 0.1),
    "grad_bars": Panel(GradBars, update_grad_bars, frozenset({"grads", "runs"}), 0.1),
    "time_norms": Panel(lambda: TimeStrip("gradient through time"), update_time_norms,
                        frozenset({"time_norms", "runs"}), 0.1),
    "attention": Panel(AttentionPanel, update_attention, frozenset({"attention", "runs"}), 0.1),
    "tables": Panel(NumberTables, update_tables, frozenset({"tables", "runs"})),
    "beam_tree": Panel(BeamTree, update_beam_tree, frozenset({"decoding", "runs"})),
    "next_token": Panel(TokenBars, update_next_token, frozenset({"decoding", "runs"})),
    "samples": Panel(SampleList, update_samples, frozenset({"decoding", "runs"})),
    "grad_total": Panel(lambda: LineChart("total gradient norm", log_y=True), update_grad_total,
                        frozenset({"metrics", "runs"})),
    "scatter": Panel(Scatter, update_scatter, frozenset({"scatter", "runs"}), 0.1),
    "images": Panel(ImagePanel, update_images, frozenset({"images", "runs"})),
    "tokens": Panel(TokenStrip, update_tokens, frozenset({"tokens", "runs"})),
    "text_stream": Panel(TextStream, update_text_stream, frozenset({"texts", "runs"})),
}
