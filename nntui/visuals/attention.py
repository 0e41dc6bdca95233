"""Attention heatmaps: the latest capture's maps, by layer, head and stage (keys in the widget)."""

from __future__ import annotations

import itertools

from nntui.runtime.history import History
from nntui.spec.events import AttentionMaps, Event, Status
from nntui.visuals.base import HelpRow, Rows, Visual, csv_table, numbered
from nntui.widgets.attention_panel import AttentionPanel


def update_attention(panel: AttentionPanel, history: History, lang: str = "en") -> None:
    """The chosen layer, head and stage (the last layer's mean weights by default)."""
    panel.lang = lang
    run = history.current
    ended = run is not None and history.status.state in ("finished", "diverged", "error")
    panel.show(run.latest_of(AttentionMaps) if run else None, ended=ended)


def _attention_rows(events: list[Event]) -> Rows:
    for run, event in numbered(events):
        if isinstance(event, AttentionMaps):
            queries, keys = event.tokens, event.keys
            weights = event.weights
            cells = itertools.product(*(range(n) for n in weights.shape))
            for (layer, head, query, key), weight in zip(cells, weights.reshape(-1).tolist()):
                yield [run, event.step, layer, head, query, key, _token(queries, query), _token(keys, key), weight]


def _token(tokens: list[str], i: int) -> str:
    return tokens[i] if i < len(tokens) else ""


VISUALS = (
    Visual("attention", AttentionPanel, update_attention, (AttentionMaps, Status), 0.1,  # Status: a run that ends without maps has none
           help=(HelpRow("[ ]  { }", "attention: choose the layer / the head", "注意力：选择层 / 注意力头"),
                 HelpRow("g", "attention: every head at once / one map", "注意力：同时显示所有头 / 单张图"),
                 HelpRow("v", "attention: weights, raw, scaled or masked scores", "注意力：权重、原始、缩放或掩码后的分数")),
           exports=(csv_table("attention.csv",
                              ("step", "layer", "head", "query", "key", "query_token", "key_token", "weight"),
                              _attention_rows),)),
)
