"""`nntui export FILE --csv DIR`: every exported value reads back equal to the recording's."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from nntui.cli import cli
from nntui.spec.events import AttentionMaps, LayerNorms, Metrics, RunStarted, TimeNorms
from recorder import record

runner = CliRunner()


def read_csv(path):
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def export(recording, folder):
    result = runner.invoke(cli, ["export", str(recording), "--csv", str(folder)])
    assert result.exit_code == 0, result.output
    return result.output


def test_metrics_round_trip_from_a_real_run(tmp_path):
    path = tmp_path / "neuron.jsonl"
    events = record(path, "neuron", 25)
    output = export(path, tmp_path / "csv")
    assert f"{tmp_path / 'csv' / 'metrics.csv'}  25 rows" in output
    assert "curves.csv" in output
    rows = read_csv(tmp_path / "csv" / "metrics.csv")
    recorded = [e for e in events if isinstance(e, Metrics)]
    assert [int(r["step"]) for r in rows] == [e.step for e in recorded]
    assert [float(r["train_loss"]) for r in rows] == [e.values["train_loss"] for e in recorded]  # exact


def test_layer_norms_and_blank_cells_from_a_real_run(tmp_path):
    path = tmp_path / "vanishing.jsonl"
    events = record(path, "vanishing-gradients", 20)
    export(path, tmp_path / "csv")
    norms = [e for e in events if isinstance(e, LayerNorms)]
    assert norms
    rows = read_csv(tmp_path / "csv" / "layer_norms.csv")
    expected = [(e.step, layer, e.total[i]) for e in norms for i, layer in enumerate(e.layers)]
    assert [(int(r["step"]), r["layer"], float(r["total"])) for r in rows] == expected
    totals = read_csv(tmp_path / "csv" / "grad_norm.csv")
    assert [float(r["total_norm"]) for r in totals] == [e.total_norm for e in norms]
    metrics = read_csv(tmp_path / "csv" / "metrics.csv")
    step0 = next(r for r in metrics if r["step"] == "0")  # the evaluation before training: no train_loss yet
    assert step0["train_loss"] == "" and float(step0["test_loss"]) > 0


def write(path, events):
    path.write_text("".join(json.dumps(e.to_dict()) + "\n" for e in events))


def test_attention_time_norms_and_several_runs_in_long_format(tmp_path):
    weights = np.random.default_rng(0).random((2, 3, 4, 4)).astype(np.float32)
    events = [
        RunStarted(1, "attention", {}, 0, "cpu", "attention-live"),
        Metrics(1, {"loss": 2.0}),
        AttentionMaps(1, list("abcd"), weights),
        RunStarted(2, "attention", {}, 0, "cpu", "attention-live"),
        Metrics(1, {"loss": 1.5, "accuracy": 0.25}),
        Metrics(1, {"test_loss": 1.7}),  # same step: same row
        TimeNorms(1, np.array([1e-9, 1e-3, 1.0])),
    ]
    path = tmp_path / "synthetic.jsonl"
    write(path, events)
    export(path, tmp_path / "csv")
    metrics = read_csv(tmp_path / "csv" / "metrics.csv")
    assert metrics == [
        {"run": "1", "step": "1", "loss": "2.0", "accuracy": "", "test_loss": ""},
        {"run": "2", "step": "1", "loss": "1.5", "accuracy": "0.25", "test_loss": "1.7"},
    ]
    attention = read_csv(tmp_path / "csv" / "attention.csv")
    assert len(attention) == weights.size
    cell = next(r for r in attention if (r["layer"], r["head"], r["query"], r["key"]) == ("1", "2", "3", "0"))
    assert float(cell["weight"]) == float(weights[1, 2, 3, 0])
    assert (cell["query_token"], cell["key_token"], cell["run"]) == ("d", "a", "1")
    time_norms = read_csv(tmp_path / "csv" / "time_norms.csv")
    assert [(r["run"], r["t"], float(r["norm"])) for r in time_norms] == [("2", "1", 1e-9), ("2", "2", 1e-3), ("2", "3", 1.0)]
    assert not (tmp_path / "csv" / "layer_norms.csv").exists()  # no such data: no file


def test_export_errors_name_the_file_line_and_flag(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "run_started"}\n')
    result = runner.invoke(cli, ["export", str(bad), "--csv", str(tmp_path / "csv")])
    assert result.exit_code == 2 and f"{bad}:1: run_started: missing field 'run'" in result.output
    good = tmp_path / "good.jsonl"
    write(good, [RunStarted(1, "toy-fit", {}, 0, "cpu", "neuron"), Metrics(1, {"loss": 1.0})])
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = runner.invoke(cli, ["export", str(good), "--csv", str(blocker)])
    assert result.exit_code == 2 and f"--csv {blocker}" in result.output


@pytest.mark.parametrize("argv", [["export", "--help"], ["replay", "--help"], ["screenshot", "--help"]])
def test_help_for_the_new_commands(argv):
    result = runner.invoke(cli, argv)
    assert result.exit_code == 0 and "Usage" in result.output


def test_export_never_imports_torch(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "run.jsonl"
    write(path, [RunStarted(1, "toy-fit", {}, 0, "cpu", "neuron"), Metrics(1, {"loss": 1.0})])
    code = (
        "import sys\n"
        f"sys.argv = ['nntui', 'export', {str(path)!r}, '--csv', {str(tmp_path / 'csv')!r}]\n"
        "import nntui.cli\n"
        "try:\n    nntui.cli.main()\nexcept SystemExit:\n    pass\n"
        "print('TORCH', 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "metrics.csv  1 rows" in out.stdout and "TORCH False" in out.stdout, out.stderr
