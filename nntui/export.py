"""`nntui export FILE.jsonl --csv DIR`: a recording's series as CSV files, for spreadsheets and plots.

One file per kind of data, written only when the recording has that kind:
- metrics.csv      step[,epoch], one column per metric (first seen first), blank where a
                   step did not report it; several Metrics events at one step share a row.
- layer_norms.csv  long: step, layer, weight, bias, total, delta (blank when not probed).
- grad_norm.csv    step, total_norm, clipped_norm (blank when clipping is off).
- time_norms.csv   long: step, t (1 = first time step), norm  (||dL/dh_t||).
- attention.csv    long: step, layer, head, query, key, query_token, key_token, weight.
- curves.csv       long: step, name, series, x, y.
- tokens.csv       long: step, name, position (0 = first), token, id, mark, class, note (blank: none).
- texts.csv        step, name, temperature, score (blank: none), text: every generated text.
- scatter_points.csv  long: step, name, point (0 = first), x, y, class, split (train/test); a
                   set of points is written once, at the first step that showed it.
- scatter_field.csv   long: step, name, row, col, x, y, class, p: the model's probability of
                   each class at each grid sample (row 0 at the top, y = y_max).
Image grids and number tables are pictures, not series: they are not exported.
A recording with several runs gets a leading `run` column in every file.
Values are written at full precision (Python's repr), so they read back equal.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

from nntui.spec.events import (
    AttentionMaps, Curve, Event, LayerNorms, Metrics, RunStarted, Scatter, TextSample, TimeNorms, TokenSequence,
)


def export_csv(events: list[Event], folder: Path) -> list[tuple[Path, int]]:
    """Write the CSV files; return each file written with its number of data rows."""
    folder.mkdir(parents=True, exist_ok=True)
    runs = sum(isinstance(e, RunStarted) for e in events) > 1
    written = []
    for name, header, rows in _tables(events):
        rows = list(rows)
        if not rows:
            continue
        path = folder / name
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow((["run"] if runs else []) + header)
            writer.writerows(row[1:] if not runs else row for row in rows)
        written.append((path, len(rows)))
    return written


def skipped_kinds(events: list[Event]) -> Counter:
    """How many events of each kind the CSV files leave out."""
    exported = (RunStarted, Metrics, LayerNorms, TimeNorms, AttentionMaps, Curve, TokenSequence, TextSample, Scatter)
    return Counter(e.kind for e in events if not isinstance(e, exported) and e.kind not in ("status", "error"))


def _tables(events: list[Event]) -> Iterator[tuple[str, list[str], Iterator[list[Any]]]]:
    yield _metrics(events)
    yield "layer_norms.csv", ["step", "layer", "weight", "bias", "total", "delta"], _layer_norms(events)
    yield "grad_norm.csv", ["step", "total_norm", "clipped_norm"], _grad_norm(events)
    yield "time_norms.csv", ["step", "t", "norm"], _time_norms(events)
    header = ["step", "layer", "head", "query", "key", "query_token", "key_token", "weight"]
    yield "attention.csv", header, _attention(events)
    yield "curves.csv", ["step", "name", "series", "x", "y"], _curves(events)
    yield "tokens.csv", ["step", "name", "position", "token", "id", "mark", "class", "note"], _tokens(events)
    yield "texts.csv", ["step", "name", "temperature", "score", "text"], _texts(events)
    yield "scatter_points.csv", ["step", "name", "point", "x", "y", "class", "split"], _scatter_points(events)
    yield "scatter_field.csv", ["step", "name", "row", "col", "x", "y", "class", "p"], _scatter_field(events)


def _scatter_points(events: list[Event]) -> Iterator[list[Any]]:
    shown: dict[tuple[int, str], tuple] = {}  # the points last written for each run and name
    for run, event in _numbered(events):
        if isinstance(event, Scatter):
            key = (event.points.tobytes(), event.labels.tobytes(), event.held_out.tobytes())
            if shown.get((run, event.name)) == key:
                continue
            shown[(run, event.name)] = key
            for i, ((x, y), label, test) in enumerate(
                    zip(event.points.tolist(), event.labels.tolist(), event.held_out.tolist())):
                yield [run, event.step, event.name, i, x, y, label, "test" if test else "train"]


def _scatter_field(events: list[Event]) -> Iterator[list[Any]]:
    for run, event in _numbered(events):
        if isinstance(event, Scatter) and event.probs.ndim == 3:
            gh, gw, _ = event.probs.shape
            x0, x1, y0, y1 = event.extent
            xs = [x0 + j * (x1 - x0) / max(gw - 1, 1) for j in range(gw)]
            ys = [y1 - i * (y1 - y0) / max(gh - 1, 1) for i in range(gh)]
            for i, row in enumerate(event.probs.tolist()):
                for j, cell in enumerate(row):
                    for k, p in enumerate(cell):
                        yield [run, event.step, event.name, i, j, xs[j], ys[i], k, p]


def _numbered(events: list[Event]) -> Iterator[tuple[int, Event]]:
    """Each event with the number of the run it belongs to (1 before any run_started)."""
    run = 1
    for event in events:
        if isinstance(event, RunStarted):
            run = event.run
        else:
            yield run, event


def _metrics(events: list[Event]) -> tuple[str, list[str], Iterator[list[Any]]]:
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    names: dict[str, None] = {}  # an ordered set
    epochs = False
    for run, event in _numbered(events):
        if isinstance(event, Metrics):
            row = rows.setdefault((run, event.step), {})
            row.update(event.values)
            names.update(dict.fromkeys(event.values))
            if event.epoch is not None:
                row["epoch"] = event.epoch
                epochs = True
    columns = (["epoch"] if epochs else []) + [n for n in names if n != "epoch"]
    body = ([run, step] + [_cell(values.get(c)) for c in columns] for (run, step), values in rows.items())
    return "metrics.csv", ["step", *columns], body


def _layer_norms(events: list[Event]) -> Iterator[list[Any]]:
    for run, event in _numbered(events):
        if isinstance(event, LayerNorms):
            for i, layer in enumerate(event.layers):
                delta = event.delta[i] if i < len(event.delta) else None
                yield [run, event.step, layer, event.weight[i], event.bias[i], event.total[i], _cell(delta)]


def _grad_norm(events: list[Event]) -> Iterator[list[Any]]:
    for run, event in _numbered(events):
        if isinstance(event, LayerNorms):
            yield [run, event.step, event.total_norm, _cell(event.clipped_norm)]


def _time_norms(events: list[Event]) -> Iterator[list[Any]]:
    for run, event in _numbered(events):
        if isinstance(event, TimeNorms):
            for t, norm in enumerate(event.values.tolist(), start=1):
                yield [run, event.step, t, norm]


def _attention(events: list[Event]) -> Iterator[list[Any]]:
    for run, event in _numbered(events):
        if isinstance(event, AttentionMaps):
            tokens = event.tokens
            for (layer, head, query, key), weight in _indexed(event.weights.tolist()):
                yield [run, event.step, layer, head, query, key, _token(tokens, query), _token(tokens, key), weight]


def _curves(events: list[Event]) -> Iterator[list[Any]]:
    for run, event in _numbered(events):
        if isinstance(event, Curve):
            x = event.x.tolist()
            for name, values in event.series.items():
                for xi, yi in zip(x, values.tolist()):
                    yield [run, event.step, event.name, name, xi, yi]


def _tokens(events: list[Event]) -> Iterator[list[Any]]:
    for run, event in _numbered(events):
        if isinstance(event, TokenSequence):
            for i, token in enumerate(event.tokens):
                extra = [_cell(values[i] if i < len(values) else None)
                         for values in (event.ids, event.marks, event.classes, event.notes)]
                yield [run, event.step, event.name, i, token, *extra]


def _texts(events: list[Event]) -> Iterator[list[Any]]:
    for run, event in _numbered(events):
        if isinstance(event, TextSample):
            yield [run, event.step, event.name, _cell(event.temperature), _cell(event.score), event.text]


def _indexed(nested: list, prefix: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], float]]:
    for i, item in enumerate(nested):
        if isinstance(item, list):
            yield from _indexed(item, (*prefix, i))
        else:
            yield (*prefix, i), item


def _token(tokens: list[str], i: int) -> str:
    return tokens[i] if i < len(tokens) else ""


def _cell(value: Any) -> Any:
    return "" if value is None else value
