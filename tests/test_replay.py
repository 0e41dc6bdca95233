"""`nntui replay`: recordings read back, paced by the clock, shown in the lesson screen without torch."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from nntui.cli import cli
from nntui.spec.events import Metrics, RunStarted, Status
from nntui.spec.commands import Pause, Resume, SetParam, Start, StepOnce, Stop
from nntui.runtime.replay import ReplayTrainer
from nntui.spec.recording import FALLBACK_STEPS_PER_S, MAX_GAP_S, Recording, RecordingError, read_recording
from recorder import record

STEPS = 30


@pytest.fixture(scope="module")
def neuron(tmp_path_factory):
    """A real 30-step run of the neuron lesson, seed 3: (path, events)."""
    path = tmp_path_factory.mktemp("rec") / "neuron.jsonl"
    return path, record(path, "neuron", STEPS, "hidden=5", seed=3)


def losses(events):
    return [e.values["train_loss"] for e in events if isinstance(e, Metrics) and "train_loss" in e.values]


# ---- the recording ------------------------------------------------------------------------------
def test_a_recording_carries_what_replay_needs(neuron):
    path, events = neuron
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    start = events[0]
    assert isinstance(start, RunStarted)
    assert (start.label, start.experiment, start.seed, start.device) == ("neuron", "toy-fit", 3, "cpu")
    assert start.params["hidden"] == 5
    stamps = [line["t"] for line in lines]
    assert stamps == sorted(stamps) and stamps[-1] > 0  # seconds since the run began, in order


def test_a_cut_off_last_line_is_left_out(neuron, tmp_path):
    path, events = neuron
    text = path.read_text()
    cut = tmp_path / "cut.jsonl"
    cut.write_text(text[: len(text) - 25])  # a kill mid-write
    recording = read_recording(cut)
    assert recording.truncated == len(events)
    assert [e.to_dict() for e in recording.events] == [e.to_dict() for e in events[:-1]]
    result = CliRunner().invoke(cli, ["export", str(cut), "--csv", str(tmp_path / "csv")])
    assert result.exit_code == 0, result.output
    assert f"{cut}:{len(events)}: last line cut off" in result.output


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"kind": "run_started", "run": 1, "experiment": "toy-fit", "params": {}, "seed": 0, "device": "cpu",'
         ' "label": "neuron"}\n{"kind": "metrics", "step": 1, \n{}\n', ":2: not JSON"),
        ('{"kind": "run_started", "run": 1, "experiment": "toy-fit", "params": {}, "seed": 0, "device": "cpu",'
         ' "label": "neuron"}\n{"kind": "sparkles"}\n', ":2: unknown event kind 'sparkles'"),
        ('{"kind": "metrics", "step": 1, "values": {}}\n', ":1: no run_started event"),
        ('{"kind": "run_started", "run": 1, "experiment": "toy-fit", "params": {}, "seed": 0, "device": "cpu",'
         ' "label": "neuron", "t": "soon"}\n', ":1: t: expected seconds"),
        ("", ": empty recording"),
    ],
)
@pytest.mark.parametrize("command", [["replay"], ["export", "--csv", "out"]])
def test_bad_recordings_exit_2_naming_file_and_line(tmp_path, content, message, command):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    result = CliRunner().invoke(cli, [command[0], str(path), *command[1:]])
    assert result.exit_code == 2, result.output
    assert f"nntui: {path}{message}" in result.output


HEAD = {"kind": "run_started", "run": 1, "experiment": "toy-fit", "params": {}, "seed": 0, "device": "cpu",
        "label": "neuron"}
CURVE = {"kind": "curve", "step": 1, "name": "fit", "x": [0.0, 1.0], "series": {"target": [0.0, 1.0], "model": [0.0, 1.0]}}


NODE = {"parent": None, "token": 1, "log_prob": -0.5, "score": -0.5, "fate": "kept"}
SEARCH = {"prefix": [], "beam_width": 1, "eos_id": 0, "length_penalty": 0.0, "hypotheses": [], "steps": [[NODE]]}
DECODING = {"kind": "decoding", "step": 1, "vocab": ["</s>", "a"], "prompt": "", "beam": SEARCH, "greedy": {},
            "next_token": {"probs": [0.5, 0.5]}}


# Line 2 of each, after a good run_started line: what is wrong, and what the message says.
TABLE = {"title": "vocabulary", "rows": ["<unk>"], "cols": ["count", "index"], "values": [[0, 0]]}
TABLES = {"kind": "tables", "step": 1, "view": "vocab", "tables": [TABLE]}
CRAFTED = [
    ({**CURVE, "series": [1, 2, 3]}, "curve: series: expected an object, got a list"),
    ({**CURVE, "series": {"target": [0.0], "model": [0.0, 1.0]}}, "curve: series.target: 1 values for 2 x values"),
    ({**CURVE, "series": {"model": [0.0, 1.0]}}, "curve: series: curve 'fit' needs a 'target' series"),
    ({**CURVE, "x": [[0.0], [1.0]]}, "curve: x: expected a 1-D array, got 2-D"),
    ({**CURVE, "x": [0.0, 1e308]}, "curve: x: 1e+308 is beyond float32's range"),
    ({"kind": "metrics", "step": 1, "values": {"train_loss": "0.5"}}, "metrics: values.train_loss: expected a number, got text"),
    ({"kind": "metrics", "step": 1, "values": {"train_loss": True}}, "metrics: values.train_loss: expected a number"),
    ({"kind": "metrics", "step": -1, "values": {}}, "metrics: step: -1 is outside 0.."),
    ({"kind": "metrics", "step": 1.5, "values": {}}, "metrics: step: expected an integer, got a number"),
    ({"kind": "metrics", "step": 1, "values": {}, "sparkle": 1}, "metrics: unknown field 'sparkle'"),
    ({"kind": "metrics", "values": {}}, "metrics: missing field 'step'"),
    ({"kind": "status", "state": "exploded", "step": 1}, "status: state: expected one of"),
    ({"kind": "image_grid", "step": 1, "name": "digits", "images": [[[300]]], "captions": ["7"]}, "images: expected grey levels 0..255"),
    ({"kind": "image_grid", "step": 1, "name": "digits", "images": [[[1]]], "captions": []}, "captions: 0 for 1 images"),
    ({"kind": "attention", "step": 1, "tokens": ["a"], "weights": [[[[1.0, 0.0], [0.0, 1.0]]]]}, "does not fit 1 tokens"),
    ({"kind": "layer_norms", "step": 1, "layers": ["a", "b"], "weight": [1.0], "bias": [1.0, 1.0], "total": [1.0, 1.0],
      "delta": [], "total_norm": 1.0}, "layer_norms: weight: 1 values for 2 layers"),
    ({**TABLES, "tables": [{**TABLE, "format": "hex"}]}, "tables: tables[0].format: expected one of int, got 'hex'"),
    ({**TABLES, "tables": [{**TABLE, "cols_zh": ["词元"]}]}, "tables: tables[0].cols_zh: 1 labels for 2 columns"),
    ({**HEAD, "params": {"hidden": {"deeper": [1]}}}, "run_started: params.hidden: expected a number, got an object"),
    ({**DECODING, "beam": {**SEARCH, "steps": [[]]}}, "decoding: beam.steps[0]: a step of the search with no candidates"),
    ({**DECODING, "beam": {**SEARCH, "steps": [[{**NODE, "log_prob": 1e308}]]}}, "log_prob: 1e+308 is a log-probability above 0"),
    ({**DECODING, "beam": {**SEARCH, "steps": [[{**NODE, "token": 7}]]}}, "beam.steps[0][0].token: 7 is outside 0..1"),
]


@pytest.mark.parametrize("event, message", CRAFTED, ids=[m.split(":")[0] + str(i) for i, (_, m) in enumerate(CRAFTED)])
def test_crafted_events_are_refused_naming_the_line_and_field(tmp_path, event, message):
    path = tmp_path / "crafted.jsonl"
    path.write_text(json.dumps(HEAD) + "\n" + json.dumps(event) + "\n")
    with pytest.raises(RecordingError) as error:
        read_recording(path)
    assert str(error.value).startswith(f"{path}:2: ") and message in str(error.value)


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"kind": "metrics", "step": 1, "values": ' + "[" * 100_000 + "]" * 100_000 + "}", ":2: nested too deeply"),
        ('{"kind": "metrics", "step": 1, "values": {"a": ' + "[" * 500 + "]" * 500 + "}}", ":2: metrics: values.a: expected a number, got a list"),
        ('{"kind": "metrics", "step": ' + "9" * 5000 + ', "values": {}}', ":2: not JSON"),
    ],
    ids=["100000-deep", "500-deep", "5000-digits"],
)
@pytest.mark.parametrize("command", [["replay"], ["export", "--csv", "out"]])
def test_deep_and_huge_json_exit_2_without_a_traceback(tmp_path, line, message, command):
    path = tmp_path / "deep.jsonl"
    path.write_text(json.dumps(HEAD) + "\n" + line + "\n")
    result = CliRunner().invoke(cli, [command[0], str(path), *command[1:]])
    assert result.exit_code == 2, result.output
    assert f"nntui: {path}{message}" in result.output


def test_recorded_settings_outside_their_range_are_refused(neuron, tmp_path):
    path, _ = neuron
    crafted = tmp_path / "crafted.jsonl"
    crafted.write_text(path.read_text().replace('"hidden": 5', f'"hidden": {2**53}', 1))
    result = CliRunner().invoke(cli, ["replay", str(crafted)])
    assert result.exit_code == 2 and f"{crafted}:1: params: hidden: {2**53} is outside 1..256" in result.output


def test_a_replay_whose_app_fails_does_not_exit_0(neuron, monkeypatch):
    import nntui.app

    def failing_run(self, **kwargs):
        self._return_code = 1  # what Textual sets when a widget raises

    monkeypatch.setattr(nntui.app.NntuiApp, "run", failing_run)
    assert CliRunner().invoke(cli, ["replay", str(neuron[0])]).exit_code == 1


def test_missing_file_unknown_lesson_and_bad_speed_exit_2(neuron, tmp_path):
    path, _ = neuron
    runner = CliRunner()
    result = runner.invoke(cli, ["replay", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2 and f"{tmp_path / 'nope.jsonl'}: no such file" in result.output
    relabelled = tmp_path / "relabelled.jsonl"
    relabelled.write_text(path.read_text().replace('"label": "neuron"', '"label": "no-such-lesson"'))
    result = runner.invoke(cli, ["replay", str(relabelled)])
    assert result.exit_code == 2 and f"{relabelled}:1: unknown lesson 'no-such-lesson'" in result.output
    result = runner.invoke(cli, ["replay", str(path), "--lesson", "mnist-ladder"])
    assert result.exit_code == 2 and "toy-fit run, lesson 'mnist-ladder' trains mnist-mlp" in result.output
    result = runner.invoke(cli, ["replay", str(path), "--speed", "0"])
    assert result.exit_code == 2 and "--speed: expected a number above 0" in result.output


def test_recordings_without_times_play_at_a_fixed_rate(neuron, tmp_path):
    path, events = neuron
    untimed = tmp_path / "untimed.jsonl"
    untimed.write_text("".join(json.dumps({k: v for k, v in json.loads(line).items() if k != "t"}) + "\n"
                               for line in path.read_text().splitlines()))
    recording = read_recording(untimed)
    last = max(i for i, e in enumerate(recording.events) if isinstance(e, Metrics))
    assert recording.times[last] == pytest.approx(STEPS / FALLBACK_STEPS_PER_S)


# ---- the trainer that plays it -------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def synthetic(folder, steps: int = 10) -> Recording:
    """Run start at t=0, a 5 s stall, then a step every 0.25 s: step k at t = 5 + k/4."""
    events = [RunStarted(1, "toy-fit", {"lr": 0.01}, 0, "cpu", "neuron"), Status("running", 0)]
    stamps = [0.0, 0.0]
    for k in range(1, steps + 1):
        events.append(Metrics(k, {"train_loss": 1.0 / k}))
        stamps.append(5.0 + k / 4)
    path = folder / "synthetic.jsonl"
    path.write_text("".join(json.dumps({**e.to_dict(), "t": t}) + "\n" for e, t in zip(events, stamps)))
    return read_recording(path)


def steps_of(events):
    return [e.step for e in events if isinstance(e, Metrics)]


def test_replay_follows_the_clock_pauses_steps_and_restarts(tmp_path):
    recording = synthetic(tmp_path)
    assert recording.times[2] == MAX_GAP_S  # the 5.25 s wait for step 1 plays as a short one
    assert recording.times[3] == MAX_GAP_S + 0.25  # then the recorded pace
    clock = Clock()
    trainer = ReplayTrainer(recording, speed=2.0, clock=clock)
    assert trainer.drain() == []  # nothing before the lesson screen's Start
    trainer.send(Start("toy-fit", {"lr": 0.01}))
    first = trainer.drain()
    assert isinstance(first[0], RunStarted) and steps_of(first) == []
    assert first[1].message == "replay 2×"  # the status line says it is a replay
    clock.now += 0.5  # one recorded second at speed 2: steps 1, 2 and 3 play at 0.5, 0.75 and 1.0
    assert steps_of(trainer.drain()) == [1, 2, 3]

    trainer.send(Pause())
    paused = trainer.drain()
    assert paused[-1].state == "paused" and paused[-1].step == 3
    clock.now += 10.0
    assert steps_of(trainer.drain()) == []  # the clock stopped
    trainer.send(StepOnce())
    assert steps_of(trainer.drain()) == [4]
    trainer.send(Resume())
    assert trainer.drain()[-1].state == "running"
    clock.now += 0.125  # a quarter of a recorded second: the clock goes on from step 4
    assert steps_of(trainer.drain()) == [5]

    trainer.send(SetParam("lr", 0.5))
    trainer.send(Start("toy-fit", {"lr": 0.5}))  # r after changing a control
    notices = trainer.take_notices()
    assert notices and all("replay: settings are fixed" in n for n in notices) and "lr" in notices[-1]
    again = trainer.drain()
    assert isinstance(again[0], RunStarted) and steps_of(again) == []  # from the beginning

    clock.now += 100.0
    rest = trainer.drain()
    assert steps_of(rest) == list(range(1, 11))
    assert rest[-1].state == "finished" and "end of recording" in rest[-1].message
    trainer.send(Stop())
    assert trainer.drain() == []


def test_slow_motion_plays_a_recording_step_by_step_then_its_own_timing_again(tmp_path):
    from nntui.spec.commands import SetPace

    clock = Clock()
    trainer = ReplayTrainer(synthetic(tmp_path), speed=1.0, clock=clock)
    trainer.send(Start("toy-fit", {"lr": 0.01}))
    trainer.drain()
    trainer.send(SetPace(2.0))  # two steps a second, whatever the recording's pace
    assert steps_of(trainer.drain()) == [1]  # the first at once
    clock.now += 0.4
    assert steps_of(trainer.drain()) == []
    clock.now += 0.1
    assert steps_of(trainer.drain()) == [2]
    clock.now += 1.0
    assert steps_of(trainer.drain()) == [3, 4]
    trainer.send(SetPace(None))  # the recording's own timing again, from step 4 (t = 6.0)
    clock.now += 0.25
    assert steps_of(trainer.drain()) == [5]


# ---- in the app ---------------------------------------------------------------------------------
async def test_replay_shows_the_recorded_numbers_in_the_lesson_screen(neuron):
    from nntui.playback import playback_app
    from nntui.screens.lesson import LessonScreen
    from nntui.widgets.controls import ControlsPanel
    from nntui.widgets.status import StatusLine

    path, events = neuron
    app = playback_app(read_recording(path), speed=float("inf"))
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(40):
            await pilot.pause(0.05)
            if app.trainer.state == "finished":
                break
        await pilot.pause(0.1)
        screen = app.screen
        assert isinstance(screen, LessonScreen) and screen.lesson_id == "neuron"
        status = str(screen.query_one(StatusLine).render())
        assert f"step {STEPS}" in status and f"loss {losses(events)[-1]:.4g}" in status
        assert "seed 3" in status and "replay" in status and "finished" in status
        assert screen.query_one(ControlsPanel).values["hidden"] == 5  # the recorded settings
        run = screen.history.current
        assert run.series["train_loss"].y.tolist() == losses(events)

        await pilot.press("r")  # plays again from the start, same settings: no notice
        await pilot.pause(0.2)
        assert len(screen.history.runs) == 2 and screen.history.current.step == STEPS
        assert not [n for n in app._notifications if "replay" in n.message]


def test_replay_command_never_imports_torch(neuron):
    """`nntui replay` end to end in a fresh interpreter, the app run headless by an autopilot."""
    path, events = neuron
    code = f"""
import sys
import nntui.app

async def watch(pilot):
    app = pilot.app
    for _ in range(100):
        await pilot.pause(0.05)
        if app.trainer.state == "finished":
            break
    await pilot.pause(0.1)
    from nntui.widgets.status import StatusLine
    print("STATUS", app.screen.query_one(StatusLine).render())
    app.exit()

run = nntui.app.NntuiApp.run
nntui.app.NntuiApp.run = lambda self, **kw: run(self, headless=True, size=(100, 30), auto_pilot=watch)
sys.argv = ["nntui", "replay", {str(path)!r}, "--speed", "inf"]
import nntui.cli
try:
    nntui.cli.main()
except SystemExit:
    pass
print("TORCH", "torch" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert f"step {STEPS}" in out.stdout and f"loss {losses(events)[-1]:.4g}" in out.stdout
    assert "TORCH False" in out.stdout


# ---- ±1e308: valid numbers, far out -----------------------------------------------------------
def test_charts_draw_values_of_plus_minus_1e308():
    """The tick code once overflowed here (floor of an infinite span, 10 ** 309)."""
    import numpy as np

    from nntui.widgets import Series
    from nntui.widgets.chart_axes import auto_x_range, auto_y_range, y_ticks
    from nntui.widgets.chart_renderer import ChartRenderer
    from nntui.widgets.ticks import nice_ticks

    assert nice_ticks(-1e308, 1e308) == []  # no step fits: no ticks, no OverflowError
    huge = np.array([1e308, -1e308, 1.0, 1e308])
    for log_y in (False, True):
        lo, hi = auto_y_range([huge], None, None, log_y, ())
        assert np.isfinite(hi - lo) and np.isfinite(10.0 ** hi if log_y else hi)
        rows, values = y_ticks(lo, hi, 10, log_y, 5)
        assert rows and all(np.isfinite(values))
        lines = ChartRenderer("loss", log_y=log_y).render([Series("s", np.arange(4.0), huge, "red")], 40, 12)
        assert len(lines) == 12 and all(line.cell_length == 40 for line in lines)
    for xs in ([1e308, -1e308], [1e308], [-1e308]):
        lo, hi = auto_x_range([np.array(xs)], None, None)
        assert np.isfinite(hi - lo) and hi > lo


async def test_a_recording_of_plus_minus_1e308_replays_in_the_app(neuron, tmp_path):
    from nntui.playback import playback_app
    from nntui.screens.lesson import LessonScreen
    from nntui.widgets.status import StatusLine

    path, _ = neuron
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    for i, row in enumerate(r for r in rows if r["kind"] == "metrics"):
        row["values"]["train_loss"] = 1e308 if i % 2 else -1e308
    crafted = tmp_path / "huge.jsonl"
    crafted.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert CliRunner().invoke(cli, ["export", str(crafted), "--csv", str(tmp_path / "csv")]).exit_code == 0
    app = playback_app(read_recording(crafted), speed=float("inf"))
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(40):
            await pilot.pause(0.05)
            if app.trainer.state == "finished":
                break
        await pilot.pause(0.5)  # charts redraw at most every 0.2 s
        assert isinstance(app.screen, LessonScreen)
        assert "1e+308" in str(app.screen.query_one(StatusLine).render())
    assert app.return_code in (0, None) and app._exception is None


def test_every_lesson_records_events_the_checks_accept(one_torch_thread):
    """The checks follow what the lab writes: a few steps of every lesson's experiment, with its
    worked example's tables and decodings, each event as `nntui run --out` writes it, accepted."""
    from nntui.curriculum.loader import load_curriculum
    from nntui.trainer.driver import Driver
    from nntui.spec.recording_check import check_event

    kinds = set()
    for lesson in load_curriculum().lessons:
        driver = Driver()
        driver.handle(Start(lesson.experiment, dict(lesson.params), 0, "cpu", label=lesson.id))
        for _ in range(2):
            driver.tick()
        for event in driver.take():
            check_event(json.loads(json.dumps(event.to_dict())))
            kinds.add(event.kind)
    assert {"run_started", "metrics", "status", "curve", "image_grid", "layer_norms", "time_norms", "attention",
            "tables", "decoding"} <= kinds
