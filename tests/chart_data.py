"""Fixed chart data for the widget tests (deterministic without a random generator)."""

from __future__ import annotations

import numpy as np

from nntui.widgets import Series


def wiggle(x: np.ndarray, seed: float) -> np.ndarray:
    return np.sin(x * 0.37 + seed) * np.cos(x * 0.051 + 2 * seed)


def loss_series() -> list[Series]:
    steps = np.arange(0, 3000, 5, dtype=np.float64)
    evals = np.arange(0, 3001, 250, dtype=np.float64)

    def curve(x, start, end, tau):
        return end + (start - end) * np.exp(-x / tau)

    return [
        Series("run1 train", steps, curve(steps, 2.3, 0.45, 500) + 0.08 * wiggle(steps, 1), "#f0a030", dim=True),
        Series("run1 test", evals, curve(evals, 2.3, 0.55, 500), "#e04060", dim=True),
        Series("train", steps, curve(steps, 2.3, 0.15, 350) + 0.06 * wiggle(steps, 2), "#30a0f0"),
        Series("test", evals, curve(evals, 2.3, 0.3, 350), "#f04080"),
    ]


def grad_series() -> list[Series]:
    steps = np.arange(0, 3000, 10, dtype=np.float64)
    out = []
    colors = ["#6060ff", "#40c0c0", "#60d060", "#e0c040"]
    for i, c in enumerate(colors):
        y = 10.0 ** (-6 + 2 * i - steps / 1500 + 0.2 * wiggle(steps, i))
        out.append(Series(f"layer{i + 1}", steps, y, c))
    return out


