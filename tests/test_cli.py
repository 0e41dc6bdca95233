"""The command line: listing, headless runs, recordings and flag errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from nntui.cli import cli
from nntui.curriculum.loader import load_curriculum
from nntui.events import Metrics, RunStarted, Status, from_dict

runner = CliRunner()


def nntui(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nntui", *args], capture_output=True, text=True, timeout=300)


def test_list_shows_every_lesson():
    result = runner.invoke(cli, ["list"])
    assert result.exit_code == 0
    lessons = load_curriculum().lessons
    assert lessons
    for lesson in lessons:
        assert lesson.id in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "nope"], "unknown lesson 'nope'"),
        (["run", "neuron", "--set", "wings=2"], "unknown parameter 'wings' for toy-fit"),
        (["run", "neuron", "--set", "lr"], "expected name=value"),
        (["run", "neuron", "--set", "hidden=many"], "hidden: expected an integer, got 'many'"),
        (["run", "neuron", "--set", "activation=swish"], "activation: expected one of"),
        (["run", "neuron", "--set", "lr=5000"], "lr: 5000.0 is outside"),
        (["run", "neuron", "--epochs", "3"], "--epochs: toy-fit does not train in epochs"),
        (["run", "neuron", "--device", "tpu"], "--device: expected cpu or cuda"),
        (["open", "nope"], "unknown lesson 'nope'"),
        (["list", "--lang", "fr"], "--lang: expected one of en, zh"),
    ],
)
def test_bad_input_exits_2_naming_the_problem(args, message):
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_headless_run_writes_json_lines_and_final_json(tmp_path):
    out = tmp_path / "run.jsonl"
    result = nntui("run", "neuron", "--steps", "300", "--seed", "3", "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    final = json.loads(result.stdout)  # stdout holds the JSON alone; the summary went to stderr
    assert final["steps"] == 300 and final["seed"] == 3 and final["state"] == "stopped"
    events = [from_dict(json.loads(line)) for line in out.read_text().splitlines()]
    assert isinstance(events[0], RunStarted) and events[0].seed == 3
    losses = [e.values["train_loss"] for e in events if isinstance(e, Metrics) and "train_loss" in e.values]
    assert len(losses) == 300
    assert losses[-1] < losses[0] / 2  # it really trained
    # the summary re-measures the model after its last update: close to the last step's loss
    assert final["metrics"]["train_loss"] == pytest.approx(losses[-1], rel=0.2)
    assert any(isinstance(e, Status) for e in events)


def test_headless_runs_are_reproducible_with_a_seed():
    args = ("run", "mnist-ladder", "--steps", "120", "--set", "eval_every=60", "--set", "hidden=20", "--json")
    first, second = nntui(*args), nntui(*args)
    assert first.returncode == 0, first.stderr
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    assert a["metrics"]["test_accuracy"] == b["metrics"]["test_accuracy"]
    assert a["metrics"]["train_loss"] == b["metrics"]["train_loss"]
    assert 0.1 < a["metrics"]["test_accuracy"] <= 1.0


def test_ctrl_c_keeps_what_was_recorded_and_says_so(tmp_path):
    import signal
    import time

    out = tmp_path / "run.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "nntui", "run", "mnist-ladder", "--out", str(out), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or out.stat().st_size < 20_000):
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    final = json.loads(stdout)
    assert final["state"] == "interrupted" and 0 < final["steps"] < 12_000
    lines = out.read_text().splitlines()
    events = [from_dict(json.loads(line)) for line in lines]  # every line whole, none cut off
    steps = [e.step for e in events if isinstance(e, Metrics)]
    assert steps[-1] == final["steps"]
