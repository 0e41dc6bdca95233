"""The app showing recorded events instead of a live run: `nntui replay` and `nntui screenshot`.

No torch here: the events come from a recording (or were trained beforehand), and the
app gets a `ReplayTrainer` in place of the trainer process.
"""

from __future__ import annotations

import dataclasses

from nntui.curriculum.loader import load_curriculum
from nntui.curriculum.model import Curriculum, Lesson
from nntui.spec.events import RunStarted
from nntui.spec import catalog
from nntui.runtime.replay import ReplayTrainer
from nntui.spec.recording import Recording, RecordingError


def recorded_lesson(recording: Recording, curriculum: Curriculum, lesson_id: str | None = None) -> Lesson:
    """The lesson a recording belongs to, its controls set to the recorded parameters.

    `nntui run` labels its run with the lesson id; `lesson_id` overrides that.
    """
    start, line = recording.start, recording.start_line
    where = f"{recording.path}:{line}"
    wanted = lesson_id or start.label
    lesson = curriculum.find(wanted)
    if lesson is None:
        hint = "" if lesson_id else " (the run's label; name the lesson with --lesson)"
        raise RecordingError(f"{where}: unknown lesson {wanted!r}{hint}")
    if lesson.broken:
        raise RecordingError(f"{where}: lesson {wanted!r} is broken: {lesson.error}")
    if lesson.experiment != start.experiment:
        raise RecordingError(
            f"{where}: the recording is a {start.experiment} run, lesson {wanted!r} trains {lesson.experiment}"
        )
    return dataclasses.replace(lesson, params={**lesson.params, **_recorded_params(start, where)})


def _recorded_params(start: RunStarted, where: str) -> dict:
    """The recorded settings the lesson's controls will show, each checked as a control would
    check it (a crafted hidden=2**53 must not reach the controls); unknown names are left out."""
    spec = catalog.get(start.experiment)
    params = {}
    for name, value in start.params.items():
        if name in spec.params:
            try:
                params[name] = spec.params[name].check(value)
            except ValueError as exc:
                raise RecordingError(f"{where}: params: {exc}") from None
    return params


def playback_app(
    recording: Recording,
    *,
    speed: float = 1.0,
    lang: str = "en",
    lesson_id: str | None = None,
    tag: str | None = None,
    announce_end: bool = True,
):
    """An `NntuiApp` opened on the recording's lesson, playing it."""
    from nntui.app import NntuiApp

    curriculum = load_curriculum()
    lesson = recorded_lesson(recording, curriculum, lesson_id)
    lessons = tuple(lesson if other.id == lesson.id else other for other in curriculum.lessons)
    start = recording.start
    trainer = ReplayTrainer(recording, speed, tag=tag, announce_end=announce_end)
    return NntuiApp(
        trainer,
        lang=lang,
        device=start.device,
        seed=start.seed,
        lesson=lesson.id,
        curriculum=dataclasses.replace(curriculum, lessons=lessons),
    )
