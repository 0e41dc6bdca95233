"""Every field of one recorded event checked before it becomes an Event: types, ranges, shapes.

A recording is a file anyone can edit or craft, and the app and `nntui export` trust the events
they get (a chart sorts metric values as floats, a heatmap indexes its tokens by the weights'
shape). So each JSON line is checked here against what `nntui run` writes, and the first thing
wrong is named as "kind: field: problem"; read_recording adds the file and line.

Free-form values (a run's params, a status's args) may only hold scalars, and every array has
a fixed number of dimensions: no field can nest deeper than the schema, however the line nests.
Non-finite metric values (nan, ±inf, written as NaN and Infinity) are valid: a diverged run
records them. No torch here; numpy only to check arrays quickly.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from nntui.spec import recording_fields as f
from nntui.spec.events import KINDS, STATES, TOKEN_MARKS
from nntui.spec.recording_fields import Invalid

FATES = ("kept", "finished", "pruned")  # lab/decoding_records.py; not imported (it is lab code)
REQUIRED_SERIES = {"fit": ("target", "model")}


def check_event(data: Any) -> None:
    """Raise Invalid naming the first field of `data` (one parsed JSON line) that is wrong."""
    if not isinstance(data, dict):
        raise Invalid(f"expected a JSON object, got {f.typename(data)}")
    kind = data.get("kind")
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise Invalid(f"unknown event kind {f.short(kind)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for name in data:
        if name not in fields and name not in ("kind", "t"):
            raise Invalid(f"{kind}: unknown field {f.short(name)}")
    for name, declared in fields.items():
        required = declared.default is dataclasses.MISSING and declared.default_factory is dataclasses.MISSING
        if required and name not in data:
            raise Invalid(f"{kind}: missing field {name!r}")
    try:
        CHECKS[kind]({k: v for k, v in data.items() if k not in ("kind", "t")})
    except Invalid as exc:
        raise Invalid(f"{kind}: {exc}") from None


# ---- one check per kind ------------------------------------------------------------------------
def _run_started(d: dict) -> None:
    f.integer(d["run"], "run", 1, f.MAX_RUN)
    f.text(d["experiment"], "experiment", f.MAX_NAME)
    f.scalars(d["params"], "params")
    f.integer(d["seed"], "seed", 0, f.MAX_SEED)
    f.text(d["device"], "device", f.MAX_NAME)
    f.text(d.get("label", ""), "label", f.MAX_NAME)
    if d.get("total") is not None:
        f.integer(d["total"], "total")


def _metrics(d: dict) -> None:
    f.integer(d["step"], "step")
    for name, value in f.obj(d["values"], "values").items():
        f.text(name, "values name", f.MAX_NAME)
        f.number(value, f"values.{name}")  # nan and ±inf allowed: a diverged run records them
    f.optional_number(d.get("epoch"), "epoch", finite=True, lo=0.0)


def _image_grid(d: dict) -> None:
    f.integer(d["step"], "step")
    f.text(d["name"], "name", f.MAX_NAME)
    rgb = f.depth(d["images"]) == 4  # (n, h, w, 3) colour, else (n, h, w) grey
    images = f.array(d["images"], "images", 4 if rgb else 3, integer=True)
    n, h, w = images.shape[:3]
    if rgb and images.shape[3] != 3 and images.size:
        raise Invalid(f"images: {images.shape[3]} channels; expected 3 (red, green, blue)")
    if h > f.MAX_SIDE or w > f.MAX_SIDE:
        raise Invalid(f"images: {h}x{w} pixels; at most {f.MAX_SIDE} a side")
    if n and not np.all((images >= 0) & (images <= 255)):
        raise Invalid("images: expected grey levels 0..255")
    if len(f.texts(d["captions"], "captions")) != n:
        raise Invalid(f"captions: {len(d['captions'])} for {n} images")
    flagged = f.items(d.get("flagged", []), "flagged")
    if any(not isinstance(f, bool) for f in flagged):
        raise Invalid("flagged: expected true/false only")
    if flagged and len(flagged) != n:
        raise Invalid(f"flagged: {len(flagged)} for {n} images")


def _curve(d: dict) -> None:
    f.integer(d["step"], "step")
    name = f.text(d["name"], "name", f.MAX_NAME)
    x = f.array(d["x"], "x", 1)
    f.float32(x, "x")
    series = f.obj(d["series"], "series")
    for key, values in series.items():
        f.text(key, "series name", f.MAX_NAME)
        y = f.array(values, f"series.{key}", 1)
        if len(y) != len(x):
            raise Invalid(f"series.{key}: {len(y)} values for {len(x)} x values")
        f.float32(y, f"series.{key}")
    for key in REQUIRED_SERIES.get(name, ()):
        if key not in series:
            raise Invalid(f"series: curve {name!r} needs a {key!r} series")


def _layer_norms(d: dict) -> None:
    f.integer(d["step"], "step")
    n = len(f.texts(d["layers"], "layers", f.MAX_SIDE))
    for name in ("weight", "bias", "total"):
        if f.numbers(d[name], name) != n:
            raise Invalid(f"{name}: {len(d[name])} values for {n} layers")
    if f.numbers(d["delta"], "delta") not in (0, n):
        raise Invalid(f"delta: {len(d['delta'])} values for {n} layers")
    f.number(d["total_norm"], "total_norm")
    f.optional_number(d.get("clipped_norm"), "clipped_norm")


def _time_norms(d: dict) -> None:
    f.integer(d["step"], "step")
    if f.numbers(d["values"], "values") > f.MAX_SIDE:
        raise Invalid(f"values: more than {f.MAX_SIDE} time steps")


def _attention(d: dict) -> None:
    f.integer(d["step"], "step")
    tokens = f.texts(d["tokens"], "tokens", f.MAX_SIDE)
    weights = f.array(d["weights"], "weights", 4)
    f.float32(weights, "weights")
    shape = weights.shape
    layers, heads, queries, keys = shape
    key_tokens = f.texts(d.get("key_tokens", []), "key_tokens", f.MAX_SIDE)
    if key_tokens:  # cross-attention: queries over other tokens' keys
        if queries != len(tokens) or keys != len(key_tokens):
            raise Invalid(f"weights: shape {shape} does not fit {len(tokens)} query and {len(key_tokens)} key "
                          "tokens (layers, heads, Tq, Tk)")
    elif queries != keys or (queries and queries != len(tokens)):
        raise Invalid(f"weights: shape {shape} does not fit {len(tokens)} tokens (layers, heads, T, T)")
    if layers > f.MAX_SIDE or heads > f.MAX_SIDE:
        raise Invalid(f"weights: {layers} layers x {heads} heads; at most {f.MAX_SIDE} each")
    for name, values in f.obj(d.get("stages", {}), "stages").items():
        f.text(name, "stages name", f.MAX_NAME)
        stage = f.array(values, f"stages.{name}", 4)
        if stage.shape != shape:
            raise Invalid(f"stages.{name}: shape differs from weights {shape}")
        f.float32(stage, f"stages.{name}")


TABLE_TEXT = ("title", "note", "emphasis", "title_zh", "note_zh")
TABLE_FORMATS = ("int",)  # "format": how the cells read (default: two decimals)


def _tables(d: dict) -> None:
    f.integer(d["step"], "step")
    f.text(d["view"], "view", f.MAX_NAME)
    for i, table in enumerate(f.items(d["tables"], "tables", f.MAX_SIDE)):
        where = f"tables[{i}]"
        f.keys(table, where, ("title", "rows", "cols", "values"), (*TABLE_TEXT[1:], "cols_zh", "format"))
        for key in TABLE_TEXT:
            if key in table:
                f.text(table[key], f"{where}.{key}")
        if "format" in table and table["format"] not in TABLE_FORMATS:
            raise Invalid(f"{where}.format: expected one of {', '.join(TABLE_FORMATS)}, got {table['format']!r}")
        rows = f.texts(table["rows"], f"{where}.rows", f.MAX_SIDE)
        cols = f.texts(table["cols"], f"{where}.cols", f.MAX_SIDE)
        if "cols_zh" in table and len(f.texts(table["cols_zh"], f"{where}.cols_zh", f.MAX_SIDE)) != len(cols):
            raise Invalid(f"{where}.cols_zh: {len(table['cols_zh'])} labels for {len(cols)} columns")
        values = f.items(table["values"], f"{where}.values", f.MAX_SIDE)
        if len(values) != len(rows):
            raise Invalid(f"{where}.values: {len(values)} rows for {len(rows)} row labels")
        for r, row in enumerate(values):
            if len(f.items(row, f"{where}.values[{r}]", f.MAX_SIDE)) != len(cols):
                raise Invalid(f"{where}.values[{r}]: {len(row)} cells for {len(cols)} columns")
            for c, cell in enumerate(row):
                f.optional_number(cell, f"{where}.values[{r}][{c}]")


def _tokens(value: Any, where: str, vocab: int) -> None:
    for i, token in enumerate(f.items(value, where)):
        f.integer(token, f"{where}[{i}]", 0, max(vocab - 1, 0))


def _search(value: Any, where: str, vocab: int) -> None:
    """A BeamSearchResult.to_dict(): the fields lab/decoding_records.py rebuilds it from."""
    d = f.keys(value, where, ("prefix", "beam_width", "eos_id", "length_penalty", "hypotheses", "steps"))
    _tokens(d["prefix"], f"{where}.prefix", vocab)
    f.integer(d["beam_width"], f"{where}.beam_width", 1, f.MAX_SIDE)
    if d["eos_id"] is not None:
        f.integer(d["eos_id"], f"{where}.eos_id", 0, max(vocab - 1, 0))
    f.number(d["length_penalty"], f"{where}.length_penalty", finite=True)
    for i, hyp in enumerate(f.items(d["hypotheses"], f"{where}.hypotheses", f.MAX_SIDE)):
        at = f"{where}.hypotheses[{i}]"
        f.keys(hyp, at, ("tokens", "new_tokens", "log_prob", "finished", "score"))
        _tokens(hyp["tokens"], f"{at}.tokens", vocab)
        _tokens(hyp["new_tokens"], f"{at}.new_tokens", vocab)
        f.log_prob(hyp["log_prob"], f"{at}.log_prob")
        f.log_prob(hyp["score"], f"{at}.score")
        f.boolean(hyp["finished"], f"{at}.finished")
    for s, step in enumerate(f.items(d["steps"], f"{where}.steps", f.MAX_SIDE)):
        if not f.items(step, f"{where}.steps[{s}]", f.MAX_ITEMS):  # the tree's layout ranks each step's nodes
            raise Invalid(f"{where}.steps[{s}]: a step of the search with no candidates")
        for i, cand in enumerate(step):
            at = f"{where}.steps[{s}][{i}]"
            f.keys(cand, at, ("parent", "token", "log_prob", "score", "fate"))
            if cand["parent"] is not None:
                f.integer(cand["parent"], f"{at}.parent", 0, f.MAX_ITEMS)
            f.integer(cand["token"], f"{at}.token", 0, max(vocab - 1, 0))
            f.log_prob(cand["log_prob"], f"{at}.log_prob")
            f.log_prob(cand["score"], f"{at}.score")
            if cand["fate"] not in FATES:
                raise Invalid(f"{at}.fate: expected one of {', '.join(FATES)}, got {f.short(cand['fate'])}")


def _decoding(d: dict) -> None:
    f.integer(d["step"], "step")
    vocab = len(f.texts(d["vocab"], "vocab"))
    f.text(d["prompt"], "prompt")
    _search(d["beam"], "beam", vocab)
    if d["greedy"]:
        _search(d["greedy"], "greedy", vocab)
    nt = f.keys(d["next_token"], "next_token", ("probs",), ("kept", "temperature", "top_k", "top_p"))
    for key, value in nt.items():
        if key in ("probs", "kept"):
            if f.numbers(value, f"next_token.{key}") not in ((vocab,) if key == "probs" else (0, vocab)):
                raise Invalid(f"next_token.{key}: {len(value)} values for {vocab} tokens")
        else:
            f.number(value, f"next_token.{key}", finite=True)
    for i, sample in enumerate(f.items(d.get("samples", []), "samples", f.MAX_SIDE)):
        at = f"samples[{i}]"
        f.keys(sample, at, ("tokens",), ("log_prob", "finished", "in_data"))  # the list reads them with .get
        _tokens(sample["tokens"], f"{at}.tokens", vocab)
        if sample.get("log_prob") is not None:
            f.log_prob(sample["log_prob"], f"{at}.log_prob")
        f.boolean(sample.get("finished", True), f"{at}.finished")
        if sample.get("in_data") is not None:
            f.boolean(sample["in_data"], f"{at}.in_data")


MAX_CLASS = 255  # a token's colour class


def _token_sequence(d: dict) -> None:
    f.integer(d["step"], "step")
    f.text(d["name"], "name", f.MAX_NAME)
    n = len(f.texts(d["tokens"], "tokens", f.MAX_ITEMS))
    for key in ("ids", "marks", "classes", "notes"):
        values = f.items(d.get(key, []), key)
        if values and len(values) != n:
            raise Invalid(f"{key}: {len(values)} for {n} tokens")
    for i, value in enumerate(d.get("ids", [])):
        f.integer(value, f"ids[{i}]", 0, f.MAX_STEP)
    for i, value in enumerate(d.get("marks", [])):
        if value not in ("", *TOKEN_MARKS):
            raise Invalid(f"marks[{i}]: expected one of {', '.join(TOKEN_MARKS)} or \"\", got {f.short(value)}")
    for i, value in enumerate(d.get("classes", [])):
        f.integer(value, f"classes[{i}]", 0, MAX_CLASS)
    for i, value in enumerate(d.get("notes", [])):
        f.text(value, f"notes[{i}]", f.MAX_NAME)


def _text_sample(d: dict) -> None:
    f.integer(d["step"], "step")
    f.text(d["text"], "text")
    f.text(d.get("name", "samples"), "name", f.MAX_NAME)
    f.optional_number(d.get("temperature"), "temperature", finite=True, lo=0.0)
    f.optional_number(d.get("score"), "score")


MAX_CLASSES = 64  # a scatter's classes


def _scatter(d: dict) -> None:
    """Points (n, 2) with a class and a test flag each, the plane's extent, and the model's class
    probabilities on a grid (gh, gw, classes): the scatter widget indexes them all by these shapes."""
    f.integer(d["step"], "step")
    f.text(d["name"], "name", f.MAX_NAME)
    points = f.array(d["points"], "points", 2)
    if points.size and points.shape[1] != 2:
        raise Invalid(f"points: {points.shape[1]} coordinates a point; expected 2 (x, y)")
    if points.size and not np.isfinite(points).all():
        raise Invalid("points: expected finite coordinates")
    f.float32(points, "points")
    n = len(points)
    labels = f.array(d["labels"], "labels", 1, integer=True)
    if len(labels) != n:
        raise Invalid(f"labels: {len(labels)} for {n} points")
    held_out = f.items(d["held_out"], "held_out")
    if len(held_out) != n:
        raise Invalid(f"held_out: {len(held_out)} for {n} points")
    for i, flag in enumerate(held_out):
        f.boolean(flag, f"held_out[{i}]")
    extent = f.items(d["extent"], "extent", 4)
    if len(extent) != 4:
        raise Invalid(f"extent: {len(extent)} numbers; expected 4 (x_min, x_max, y_min, y_max)")
    x0, x1, y0, y1 = (f.number(v, f"extent[{i}]", finite=True) for i, v in enumerate(extent))
    if not (x0 < x1 and y0 < y1):
        raise Invalid(f"extent: expected x_min < x_max and y_min < y_max, got {extent}")
    probs = f.array(d["probs"], "probs", 3)
    gh, gw, classes = probs.shape
    if gh > f.MAX_SIDE or gw > f.MAX_SIDE:
        raise Invalid(f"probs: a {gh}x{gw} grid; at most {f.MAX_SIDE} a side")
    if classes > MAX_CLASSES:
        raise Invalid(f"probs: {classes} classes; at most {MAX_CLASSES}")
    finite = probs[np.isfinite(probs)]  # a diverged model's field is NaN: drawn, not refused
    if finite.size and (finite.min() < 0.0 or finite.max() > 1.0 + 1e-4):
        raise Invalid("probs: expected probabilities in 0..1")
    top = classes - 1 if probs.size else MAX_CLASSES - 1
    if labels.size and (labels.min() < 0 or labels.max() > top):
        raise Invalid(f"labels: expected classes 0..{top}")
    names = f.items(d.get("names", []), "names")
    if names and len(names) != n:
        raise Invalid(f"names: {len(names)} for {n} points")
    for i, name in enumerate(names):
        f.text(name, f"names[{i}]", f.MAX_NAME)


def _status(d: dict) -> None:
    if d["state"] not in STATES:
        raise Invalid(f"state: expected one of {', '.join(STATES)}, got {f.short(d['state'])}")
    f.integer(d["step"], "step")
    f.number(d.get("steps_per_s", 0.0), "steps_per_s", finite=True, lo=0.0)
    f.text(d.get("message", ""), "message")
    f.text(d.get("code", ""), "code", f.MAX_NAME)
    f.scalars(d.get("args", {}), "args")


def _error(d: dict) -> None:
    f.text(d["message"], "message")
    f.text(d.get("traceback", ""), "traceback", f.MAX_TEXT * 10)


CHECKS = {
    "run_started": _run_started,
    "metrics": _metrics,
    "image_grid": _image_grid,
    "curve": _curve,
    "layer_norms": _layer_norms,
    "time_norms": _time_norms,
    "attention": _attention,
    "tables": _tables,
    "decoding": _decoding,
    "tokens": _token_sequence,
    "text_sample": _text_sample,
    "status": _status,
    "error": _error,
    "scatter": _scatter,
}
