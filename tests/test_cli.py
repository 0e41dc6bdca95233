"""The command line: listing, headless runs, recordings and flag errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nntui.cli import cli
from nntui.curriculum.loader import load_curriculum
from nntui.spec.events import Metrics, RunStarted, Status, from_dict

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
        (["run", "neuron", "--set", "hidden=5000"], "hidden: 5000 is outside 1..256"),  # the range, not "an integer"
        (["run", "neuron", "--epochs", "3"], "--epochs: toy-fit does not train in epochs"),
        (["run", "neuron", "--device", "tpu"], "--device: expected cpu, cuda or cuda:N"),
        (["run", "neuron", "--device", "cuda:x"], "--device: expected cpu, cuda or cuda:N (N a device number), got 'cuda:x'"),
        (["--device", "cuda:x"], "--device: expected cpu, cuda or cuda:N"),  # the app: before any trainer starts
        (["claims", "neuron", "--device", "tpu"], "--device: expected cpu, cuda or cuda:N"),
        (["run", "neuron", "--seed", str(2**64)], "'--seed'"),  # numpy takes seeds below 2**32
        (["run", "neuron", "--seed", str(2**32)], "'--seed'"),
        (["run", "neuron", "--seed", "-1"], "'--seed'"),
        (["run", "neuron", "--threads", "100000"], "'--threads'"),  # 100,000 OpenMP threads segfaulted
        (["open", "neuron", "--threads", "100000"], "'--threads'"),
        (["serve", "ssh", "--threads-per-session", "100000"], "'--threads-per-session'"),
        (["serve", "ssh", "--idle-timeout", "nan"], "--idle-timeout: expected seconds"),  # nan meant "never"
        (["serve", "ssh", "--login-grace-time", "inf"], "--login-grace-time"),
        (["serve", "web", "--idle-timeout", "inf"], "--idle-timeout: expected seconds"),
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


def test_a_device_this_machine_lacks_exits_2_with_a_sentence():
    result = runner.invoke(cli, ["run", "neuron", "--steps", "1", "--device", "cuda:99"])
    assert result.exit_code == 2, result.output
    assert "nntui: --device cuda:99: no " in result.output and "Traceback" not in result.output


def test_bad_out_paths_exit_2_before_torch_loads(tmp_path):
    """A missing folder, a folder, an unwritable place: named at once, in a process without torch."""
    (tmp_path / "folder").mkdir()
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    # root writes anywhere it has permission bits for; /sys refuses even root
    unwritable = locked / "x.jsonl" if not os.access(locked, os.W_OK) else Path("/sys/nntui-test.jsonl")
    cases = {
        str(tmp_path / "missing" / "x.jsonl"): f"no folder {tmp_path / 'missing'}",
        str(tmp_path / "folder"): "is a folder",
        str(unwritable): "cannot write here",
    }
    code = (
        "import sys, nntui.cli\n"
        f"for out in {list(cases)!r}:\n"
        "    sys.argv = ['nntui', 'run', 'neuron', '--steps', '1', '--out', out]\n"
        "    try:\n        nntui.cli.main()\n    except SystemExit as exit:\n        print('EXIT', exit.code)\n"
        "print('TORCH', 'torch' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["EXIT", "2"] * 3 + ["TORCH", "False"], result.stdout + result.stderr
    for out, message in cases.items():
        assert f"nntui: --out {out}: {message}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "missing").exists()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_disk_during_the_run_is_said_without_a_traceback():
    result = runner.invoke(cli, ["run", "neuron", "--steps", "40", "--out", "/dev/full"])
    assert result.exit_code == 2, result.output
    assert "nntui: --out /dev/full: No space left on device; the recording stops near step" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_json_of_a_diverged_run_is_strict_json(monkeypatch, capsys):
    import fakes
    from nntui.headless import HeadlessRun
    from nntui.spec import catalog

    monkeypatch.setitem(catalog.EXPERIMENTS, "fake", fakes.SPEC)
    job = HeadlessRun("fake-lesson", "fake", {"steps": 10, "nan_at": 3}, 0, "cpu", None)
    assert job.execute(as_json=True) == 1
    out = capsys.readouterr().out

    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    final = json.loads(out, parse_constant=refuse)
    assert final["state"] == "diverged" and final["steps"] == 3
    assert final["metrics"]["train_loss"] is None  # nan: JSON has no word for it


def test_a_non_finite_summary_says_diverged_even_when_the_steps_ran_out():
    from nntui.headless import HeadlessRun, strict_json

    job = HeadlessRun("neuron", "toy-fit", {}, 0, "cpu", 5)
    job.last_metrics = {"train_loss": float("inf")}

    class Stopped:
        state = "running"

    assert job._final_state(Stopped(), interrupted=False) == "diverged"
    assert strict_json({"a": [float("nan"), 1.0, {"b": float("-inf")}]}) == {"a": [None, 1.0, {"b": None}]}


def test_device_numbers_are_checked_against_the_cuda_devices_there_are(monkeypatch):
    """No GPU here: torch is told it has some, as a machine with one or four would say."""
    import torch

    from nntui.lab.base import resolve_device
    from nntui.spec.limits import DeviceError

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    for count, said in ((1, "cuda:0 is the only one"), (4, "there are cuda:0 to cuda:3")):
        monkeypatch.setattr(torch.cuda, "device_count", lambda: count)
        assert resolve_device("cuda") == "cuda" and resolve_device(f"cuda:{count - 1}") == f"cuda:{count - 1}"
        with pytest.raises(DeviceError, match=rf"^--device cuda:7: no such CUDA device here \({said}\)$"):
            resolve_device("cuda:7")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DeviceError, match="no CUDA device is available here"):
        resolve_device("cuda")
