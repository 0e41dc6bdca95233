"""The curriculum as plain, validated data (see lessons/README.md for the file format)."""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class Text:
    """One string in every language the app speaks."""

    en: str
    zh: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Chapter:
    id: str
    order: int
    title: Text


@dataclass(frozen=True)
class Control:
    """A knob on the lesson screen for one experiment parameter."""

    param: str
    type: str  # choice | int | float | bool | text, as the experiment declares it
    label: Text
    min: float | None = None  # text: the shortest and longest value allowed
    max: float | None = None
    choices: tuple | str = ()  # text: the allowed characters, as one string ("" = any)
    step: float | None = None  # increment for int/float; a factor when log is true
    log: bool = False
    apply: str = "restart"  # live | restart
    names: tuple[tuple[str, Text], ...] = ()  # a choice's words, where they are not its value

    def name_of(self, value: Any, lang: str) -> str | None:
        """The choice's word in `lang` (e.g. 窗口 for `window`), if the lesson gives one."""
        return next((text.get(lang) for choice, text in self.names if choice == value), None)

    def nudge(self, value: Any, direction: int) -> Any:
        """The value one notch up (direction +1) or down (-1), kept inside the range."""
        if self.type == "bool":
            return not value
        if self.type == "text":
            return value  # typed, not nudged
        if self.type == "choice":
            index = self.choices.index(value) if value in self.choices else 0
            return self.choices[(index + direction) % len(self.choices)]
        if self.log:
            factor = self.step or 2.0
            new = value * factor if direction > 0 else value / factor
        else:
            new = value + direction * (self.step or 1)
        if self.min is not None:
            new = max(self.min, new)
        if self.max is not None:
            new = min(self.max, new)
        if self.type == "int":
            return int(round(new))
        return float(f"{new:.6g}")


_OPERATORS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}


AGGREGATES = ("max", "min")  # over a whole run: `max(accuracy) < 0.2` says it never left chance


def observed_key(metric: str, aggregate: str | None = None) -> str:
    """How a run's observed values name a metric: `accuracy`, or `max(accuracy)`."""
    return f"{aggregate}({metric})" if aggregate else metric


@dataclass(frozen=True)
class Clause:
    metric: str
    op: str
    value: float
    aggregate: str | None = None  # None: the latest value; else one of AGGREGATES over the run

    @property
    def key(self) -> str:
        return observed_key(self.metric, self.aggregate)

    def holds(self, metrics: Mapping[str, float]) -> bool:
        current = metrics.get(self.key)
        return current is not None and _OPERATORS[self.op](current, self.value)


@dataclass(frozen=True)
class Check:
    """An observation over live metrics, e.g. `test_accuracy > 0.9 and step >= 2000`."""

    source: str
    clauses: tuple[Clause, ...]

    def holds(self, metrics: Mapping[str, float]) -> bool:
        return all(clause.holds(metrics) for clause in self.clauses)


@dataclass(frozen=True)
class Step:
    """A page of the guide. A step with a check ticks off when the check holds on a run whose
    settings include the step's `set`; one without ticks off when it is opened."""

    id: str
    title: Text
    body: Text
    set: dict[str, Any] = field(default_factory=dict)
    check: Check | None = None
    pace: float | None = None  # steps per second the page slows training to (None: full speed)
    pause: bool = False  # pause the run when the check first holds, so the moment stays on screen

    def matches(self, params: Mapping[str, Any]) -> bool:
        """Whether a run with these parameters is one this page describes: it has the page's `set`."""
        return all(_same(params.get(name), value) for name, value in self.set.items())


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=1e-9)
    return a == b


@dataclass(frozen=True)
class Lesson:
    id: str
    path: Path
    chapter: str
    order: int
    title: Text
    summary: Text
    experiment: str
    params: dict[str, Any]  # the experiment's defaults with the lesson's overrides applied
    controls: tuple[Control, ...]
    layout: tuple[str, ...]  # every widget, top to bottom and left to right
    intro: Step  # the page shown on opening; never has `set` or `check`
    steps: tuple[Step, ...]
    recap: Step | None = None  # the optional closing page ({#summary}); not a step, never ticked

    rows: tuple[tuple[str, ...], ...] = ()  # the same widgets as rows: names in a row sit side by side
    broken: bool = False

    @property
    def pages(self) -> tuple[Step, ...]:
        """The intro, the steps, and the summary if there is one: what n and p walk through."""
        return (self.intro, *self.steps, *((self.recap,) if self.recap else ()))

    def settings_for(self, step: Step) -> dict[str, Any]:
        """What a page trains: the lesson's defaults with the page's `set` over them. A page
        says what its own settings show, whatever pages the learner opened before it."""
        return {**self.params, **step.set}

    @property
    def step_ids(self) -> list[str]:
        """What the lesson's ✓ needs: every step, neither the intro nor the summary."""
        return [step.id for step in self.steps]


@dataclass(frozen=True)
class BrokenLesson:
    """A lesson file that failed validation: listed in the browser with its message."""

    id: str
    path: Path
    error: str

    broken: bool = True

    @property
    def title(self) -> Text:
        return Text(self.id, self.id)

    @property
    def summary(self) -> Text:
        return Text(self.error, self.error)

    chapter: str = ""
    order: int = 10**6


@dataclass(frozen=True)
class Curriculum:
    chapters: tuple[Chapter, ...]
    lessons: tuple[Lesson | BrokenLesson, ...]

    def find(self, lesson_id: str) -> Lesson | BrokenLesson | None:
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)

    def in_chapter(self, chapter_id: str) -> list[Lesson | BrokenLesson]:
        return sorted(
            (lesson for lesson in self.lessons if lesson.chapter == chapter_id),
            key=lambda lesson: (lesson.order, lesson.id),
        )


class LessonError(ValueError):
    """A mistake in a lesson file, located: `lessons/x.md:12: controls.lr.max: expected a number`."""

    def __init__(self, path: Path | str, line: int | None, field: str, message: str) -> None:
        self.path, self.line, self.field, self.message = Path(path), line, field, message
        where = f"{self.path}:{line}" if line else f"{self.path}"
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")
