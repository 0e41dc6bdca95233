"""`nntui export FILE.jsonl --csv DIR`: a recording's series as CSV files, for spreadsheets and plots.

One file per kind of data, written only when the recording has that kind:
- metrics.csv      step[,epoch], one column per metric (first seen first), blank where a
                   step did not report it; several Metrics events at one step share a row.
- layer_norms.csv  long: step, layer, weight, bias, total, delta (blank when not probed).
- grad_norm.csv    step, total_norm, clipped_norm (blank when clipping is off).
- time_norms.csv   long: step, t (1 = first time step), norm  (||dL/dh_t||).
- attention.csv    long: step, layer, head, query, key, query_token, key_token, weight.
- curves.csv       long: step, name, series, x, y.
Image grids and number tables are pictures, not series: they are not exported.
A recording with several runs gets a leading `run` column in every file.
Values are written at full precision (Python's repr), so they read back equal.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

from nntui.spec.events import AttentionMaps, Curve, Event, LayerNorms, Metrics, RunStarted, TimeNorms


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
    exported = (RunStarted, Metrics, LayerNorms, TimeNorms, AttentionMaps, Curve)
    return Counter(e.kind for e in events if not isinstance(e, exported) and e.kind not in ("status", "error"))


def _tables(events: list[Event]) -> Iterator[tuple[str, list[str], Iterator[list[Any]]]]:
    yield _metrics(events)
    yield "layer_norms.csv", ["step", "layer", "weight", "bias", "total", "delta"], _layer_norms(events)
    yield "grad_norm.csv", ["step", "total_norm", "clipped_norm"], _grad_norm(events)
    yield "time_norms.csv", ["step", "t", "norm"], _time_norms(events)
    header = ["step", "layer", "head", "query", "key", "query_token", "key_token", "weight"]
    yield "attention.csv", header, _attention(events)
    yield "curves.csv", ["step", "name", "series", "x", "y"], _curves(events)


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
