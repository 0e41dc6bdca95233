"""The data a chart draws: one `Series` per line. Its own module, so the chart's parts
(legend, renderer, widget) all import it from here and none imports another in a circle."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Series"]


@dataclass(frozen=True, eq=False)
class Series:
    """One line of a chart. `color` is a Textual colour name or hex; `dim` marks a
    background series (e.g. an earlier run), drawn faded (dotted with NO_COLOR)."""

    name: str
    x: np.ndarray
    y: np.ndarray
    color: str
    dim: bool = False
