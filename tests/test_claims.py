"""Every checked guide page's check holds on its own settings, evaluated as the lesson screen does.

This is what makes a lesson's prose trustworthy: a page may state only what its check verifies,
and the numbers it quotes are the ones these runs produce (`nntui claims LESSON` shows them).
"""

from __future__ import annotations

import pytest

from nntui.claims import checked_steps, verify
from nntui.curriculum.loader import load_curriculum

CURRICULUM = load_curriculum()
LESSONS = [lesson for lesson in CURRICULUM.lessons if not lesson.broken]
CASES = [pytest.param(lesson, step, id=f"{lesson.id}/{step.id}") for lesson in LESSONS for step in checked_steps(lesson)]


@pytest.mark.parametrize("lesson, step", CASES)
def test_every_checked_step_holds_on_its_own_settings(lesson, step, one_torch_thread):
    result = verify(lesson, step)
    assert result.held, (
        f"{lesson.id}: step {step.id!r}: check {step.check.source!r} never held in {result.steps_run} steps "
        f"({result.state}); failing: {'; '.join(result.failing())}"
    )


def test_every_shipped_lesson_has_steps_and_no_broken_file():
    assert not [lesson.error for lesson in CURRICULUM.lessons if lesson.broken]
    assert all(lesson.steps for lesson in LESSONS)
