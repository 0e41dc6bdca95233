"""The Scatter event end to end without torch: JSON round trip, the recording check, the run
history, latest-wins batching and the CSV export."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from nntui.export import export_csv, skipped_kinds
from nntui.runtime.history import History
from nntui.spec.events import Metrics, RunStarted, Scatter, coalesce, from_dict
from nntui.spec.recording_check import Invalid, check_event


def scatter(step: int = 10, name: str = "decision", grid: int = 3, classes: int = 2) -> Scatter:
    points = np.array([[-1.5, 2.0], [0.5, -0.25], [1.0, 1.0]], dtype=np.float32)
    probs = np.full((grid, grid, classes), 1.0 / classes, dtype=np.float32)
    probs[0, 0] = [0.9, 0.1] if classes == 2 else probs[0, 0]
    return Scatter(step, name, points, np.array([0, 1, 1]), np.array([False, True, False]), [-2.0, 2.0, -3.0, 3.0],
                   probs)


def test_json_round_trip_keeps_every_array_and_its_type():
    event = scatter()
    again = from_dict(json.loads(json.dumps(event.to_dict())))
    assert isinstance(again, Scatter) and again.step == 10 and again.name == "decision"
    assert again.points.dtype == np.float32 and np.array_equal(again.points, event.points)
    assert again.labels.tolist() == [0, 1, 1] and again.held_out.dtype == np.bool_
    assert again.held_out.tolist() == [False, True, False] and again.extent == [-2.0, 2.0, -3.0, 3.0]
    assert again.probs.dtype == np.float32 and np.array_equal(again.probs, event.probs)


def test_a_batch_keeps_only_the_newest_scatter_of_each_name():
    batch = [scatter(1), Metrics(1, {"a": 1.0}), scatter(2), scatter(3, name="other"), scatter(4)]
    kept = coalesce(batch)
    assert [(e.kind, getattr(e, "step", None)) for e in kept] == [("metrics", 1), ("scatter", 3), ("scatter", 4)]


def good() -> dict:
    return json.loads(json.dumps(scatter().to_dict()))


@pytest.mark.parametrize("change, message", [
    ({"points": [[1.0, 2.0, 3.0]] * 3}, "points: 3 coordinates a point"),
    ({"points": [[1.0, "x"]] * 3}, "points: expected numbers only"),
    ({"labels": [0, 1]}, "labels: 2 for 3 points"),
    ({"labels": [0, 1, 2]}, "labels: expected classes 0..1"),
    ({"labels": [0, 1, -1]}, "labels: expected classes 0..1"),
    ({"held_out": [0, 1, 0]}, "held_out[0]: expected true/false"),
    ({"held_out": [True]}, "held_out: 1 for 3 points"),
    ({"extent": [2.0, -2.0, -3.0, 3.0]}, "extent: expected x_min < x_max"),
    ({"extent": [0.0, 1.0, 2.0]}, "extent: 3 numbers; expected 4"),
    ({"probs": [[0.5, 0.5]]}, "probs: expected a 3-D array, got 2-D"),
    ({"probs": [[[1.5, -0.5]]]}, "probs: expected probabilities in 0..1"),
    ({"probs": [[[0.5] * 100]]}, "probs: 100 classes; at most 64"),
    ({"colour": "red"}, "scatter: unknown field 'colour'"),
])
def test_the_recording_check_names_what_is_wrong(change, message):
    data = {**good(), **change}
    with pytest.raises(Invalid) as error:
        check_event(data)
    assert message in str(error.value) and str(error.value).startswith("scatter: ")


def test_the_recording_check_accepts_the_event_and_a_diverged_field():
    check_event(good())
    data = good()
    data["probs"] = [[[float("nan"), float("nan")]]]  # written as NaN by json.dumps
    check_event(json.loads(json.dumps(data)))
    empty = {**good(), "points": [], "labels": [], "held_out": []}
    check_event(empty)


def test_the_history_keeps_the_latest_scatter_of_each_name_for_the_current_run():
    history = History()
    changed = history.apply([RunStarted(1, "playground", {}, 0, "cpu"), scatter(10), scatter(20)])
    assert "scatter" in changed and history.current.latest_of(Scatter, "decision").step == 20
    history.apply([RunStarted(2, "playground", {}, 0, "cpu")])
    assert history.current.all_of(Scatter) == {} and history.runs[0].latest_of(Scatter, "decision").step == 20


def read(path) -> list[dict]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_csv_export_in_long_format_points_once_a_run_and_every_field(tmp_path):
    first, second = scatter(10), scatter(20)
    events = [RunStarted(1, "playground", {}, 0, "cpu"), first, second,
              RunStarted(2, "playground", {}, 0, "cpu"), scatter(5)]
    written = dict((path.name, rows) for path, rows in export_csv(events, tmp_path))
    assert written["scatter_points.csv"] == 6  # three points, once in each run
    points = read(tmp_path / "scatter_points.csv")
    assert points[1] == {"run": "1", "step": "10", "name": "decision", "point": "1", "x": "0.5", "y": "-0.25",
                         "class": "1", "split": "test"}
    field = read(tmp_path / "scatter_field.csv")
    assert written["scatter_field.csv"] == len(field) == 3 * (3 * 3 * 2)
    top_left = [row for row in field if (row["run"], row["step"], row["row"], row["col"]) == ("1", "10", "0", "0")]
    assert [(r["x"], r["y"], r["class"], float(r["p"])) for r in top_left] == [
        ("-2.0", "3.0", "0", float(np.float32(0.9))), ("-2.0", "3.0", "1", float(np.float32(0.1)))]
    bottom_right = next(row for row in field if (row["step"], row["row"], row["col"]) == ("20", "2", "2"))
    assert (bottom_right["x"], bottom_right["y"]) == ("2.0", "-3.0")
    assert skipped_kinds(events)["scatter"] == 0
