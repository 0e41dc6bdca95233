"""The field checks a recorded event is built from: types, ranges, sizes and shapes.

recording_check.py combines them into one schema per kind of event; each raises Invalid
naming the field ("where") and what is wrong with it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MAX_STEP = 2**53  # steps stay exact as floats on a chart's x axis
MAX_RUN = 2**31
MAX_SEED = 2**32 - 1  # what `nntui run --seed` accepts
MAX_TEXT = 10_000  # characters in one string (a traceback fits)
MAX_NAME = 200  # a metric, layer, series or token name
MAX_ITEMS = 100_000  # entries in one list or table
MAX_SIDE = 1024  # an image's height or width, a sequence's length, layers, heads
# The panels read these series of these curves by name (nntui/visuals/charts.py: update_fit).


class Invalid(ValueError):
    """One thing wrong with an event: "field: problem"."""


# ---- scalars and containers ---------------------------------------------------------------------------------
def typename(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def integer(value: Any, where: str, lo: int = 0, hi: int = MAX_STEP) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(f"{where}: expected an integer, got {typename(value)}")
    if not lo <= value <= hi:
        raise Invalid(f"{where}: {short(value)} is outside {lo}..{hi}")
    return value


def number(value: Any, where: str, finite: bool = False, lo: float | None = None) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise Invalid(f"{where}: expected a number, got {typename(value)}")
    try:
        value = float(value)  # an integer too large for a float overflows
    except OverflowError:
        raise Invalid(f"{where}: {short(value)} is too large") from None
    if finite and not np.isfinite(value):
        raise Invalid(f"{where}: expected a finite number, got {value}")
    if lo is not None and not value >= lo:
        raise Invalid(f"{where}: {value} is below {lo:g}")
    return value


def log_prob(value: Any, where: str) -> None:
    """A log-probability: at most 0 (a little over for rounding); the tree shows exp() of it."""
    if number(value, where) > 1e-6:
        raise Invalid(f"{where}: {value} is a log-probability above 0")


def optional_number(value: Any, where: str, **kw: Any) -> None:
    if value is not None:
        number(value, where, **kw)


def text(value: Any, where: str, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{where}: expected text, got {typename(value)}")
    if len(value) > limit:
        raise Invalid(f"{where}: text longer than {limit:,} characters")
    return value


def items(value: Any, where: str, limit: int = MAX_ITEMS) -> list:
    if not isinstance(value, list):
        raise Invalid(f"{where}: expected a list, got {typename(value)}")
    if len(value) > limit:
        raise Invalid(f"{where}: more than {limit:,} items")
    return value


def texts(value: Any, where: str, limit: int = MAX_ITEMS) -> list[str]:
    for i, item in enumerate(items(value, where, limit)):
        text(item, f"{where}[{i}]", MAX_NAME)
    return value


def obj(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise Invalid(f"{where}: expected an object, got {typename(value)}")
    if len(value) > MAX_ITEMS:
        raise Invalid(f"{where}: more than {MAX_ITEMS:,} entries")
    return value


def scalars(value: Any, where: str) -> None:
    """A flat object of names to text, numbers, true/false or null (params, args)."""
    for name, item in obj(value, where).items():
        text(name, f"{where} name", MAX_NAME)
        if isinstance(item, str):
            text(item, f"{where}.{name}")
        elif item is not None and not isinstance(item, bool):
            number(item, f"{where}.{name}")


FLOAT32_MAX = float(np.finfo(np.float32).max)


def float32(array: np.ndarray, where: str) -> None:
    """Curves and attention maps are kept as float32: a finite value beyond its range would turn inf."""
    if array.size and array.dtype.kind == "f":
        finite = array[np.isfinite(array)]
        if finite.size and np.abs(finite).max() > FLOAT32_MAX:
            raise Invalid(f"{where}: {np.abs(finite).max():g} is beyond float32's range (±{FLOAT32_MAX:.3g})")


def array(value: Any, where: str, dims: int, *, integer: bool = False) -> np.ndarray:
    """A rectangular array of numbers with exactly `dims` dimensions (numpy checks it in C)."""
    if not isinstance(value, list):
        raise Invalid(f"{where}: expected a list, got {typename(value)}")
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


def numbers(value: Any, where: str) -> int:
    """A list of numbers; return its length."""
    return len(array(value, where, 1))


def keys(value: Any, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
    d = obj(value, where)
    for key in d:
        if key not in required and key not in optional:
            raise Invalid(f"{where}: unknown field {short(key)}")
    for key in required:
        if key not in d:
            raise Invalid(f"{where}: missing field {key!r}")
    return d


def boolean(value: Any, where: str) -> None:
    if not isinstance(value, bool):
        raise Invalid(f"{where}: expected true/false, got {typename(value)}")


def depth(value: Any) -> int:
    """How deep the first elements of nested lists go: [[[[0]]]] is 4 (a cheap look before numpy)."""
    depth = 0
    while isinstance(value, list):
        depth += 1
        value = value[0] if value else None
    return depth
