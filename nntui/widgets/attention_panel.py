"""AttentionPanel: one attention map, or every head at once, of the latest capture.

Its keys work wherever the focus is (the lesson screen hands them on): [ ] choose the layer,
{ } the head (or the mean over heads), g every head at once, v the stage (the softmax weights,
or the raw, scaled or masked scores they came from). The choice lives here, not in the run, so
it survives new captures and new runs; the panel keeps the capture it was given and redraws
itself when a key changes the choice.
"""

from __future__ import annotations

import numpy as np
from rich.cells import cell_len
from textual.binding import Binding
from textual.containers import Vertical

from nntui.i18n import t
from nntui.spec.events import AttentionMaps

from .heatmap import Heatmap
from .heatmap_grid import HeatmapGrid, Tile

STAGES = ("softmax", "raw", "scaled", "masked")  # what `v` cycles through, the weights first


class AttentionPanel(Vertical):
    DEFAULT_CSS = """
    AttentionPanel { width: 1fr; height: 1fr; }
    AttentionPanel > HeatmapGrid { display: none; }
    AttentionPanel.grid > HeatmapGrid { display: block; }
    AttentionPanel.grid > Heatmap { display: none; }
    """

    BINDINGS = [
        Binding("left_square_bracket", "choose(-1, 0)", "layer", show=False),
        Binding("right_square_bracket", "choose(1, 0)", "layer", show=False),
        Binding("left_curly_bracket", "choose(0, -1)", "head", show=False),
        Binding("right_curly_bracket", "choose(0, 1)", "head", show=False),
        Binding("g", "toggle_grid", "all heads", show=False),
        Binding("v", "next_stage", "stage", show=False),
    ]

    layer: int = -1  # -1: the last layer
    head: int | None = None  # None: the mean over heads
    stage: str = "softmax"

    def __init__(self, **widget_kwargs) -> None:
        super().__init__(**widget_kwargs)
        self.maps: AttentionMaps | None = None
        self._ended = False
        self._lang = "en"

    def compose(self):
        yield Heatmap()
        yield HeatmapGrid()

    @property
    def heatmap(self) -> Heatmap:
        return self.query_one(Heatmap)

    @property
    def grid(self) -> HeatmapGrid:
        return self.query_one(HeatmapGrid)

    @property
    def title(self) -> str:
        return self.heatmap.title

    @property
    def showing_grid(self) -> bool:
        return self.has_class("grid")

    @property
    def lang(self) -> str:
        return self._lang

    @lang.setter
    def lang(self, value: str) -> None:
        """The maps' own words ("masked", "waiting for attention") and the panel's titles."""
        self._lang = value
        self.heatmap.lang = value
        self.grid.lang = value

    # ---- data -----------------------------------------------------------------------------
    def show(self, maps: AttentionMaps | None, ended: bool = False) -> None:
        """`ended`: the run is over, so no maps means it has none (a model without attention)."""
        if maps is self.maps and ended == self._ended and maps is not None:
            return  # (a status change of a run that has maps: nothing to redraw)
        self.maps, self._ended = maps, ended
        self._draw()

    def first_view(self) -> None:
        """A page opens on the weights."""
        if self.stage != "softmax":
            self.stage = "softmax"
            self._draw()

    # ---- keys -----------------------------------------------------------------------------
    def action_choose(self, d_layer: int, d_head: int) -> None:
        if self.maps is None or self.maps.weights.size == 0:
            return
        layers, heads = self.maps.weights.shape[:2]
        self.layer = (self.layer % layers + d_layer) % layers if layers else -1
        options = [None, *range(heads)]  # the mean first, then each head
        self.head = options[(options.index(self.head) + d_head) % len(options)] if heads else None
        self._draw()

    def action_toggle_grid(self) -> None:
        self.toggle_class("grid")
        self._draw()

    def action_next_stage(self) -> None:
        if self.maps is None:
            return
        options = [s for s in STAGES if s in available_stages(self.maps)]
        self.stage = options[(options.index(self.stage) + 1) % len(options)] if self.stage in options else "softmax"
        self._draw()

    # ---- drawing --------------------------------------------------------------------------
    def _draw(self) -> None:
        maps, lang = self.maps, self._lang
        if maps is None or maps.weights.size == 0:
            # A run without attention (or none yet): never leave an earlier run's map in view.
            empty = t("no_attention_in_run", lang) if self._ended else None
            self.heatmap.show(np.zeros((0, 0)), title=t("attention", lang), empty=empty)
            self.grid.show([], title=t("attention", lang), empty=empty)
            return
        layers, heads = maps.weights.shape[:2]
        layer = self.layer % layers
        values, masked = stage_maps(maps, self.stage)
        stage = self.stage if self.stage in maps.stages or self.stage == "softmax" else "softmax"
        stage_name = t(f"stage_{stage}", lang)
        at_step = t("at_step", lang).format(step=f"{maps.step:,}")
        if self.showing_grid:
            tiles = [Tile(f"L{lay + 1} H{h + 1}", values[lay, h], masked[lay, h])
                     for lay in range(layers) for h in range(heads)]
            # The chosen layer's head (its first for the mean) is marked, and kept in view when the
            # grid is taller than the panel: by default the last layer, where the patterns form.
            selected = layer * heads + (0 if self.head is None else min(self.head, heads - 1))
            self.grid.show(tiles, title=f"{stage_name} · {t('every_head', lang)} · {at_step}", selected=selected,
                           columns=heads, row_names=[f"L{lay + 1}" for lay in range(layers)],
                           col_names=[f"H{h + 1}" for h in range(heads)])
            return
        if self.head is None:
            matrix = values[layer].mean(axis=0)
            if heads > 1:
                which, short = t("attn_mean_heads", lang).format(n=heads), t("attn_mean_short", lang)
            else:
                which, short = t("attn_one_head", lang), "H1/1"
        else:
            head = min(self.head, heads - 1)
            matrix = values[layer, head]
            which, short = t("attn_head", lang).format(i=head + 1, n=heads), f"H{head + 1}/{heads}"
        layer_name = t("attn_layer", lang).format(i=layer + 1, n=layers)
        full = f"{t('attention', lang)} · {layer_name} · {which} · {stage_name} · {at_step}"
        compact = f"L{layer + 1}/{layers} {short} {t(f'stage_{stage}_short', lang)} @{maps.step:,}"
        fits = self.size.width == 0 or cell_len(full) + 24 <= self.size.width  # room left for the cursor's value
        self.heatmap.show(matrix, row_labels=maps.tokens, col_labels=maps.keys, title=full if fits else compact,
                          masked=masked[layer].all(axis=0) if masked.any() else None)


def available_stages(maps: AttentionMaps) -> list[str]:
    """The stages worth cycling through: "masked" only where a mask was applied."""
    return ["softmax", *(name for name, values in maps.stages.items()
                         if name != "masked" or np.isneginf(values).any())]


def stage_maps(maps: AttentionMaps, stage: str) -> tuple[np.ndarray, np.ndarray]:
    """(values, masked) of shape (layers, heads, T, T) for a stage.

    Masked is where the causal mask put -inf, shown only from the "masked" stage on: the raw and
    scaled scores above the diagonal exist, the mask is what removes them.
    """
    masked_stage = maps.stages.get("masked")
    masked = np.zeros(maps.weights.shape, dtype=bool)
    if masked_stage is not None and stage in ("masked", "softmax"):
        masked = np.isneginf(masked_stage)
    values = maps.weights if stage == "softmax" else maps.stages.get(stage, maps.weights)
    return values, masked
