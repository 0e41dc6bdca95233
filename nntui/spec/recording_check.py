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

from nntui.spec.events import KINDS, STATES, TOKEN_MARKS

MAX_STEP = 2**53  # steps stay exact as floats on a chart's x axis
MAX_RUN = 2**31
MAX_SEED = 2**32 - 1  # what `nntui run --seed` accepts
MAX_TEXT = 10_000  # characters in one string (a traceback fits)
MAX_NAME = 200  # a metric, layer, series or token name
MAX_ITEMS = 100_000  # entries in one list or table
MAX_SIDE = 1024  # an image's height or width, a sequence's length, layers, heads
FATES = ("kept", "finished", "pruned")  # lab/decoding_records.py; not imported (it is lab code)
# The panels read these series of these curves by name (nntui/visuals/charts.py: update_fit).
REQUIRED_SERIES = {"fit": ("target", "model")}


class Invalid(ValueError):
    """One thing wrong with an event: "field: problem"."""


def check_event(data: Any) -> None:
    """Raise Invalid naming the first field of `data` (one parsed JSON line) that is wrong."""
    if not isinstance(data, dict):
        raise Invalid(f"expected a JSON object, got {_type(data)}")
    kind = data.get("kind")
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise Invalid(f"unknown event kind {_short(kind)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for name in data:
        if name not in fields and name not in ("kind", "t"):
            raise Invalid(f"{kind}: unknown field {_short(name)}")
    for name, f in fields.items():
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if required and name not in data:
            raise Invalid(f"{kind}: missing field {name!r}")
    try:
        CHECKS[kind]({k: v for k, v in data.items() if k not in ("kind", "t")})
    except Invalid as exc:
        raise Invalid(f"{kind}: {exc}") from None


# ---- scalars ---------------------------------------------------------------------------------
def _type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _int(value: Any, where: str, lo: int = 0, hi: int = MAX_STEP) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(f"{where}: expected an integer, got {_type(value)}")
    if not lo <= value <= hi:
        raise Invalid(f"{where}: {_short(value)} is outside {lo}..{hi}")
    return value


def _number(value: Any, where: str, finite: bool = False, lo: float | None = None) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise Invalid(f"{where}: expected a number, got {_type(value)}")
    try:
        value = float(value)  # an integer too large for a float overflows
    except OverflowError:
        raise Invalid(f"{where}: {_short(value)} is too large") from None
    if finite and not np.isfinite(value):
        raise Invalid(f"{where}: expected a finite number, got {value}")
    if lo is not None and not value >= lo:
        raise Invalid(f"{where}: {value} is below {lo:g}")
    return value


def _log_prob(value: Any, where: str) -> None:
    """A log-probability: at most 0 (a little over for rounding); the tree shows exp() of it."""
    if _number(value, where) > 1e-6:
        raise Invalid(f"{where}: {value} is a log-probability above 0")


def _optional_number(value: Any, where: str, **kw: Any) -> None:
    if value is not None:
        _number(value, where, **kw)


def _text(value: Any, where: str, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{where}: expected text, got {_type(value)}")
    if len(value) > limit:
        raise Invalid(f"{where}: text longer than {limit:,} characters")
    return value


def _list(value: Any, where: str, limit: int = MAX_ITEMS) -> list:
    if not isinstance(value, list):
        raise Invalid(f"{where}: expected a list, got {_type(value)}")
    if len(value) > limit:
        raise Invalid(f"{where}: more than {limit:,} items")
    return value


def _texts(value: Any, where: str, limit: int = MAX_ITEMS) -> list[str]:
    for i, item in enumerate(_list(value, where, limit)):
        _text(item, f"{where}[{i}]", MAX_NAME)
    return value


def _object(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise Invalid(f"{where}: expected an object, got {_type(value)}")
    if len(value) > MAX_ITEMS:
        raise Invalid(f"{where}: more than {MAX_ITEMS:,} entries")
    return value


def _scalars(value: Any, where: str) -> None:
    """A flat object of names to text, numbers, true/false or null (params, args)."""
    for name, item in _object(value, where).items():
        _text(name, f"{where} name", MAX_NAME)
        if isinstance(item, str):
            _text(item, f"{where}.{name}")
        elif item is not None and not isinstance(item, bool):
            _number(item, f"{where}.{name}")


FLOAT32_MAX = float(np.finfo(np.float32).max)


def _float32(array: np.ndarray, where: str) -> None:
    """Curves and attention maps are kept as float32: a finite value beyond its range would turn inf."""
    if array.size and array.dtype.kind == "f":
        finite = array[np.isfinite(array)]
        if finite.size and np.abs(finite).max() > FLOAT32_MAX:
            raise Invalid(f"{where}: {np.abs(finite).max():g} is beyond float32's range (±{FLOAT32_MAX:.3g})")


def _array(value: Any, where: str, dims: int, *, integer: bool = False) -> np.ndarray:
    """A rectangular array of numbers with exactly `dims` dimensions (numpy checks it in C)."""
    if not isinstance(value, list):
        raise Invalid(f"{where}: expected a list, got {_type(value)}")
    try:
        array = np.asarray(value)
    except (ValueError, OverflowError):  # ragged rows, or an integer beyond 64 bits
        raise Invalid(f"{where}: expected a rectangular {dims}-D array of numbers") from None
    if array.ndim != dims and not (array.size == 0 and array.ndim <= dims):
        raise Invalid(f"{where}: expected a {dims}-D array, got {array.ndim}-D")
    if array.size > MAX_ITEMS * 100:
        raise Invalid(f"{where}: more than {MAX_ITEMS * 100:,} numbers")
    if array.size and array.dtype.kind not in ("iu" if integer else "iuf"):
        raise Invalid(f"{where}: expected {'integers' if integer else 'numbers'} only")
    if max(array.shape, default=0) > MAX_ITEMS:
        raise Invalid(f"{where}: a side longer than {MAX_ITEMS:,}")
    return array if array.ndim == dims else np.zeros((0,) * dims)


def _numbers(value: Any, where: str) -> int:
    """A list of numbers; return its length."""
    return len(_array(value, where, 1))


# ---- one check per kind ------------------------------------------------------------------------
def _run_started(d: dict) -> None:
    _int(d["run"], "run", 1, MAX_RUN)
    _text(d["experiment"], "experiment", MAX_NAME)
    _scalars(d["params"], "params")
    _int(d["seed"], "seed", 0, MAX_SEED)
    _text(d["device"], "device", MAX_NAME)
    _text(d.get("label", ""), "label", MAX_NAME)
    if d.get("total") is not None:
        _int(d["total"], "total")


def _metrics(d: dict) -> None:
    _int(d["step"], "step")
    for name, value in _object(d["values"], "values").items():
        _text(name, "values name", MAX_NAME)
        _number(value, f"values.{name}")  # nan and ±inf allowed: a diverged run records them
    _optional_number(d.get("epoch"), "epoch", finite=True, lo=0.0)


def _image_grid(d: dict) -> None:
    _int(d["step"], "step")
    _text(d["name"], "name", MAX_NAME)
    rgb = _depth(d["images"]) == 4  # (n, h, w, 3) colour, else (n, h, w) grey
    images = _array(d["images"], "images", 4 if rgb else 3, integer=True)
    n, h, w = images.shape[:3]
    if rgb and images.shape[3] != 3 and images.size:
        raise Invalid(f"images: {images.shape[3]} channels; expected 3 (red, green, blue)")
    if h > MAX_SIDE or w > MAX_SIDE:
        raise Invalid(f"images: {h}x{w} pixels; at most {MAX_SIDE} a side")
    if n and not np.all((images >= 0) & (images <= 255)):
        raise Invalid("images: expected grey levels 0..255")
    if len(_texts(d["captions"], "captions")) != n:
        raise Invalid(f"captions: {len(d['captions'])} for {n} images")
    flagged = _list(d.get("flagged", []), "flagged")
    if any(not isinstance(f, bool) for f in flagged):
        raise Invalid("flagged: expected true/false only")
    if flagged and len(flagged) != n:
        raise Invalid(f"flagged: {len(flagged)} for {n} images")


def _curve(d: dict) -> None:
    _int(d["step"], "step")
    name = _text(d["name"], "name", MAX_NAME)
    x = _array(d["x"], "x", 1)
    _float32(x, "x")
    series = _object(d["series"], "series")
    for key, values in series.items():
        _text(key, "series name", MAX_NAME)
        y = _array(values, f"series.{key}", 1)
        if len(y) != len(x):
            raise Invalid(f"series.{key}: {len(y)} values for {len(x)} x values")
        _float32(y, f"series.{key}")
    for key in REQUIRED_SERIES.get(name, ()):
        if key not in series:
            raise Invalid(f"series: curve {name!r} needs a {key!r} series")


def _layer_norms(d: dict) -> None:
    _int(d["step"], "step")
    n = len(_texts(d["layers"], "layers", MAX_SIDE))
    for name in ("weight", "bias", "total"):
        if _numbers(d[name], name) != n:
            raise Invalid(f"{name}: {len(d[name])} values for {n} layers")
    if _numbers(d["delta"], "delta") not in (0, n):
        raise Invalid(f"delta: {len(d['delta'])} values for {n} layers")
    _number(d["total_norm"], "total_norm")
    _optional_number(d.get("clipped_norm"), "clipped_norm")


def _time_norms(d: dict) -> None:
    _int(d["step"], "step")
    if _numbers(d["values"], "values") > MAX_SIDE:
        raise Invalid(f"values: more than {MAX_SIDE} time steps")


def _attention(d: dict) -> None:
    _int(d["step"], "step")
    tokens = _texts(d["tokens"], "tokens", MAX_SIDE)
    weights = _array(d["weights"], "weights", 4)
    _float32(weights, "weights")
    shape = weights.shape
    layers, heads, queries, keys = shape
    if queries != keys or (queries and queries != len(tokens)):
        raise Invalid(f"weights: shape {shape} does not fit {len(tokens)} tokens (layers, heads, T, T)")
    if layers > MAX_SIDE or heads > MAX_SIDE:
        raise Invalid(f"weights: {layers} layers x {heads} heads; at most {MAX_SIDE} each")
    for name, values in _object(d.get("stages", {}), "stages").items():
        _text(name, "stages name", MAX_NAME)
        stage = _array(values, f"stages.{name}", 4)
        if stage.shape != shape:
            raise Invalid(f"stages.{name}: shape differs from weights {shape}")
        _float32(stage, f"stages.{name}")


TABLE_TEXT = ("title", "note", "emphasis", "title_zh", "note_zh")
TABLE_FORMATS = ("int",)  # "format": how the cells read (default: two decimals)


def _tables(d: dict) -> None:
    _int(d["step"], "step")
    _text(d["view"], "view", MAX_NAME)
    for i, table in enumerate(_list(d["tables"], "tables", MAX_SIDE)):
        where = f"tables[{i}]"
        _keys(table, where, ("title", "rows", "cols", "values"), (*TABLE_TEXT[1:], "cols_zh", "format"))
        for key in TABLE_TEXT:
            if key in table:
                _text(table[key], f"{where}.{key}")
        if "format" in table and table["format"] not in TABLE_FORMATS:
            raise Invalid(f"{where}.format: expected one of {', '.join(TABLE_FORMATS)}, got {table['format']!r}")
        rows = _texts(table["rows"], f"{where}.rows", MAX_SIDE)
        cols = _texts(table["cols"], f"{where}.cols", MAX_SIDE)
        if "cols_zh" in table and len(_texts(table["cols_zh"], f"{where}.cols_zh", MAX_SIDE)) != len(cols):
            raise Invalid(f"{where}.cols_zh: {len(table['cols_zh'])} labels for {len(cols)} columns")
        values = _list(table["values"], f"{where}.values", MAX_SIDE)
        if len(values) != len(rows):
            raise Invalid(f"{where}.values: {len(values)} rows for {len(rows)} row labels")
        for r, row in enumerate(values):
            if len(_list(row, f"{where}.values[{r}]", MAX_SIDE)) != len(cols):
                raise Invalid(f"{where}.values[{r}]: {len(row)} cells for {len(cols)} columns")
            for c, cell in enumerate(row):
                _optional_number(cell, f"{where}.values[{r}][{c}]")


def _tokens(value: Any, where: str, vocab: int) -> None:
    for i, token in enumerate(_list(value, where)):
        _int(token, f"{where}[{i}]", 0, max(vocab - 1, 0))


def _search(value: Any, where: str, vocab: int) -> None:
    """A BeamSearchResult.to_dict(): the fields lab/decoding_records.py rebuilds it from."""
    d = _keys(value, where, ("prefix", "beam_width", "eos_id", "length_penalty", "hypotheses", "steps"))
    _tokens(d["prefix"], f"{where}.prefix", vocab)
    _int(d["beam_width"], f"{where}.beam_width", 1, MAX_SIDE)
    if d["eos_id"] is not None:
        _int(d["eos_id"], f"{where}.eos_id", 0, max(vocab - 1, 0))
    _number(d["length_penalty"], f"{where}.length_penalty", finite=True)
    for i, hyp in enumerate(_list(d["hypotheses"], f"{where}.hypotheses", MAX_SIDE)):
        at = f"{where}.hypotheses[{i}]"
        _keys(hyp, at, ("tokens", "new_tokens", "log_prob", "finished", "score"))
        _tokens(hyp["tokens"], f"{at}.tokens", vocab)
        _tokens(hyp["new_tokens"], f"{at}.new_tokens", vocab)
        _log_prob(hyp["log_prob"], f"{at}.log_prob")
        _log_prob(hyp["score"], f"{at}.score")
        _bool(hyp["finished"], f"{at}.finished")
    for s, step in enumerate(_list(d["steps"], f"{where}.steps", MAX_SIDE)):
        if not _list(step, f"{where}.steps[{s}]", MAX_ITEMS):  # the tree's layout ranks each step's nodes
            raise Invalid(f"{where}.steps[{s}]: a step of the search with no candidates")
        for i, cand in enumerate(step):
            at = f"{where}.steps[{s}][{i}]"
            _keys(cand, at, ("parent", "token", "log_prob", "score", "fate"))
            if cand["parent"] is not None:
                _int(cand["parent"], f"{at}.parent", 0, MAX_ITEMS)
            _int(cand["token"], f"{at}.token", 0, max(vocab - 1, 0))
            _log_prob(cand["log_prob"], f"{at}.log_prob")
            _log_prob(cand["score"], f"{at}.score")
            if cand["fate"] not in FATES:
                raise Invalid(f"{at}.fate: expected one of {', '.join(FATES)}, got {_short(cand['fate'])}")


def _keys(value: Any, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
    d = _object(value, where)
    for key in d:
        if key not in required and key not in optional:
            raise Invalid(f"{where}: unknown field {_short(key)}")
    for key in required:
        if key not in d:
            raise Invalid(f"{where}: missing field {key!r}")
    return d


def _bool(value: Any, where: str) -> None:
    if not isinstance(value, bool):
        raise Invalid(f"{where}: expected true/false, got {_type(value)}")


def _decoding(d: dict) -> None:
    _int(d["step"], "step")
    vocab = len(_texts(d["vocab"], "vocab"))
    _text(d["prompt"], "prompt")
    _search(d["beam"], "beam", vocab)
    if d["greedy"]:
        _search(d["greedy"], "greedy", vocab)
    nt = _keys(d["next_token"], "next_token", ("probs",), ("kept", "temperature", "top_k", "top_p"))
    for key, value in nt.items():
        if key in ("probs", "kept"):
            if _numbers(value, f"next_token.{key}") not in ((vocab,) if key == "probs" else (0, vocab)):
                raise Invalid(f"next_token.{key}: {len(value)} values for {vocab} tokens")
        else:
            _number(value, f"next_token.{key}", finite=True)
    for i, sample in enumerate(_list(d.get("samples", []), "samples", MAX_SIDE)):
        at = f"samples[{i}]"
        _keys(sample, at, ("tokens",), ("log_prob", "finished", "in_data"))  # the list reads them with .get
        _tokens(sample["tokens"], f"{at}.tokens", vocab)
        if sample.get("log_prob") is not None:
            _log_prob(sample["log_prob"], f"{at}.log_prob")
        _bool(sample.get("finished", True), f"{at}.finished")
        if sample.get("in_data") is not None:
            _bool(sample["in_data"], f"{at}.in_data")


MAX_CLASS = 255  # a token's colour class


def _token_sequence(d: dict) -> None:
    _int(d["step"], "step")
    _text(d["name"], "name", MAX_NAME)
    n = len(_texts(d["tokens"], "tokens", MAX_ITEMS))
    for key in ("ids", "marks", "classes", "notes"):
        values = _list(d.get(key, []), key)
        if values and len(values) != n:
            raise Invalid(f"{key}: {len(values)} for {n} tokens")
    for i, value in enumerate(d.get("ids", [])):
        _int(value, f"ids[{i}]", 0, MAX_STEP)
    for i, value in enumerate(d.get("marks", [])):
        if value not in ("", *TOKEN_MARKS):
            raise Invalid(f"marks[{i}]: expected one of {', '.join(TOKEN_MARKS)} or \"\", got {_short(value)}")
    for i, value in enumerate(d.get("classes", [])):
        _int(value, f"classes[{i}]", 0, MAX_CLASS)
    for i, value in enumerate(d.get("notes", [])):
        _text(value, f"notes[{i}]", MAX_NAME)


def _text_sample(d: dict) -> None:
    _int(d["step"], "step")
    _text(d["text"], "text")
    _text(d.get("name", "samples"), "name", MAX_NAME)
    _optional_number(d.get("temperature"), "temperature", finite=True, lo=0.0)
    _optional_number(d.get("score"), "score")


def _depth(value: Any) -> int:
    """How deep the first elements of nested lists go: [[[[0]]]] is 4 (a cheap look before numpy)."""
    depth = 0
    while isinstance(value, list):
        depth += 1
        value = value[0] if value else None
    return depth


MAX_CLASSES = 64  # a scatter's classes


def _scatter(d: dict) -> None:
    """Points (n, 2) with a class and a test flag each, the plane's extent, and the model's class
    probabilities on a grid (gh, gw, classes): the scatter widget indexes them all by these shapes."""
    _int(d["step"], "step")
    _text(d["name"], "name", MAX_NAME)
    points = _array(d["points"], "points", 2)
    if points.size and points.shape[1] != 2:
        raise Invalid(f"points: {points.shape[1]} coordinates a point; expected 2 (x, y)")
    if points.size and not np.isfinite(points).all():
        raise Invalid("points: expected finite coordinates")
    _float32(points, "points")
    n = len(points)
    labels = _array(d["labels"], "labels", 1, integer=True)
    if len(labels) != n:
        raise Invalid(f"labels: {len(labels)} for {n} points")
    held_out = _list(d["held_out"], "held_out")
    if len(held_out) != n:
        raise Invalid(f"held_out: {len(held_out)} for {n} points")
    for i, flag in enumerate(held_out):
        _bool(flag, f"held_out[{i}]")
    extent = _list(d["extent"], "extent", 4)
    if len(extent) != 4:
        raise Invalid(f"extent: {len(extent)} numbers; expected 4 (x_min, x_max, y_min, y_max)")
    x0, x1, y0, y1 = (_number(v, f"extent[{i}]", finite=True) for i, v in enumerate(extent))
    if not (x0 < x1 and y0 < y1):
        raise Invalid(f"extent: expected x_min < x_max and y_min < y_max, got {extent}")
    probs = _array(d["probs"], "probs", 3)
    gh, gw, classes = probs.shape
    if gh > MAX_SIDE or gw > MAX_SIDE:
        raise Invalid(f"probs: a {gh}x{gw} grid; at most {MAX_SIDE} a side")
    if classes > MAX_CLASSES:
        raise Invalid(f"probs: {classes} classes; at most {MAX_CLASSES}")
    finite = probs[np.isfinite(probs)]  # a diverged model's field is NaN: drawn, not refused
    if finite.size and (finite.min() < 0.0 or finite.max() > 1.0 + 1e-4):
        raise Invalid("probs: expected probabilities in 0..1")
    top = classes - 1 if probs.size else MAX_CLASSES - 1
    if labels.size and (labels.min() < 0 or labels.max() > top):
        raise Invalid(f"labels: expected classes 0..{top}")
    names = _list(d.get("names", []), "names")
    if names and len(names) != n:
        raise Invalid(f"names: {len(names)} for {n} points")
    for i, name in enumerate(names):
        _text(name, f"names[{i}]", MAX_NAME)


def _status(d: dict) -> None:
    if d["state"] not in STATES:
        raise Invalid(f"state: expected one of {', '.join(STATES)}, got {_short(d['state'])}")
    _int(d["step"], "step")
    _number(d.get("steps_per_s", 0.0), "steps_per_s", finite=True, lo=0.0)
    _text(d.get("message", ""), "message")
    _text(d.get("code", ""), "code", MAX_NAME)
    _scalars(d.get("args", {}), "args")


def _error(d: dict) -> None:
    _text(d["message"], "message")
    _text(d.get("traceback", ""), "traceback", MAX_TEXT * 10)


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
