"""The app driven like a user would, with a fake trainer: no torch, deterministic events."""

from __future__ import annotations

import numpy as np

from fakes import FakeTrainer
from nntui.app import NntuiApp
from nntui.curriculum.loader import load_curriculum
from nntui.spec.events import ImageGrid, Metrics, RunStarted, Status
from nntui.spec.commands import Pause, Resume, Start, StepOnce, Stop
from nntui.screens.browser import BrowserScreen
from nntui.screens.lesson import LessonScreen
from nntui.widgets.status import StatusLine


def ladder():
    lesson = load_curriculum().find("mnist-ladder")
    assert lesson is not None and not lesson.broken
    return lesson


def training_events(run: int = 1, label: str = "intro", steps: int = 400, accuracy: float = 0.91, params=None):
    """A deterministic slice of an MNIST run: losses falling, one evaluation, a digit grid."""
    rng = np.random.default_rng(run)
    events = [RunStarted(run, "mnist-mlp", params or {}, 0, "cpu", label), Status("running", 0)]
    for step in range(1, steps + 1):
        events.append(Metrics(step, {"train_loss": float(2.3 * np.exp(-step / 120) + 0.1)}, epoch=step / 400))
    events.append(Metrics(steps, {"test_loss": 0.3, "test_accuracy": accuracy, "digits_answered": 9.0},
                          epoch=steps / 400))
    images = (rng.random((24, 28, 28)) > 0.7).astype(np.uint8) * 255
    captions = [str(i % 10) for i in range(24)]
    events.append(ImageGrid(steps, "digits", images, captions, [i % 7 == 0 for i in range(24)]))
    events.append(Status("running", steps, 812.0))
    return events


async def test_browser_open_lesson_pause_step_restart_language_back():
    trainer = FakeTrainer()
    app = NntuiApp(trainer)
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, BrowserScreen)
        await pilot.press("slash", *"ladder", "enter")  # one enter opens the match
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LessonScreen) and screen.lesson.id == "mnist-ladder"
        start = trainer.sent[-1]
        assert isinstance(start, Start) and start.experiment == "mnist-mlp" and start.label == "intro"
        assert start.params == ladder().params

        trainer.push(*training_events())
        await pilot.pause(0.15)
        status = str(app.screen.query_one(StatusLine).render())
        assert "running" in status and "step 400" in status and "812 steps/s" in status

        await pilot.press("space")
        assert isinstance(trainer.sent[-1], Pause)
        trainer.push(Status("paused", 400))
        await pilot.pause(0.1)
        await pilot.press("full_stop")
        assert isinstance(trainer.sent[-1], StepOnce)
        await pilot.press("space")
        assert isinstance(trainer.sent[-1], Resume)

        await pilot.press("n")  # rung 1: the step's settings go into the controls
        first = ladder().steps[0]
        await pilot.press("r")
        restart = trainer.sent[-1]
        assert isinstance(restart, Start) and restart.label == first.id
        for name, value in first.set.items():
            assert restart.params[name] == value

        await pilot.press("l")
        header = str(app.screen.query_one("#lesson-header").render())
        assert ladder().title.zh in header
        await pilot.press("l")

        await pilot.press("escape")
        assert isinstance(trainer.sent[-1], Stop)
        assert isinstance(app.screen, BrowserScreen)


async def test_a_step_ticks_off_when_its_check_holds_on_a_run_with_its_settings():
    lesson = ladder()
    first = lesson.steps[0]
    assert first.check is not None
    trainer = FakeTrainer()
    app = NntuiApp(trainer, lesson="mnist-ladder")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        # a run with other settings (the defaults, going before the step opened) does not count
        trainer.push(*training_events(run=1, label="intro", steps=4000, accuracy=0.8, params=dict(lesson.params)))
        await pilot.pause(0.15)
        assert first.id not in app.progress.steps_done("mnist-ladder")
        await pilot.press("r")
        trainer.push(*training_events(run=2, label=first.id, steps=4000, accuracy=0.8,
                                      params=lesson.settings_for(first)))
        await pilot.pause(0.15)
        assert first.id in app.progress.steps_done("mnist-ladder")
        assert "✓" in str(app.screen.query_one("#lesson-header").render())


async def test_live_control_change_is_sent_at_once_restart_only_waits_for_r():
    trainer = FakeTrainer()
    app = NntuiApp(trainer, lesson="mnist-ladder")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        panel = app.screen.query_one("#controls")
        names = [c.param for c in panel.controls]
        panel.selected = names.index("lr")
        await pilot.press("right")
        sent = trainer.sent[-1]
        assert type(sent).__name__ == "SetParam" and sent.name == "lr" and sent.value > ladder().params["lr"]
        panel.selected = names.index("hidden")
        count = len(trainer.sent)
        await pilot.press("right")
        assert len(trainer.sent) == count and panel.pending == ["hidden"]
        await pilot.press("r")
        assert trainer.sent[-1].params["hidden"] > ladder().params["hidden"] and not panel.pending


async def test_diverged_and_error_are_shown_not_fatal():
    trainer = FakeTrainer()
    app = NntuiApp(trainer, lesson="mnist-ladder")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        trainer.push(RunStarted(1, "mnist-mlp", {}, 0, "cpu"), Metrics(812, {"train_loss": float("nan")}))
        trainer.push(Status("diverged", 812, 0.0, "diverged at step 812: train_loss is nan; lower the learning rate and press r"))
        await pilot.pause(0.15)
        status = str(app.screen.query_one(StatusLine).render())
        assert "diverged" in status and "lower the learning rate" in status
        await pilot.press("space")  # nothing to resume: a hint, no command
        assert not isinstance(trainer.sent[-1], (Pause, Resume))


async def test_broken_lesson_shows_in_browser_and_never_opens(tmp_path):
    from nntui.curriculum.loader import shipped_lessons

    for entry in shipped_lessons().iterdir():
        if entry.name.endswith((".md", ".toml")):
            (tmp_path / entry.name).write_text(entry.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "oops.md").write_text('+++\nid = "oops"\nchapter = "basics"\n', encoding="utf-8")
    curriculum = load_curriculum(tmp_path)
    trainer = FakeTrainer()
    app = NntuiApp(trainer, curriculum=curriculum)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("slash", *"oops", "enter")
        info = str(app.screen.query_one("#lesson-info").render())
        assert "oops.md" in info
        await pilot.press("enter")
        assert isinstance(app.screen, BrowserScreen) and not trainer.sent


async def test_help_lists_the_keys_in_the_current_language():
    from nntui.screens.help import HelpScreen

    app = NntuiApp(FakeTrainer(), lesson="neuron", lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        box = app.screen.query_one("#help")
        assert box.size.width >= 40 and box.size.height >= 10  # really on screen, not collapsed
        assert "暂停" in app.export_screenshot() and "继续训练" in app.export_screenshot()
        await pilot.press("escape")
        assert isinstance(app.screen, LessonScreen)


async def test_attention_keys_choose_layer_head_stage_and_grid():
    from nntui.spec.events import AttentionMaps
    from nntui.widgets.heatmap_grid import HeatmapGrid

    trainer = FakeTrainer()
    app = NntuiApp(trainer, lesson="attention-live")
    weights = np.zeros((2, 4, 3, 3), dtype=np.float32)
    weights[1, 2] = np.eye(3)[::-1]  # layer 2, head 3: an anti-diagonal
    raw = np.arange(2 * 4 * 9, dtype=np.float32).reshape(2, 4, 3, 3)
    masked = np.where(np.triu(np.ones((3, 3), dtype=bool), 1), -np.inf, raw / 2)
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.pause()
        trainer.push(RunStarted(1, "attention-live", {"causal": True}, 0, "cpu"),
                     AttentionMaps(10, ["a", "b", "c"], weights, {"raw": raw, "scaled": raw / 2, "masked": masked}))
        await pilot.pause(0.2)
        panel = app.screen.widgets["attention"]
        assert "layer 2/2 · mean of 4 heads · softmax" in panel.title
        await pilot.press("right_curly_bracket", "right_curly_bracket", "right_curly_bracket")
        assert "layer 2/2 · head 3/4" in panel.title
        assert np.array_equal(panel.heatmap._matrix, weights[1, 2])
        await pilot.press("left_square_bracket")
        assert "layer 1/2 · head 3/4" in panel.title
        await pilot.press("v")  # raw scores: no mask yet, the numbers above the diagonal exist
        assert "· raw ·" in panel.title and np.array_equal(panel.heatmap._matrix, raw[0, 2])
        assert not panel.heatmap._masked.any()
        await pilot.press("v", "v")  # scaled, then masked: the mask shows
        assert "· masked ·" in panel.title and panel.heatmap._masked[0, 2] and not panel.heatmap._masked[2, 0]
        await pilot.press("g")
        grid = panel.query_one(HeatmapGrid)
        assert grid.display and not panel.heatmap.display
        assert grid._labels == [f"L{lay} H{h}" for lay in (1, 2) for h in (1, 2, 3, 4)] and grid.hidden_tiles == 0
        await pilot.press("g")
        assert panel.heatmap.display and not grid.display


async def test_attention_title_is_compact_on_a_narrow_screen():
    from nntui.spec.events import AttentionMaps

    trainer = FakeTrainer()
    app = NntuiApp(trainer, lesson="attention-live")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        trainer.push(RunStarted(1, "attention-live", {}, 0, "cpu"),
                     AttentionMaps(500, ["a", "b", "c"], np.full((2, 4, 3, 3), 1 / 3, dtype=np.float32)))
        await pilot.pause(0.2)
        panel = app.screen.widgets["attention"]
        assert panel.title == "L2/2 mean softmax @500"
        assert "L2/2 mean softmax @500" in app.export_screenshot().replace("&#160;", " ")

async def test_a_text_control_opens_an_editor_that_refuses_bad_text():
    from nntui.spec.commands import SetParam
    from nntui.screens.text_prompt import TextPrompt
    from textual.widgets import Input

    trainer = FakeTrainer()
    app = NntuiApp(trainer, lesson="beam-search")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("down", "down", "enter")  # model, beam width, prompt
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        assert app.screen.query_one(Input).has_focus and app.screen.query_one(Input).value == "wi"
        await pilot.press("backspace", "backspace", "G", "l", "enter")
        assert isinstance(app.screen, TextPrompt)  # 'G' is not allowed: the editor stays, saying so
        assert "'G' is not allowed" in str(app.screen.query_one("#prompt-error").render())
        await pilot.press("backspace", "backspace", "g", "l", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, TextPrompt)
        assert SetParam("prompt", "gl") in trainer.sent  # a live control: sent at once
        assert app.lang == "en"  # the letters went to the editor, not to the app's keys


async def test_a_divergence_is_told_in_the_apps_language():
    trainer = FakeTrainer()
    app = NntuiApp(trainer, lesson="mnist-ladder", lang="zh")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        trainer.push(RunStarted(1, "mnist-mlp", {}, 0, "cpu"), Metrics(8, {"train_loss": float("nan")}))
        args = {"step": 8, "metric": "train_loss", "value": "nan", "remedy": "lr"}
        trainer.push(Status("diverged", 8, 0.0, "diverged at step 8: ...", "diverged", args))
        await pilot.pause(0.15)
        status = str(app.screen.query_one(StatusLine).render())
        assert "第 8 步发散：train_loss 为 nan；请调低学习率" in status and "diverged" not in status


async def test_enter_on_a_search_without_a_match_keeps_the_search_box():
    from textual.widgets import Input

    app = NntuiApp(FakeTrainer())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash", *"xyzq", "enter")
        search = app.screen.query_one("#search", Input)
        assert isinstance(app.screen, BrowserScreen) and search.has_focus
        await pilot.press("backspace", "backspace", "backspace", "backspace", *"ladder", "enter")
        assert isinstance(app.screen, LessonScreen) and app.screen.lesson.id == "mnist-ladder"


async def test_back_from_a_lesson_the_browser_is_on_that_lesson():
    app = NntuiApp(FakeTrainer())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash", *"beam", "enter")
        assert isinstance(app.screen, LessonScreen)
        await pilot.press("escape", "escape")  # back, and clear the search: every lesson listed
        await pilot.pause()
        tree = app.screen.query_one("#lessons")
        assert len([leaf for branch in tree.root.children for leaf in branch.children]) > 1
        assert tree.cursor_node is not None and tree.cursor_node.data.id == "beam-search"
