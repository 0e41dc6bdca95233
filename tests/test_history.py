"""The UI's run history, built from events alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from nntui.spec.events import Event, LayerNorms, Metrics, RunStarted, Status, TimeNorms
from nntui.runtime.history import MAX_RUNS, History


def probe(step: int, scale: float, clipped: float | None = None) -> LayerNorms:
    layers = ["layer 1", "layer 2", "output"]
    total = [scale * 1e-4, scale * 1e-2, scale]
    return LayerNorms(step, layers, total, [0.0] * 3, total, [], scale * 1.5, clipped)


def test_layer_norms_become_one_series_per_layer_and_the_latest_probe():
    history = History()
    changed = history.apply([RunStarted(1, "deep-mlp", {}, 0, "cpu"), probe(1, 1.0), probe(11, 2.0)])
    assert {"run_started", "layer_norms"} <= changed
    run = history.current
    assert list(run.grad_series) == ["layer 1", "layer 2", "output"]
    np.testing.assert_allclose(run.grad_series["layer 1"].x, [1, 11])
    np.testing.assert_allclose(run.grad_series["output"].y, [1.0, 2.0])
    assert run.latest_of(LayerNorms).step == 11 and run.clip_series is None


def test_clipping_keeps_pre_and_post_totals_from_when_it_was_turned_on():
    history = History()
    history.apply([RunStarted(1, "deep-mlp", {}, 0, "cpu"), probe(1, 1.0), probe(11, 4.0, clipped=1.0)])
    pre, post = history.current.clip_series
    assert list(pre.x) == [11] and list(pre.y) == [6.0] and list(post.y) == [1.0]


def test_time_norms_latest_wins_and_runs_are_capped():
    history = History()
    history.apply([RunStarted(1, "recall-rnn", {}, 0, "cpu"), TimeNorms(5, np.array([1e-9, 1.0]))])
    assert history.current.latest_of(TimeNorms).step == 5
    for run in range(2, MAX_RUNS + 3):
        history.apply([RunStarted(run, "recall-rnn", {}, 0, "cpu"), Metrics(1, {"train_loss": 1.0})])
    assert len(history.runs) == MAX_RUNS and history.runs[0].number == 3


def test_events_before_any_run_are_ignored_but_status_is_kept():
    history = History()
    changed = history.apply([Metrics(1, {"train_loss": 1.0}), Status("ready", 0)])
    assert history.current is None and history.status.state == "ready" and "status" in changed


def test_attention_capture_latest_wins_and_feeds_the_heatmap_panel():
    from nntui.spec.events import AttentionMaps
    from nntui.visuals import VISUALS

    history = History()
    weights = np.full((2, 4, 3, 3), 1 / 3, dtype=np.float32)
    changed = history.apply([
        RunStarted(1, "attention-live", {"causal": False}, 0, "cpu"),
        AttentionMaps(20, ["a", "b", "c"], weights),
    ])
    assert "attention" in changed and history.current.latest_of(AttentionMaps).step == 20
    assert "attention" in VISUALS["attention"].feeds_on


@dataclass(frozen=True, slots=True)
class Probe(Event):
    """A kind the history was never told about, as a new visual's event would be."""

    kind: ClassVar[str] = "probe"
    step: int
    name: str


def test_a_new_kind_of_event_is_kept_newest_per_name_without_a_line_in_the_history():
    history = History()
    changed = history.apply([RunStarted(1, "x", {}, 0, "cpu"), Probe(1, "a"), Probe(5, "b"), Probe(3, "a")])
    run = history.current
    assert "probe" in changed
    assert run.latest_of(Probe, "a") == Probe(3, "a") and run.latest_of(Probe, "c") is None
    assert run.latest_of(Probe) == Probe(5, "b")  # no name: the newest of any, by step
    assert list(run.all_of(Probe)) == ["a", "b"]
    history.apply([RunStarted(2, "x", {}, 0, "cpu")])
    assert history.current.latest_of(Probe) is None and history.runs[0].latest_of(Probe, "b").step == 5
