"""`nntui export FILE.jsonl --csv DIR`: a recording's series as CSV files, for spreadsheets and plots.

Each visual owns the tables of the events it draws (nntui/visuals); a file is written only when
the recording has its kind of data:
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

from nntui.spec.events import Error, Event, RunStarted, Status
from nntui.visuals import VISUALS, csv_tables


def export_csv(events: list[Event], folder: Path) -> list[tuple[Path, int]]:
    """Write the CSV files; return each file written with its number of data rows."""
    folder.mkdir(parents=True, exist_ok=True)
    runs = sum(isinstance(e, RunStarted) for e in events) > 1
    written = []
    for table in csv_tables():
        header, rows = table.table(events)
        rows = list(rows)
        if not rows:
            continue
        path = folder / table.file
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow((["run"] if runs else []) + header)
            writer.writerows(row if runs else row[1:] for row in rows)
        written.append((path, len(rows)))
    return written


def skipped_kinds(events: list[Event]) -> Counter:
    """How many events of each kind the CSV files leave out."""
    exported = {cls for vis in VISUALS.values() if vis.exports for cls in vis.draws} | {RunStarted, Status, Error}
    return Counter(e.kind for e in events if type(e) not in exported)
