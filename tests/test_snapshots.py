"""Snapshots of the browser and a lesson screen, with training held at a fixed state."""

from __future__ import annotations

import numpy as np
import pytest

from fakes import FakeTrainer
from nntui.app import NntuiApp
from nntui.spec.events import Metrics
from test_app import training_events

SIZES = [(80, 24), (120, 40)]


def frozen_app(lesson: str | None = None) -> tuple[NntuiApp, FakeTrainer]:
    trainer = FakeTrainer()
    return NntuiApp(trainer, lesson=lesson), trainer


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_browser(snap_compare, size):
    app, _ = frozen_app()
    assert snap_compare(app, terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_mnist_ladder_lesson_training(snap_compare, size):
    app, trainer = frozen_app("mnist-ladder")

    async def hold_training_at_a_fixed_state(pilot):
        await pilot.pause()
        trainer.push(*training_events(run=1, label="quadratic", steps=4000, accuracy=0.81))
        trainer.push(*training_events(run=2, label="intro", steps=2400, accuracy=0.93))
        await pilot.pause(0.3)
        app.screen._redraw_charts(force=True)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=hold_training_at_a_fixed_state)


def test_neuron_lesson_in_chinese(snap_compare):
    app, trainer = frozen_app("neuron")

    async def switch_language_and_open_step_one(pilot):
        await pilot.pause()
        await pilot.press("l", "n")
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=switch_language_and_open_step_one)


def gradient_probes(steps: int = 1000, every: int = 10):
    """Per-layer norms decaying 4x per layer towards the input, as sigmoid with Xavier shows."""
    from nntui.spec.events import LayerNorms

    layers = [f"layer {i}" for i in range(1, 9)] + ["output"]
    events = []
    for step in range(1, steps + 1, every):
        wobble = 1.0 + 0.1 * np.sin(step / 37.0)
        total = [0.4 * wobble / 4.0 ** (len(layers) - 1 - i) for i in range(len(layers))]
        events.append(LayerNorms(step, layers, total, [t / 3 for t in total], total, [], 0.5 * wobble))
        events.append(Metrics(step, {"train_loss": 2.3 - 0.01 * np.log1p(step), "grad_ratio": total[0] / total[-1]}))
    return events


def test_vanishing_gradients_lesson_with_probes(snap_compare):
    from nntui.spec.events import RunStarted, Status

    app, trainer = frozen_app("vanishing-gradients")

    async def hold_probes_at_a_fixed_state(pilot):
        await pilot.pause()
        trainer.push(RunStarted(1, "deep-mlp", {}, 0, "cpu", "intro"), Status("running", 0))
        trainer.push(*gradient_probes(), Status("running", 1000, 807.0))
        await pilot.pause(0.3)
        app.screen._redraw_charts(force=True)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=hold_probes_at_a_fixed_state)
