"""`nntui screenshot`: a lesson after N steps as SVG, with no terminal."""

from __future__ import annotations

import html
import re

import pytest
from typer.testing import CliRunner

from nntui.cli import cli
from nntui.curriculum.loader import load_curriculum
from nntui.spec.events import Metrics
from nntui.headless import HeadlessRun
from nntui.screenshot import parse_size, train

runner = CliRunner()


def svg_text(svg: str) -> str:
    """What the SVG shows, as plain text (Textual writes spaces as no-break spaces)."""
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def test_screenshot_shows_the_lesson_after_its_steps(tmp_path):
    out = tmp_path / "neuron.svg"
    result = runner.invoke(
        cli, ["screenshot", "neuron", "--steps", "40", "--size", "100x30", "--seed", "2", "--set", "hidden=6",
              "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    text = svg_text(out.read_text())
    assert load_curriculum().find("neuron").title.get("en") in text
    assert "step 40" in text and "seed 2" in text
    same_run = train(HeadlessRun.prepare("neuron", steps=40, settings=["hidden=6"], seed=2))  # seeded: equal
    last_loss = [e.values["train_loss"] for e in same_run if isinstance(e, Metrics)][-1]
    assert f"loss {last_loss:.4g}" in text
    assert "replay" not in text  # a screenshot of a run, not of a replay


@pytest.mark.parametrize(
    "args, message",
    [
        (["--size", "wide"], "--size: expected WxH (e.g. 120x40), got 'wide'"),
        (["--size", "10x5"], "--size: at least"),
        (["--size", "10000x10000"], "--size: at most 400x200, got '10000x10000'"),  # was 48 s and 1.9 GB
        (["--size", "401x40"], "--size: at most 400x200"),
        (["--size", "1" * 5000 + "x40"], "--size: expected WxH"),
        (["--seed", str(2**64)], "'--seed'"),
        (["--device", "cuda:x"], "--device: expected cpu, cuda or cuda:N"),
        (["--set", "wings=2"], "unknown parameter 'wings'"),
        (["--lang", "fr"], "--lang: expected one of en, zh"),
    ],
)
def test_bad_options_exit_2_naming_the_flag(tmp_path, args, message):
    result = runner.invoke(cli, ["screenshot", "neuron", "--out", str(tmp_path / "x.svg"), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "x.svg").exists()


def test_out_must_be_an_svg_in_an_existing_folder(tmp_path):
    for out in (tmp_path / "x.png", tmp_path / "missing" / "x.svg"):
        result = runner.invoke(cli, ["screenshot", "neuron", "--out", str(out)])
        assert result.exit_code == 2 and f"--out {out}: expected FILE.svg" in result.output
    (tmp_path / "folder.svg").mkdir()
    result = runner.invoke(cli, ["screenshot", "neuron", "--out", str(tmp_path / "folder.svg")])
    assert result.exit_code == 2 and f"--out {tmp_path / 'folder.svg'}: is a folder" in result.output


def test_parse_size():
    assert parse_size("120x40") == (120, 40)
    assert parse_size(" 80X24 ") == (80, 24)
    with pytest.raises(ValueError, match="--size"):
        parse_size("120*40")
