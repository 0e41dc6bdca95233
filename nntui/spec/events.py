"""Events: what an experiment reports, as plain data.

Events cross the process boundary between the trainer and the UI (pickled)
and are written as JSON lines by headless runs, so they hold only numbers,
strings, lists, dicts and numpy arrays. Nothing here imports torch or Textual.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np


@dataclass(frozen=True, slots=True)
class Event:
    kind: ClassVar[str] = "event"
    # Heavy events are latest-wins: when several wait in one batch, only the newest is sent.
    latest_wins: ClassVar[bool] = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for name in _field_names(type(self)):
            out[name] = _plain(getattr(self, name))
        return out

    @property
    def coalesce_key(self) -> tuple:
        return (self.kind,)


@dataclass(frozen=True, slots=True)
class RunStarted(Event):
    """A new run began: everything after it belongs to this run until the next one."""

    kind: ClassVar[str] = "run_started"
    run: int
    experiment: str
    params: dict[str, Any]
    seed: int
    device: str
    label: str = ""
    total: int | None = None  # steps the run will take, where it knows (1: a worked example)


@dataclass(frozen=True, slots=True)
class Metrics(Event):
    """Scalar series points at one step, e.g. {"train_loss": 0.31}."""

    kind: ClassVar[str] = "metrics"
    step: int
    values: dict[str, float]
    epoch: float | None = None


@dataclass(frozen=True, slots=True)
class ImageGrid(Event):
    """Greyscale (n, h, w) or RGB (n, h, w, 3) uint8 images in 0..255 with a caption each; `flagged`
    marks wrong ones. `to_pixels()` makes these of 0..1 floats (e.g. a NeRF render)."""

    kind: ClassVar[str] = "image_grid"
    latest_wins: ClassVar[bool] = True
    step: int
    name: str
    images: np.ndarray
    captions: list[str]
    flagged: list[bool] = field(default_factory=list)

    @property
    def coalesce_key(self) -> tuple:
        return (self.kind, self.name)


def to_pixels(images: Any) -> np.ndarray:
    """uint8 pixels in 0..255 of integers in 0..255 (clipped) or floats in 0..1 (NaN black), any
    shape ending (h, w) or (h, w, 3); a last axis of 1 (one channel) is dropped, of 4 (alpha) cut to 3."""
    a = np.asarray(images)
    if a.ndim >= 3 and a.shape[-1] == 1:
        a = a[..., 0]
    elif a.ndim >= 3 and a.shape[-1] == 4:
        a = a[..., :3]
    if a.dtype == np.uint8:
        return a
    if a.dtype.kind in "fb":
        a = np.nan_to_num(a.astype(np.float32) * 255.0, nan=0.0, posinf=255.0, neginf=0.0)
        return np.clip(np.rint(a), 0, 255).astype(np.uint8)
    return np.clip(a, 0, 255).astype(np.uint8)


@dataclass(frozen=True, slots=True)
class Curve(Event):
    """Functions over a shared x axis, e.g. a target and the network's fit of it."""

    kind: ClassVar[str] = "curve"
    latest_wins: ClassVar[bool] = True
    step: int
    name: str
    x: np.ndarray
    series: dict[str, np.ndarray]

    @property
    def coalesce_key(self) -> tuple:
        return (self.kind, self.name)


@dataclass(frozen=True, slots=True)
class LayerNorms(Event):
    """Per-layer gradient norms at one step, input side first (taken every `probe_every` steps).

    `weight`, `bias` and `total` are ||dL/dW||, ||dL/db|| and their root-sum-square per layer;
    `delta` is ||dL/dz|| per layer (Nielsen's delta, the layer's "speed of learning"), or empty.
    `total_norm` is the norm over every parameter before clipping; `clipped_norm` after it
    (None when clipping is off).
    """

    kind: ClassVar[str] = "layer_norms"
    step: int
    layers: list[str]
    weight: list[float]
    bias: list[float]
    total: list[float]
    delta: list[float]
    total_norm: float
    clipped_norm: float | None = None


@dataclass(frozen=True, slots=True)
class TimeNorms(Event):
    """||dL/dh_t|| for every time step t of a recurrent net, t = 1 first (backprop through time)."""

    kind: ClassVar[str] = "time_norms"
    latest_wins: ClassVar[bool] = True
    step: int
    values: np.ndarray

    @property
    def coalesce_key(self) -> tuple:
        return (self.kind,)


@dataclass(frozen=True, slots=True)
class AttentionMaps(Event):
    """Every layer's and head's attention over one example sequence at one step.

    `weights` is (layers, heads, T, T), rows = queries, columns = keys, each row summing to 1;
    `stages` may add the same shape for "raw", "scaled" and "masked" scores (masked: -inf above
    the diagonal under a causal mask). Self-attention names the T tokens once, in `tokens`;
    cross-attention (a decoder's queries over an encoder's keys) gives (layers, heads, Tq, Tk)
    with `tokens` the Tq queries and `key_tokens` the Tk keys.
    """

    kind: ClassVar[str] = "attention"
    latest_wins: ClassVar[bool] = True
    step: int
    tokens: list[str]
    weights: np.ndarray
    stages: dict[str, np.ndarray] = field(default_factory=dict)
    key_tokens: list[str] = field(default_factory=list)  # empty: the keys are `tokens` (self-attention)

    @property
    def keys(self) -> list[str]:
        """The tokens the columns stand for."""
        return self.key_tokens or self.tokens

    @property
    def coalesce_key(self) -> tuple:
        return (self.kind,)


@dataclass(frozen=True, slots=True)
class Tables(Event):
    """Numbers laid out for reading, e.g. every intermediate of one attention computation.

    Each table is {"title", "rows" (labels), "cols" (labels), "values" (rows x cols floats,
    None for a blank cell), "note"}; `view` names which part of the computation they show.
    """

    kind: ClassVar[str] = "tables"
    latest_wins: ClassVar[bool] = True
    step: int
    view: str
    tables: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Decoding(Event):
    """One decoding of a prompt: the beam-search tree, greedy's answer beside it, and the
    distribution of the token after the prompt, and sequences sampled from the model.

    `beam` and `greedy` are `BeamSearchResult.to_dict()` (see lab/decoding_records.py), token ids
    indexing `vocab`. `next_token` is {"probs": [...], "kept": [...]}: the model's distribution
    and what temperature / top-k / top-p leave of it (0 where a token is filtered out), plus the
    settings used ("temperature", "top_k", "top_p"). `samples` are sequences drawn with those
    settings, each {"tokens": [...] (prefix included), "log_prob": the model's log P of the new
    tokens, "finished": ended with the end token, "in_data": whether it is one of the training
    examples (None where the model has none)}.
    """

    kind: ClassVar[str] = "decoding"
    latest_wins: ClassVar[bool] = True
    step: int
    vocab: list[str]
    prompt: str
    beam: dict[str, Any]
    greedy: dict[str, Any]
    next_token: dict[str, Any]
    samples: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Scatter(Event):
    """Points in the plane with a class each, and a model's class probabilities over the plane.

    `points` is (n, 2) float32 (x, y); `labels` (n,) the class of each, 0..classes-1; `held_out`
    (n,) True for a test point, False for a training one. `extent` is [x_min, x_max, y_min,
    y_max]. `probs` is (gh, gw, classes) float32, the model's softmax sampled on a grid with
    both edges included: row i at y = y_max - i (y_max - y_min) / (gh - 1) (row 0 at the top,
    as on screen), column j at x = x_min + j (x_max - x_min) / (gw - 1). A scatter without a
    model's field (e.g. word vectors projected to 2-D) sends probs of shape (0, 0, 0).
    `names` is a label for each point (e.g. the word it stands for), or empty for none.
    """

    kind: ClassVar[str] = "scatter"
    latest_wins: ClassVar[bool] = True
    step: int
    name: str
    points: np.ndarray
    labels: np.ndarray
    held_out: np.ndarray
    extent: list[float]
    probs: np.ndarray
    names: list[str] = field(default_factory=list)

    @property
    def coalesce_key(self) -> tuple:
        return (self.kind, self.name)


# What a token of a TokenSequence can be marked as (the token strip draws a glyph for each).
TOKEN_MARKS = ("masked", "replaced", "right", "wrong", "merged")


@dataclass(frozen=True, slots=True)
class TokenSequence(Event):
    """A sequence of tokens to read one by one: a text as a tokenizer cut it, a sentence as BERT saw
    it masked, a prediction token by token.

    `tokens` are the pieces' texts; the other lists are one per token, or empty for none: `ids`
    their ids in the vocabulary; `marks` one of TOKEN_MARKS or "" (masked: hidden from the model,
    e.g. [MASK]; replaced: swapped for another token; right / wrong: the model's prediction there;
    merged: made by the latest BPE merge); `classes` a small integer each for its colour (e.g. the
    word a piece belongs to, sentence A or B); `notes` a line each for the cursor's readout (e.g.
    "predicted ␣dog, p=0.41").
    """

    kind: ClassVar[str] = "tokens"
    latest_wins: ClassVar[bool] = True
    step: int
    name: str
    tokens: list[str]
    ids: list[int] = field(default_factory=list)
    marks: list[str] = field(default_factory=list)
    classes: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def coalesce_key(self) -> tuple:
        return (self.kind, self.name)


@dataclass(frozen=True, slots=True)
class TextSample(Event):
    """One text the model generated at `step` (e.g. a language model's sample), appended to the
    run's stream `name`: never latest-wins, each one is kept (the history keeps the newest few).
    `temperature` it was sampled at and `score` (e.g. its mean log-probability), where known."""

    kind: ClassVar[str] = "text_sample"
    step: int
    text: str
    name: str = "samples"
    temperature: float | None = None
    score: float | None = None


@dataclass(frozen=True, slots=True)
class Status(Event):
    """The runner's state: ready, running, paused, finished, diverged or error."""

    kind: ClassVar[str] = "status"
    state: str
    step: int
    steps_per_s: float = 0.0
    message: str = ""  # in English, for logs and headless runs
    code: str = ""  # what the message says, for the UI to say in its language (nntui.i18n.describe)
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Error(Event):
    """An exception inside the experiment, shown by the UI instead of crashing it."""

    kind: ClassVar[str] = "error"
    message: str
    traceback: str = ""


STATES = ("starting", "ready", "running", "paused", "finished", "diverged", "error")

KINDS: dict[str, type[Event]] = {
    cls.kind: cls
    for cls in (
        RunStarted, Metrics, ImageGrid, Curve, LayerNorms, TimeNorms, AttentionMaps, Tables, Decoding, Status, Error,
        Scatter, TokenSequence, TextSample,
    )
}
_ARRAY_FIELDS = {
    ("image_grid", "images"): np.uint8,
    ("curve", "x"): np.float32,
    ("time_norms", "values"): np.float64,
    ("attention", "weights"): np.float32,
    ("scatter", "points"): np.float32,
    ("scatter", "labels"): np.int64,
    ("scatter", "held_out"): np.bool_,
    ("scatter", "probs"): np.float32,
}


def from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event written by `Event.to_dict` (e.g. one JSON line of a recording)."""
    data = dict(data)
    kind = data.pop("kind", None)
    data.pop("t", None)  # a recording's seconds since the run began (headless.py), not the event's
    cls = KINDS.get(kind)
    if cls is None:
        raise ValueError(f"unknown event kind {kind!r}")
    for (k, name), dtype in _ARRAY_FIELDS.items():
        if k == kind:
            data[name] = np.asarray(data[name], dtype=dtype)
    if kind == "curve":
        data["series"] = {k: np.asarray(v, dtype=np.float32) for k, v in data["series"].items()}
    if kind == "attention":
        data["stages"] = {k: np.asarray(v, dtype=np.float32) for k, v in data.get("stages", {}).items()}
    return cls(**data)


def coalesce(events: list[Event]) -> list[Event]:
    """Drop every latest-wins event that a newer one with the same key supersedes."""
    newest: dict[tuple, int] = {}
    for i, event in enumerate(events):
        if event.latest_wins:
            newest[event.coalesce_key] = i
    return [e for i, e in enumerate(events) if not e.latest_wins or newest[e.coalesce_key] == i]


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    # dataclasses.fields() costs more than a small model's step; recordings call this per event.
    return tuple(f.name for f in dataclasses.fields(cls))


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
