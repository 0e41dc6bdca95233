"""A chart's header: the title whole or cut by cells, the legend beside or under it, compacted
to fit, with the values a page asks the learner to watch; and its words in the lesson's language."""

from __future__ import annotations

import re

import numpy as np
import pytest
from rich.cells import cell_len

from chart_data import grad_series, loss_series
from nntui.widgets import Series
from nntui.widgets.chart_renderer import ChartRenderer


def header_lines(renderer: ChartRenderer, series: list[Series], width: int, height: int, no_color: bool = False) -> list[str]:
    """The chart's title/legend line(s): those above the first plot row (whose gutter has "┤" or "│")."""
    lines = [s.text for s in renderer.render(series, width, height, no_color=no_color)]
    return [line for line in lines[:2] if "┤" not in line and "│" not in line]


@pytest.mark.parametrize("title", ["loss", "test accuracy", "token accuracy", "词元准确率", "拟合 · 均方误差 0.000566"])
def test_titles_never_collide_with_legends(title):
    """At 80x24 a title once ran into the legend and both into the chart beside it: the title
    is whole (or cut with "…" by cells), every main series is named or counted "+k", and the
    last cell of a header line stays blank, a gap to the panel beside it."""
    series = [s for s in loss_series()]
    for no_color in (False, True):
        for width in range(12, 90):
            for height in (6, 12):
                renderer = ChartRenderer(title)
                head = header_lines(renderer, series, width, height, no_color)
                assert head and all(cell_len(line) == width for line in head)
                if width >= 16:
                    assert all(line[-1] == " " for line in head), (width, head)
                first = head[0].rstrip()
                if cell_len(title) <= (width - 1 if width >= 16 else width):
                    assert first.startswith(title), (width, height, head)
                else:  # cut by cells, never inside a wide character
                    assert first.endswith("…") and title.startswith(first[:-1]), (width, first)
                legend = " ".join(head)[len(title):] if first.startswith(title) else ""
                named = sum(f" {name}" in legend for name in ("train", "test"))
                counted = int(legend.rsplit("+", 1)[1]) if re.search(r"\+\d+\s*$", legend) else 0
                if cell_len(title) + 12 <= width:  # room for anything at all beside the title
                    assert named + counted >= 2, (width, height, head)


def test_legend_takes_a_line_of_its_own_when_it_does_not_fit_beside_the_title():
    series = loss_series()[2:]
    renderer = ChartRenderer("token accuracy")
    assert len(header_lines(renderer, series, 60, 12)) == 1  # wide: beside the title
    two = header_lines(renderer, series, 24, 12)
    assert two[0].rstrip() == "token accuracy" and "train" in two[1] and "test" in two[1]
    one = header_lines(renderer, series, 24, 7)  # short: one line, the series counted
    assert len(one) == 1 and one[0].startswith("token accuracy") and "+2" in one[0]


def test_a_legend_reads_large_values_as_they_are_counted():
    """A vocabulary of 2,069 once read "2.07e+03" in the legend."""
    vocab = Series("BPE", np.arange(3.0), np.array([500.0, 1200.0, 2069.0]), "#4fc3f7")
    head = " ".join(header_lines(ChartRenderer("vocabulary"), [vocab], 60, 12))
    assert "BPE 2,069" in head, head
    loss = Series("train", np.arange(2.0), np.array([2.0, 0.0123456]), "#4fc3f7")
    assert "train 0.0123" in " ".join(header_lines(ChartRenderer("loss"), [loss], 60, 12))


def test_a_narrow_legend_names_every_line_of_the_current_run_before_counting_earlier_runs():
    """gpt's loss chart at 80x24 once read "train 0.149 +3": its val and aux lines unnamed."""
    x = np.arange(3.0)
    earlier = [Series(f"run{k} val", x, x + k, "#888888", dim=True) for k in range(3)]
    current = [Series(name, x, x + 1.5, colour) for name, colour in
               (("train", "#4fc3f7"), ("val", "#ffb74d"), ("aux", "#ba68c8"))]
    legend = header_lines(ChartRenderer("loss"), earlier + current, 22, 12)[-1]
    assert all(f" {name}" in legend for name in ("train", "val", "aux")), legend
    wide = header_lines(ChartRenderer("loss"), earlier + current, 60, 12)[-1]
    assert "train 3.5" in wide and "+3" in wide  # with room: values, and the earlier runs counted


def test_chart_words_follow_the_language():
    renderer = ChartRenderer("损失", log_y=True)
    lines = [s.text for s in renderer.render(grad_series(), 40, 8)]
    assert lines[-1].startswith("step")
    renderer.lang = "zh"
    lines = [s.text for s in renderer.render(grad_series(), 40, 8)]
    assert lines[-1].startswith("步")
