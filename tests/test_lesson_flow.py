"""Following a guide as a learner does: page settings, slow motion, pauses, ticks and the ✓."""

from __future__ import annotations

import pytest

from fakes import FakeTrainer
from nntui.app import NntuiApp
from nntui.curriculum.loader import load_curriculum
from nntui.spec.events import Metrics, RunStarted, Status
from nntui.spec.commands import Pause, SetPace, SetParam
from nntui.screens.browser import BrowserScreen
from screen_text import browser_labels

LESSON = """+++
id = "walk"
chapter = "basics"
order = 1
experiment = "toy-fit"
layout = ["loss", "fit"]

[title]
en = "A walk"
zh = "走一遍"

[summary]
en = "Steps, pace and ticks."
zh = "步骤、速度与勾选。"

[params]
lr = 0.01
steps = 400

[controls.lr]
label = { en = "learning rate", zh = "学习率" }
apply = "live"

[[steps]]
id = "slow"
set = { activation = "tanh", lr = 0.01 }
check = "step >= 100 and max(train_loss) > 1 and train_loss < 0.05"
pace = 10
pause = true

[[steps]]
id = "read"
+++
## en: A walk {#intro}
Intro.

## zh: 走一遍 {#intro}
导言。

## en: Slowly {#slow}
Watch the loss fall.

## zh: 慢慢来 {#slow}
看损失下降。

## en: Just read {#read}
Nothing to watch here.

## zh: 只需阅读 {#read}
这里没有要观察的。

## en: In short {#summary}
Done.

## zh: 小结 {#summary}
完成。
"""


@pytest.fixture
def walk(tmp_path):
    (tmp_path / "walk.md").write_text(LESSON, encoding="utf-8")
    curriculum = load_curriculum(tmp_path)
    lesson = curriculum.find("walk")
    assert not lesson.broken, lesson.error
    return curriculum, lesson


def losses(run: int, params: dict, values: list[float]) -> list:
    events = [RunStarted(run, "toy-fit", params, 0, "cpu", "", 400), Status("running", 0)]
    events += [Metrics(step, {"train_loss": loss}) for step, loss in enumerate(values, start=1)]
    return events


async def test_the_lesson_is_done_when_every_step_is_and_the_summary_does_not_count(walk):
    curriculum, lesson = walk
    assert lesson.step_ids == ["slow", "read"] and lesson.pages[-1].id == "summary"
    trainer = FakeTrainer()
    app = NntuiApp(trainer, curriculum=curriculum, lesson="walk")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        assert SetPace(10.0) in trainer.sent  # the page's slow motion
        # A run that never shows the claim (the loss never falls below 0.05) does not tick it.
        trainer.push(*losses(1, lesson.settings_for(lesson.steps[0]), [2.0] + [0.5] * 199))
        await pilot.pause(0.2)
        assert "slow" not in app.progress.steps_done("walk")
        # Nor does one that shows it with other settings.
        trainer.push(*losses(2, {**lesson.settings_for(lesson.steps[0]), "activation": "relu"},
                             [2.0] + [0.01] * 199))
        await pilot.pause(0.2)
        assert "slow" not in app.progress.steps_done("walk")
        trainer.push(*losses(3, lesson.settings_for(lesson.steps[0]), [2.0] + [0.5] * 50 + [0.01] * 149))
        await pilot.pause(0.2)
        assert "slow" in app.progress.steps_done("walk")
        assert Pause() in trainer.sent  # `pause = true`: the moment stays on screen
        # Run it again: ticked already, the page still pauses the new run at its moment.
        trainer.sent.clear()
        trainer.push(*losses(4, lesson.settings_for(lesson.steps[0]), [2.0] + [0.5] * 50 + [0.01] * 149))
        await pilot.pause(0.2)
        assert trainer.sent.count(Pause()) == 1
        # The moment it held stays on the check line, though the run went on a few steps since.
        trainer.push(Metrics(201, {"train_loss": 0.2}))
        await pilot.pause(0.2)
        line = str(app.screen.query_one("#check-line").render())
        assert line.startswith("✓ check: (step 100) ") and "train_loss 0.01 ✓" in line and "max(train_loss) 2 ✓" in line

        await pilot.press("n")  # a page with nothing to observe ticks when opened
        assert app.progress.steps_done("walk") == {"slow", "read"}
        assert app.progress.lesson_done("walk", lesson.step_ids)
        await pilot.press("n")  # the summary: not a step, shown last
        assert app.screen.current_step is None and app.screen.page == len(lesson.pages) - 1
        assert SetPace(None) not in trainer.sent[-2:]  # a page without settings keeps the pace

        await pilot.press("escape")
        assert isinstance(app.screen, BrowserScreen)
        labels = browser_labels(app)
        assert "✓ A walk" in labels


async def test_a_page_that_a_finished_run_already_shows_ticks_on_arrival_and_its_check_line_says_so(walk):
    """gpt's prompting page once ticked in the header while its check line still read "○"."""
    curriculum, lesson = walk
    trainer = FakeTrainer()
    app = NntuiApp(trainer, curriculum=curriculum, lesson="walk")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        trainer.push(*losses(1, lesson.settings_for(lesson.steps[0]), [2.0] + [0.5] * 50 + [0.01] * 149))
        trainer.push(Status("finished", 200))
        await pilot.pause(0.2)
        await pilot.press("n")
        await pilot.pause()
        assert "slow" in app.progress.steps_done("walk")
        assert str(app.screen.query_one("#check-line").render()).startswith("✓ check:")


async def test_a_live_change_to_the_pages_settings_makes_the_running_model_count(walk):
    curriculum, lesson = walk
    trainer = FakeTrainer()
    app = NntuiApp(trainer, curriculum=curriculum, lesson="walk")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        trainer.push(*losses(1, {**lesson.settings_for(lesson.steps[0]), "lr": 0.02}, [2.0]))
        await pilot.pause(0.2)
        await pilot.press("n")  # the page sets lr 0.01 (live): sent at once, the run now has it
        assert SetParam("lr", 0.01) in trainer.sent
        assert screen.history.current.params["lr"] == 0.01
        trainer.push(*[Metrics(step, {"train_loss": 0.01}) for step in range(2, 150)])
        await pilot.pause(0.2)
        assert "slow" in app.progress.steps_done("walk")


async def test_minus_and_plus_set_the_pace_and_the_status_line_says_it(walk):
    curriculum, _ = walk
    trainer = FakeTrainer()
    app = NntuiApp(trainer, curriculum=curriculum, lesson="walk")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        trainer.push(RunStarted(1, "toy-fit", {}, 0, "cpu", "", 400), Status("running", 12, 30.0))
        await pilot.press("minus", "minus")
        assert [c for c in trainer.sent if isinstance(c, SetPace)] == [SetPace(100.0), SetPace(30.0)]
        await pilot.pause(0.2)
        status = str(app.screen.query_one("#status").render())
        assert "pace 30 steps/s" in status and "step 12/400" in status and "30 steps/s" in status
        await pilot.press("plus", "plus", "plus")  # back to full speed, and no further
        assert trainer.sent[-1] == SetPace(None) and "pace" not in str(app.screen.query_one("#status").render())


async def test_a_worked_example_does_not_claim_steps_or_speed():
    app = NntuiApp(FakeTrainer(), lesson="self-attention")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.trainer.push(RunStarted(1, "attention-steps", {}, 0, "cpu", "", 1), Metrics(1, {"max_weight": 0.5}),
                         Status("finished", 1, 0.0))
        await pilot.pause(0.2)
        status = str(app.screen.query_one("#status").render())
        assert "worked example" in status and "step" not in status and "/s" not in status


async def test_notices_go_in_the_header_not_over_the_charts(walk):
    curriculum, lesson = walk
    app = NntuiApp(FakeTrainer(), curriculum=curriculum, lesson="walk")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("n", "n")
        app.notify("screenshot saved to /tmp/walk.svg")  # e.g. after `s`
        await pilot.pause()
        header = str(app.screen.query_one("#lesson-header").render())
        assert "screenshot saved" in header and "Step 2/2" in header and "·✓" in header
        assert not app.query("Toast")


async def test_tab_moves_the_arrow_keys_and_a_bar_shows_where_they_go():
    from nntui.widgets.controls import ControlsPanel
    from nntui.widgets.heatmap import Heatmap
    from screen_text import screen_lines

    trainer = FakeTrainer()
    app = NntuiApp(trainer, lesson="attention-live")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        controls = app.screen.query_one(ControlsPanel)
        heatmap = app.screen.query_one(Heatmap)

        def bar_at(widget) -> str:
            x, y = widget.region.x, widget.region.y
            return screen_lines(app)[y][x]

        assert controls.has_focus and bar_at(controls) != " " and bar_at(heatmap) == " "
        for _ in range(4):
            if heatmap.has_focus:
                break
            await pilot.press("tab")
        assert heatmap.has_focus and bar_at(heatmap) != " " and bar_at(controls) == " "
        values = dict(controls.values)
        sent = len(trainer.sent)
        await pilot.press("right", "down")  # the heatmap's cursor, not a control
        assert controls.values == values and len(trainer.sent) == sent


async def test_from_a_pages_own_pace_minus_is_slower_and_plus_faster(walk):
    curriculum, _ = walk
    trainer = FakeTrainer()
    app = NntuiApp(trainer, curriculum=curriculum, lesson="walk")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.screen._set_pace(20.0)  # as a page with `pace = 20` does
        await pilot.press("minus")
        assert trainer.sent[-1] == SetPace(10.0)
        app.screen._set_pace(20.0)
        await pilot.press("plus")
        assert trainer.sent[-1] == SetPace(30.0)
        await pilot.press("minus", "minus", "minus", "minus", "minus")
        assert trainer.sent[-1] == SetPace(1.0)  # the slowest, and no further


def test_the_check_line_tells_a_value_from_its_bound():
    from nntui.curriculum.checks import parse_check
    from nntui.widgets.check_line import check_text

    check = parse_check("beam_logp > -2.3 and max(accuracy) < 0.2")
    line = str(check_text(check, {"beam_logp": -2.303, "max(accuracy)": 0.19}, False, "en"))
    assert "beam_logp -2.303 > -2.3" in line and "max(accuracy) 0.19 ✓" in line and line.startswith("○")
    assert "核对" in str(check_text(check, {}, True, "zh")) and "beam_logp – > -2.3" in str(check_text(check, {}, True, "zh"))


def test_the_check_line_reads_two_bounds_on_a_metric_as_one_range():
    from nntui.curriculum.checks import parse_check
    from nntui.widgets.check_line import check_text

    check = parse_check("beam_logp > -2.65 and step >= 10 and beam_logp <= -2.61")
    line = str(check_text(check, {"beam_logp": -2.6, "step": 12}, False, "en"))
    assert line == "○ check: beam_logp -2.6 ∈ (-2.65, -2.61] · step 12 ✓"


def test_the_check_line_writes_whole_numbers_as_they_are_read():
    from nntui.curriculum.checks import parse_check
    from nntui.widgets.check_line import check_text

    line = str(check_text(parse_check("step >= 1000 and grad_ratio < 1e-4"), {"step": 317, "grad_ratio": 6.5e-5}, False, "en"))
    assert "step 317 >= 1,000" in line and "grad_ratio 6.5e-05 ✓" in line


async def test_a_check_too_long_for_its_lines_ends_in_an_ellipsis():
    from nntui.curriculum.checks import parse_check
    from nntui.widgets.check_line import MAX_LINES, CheckLine
    from textual.app import App

    class One(App):
        def compose(self):
            yield CheckLine()

    check = parse_check(" and ".join(f"metric_{i} > {i}" for i in range(12)))
    app = One()
    async with app.run_test(size=(30, 20)) as pilot:
        line = app.query_one(CheckLine)
        line.show(check, {}, False, "en")
        await pilot.pause()
        rendered = str(line.render()).split("\n")
        assert len(rendered) == MAX_LINES and rendered[-1].endswith("…")


async def test_controls_that_do_not_fit_are_counted_at_either_end():
    from nntui.widgets.controls import ControlsPanel

    app = NntuiApp(FakeTrainer(), lesson="bptt")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        panel = app.screen.query_one(ControlsPanel)
        lines = str(panel.render()).split("\n")
        n = len(panel.controls)
        assert len(lines) == panel.content_region.height < n
        assert lines[-1].strip() == f"↓ {n - len(lines) + 1} more" and "▸" in lines[0]
        await pilot.press("up")  # to the last control: still shown, the hidden ones counted above
        lines = str(panel.render()).split("\n")
        assert lines[0].strip() == f"↑ {n - len(lines) + 1} more" and "▸" in lines[-1]
        label = panel.controls[-1].label.en
        assert label[:8] in lines[-1]


async def test_a_choice_reads_in_the_lessons_language_where_the_lesson_names_it():
    """autoregressive's model control once read 模型 window on a Chinese screen."""
    from nntui.widgets.controls import ControlsPanel

    app = NntuiApp(FakeTrainer(), lesson="autoregressive")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        panel = app.screen.query_one(ControlsPanel)
        assert "window" in str(panel.render()).split("\n")[0]
        await pilot.press("l")
        await pilot.pause()
        first = str(panel.render()).split("\n")[0]
        assert "窗口" in first and "window" not in first
