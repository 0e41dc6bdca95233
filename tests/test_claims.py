"""Every checked guide page's check holds on its own settings, evaluated as the lesson screen does,
and following every page of a lesson in the app earns its ✓ in the browser.

This is what makes a lesson's prose trustworthy: a page may state only what its check verifies,
and the numbers it quotes are the ones these runs produce (`nntui claims LESSON` shows them).
"""

from __future__ import annotations

import functools
import re

import pytest

from fakes import FakeTrainer
from nntui.app import NntuiApp
from nntui.claims import ClaimResult, checked_steps, verify
from nntui.curriculum.loader import load_curriculum
from nntui.i18n import WORDS
from nntui.spec import catalog
from nntui.screens.browser import BrowserScreen
from screen_text import browser_labels, screen_lines

CURRICULUM = load_curriculum()
LESSONS = [lesson for lesson in CURRICULUM.lessons if not lesson.broken]
CASES = [pytest.param(lesson.id, step.id, id=f"{lesson.id}/{step.id}")
         for lesson in LESSONS for step in checked_steps(lesson)]


@functools.cache
def claim(lesson_id: str, step_id: str) -> ClaimResult:
    """One headless run per checked page, shared by the claim test and the walk through the app."""
    import torch

    lesson = CURRICULUM.find(lesson_id)
    step = next(step for step in lesson.steps if step.id == step_id)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the trainer process trains
    try:
        return verify(lesson, step, keep_events=True)
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("lesson_id, step_id", CASES)
def test_every_checked_step_holds_on_its_own_settings(lesson_id, step_id):
    result = claim(lesson_id, step_id)
    assert result.held, (
        f"{lesson_id}: step {step_id!r}: check {result.check.source!r} never held in {result.steps_run} steps "
        f"({result.state}); failing: {'; '.join(result.failing())}"
    )


def english_ui_words(lines: list[str], identifiers: set[str]) -> set[str]:
    """English words of the app's own UI (nntui.i18n) on a screen. Identifiers (metric and
    parameter names, a choice's value such as `step` for a step function) are the lesson's
    vocabulary, not the UI's, and may stay."""
    found = set()
    for line in lines:
        words = re.findall(r"(?<![\w.-])[A-Za-z]{3,}(?![\w-])", line)
        found |= {word for word in words if word.lower() in UI_WORDS and word not in identifiers}
    return found


def identifiers_of(lesson) -> set[str]:
    spec = catalog.get(lesson.experiment)
    values = {word for param in spec.params.values() if param.type == "choice"
              for choice in param.choices for word in str(choice).split()}  # a sentence's words are tokens
    return values | set(spec.params) | set(spec.metrics)


def data_words(events) -> set[str]:
    """Words of the text a model works on or writes (a token strip's tokens, a table's row labels,
    a language model's samples: e.g. an English passage cut into words): the lesson's data, not
    the UI's words, whatever the language. (So a UI word that is also in the data goes unseen.)"""
    from nntui.spec.events import Scatter, Tables, TextSample, TokenSequence

    texts = [token for e in events if isinstance(e, TokenSequence) for token in e.tokens]
    texts += [name for e in events if isinstance(e, Scatter) for name in e.names]  # a word map's words
    texts += [row for e in events if isinstance(e, Tables) for table in e.tables for row in table["rows"]]
    texts += [e.text for e in events if isinstance(e, TextSample)]  # what a language model wrote
    return {word for text in texts for word in re.findall(r"[A-Za-z]+", text)}


UI_WORDS = {word.lower() for en, zh in WORDS.values() if en.lower() != zh.lower()
            for word in re.findall(r"[A-Za-z]{3,}", re.sub(r"\{[^}]*\}", "", en))}
UI_WORDS -= {"english", "softmax"}  # the switch back to English; a function's name


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("lesson_id", [lesson.id for lesson in LESSONS])
async def test_following_every_page_at_80x24_earns_the_lessons_tick(lesson_id, lang):
    """Open each page in turn as a learner does; on a checked page, the trainer reports what its
    own settings really produce (the run above). At the end the browser shows ✓. In Chinese,
    no word of the app's English UI may show on any page."""
    lesson = CURRICULUM.find(lesson_id)
    trainer = FakeTrainer()
    app = NntuiApp(trainer, lesson=lesson_id, lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for step in lesson.steps:
            await pilot.press("n")
            assert app.screen.current_step.id == step.id
            if step.check is not None:
                trainer.push(*claim(lesson_id, step.id).events)
                while trainer.pending:  # the app takes them at its own pace (20 times a second)
                    await pilot.pause(0.05)
                app.screen._redraw_charts(force=True)  # rather than wait out each panel's rate
                await pilot.pause()
            assert step.id in app.progress.steps_done(lesson_id), f"{lesson_id}: {step.id} not ticked"
            if lang == "zh":
                shown = identifiers_of(lesson) | data_words(claim(lesson_id, step.id).events if step.check else [])
                english = english_ui_words(screen_lines(app), shown)
                assert not english, f"{lesson_id}/{step.id} in Chinese shows English UI words: {sorted(english)}"
        assert app.progress.lesson_done(lesson_id, lesson.step_ids)
        await pilot.press("escape")
        assert isinstance(app.screen, BrowserScreen)
        labels = browser_labels(app)
        assert f"✓ {lesson.title.get(lang)}" in labels


def test_every_shipped_lesson_has_steps_and_no_broken_file():
    assert not [lesson.error for lesson in CURRICULUM.lessons if lesson.broken]
    assert all(lesson.steps for lesson in LESSONS)
