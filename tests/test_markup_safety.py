"""Text from lessons, files, errors and students is shown as text, never read as markup.

A served app shows a whole class lesson files, recordings and what students type: a title
holding "[/]" once crashed the browser, and `[@click=...]` or `[link=...]` would act. Every
place text is shown gets these strings, and must show them literally and stay up.
"""

from __future__ import annotations

import numpy as np
import pytest

from fakes import FakeTrainer
from nntui.app import NntuiApp
from nntui.curriculum.loader import load_curriculum, shipped_lessons
from nntui.spec.events import AttentionMaps, Decoding, Error, ImageGrid, Metrics, RunStarted, Status, Tables
from screen_text import browser_labels, screen_text

EVIL = ["[/]", "[bold]b", "[link=http://x]l", "[@click=app.quit]q"]
ALL = " ".join(EVIL)


@pytest.fixture
def evil_curriculum(tmp_path):
    for entry in shipped_lessons().iterdir():
        if entry.name.endswith((".md", ".toml")) and entry.name != "README.md":
            (tmp_path / entry.name).write_text(entry.read_text(encoding="utf-8"), encoding="utf-8")
    path = tmp_path / "neuron.md"
    text = path.read_text(encoding="utf-8")
    text = text.replace('en = "Neurons and activations"', f'en = "Neurons {ALL}"', 1)
    text = text.replace('label = { en = "target"', f'label = {{ en = "target {EVIL[0]}"', 1)
    text = text.replace("## en: Neurons and activations {#intro}", f"## en: Intro {ALL} {{#intro}}\n{ALL}\n", 1)
    path.write_text(text, encoding="utf-8")
    (tmp_path / "zz-broken[x].md").write_text(f"+++\nid = \"{ALL}\"\n", encoding="utf-8")
    curriculum = load_curriculum(tmp_path)
    assert not curriculum.find("neuron").broken, curriculum.find("neuron").error
    return curriculum


async def test_lesson_text_is_shown_literally_in_the_browser_and_the_lesson(evil_curriculum):
    app = NntuiApp(FakeTrainer(), curriculum=evil_curriculum)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        assert f"  Neurons {ALL}" in browser_labels(app)
        assert any("zz-broken[x]" in label for label in browser_labels(app))  # a broken file, listed
        app.notify(ALL)  # a toast in the browser quotes it as it is
        await pilot.press("slash", *"neurons", "enter")
        await pilot.pause(0.3)
        text = screen_text(app)
        assert "Intro [/] [bold]b" in text and "target [/]" in text
        assert app.is_running


def test_nntui_list_shows_markup_in_titles_and_errors_as_text(evil_curriculum):
    from rich.console import Console

    from nntui.cli import lesson_table

    console = Console(width=200, record=True)
    console.print(lesson_table(evil_curriculum, "en"))
    text = console.export_text()
    assert f"Neurons {ALL}" in text and "zz-broken[x]" in text


def evil_search() -> Decoding:
    from nntui.lab.decoding import beam_search
    from nntui.lab.decoding_notes import NOTES_EOS_ID, notes_next_log_probs

    beam = beam_search(notes_next_log_probs, [], beam_width=2, max_new_tokens=12, eos_id=NOTES_EOS_ID).to_dict()
    greedy = beam_search(notes_next_log_probs, [], beam_width=1, max_new_tokens=12, eos_id=NOTES_EOS_ID).to_dict()
    vocab = ["</s>", *EVIL]
    next_token = {"probs": [0.1, 0.1, 0.3, 0.4, 0.1], "kept": [0.1, 0.1, 0.3, 0.4, 0.1]}
    samples = [{"tokens": [1, 2, 0], "log_prob": -2.0, "finished": True, "in_data": None}]
    return Decoding(1, vocab, EVIL[3], beam, greedy, next_token, samples)


EVENTS = {
    "mnist-ladder": lambda: [
        ImageGrid(1, "digits", np.zeros((2, 28, 28), dtype=np.uint8), EVIL[:2], [False, True]),
        Metrics(2, {"train_loss": 0.5, "test_loss": 0.4, "test_accuracy": 0.5}),
    ],
    "attention-live": lambda: [AttentionMaps(1, EVIL, np.full((2, 4, 4, 4), 0.25, dtype=np.float32))],
    "self-attention": lambda: [Tables(1, "qkv", [{"title": ALL, "rows": EVIL, "cols": EVIL,
                                                   "values": [[0.1] * 4] * 4, "note": ALL}])],
    "beam-search": lambda: [evil_search()],
}


@pytest.mark.parametrize("lesson", list(EVENTS))
async def test_runs_errors_and_data_show_markup_as_text(lesson):
    trainer = FakeTrainer()
    app = NntuiApp(trainer, lesson=lesson)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        trainer.push(RunStarted(1, "x", {}, 0, "cpu", ALL), *EVENTS[lesson]())
        trainer.push(RunStarted(2, "x", {}, 0, "cpu", "again"), *EVENTS[lesson]())  # run 1's label in legends
        trainer.push(Error(ALL), Status("diverged", 3, 0.0, ALL))
        await pilot.pause(0.4)
        app.screen._redraw_charts(force=True)
        await pilot.pause(0.2)
        assert app.is_running and app.screen.id != "_default"
        text = screen_text(app)
        assert "[/]" in text and "[@click=app.quit]" in text


async def test_a_typed_bracket_is_quoted_back_as_text():
    from nntui.screens.text_prompt import TextPrompt

    app = NntuiApp(FakeTrainer(), lesson="beam-search")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("down", "down", "enter")
        await pilot.press("left_square_bracket", "slash", "right_square_bracket", "enter")
        assert isinstance(app.screen, TextPrompt)
        assert "'[' is not allowed" in str(app.screen.query_one("#prompt-error").render())


async def test_a_link_is_never_opened_on_the_server(monkeypatch):
    monkeypatch.setenv("NNTUI_SERVED", "1")
    opened = []
    app = NntuiApp(FakeTrainer(), lesson="neuron")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        monkeypatch.setattr(app._driver, "open_url", lambda url, new_tab=True: opened.append(url))
        app.open_url("https://example.org/lesson")
        await pilot.pause()
        assert opened == [] and "https://example.org/lesson" in str(app.screen.query_one("#lesson-header").render())
        monkeypatch.delenv("NNTUI_SERVED")
        app.open_url("https://example.org/lesson")  # at home, a web page opens in the browser
        app.open_url("file:///etc/passwd")  # anything else never does
        assert opened == ["https://example.org/lesson"]


async def test_served_screenshots_stay_in_the_session_folder_and_name_no_server_path(tmp_path, monkeypatch):
    monkeypatch.setenv("NNTUI_SERVED", "1")
    monkeypatch.setenv("NNTUI_SESSION_DIR", str(tmp_path / "session"))
    (tmp_path / "session").mkdir()
    app = NntuiApp(FakeTrainer(), lesson="neuron", screenshot_dir=tmp_path / "server-cwd")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        saved = list((tmp_path / "session").glob("nntui-neuron-*.svg"))
        header = str(app.screen.query_one("#lesson-header").render())
        assert len(saved) == 1 and saved[0].name in header and str(tmp_path) not in header
        assert not (tmp_path / "server-cwd").exists()
        monkeypatch.delenv("NNTUI_SESSION_DIR")  # no folder of its own: nothing is written
        await pilot.press("s")
        await pilot.pause()
        assert "not kept" in str(app.screen.query_one("#lesson-header").render())
        assert len(list(tmp_path.rglob("*.svg"))) == 1
