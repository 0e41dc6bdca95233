"""`nntui open LESSON --text FILE`: the file is checked before anything starts, and every run of a
lesson whose experiment takes `text_file` gets its path."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import nntui.cli
from fakes import FakeTrainer
from nntui.app import NntuiApp
from nntui.cli import cli
from nntui.spec.commands import Start

runner = CliRunner()
GOOD = "To be, or not to be, that is the question.\n" * 60  # 2,580 characters


@pytest.fixture
def launched(monkeypatch):
    """What `_launch` was asked to start (nothing starts)."""
    calls = []
    monkeypatch.setattr(nntui.cli, "_launch", lambda *args: calls.append(args))
    return calls


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("missing.txt", None, "missing.txt: no such file"),
        ("binary.txt", b"abc\0def" * 1000, "binary.txt: binary data"),
        ("latin1.txt", ("caf\xe9 " * 1000).encode("latin-1"), "latin1.txt: not UTF-8"),
        ("small.txt", b"too short", "small.txt: 9 characters; at least 2,000"),
    ],
)
def test_a_text_the_lesson_cannot_use_exits_2_naming_the_file(tmp_path, launched, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(cli, ["open", "text-pipeline", "--text", str(path)])
    assert result.exit_code == 2, result.output
    assert f"--text {path}" in result.output and message in result.output
    assert not launched


def test_a_lesson_that_reads_no_text_refuses_one(tmp_path, launched):
    path = tmp_path / "mine.txt"
    path.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(cli, ["open", "neuron", "--text", str(path)])
    assert result.exit_code == 2
    assert "lesson 'neuron' does not read a text" in result.output
    assert not launched


def test_a_good_text_reaches_the_app_as_the_text_file_param(tmp_path, launched, monkeypatch):
    (tmp_path / "mine.txt").write_text(GOOD, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["open", "text-pipeline", "--text", "mine.txt"])
    assert result.exit_code == 0, result.output
    (lesson, _lang, _device, _threads, run_params), = launched
    assert lesson == "text-pipeline"
    assert run_params == {"text_file": str(tmp_path / "mine.txt")}  # absolute: the trainer runs elsewhere


async def test_every_run_of_a_text_lesson_gets_the_file_and_others_do_not():
    trainer = FakeTrainer()
    app = NntuiApp(trainer, lesson="text-pipeline", run_params={"text_file": "/tmp/mine.txt"})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("n", "r")
        await pilot.pause()
        starts = [c for c in trainer.sent if isinstance(c, Start)]
        assert len(starts) == 2 and all(s.params["text_file"] == "/tmp/mine.txt" for s in starts)
        assert starts[1].params["level"] == "char"  # the page's settings, with the file
        assert "mine.txt" in str(app.screen.query_one("#lesson-header").render())  # whose text it is
        await pilot.press("q")
        app.open_lesson("neuron")
        await pilot.pause()
        last = [c for c in trainer.sent if isinstance(c, Start)][-1]
        assert last.experiment == "toy-fit" and "text_file" not in last.params
