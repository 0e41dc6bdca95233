"""`nntui claims`: does every guide page's check hold on the live model it describes?

Each checked step is trained headless on its own settings (the lesson's defaults with the
step's `set`), with the lesson's seed, and its check is evaluated after every metrics event
through the same `History` hook and the same rule as the lesson screen
(`LessonScreen._check_step`). A run stops as soon as the check holds, so a claim about step
200 costs 200 steps, not the whole run. The test suite runs this for every shipped lesson.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from nntui.curriculum.model import Check, Lesson, Step
from nntui.spec.commands import Start
from nntui.runtime.history import History, Run


@dataclass
class ClaimResult:
    lesson: str
    step: str
    check: Check
    held_at: int | None  # the training step at which the check first held; None: it never did
    steps_run: int
    seconds: float
    state: str  # the trainer's state at the end: running (stopped early), finished, diverged, error
    observed: dict[str, float] = field(default_factory=dict)  # at the hold, or at the end
    events: list = field(default_factory=list, repr=False)  # with keep_events: all the run reported

    @property
    def held(self) -> bool:
        return self.held_at is not None

    def failing(self) -> list[str]:
        """The clauses that do not hold at the end, with the values they saw."""
        return [f"{c.key} {c.op} {c.value:g} (was {self.observed.get(c.key, 'missing')})"
                for c in self.check.clauses if not c.holds(self.observed)]


def checked_steps(lesson: Lesson) -> list[Step]:
    return [step for step in lesson.steps if step.check is not None]


def verify(lesson: Lesson, step: Step, seed: int = 0, device: str = "cpu",
           max_steps: int | None = None, keep_events: bool = False) -> ClaimResult:
    """Train `step`'s settings until its check holds or the run ends (or `max_steps`)."""
    from nntui.trainer.driver import Driver  # imports torch through the lab

    assert step.check is not None, f"{lesson.id}/{step.id} has no check"
    held: dict[str, object] = {}

    def on_metrics(run: Run) -> None:
        if "at" not in held and step.check.holds(values := run.observed()):
            held["at"], held["values"] = run.step, values

    history = History(on_metrics=on_metrics)
    driver = Driver()
    kept: list = []

    def take(events: list) -> None:
        history.apply(events)
        if keep_events:
            kept.extend(events)

    started = time.perf_counter()
    driver.handle(Start(lesson.experiment, lesson.settings_for(step), seed, device, label=step.id))
    take(driver.take())
    for events in driver.steps(max_steps):
        take(events)
        if "at" in held:
            break
    run = history.current
    observed = held.get("values") or (run.observed() if run else {})
    if driver.state == "error" and history.errors:
        observed = {**observed, "error": history.errors[-1].message}
    return ClaimResult(lesson.id, step.id, step.check, held.get("at"), driver.step,
                       time.perf_counter() - started, driver.state, observed, kept)
