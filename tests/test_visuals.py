"""The visual kit (nntui/visuals): every visual redraws on what the history reports for the events
it draws, and a misspelt name is an error at import or load, never a panel that stays blank."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

from nntui.runtime.history import History
from nntui.spec import catalog, events
from nntui.visuals import VISUALS, Visual, _registry, csv_tables, help_rows, visual

SAMPLES: dict[type, events.Event] = {  # one event of each kind a visual can draw
    events.Metrics: events.Metrics(1, {"train_loss": 1.0}),
    events.ImageGrid: events.ImageGrid(1, "digits", np.zeros((1, 4, 4), np.uint8), ["7→7"]),
    events.Curve: events.Curve(1, "fit", np.zeros(3, np.float32),
                               {"target": np.zeros(3, np.float32), "model": np.zeros(3, np.float32)}),
    events.LayerNorms: events.LayerNorms(1, ["layer 1"], [1.0], [0.1], [1.0], [], 1.0),
    events.TimeNorms: events.TimeNorms(1, np.ones(4)),
    events.AttentionMaps: events.AttentionMaps(1, ["a", "b"], np.full((1, 1, 2, 2), 0.5, np.float32)),
    events.Tables: events.Tables(1, "scores", [{"title": "Q", "rows": ["a"], "cols": ["x"], "values": [[1.0]]}]),
    events.Scatter: events.Scatter(1, "decision", np.zeros((2, 2), np.float32), np.array([0, 1]),
                                   np.array([False, True]), [-1.0, 1.0, -1.0, 1.0],
                                   np.full((3, 3, 2), 0.5, np.float32)),
    events.TokenSequence: events.TokenSequence(1, "tokens", ["a", "b"]),
    events.TextSample: events.TextSample(1, "samples", "hello"),
    events.Status: events.Status("finished", 1),
}


@pytest.mark.parametrize("name", sorted(VISUALS))
def test_each_visual_redraws_on_what_the_history_reports_for_its_events(name):
    vis = VISUALS[name]
    for cls in vis.draws:
        if cls is events.Decoding:
            continue  # its payload is a whole search: tests/test_lab_decoding_live.py draws real ones
        changed = History().apply([events.RunStarted(1, "x", {}, 0, "cpu"), SAMPLES[cls]])
        assert changed - {events.RunStarted.kind} <= vis.feeds_on and cls.kind in changed, (name, changed)


def test_a_visual_names_event_classes_not_strings():
    with pytest.raises(TypeError, match="expected event classes"):
        Visual("loss", lambda: None, lambda *a: None, ("metrics",))
    with pytest.raises(TypeError, match="expected event classes"):
        Visual("loss", lambda: None, lambda *a: None, ())


def test_two_visuals_of_one_name_or_a_spec_offering_an_unknown_one_fail_at_import(monkeypatch):
    loss = VISUALS["loss"]
    with pytest.raises(ValueError, match="two visuals are called 'loss'"):
        _registry((loss,), (loss,))
    misspelt = dataclasses.replace(catalog.TOY_FIT, visuals=("fit", "los"))
    monkeypatch.setitem(catalog.EXPERIMENTS, "toy-fit", misspelt)
    with pytest.raises(ValueError, match=r"offers unknown visuals \['los'\]"):
        _registry(tuple(VISUALS.values()))
    with pytest.raises(KeyError, match="unknown visual 'los'; known: accuracy"):
        visual("los")


def test_every_spec_offers_only_known_visuals_and_every_visual_is_offered():
    offered = {name for spec in catalog.EXPERIMENTS.values() for name in spec.visuals}
    assert offered <= set(VISUALS)
    # A visual no experiment emits yet waits for its lesson (issue 15, NeRF): say which.
    assert set(VISUALS) - offered == {"images"}


def test_help_rows_and_csv_tables_come_once_each_from_the_visuals():
    rows = help_rows()
    assert len(rows) == len(set(rows)) and any(row.keys == "g" for row in rows)
    files = [table.file for table in csv_tables()]
    assert len(files) == len(set(files)) and "metrics.csv" in files and "attention.csv" in files


def test_the_attention_panel_keys_change_its_own_view_without_the_screen():
    from nntui.widgets.attention_panel import AttentionPanel

    panel = AttentionPanel()
    panel.maps = SimpleNamespace(weights=np.zeros((2, 3, 2, 2)))
    panel._draw = lambda: None  # no app here: the choice is what is tested
    panel.action_choose(1, 0)
    assert panel.layer == 0  # from the last of two layers on to the first
    panel.action_choose(0, 1)
    panel.action_choose(0, 1)
    assert panel.head == 1  # the mean, then head 0, then head 1


# Small settings, so each experiment's first steps take well under a second.
QUICK = {"mnist-mlp": {"probe_every": 1}, "deep-mlp": {"probe_every": 1}}


@pytest.mark.parametrize("name", sorted(catalog.EXPERIMENTS))
def test_an_experiment_sends_only_the_events_its_spec_declares(name, one_torch_thread):
    """`emits` is what the registry checks the offered visuals against: it must be the truth."""
    spec = catalog.get(name)
    params = {k: v for k, v in QUICK.get(name, {}).items() if k in spec.params}
    experiment = spec.load()(params, seed=0)
    sent: set[type] = set()
    for _ in range(3):
        sent |= {type(event) for event in experiment.step()}
    assert sent <= set(spec.emits), sent - set(spec.emits)
    assert events.Metrics in sent or name == "attention-steps"
