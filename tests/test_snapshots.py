"""Snapshots of the browser and a lesson screen, with training held at a fixed state."""

from __future__ import annotations

import pytest

from fakes import FakeTrainer
from nntui.app import NntuiApp
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
