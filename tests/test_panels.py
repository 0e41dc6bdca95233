"""The live panels (screens/panels.py): what each draws from the run history, in both languages."""

from __future__ import annotations

import re

import numpy as np
import pytest
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll

from nntui.spec.events import (
    AttentionMaps,
    Curve,
    Decoding,
    ImageGrid,
    LayerNorms,
    Metrics,
    RunStarted,
    Status,
    Scatter,
    Tables,
    TextSample,
    TimeNorms,
    TokenSequence,
)
from nntui.i18n import WORDS
from nntui.runtime.history import History
from nntui.visuals import VISUALS
from nntui.widgets.attention_panel import AttentionPanel
from nntui.widgets.chart import LineChart
from nntui.widgets.number_tables import NumberTables
from nntui.widgets.shading import LineCacheWidget


def run_events(run: int, label: str = "intro", steps: int = 3) -> list:
    """A run that reports every metric the panels read, one point per step."""
    out = [RunStarted(run, "any", {}, 0, "cpu", label)]
    for step in range(1, steps + 1):
        out.append(Metrics(step * 100, {
            "train_loss": 2.0 / step, "test_loss": 2.2 / step, "test_accuracy": 0.5 + 0.1 * step,
            "train_accuracy": 0.55 + 0.1 * step, "grad_total": 1.0 * step, "grad_total_clipped": 1.0,
        }))
    return out


def full_history() -> History:
    """Two runs; the current one has data for every panel. Layer names and tokens are chosen so
    that none is an English word the panels themselves draw (they are identifiers, never translated)."""
    from test_beam_tree import notes_dicts  # the notes' search, as the lab sends it

    from nntui.lab.decoding_notes import NOTES_VOCAB

    beam, greedy = notes_dicts()
    x = np.linspace(-3, 3, 50)
    maps = np.full((2, 4, 5, 5), 0.2)
    history = History()
    history.apply(run_events(1, "lr=0.3") + run_events(2) + [
        ImageGrid(300, "digits", np.zeros((24, 28, 28), dtype=np.uint8), ["7→1"] * 24, [True] * 3 + [False] * 21),
        Curve(300, "fit", x, {"target": np.sin(x), "model": np.sin(x) + 0.5}),
        LayerNorms(300, ["fc1", "fc2", "fc3", "fc4", "fc5", "fc6", "fc7", "fc8", "fc9"], [0.1] * 9, [0.0] * 9,
                   [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0, 10.0, 1e3], [], 2.0, 1.0),
        LayerNorms(400, ["fc1", "fc2", "fc3", "fc4", "fc5", "fc6", "fc7", "fc8", "fc9"], [0.1] * 9, [0.0] * 9,
                   [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0, 10.0, 1e3], [], 3.0, 1.0),
        TimeNorms(300, np.logspace(-7, 0, 20)),
        AttentionMaps(300, ["5", "9", "4", "8", "3"], maps, {"raw": maps, "scaled": maps}),
        Tables(300, "qkv", [{"title": "x", "rows": ["a"], "cols": ["x0"], "values": [[1.0]], "note": ""}]),
        Decoding(300, list(NOTES_VOCAB), "", beam, greedy,
                 {"probs": [0.3, 0.4, 0.1, 0.1, 0.1], "kept": [0.43, 0.57, 0, 0, 0], "temperature": 1.0,
                  "top_k": 2, "top_p": 1.0}),
        ImageGrid(300, "images", np.zeros((2, 8, 8, 3), dtype=np.uint8), ["q1", "q2"], [True, False]),
        TokenSequence(300, "tokens", ["5", "9", "4", "8"], [5, 9, 4, 8], ["masked", "wrong", "right", "merged"],
                      [0, 0, 1, 1], ["", "p=0.4", "", ""]),
        *(TextSample(step, f"q{step} 7z", temperature=0.8, score=-1.5) for step in (100, 200, 300)),
        Scatter(300, "decision", np.array([[1.0, 2.0], [-3.0, 0.5]]), np.array([0, 1]), np.array([False, True]),
                [-6.0, 6.0, -6.0, 6.0], np.full((9, 9, 2), 0.5)),
    ])
    return history


# ---------------------------------------------------------------------------
# What the panels draw
# ---------------------------------------------------------------------------
def test_accuracy_panel_draws_train_beside_test_and_earlier_runs_dim():
    """The mnist-ladder guide asks to watch train accuracy against test accuracy."""
    history = History()
    history.apply(run_events(1, "lr=0.3") + run_events(2))
    chart = VISUALS["accuracy"].build()
    VISUALS["accuracy"].update(chart, history, "en")
    assert [(s.name, s.dim) for s in chart.series] == [("lr=0.3 test", True), ("train", False), ("test", False)]
    assert chart.series[1].y.tolist() == pytest.approx([0.65, 0.75, 0.85])
    header = chart.renderer.render(chart.series, 60, 10)[0].text
    assert header.startswith("accuracy") and "train 0.85" in header and "test 0.8" in header
    # batch-by-batch accuracy (recurrent, transformer) is the train line, token-level named so
    history = History()
    history.apply([RunStarted(1, "any", {}, 0, "cpu"), *(Metrics(s, {"token_accuracy": 0.5}) for s in range(1, 5))])
    VISUALS["accuracy"].update(chart, history, "en")
    assert [s.name for s in chart.series] == ["train"] and chart.renderer.title == "token accuracy"


def test_fit_legend_names_the_curves_and_nothing_else():
    """The legend once read "target 0.141 model 0.146": the last y over x, which means nothing.
    (How far apart they are is the loss chart's train_loss.)"""
    history = full_history()
    chart = VISUALS["fit"].build()
    VISUALS["fit"].update(chart, history, "en")
    assert chart.renderer.title == "fit"
    for width in (30, 48, 100):
        lines = [s.text for s in chart.renderer.render(chart.series, width, 12)]
        assert re.fullmatch(r"fit\s+━+ target\s+━+ model", lines[0].rstrip()), lines[0]


def test_grad_bars_title_and_every_layer_through_the_panel():
    history = full_history()
    bars = VISUALS["grad_bars"].build()
    VISUALS["grad_bars"].update(bars, history, "zh")
    lines = [s.text for s in bars.render_bars(24, 7)]
    assert lines[0].startswith("第 400 步的范数")
    assert sum(line.strip().startswith("⋮ +") for line in lines) == 1 and len(bars.shown) == 5


# ---------------------------------------------------------------------------
# Chinese, complete: every word a panel draws comes from nntui.i18n
# ---------------------------------------------------------------------------
def english_words() -> set[str]:
    """Every English word of WORDS that its Chinese does not keep (e.g. "softmax" stays)."""
    zh_text = re.sub(r"\{\w+\}", "", " ".join(zh for _, zh in WORDS.values()))
    words = set()
    for en, zh in WORDS.values():
        if en != zh:
            words |= set(re.findall(r"[A-Za-z]{3,}", re.sub(r"\{\w+\}", "", en)))
    return {w for w in words if w not in zh_text}


class AllPanels(App):
    """Every panel the lessons can lay out, one under the other."""

    CSS = """
    VerticalScroll > * { height: 16; width: 100; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            for name, panel in VISUALS.items():
                yield panel.build().set_class(True, f"panel-{name}")


def panel_text(widget) -> str:
    if isinstance(widget, AttentionPanel):
        widget = widget.grid if widget.showing_grid else widget.heatmap
    if isinstance(widget, NumberTables):
        return str(widget._body.render())
    assert isinstance(widget, LineCacheWidget)
    return "\n".join(widget.lines_text)


async def test_every_panel_speaks_the_lessons_language():
    """Drawn in Chinese, no panel shows an English word of the app's own (identifiers, tokens and
    numbers excepted); drawn again in English, the words come back."""
    forbidden = english_words()
    assert {"train", "test", "step", "best", "greedy", "masked", "exploding", "waiting"} <= forbidden
    app = AllPanels()
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.pause()
        empty = History()
        empty.apply([RunStarted(1, "any", {}, 0, "cpu")])
        for history in (empty, full_history()):  # the waiting messages, then the data
            for grid in (False, True):
                for name, panel in VISUALS.items():
                    widget = app.query_one(f".panel-{name}")
                    if isinstance(widget, AttentionPanel) and widget.showing_grid != grid:
                        widget.action_toggle_grid()
                    panel.update(widget, history, "zh")
                await pilot.pause()
                for name in VISUALS:
                    text = panel_text(app.query_one(f".panel-{name}"))
                    english = {w for w in forbidden if re.search(rf"\b{w}\b", text, re.IGNORECASE)}
                    assert not english, (name, english, text)
        chart = app.query_one(".panel-loss", LineChart)
        VISUALS["loss"].update(chart, full_history(), "en")
        await pilot.pause()
        assert chart.lines_text[0].startswith("loss") and "train" in chart.lines_text[0]


async def test_a_run_that_ends_without_attention_says_it_has_none():
    """A seq2seq without attention once said "waiting for attention" long after it finished."""
    app = AllPanels()
    async with app.run_test(size=(100, 60)) as pilot:
        panel = app.query_one(".panel-attention", AttentionPanel)
        history = History()
        history.apply([RunStarted(1, "seq2seq", {}, 0, "cpu"), Status("running", 5)])
        VISUALS["attention"].update(panel, history, "en")
        await pilot.pause()
        assert "waiting for attention" in panel_text(panel)
        changed = history.apply([Status("finished", 200)])
        assert changed <= VISUALS["attention"].feeds_on  # the end of the run redraws the panel
        for lang, words in (("en", "this run has none"), ("zh", "这次运行没有注意力")):
            VISUALS["attention"].update(panel, history, lang)
            await pilot.pause()
            assert words in panel_text(panel)


def test_a_widget_redraws_its_own_words_when_its_language_changes():
    history = full_history()
    bars = VISUALS["grad_bars"].build()
    VISUALS["grad_bars"].update(bars, history, "en")
    bars.title = None  # its own title: "norm now"
    assert bars.render_bars(30, 12)[0].text.startswith("norm now")
    bars.lang = "zh"
    assert bars.render_bars(30, 12)[0].text.startswith("当前范数")


def test_a_row_total_is_never_marked_as_the_rows_largest_weight():
    from rich.console import Console

    from nntui.widgets.number_tables import render_table

    spec = {"title": "softmax", "rows": ["Thinking", "Machines"], "cols": ["Thinking", "Machines", "Σ"],
            "values": [[0.62, 0.38, 1.0], [0.50, 0.50, 1.0]], "note": "", "emphasis": "row_max"}
    console = Console(width=60, record=True, force_terminal=True, color_system="truecolor")
    console.print(render_table(spec, 60))
    marked = [segment.text.strip() for segment in console._record_buffer
              if segment.style is not None and segment.style.reverse]
    assert marked == ["0.62", "0.50", "0.50"]  # a tie marks both; the Σ column's 1.00 never


def test_a_table_without_rows_reads_its_title_and_note_on_a_line_each():
    """A word the model does not know: its table was once drawn one character a line."""
    from rich.console import Console

    from nntui.widgets.number_tables import render_table

    spec = {"title": "'yorick'", "rows": [], "cols": [], "values": [],
            "note": "not among the 1,973 words seen 10+ times", "note_zh": "不在出现 10 次以上的 1,973 个词里"}
    for lang, note in (("en", spec["note"]), ("zh", spec["note_zh"])):
        console = Console(width=60, record=True)
        console.print(render_table(spec, 60, lang))
        lines = [line.strip() for line in console.export_text().splitlines() if line.strip()]
        assert lines == ["'yorick'", note]


def test_step_charts_span_the_current_runs_planned_steps():
    from nntui.spec.events import Metrics, RunStarted
    from nntui.runtime.history import History

    history = History()
    history.apply([RunStarted(1, "toy-fit", {}, 0, "cpu", "", 2000),
                   *(Metrics(s, {"train_loss": 1 / s}) for s in range(1, 2001))])
    history.apply([RunStarted(2, "toy-fit", {}, 0, "cpu", "", 300), Metrics(1, {"train_loss": 1.0})])
    chart = VISUALS["loss"].build()
    VISUALS["loss"].update(chart, history, "en")
    assert chart.renderer.x_max == 300  # not 2,000: the new run is not squeezed into a corner
