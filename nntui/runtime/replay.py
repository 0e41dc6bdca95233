"""A trainer that plays a recording (see nntui/spec/recording.py for the format).

`ReplayTrainer` has the trainer's interface (`send`, `drain`), so the app shows a recording
with the same screens and widgets as a live run. Nothing here imports torch.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Callable

from nntui.spec.commands import Command, Pause, Resume, SetPace, SetParam, Start, StepOnce, Stop
from nntui.spec.events import Event, Metrics, RunStarted, Status
from nntui.spec.recording import Recording

TERMINAL = ("finished", "diverged", "error")


class ReplayTrainer:
    """Plays a recording through the app's trainer interface, paced by the wall clock.

    `Start` (the lesson opening, or `r`) plays from the beginning; pause stops the clock;
    `.` plays up to the next step; a pace (slow motion, `-`) plays that many steps a second
    instead of the recording's own timing; settings cannot change what was recorded, so
    changing one leaves a notice for the app (`take_notices`) instead.
    """

    def __init__(
        self,
        recording: Recording,
        speed: float = 1.0,
        *,
        tag: str | None = None,
        announce_end: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be above 0, got {speed}")
        self.recording = recording
        self.speed = speed
        # Shown in the status line so a replay is never mistaken for a live run.
        self.tag = f"replay {speed:g}×" if tag is None else tag
        self.announce_end = announce_end  # a "finished: end of recording" status at the end
        self._clock = clock
        self._notices: list[str] = []
        self._outbox: list[Event] = []
        self._cursor = 0
        self._played = 0.0  # recorded seconds played before `_since`
        self._since: float | None = None  # wall time the clock last started; None: not running
        self._step = 0
        self._steps_per_s = 0.0
        self._ended = False
        self.state = "ready"
        self.pace: float | None = None  # steps a second in slow motion; None: the recording's timing
        self._next_step_at = 0.0

    # ---- the trainer interface -----------------------------------------------------------
    def send(self, command: Command) -> bool:
        if isinstance(command, Start):
            self._start(command)
        elif isinstance(command, Pause) and self.state == "running":
            self._stop_clock()
            self._say("paused")
        elif isinstance(command, Resume) and self.state == "paused":
            self.state, self._since = "running", self._clock()
            self._next_step_at = self._since
            self._say("running")
        elif isinstance(command, StepOnce) and self.state in ("running", "paused"):
            self._stop_clock()
            self._play_next_step()
            if self.state == "paused":
                self._say("paused")
        elif isinstance(command, SetPace):
            self._set_pace(command.steps_per_s)
        elif isinstance(command, SetParam):
            self._notices.append(f"replay: settings are fixed ({command.name} stays as recorded)")
        elif isinstance(command, Stop):
            self._stop_clock()
            self.state = "ready"
        return True

    def drain(self) -> list[Event]:
        if self.state == "running":
            if self.pace:
                self._play_paced()
            else:
                self._play_until(self._position())
        events, self._outbox = self._outbox, []
        return events

    def take_notices(self) -> list[str]:
        """Messages for the user that are not events (the app shows them as notifications)."""
        notices, self._notices = self._notices, []
        return notices

    # ---- playing ---------------------------------------------------------------------------
    def _start(self, command: Start) -> None:
        recorded = self.recording.start
        if command.experiment != recorded.experiment:
            self._notices.append(f"replay: this recording holds a {recorded.experiment} run only")
            return
        changed = sorted(k for k, v in command.params.items() if k in recorded.params and recorded.params[k] != v)
        if changed:
            self._notices.append(f"replay: settings are fixed ({', '.join(changed)} as recorded)")
        self._cursor, self._played, self._step, self._ended = 0, 0.0, 0, False
        self._outbox.clear()
        self.state = "running"
        self._since = self._clock()
        if command.paused:
            self._stop_clock()
            self._play_next_step()
            if self.state == "paused":
                self._say("paused")

    def _stop_clock(self) -> None:
        if not self.pace:  # paced, `_played` already is where the last step played
            self._played = self._position()
        self._since = None
        if self.state == "running":
            self.state = "paused"

    def _set_pace(self, pace: float | None) -> None:
        if self.state == "running" and not self.pace:
            self._played = self._position()
        self.pace = pace if pace and pace > 0 else None
        now = self._clock()
        self._next_step_at = now
        if self.state == "running":
            self._since = now  # the recording's timing resumes from where the steps got to

    def _play_paced(self) -> None:
        now = self._clock()
        while self.state == "running" and not self._ended and self._next_step_at <= now:
            self._play_next_step()
            self._next_step_at += 1.0 / self.pace

    def _position(self) -> float:
        if self._since is None:
            return self._played
        if math.isinf(self.speed):  # everything at once (0 s elapsed times inf would be nan)
            return math.inf
        return self._played + (self._clock() - self._since) * self.speed

    def _play_until(self, position: float) -> None:
        times = self.recording.times
        while self._cursor < len(times) and times[self._cursor] <= position:
            self._emit(self.recording.events[self._cursor])
        self._end_if_done()

    def _play_next_step(self) -> None:
        """Everything up to and including the next step's metrics, and what else that step reported."""
        events = self.recording.events
        target = None
        while self._cursor < len(events):
            event = events[self._cursor]
            step = getattr(event, "step", None)
            if target is not None and (isinstance(event, (RunStarted, Status)) or step != target):
                break
            if target is None and isinstance(event, Metrics) and event.step > self._step:
                target = event.step
            self._emit(event)
        if self._cursor:
            self._played = self.recording.times[self._cursor - 1]
        self._end_if_done()

    def _emit(self, event: Event) -> None:
        self._cursor += 1
        if isinstance(event, Status):
            self._steps_per_s = event.steps_per_s or self._steps_per_s
            if self.state == "paused" and event.state == "running":
                return  # the user paused the replay: the recording's "running" would contradict it
            if event.state in TERMINAL:
                self.state = event.state
                self._ended = True
            event = self._tagged(event)
        self._step = max(self._step, getattr(event, "step", 0) or 0)
        self._outbox.append(event)

    def _end_if_done(self) -> None:
        if self._cursor < len(self.recording.events) or self._ended:
            return
        self._ended = True
        self.state = "finished"
        self._since = None
        if not self.announce_end:
            return
        note = "end of recording" + (" (its last line was cut off)" if self.recording.truncated else "")
        speed = self._steps_per_s or self.recording.steps_per_s
        self._outbox.append(Status("finished", self._step, speed, self._join(note)))

    def _say(self, state: str) -> None:
        speed = self._steps_per_s if state == "running" else 0.0
        self._outbox.append(Status(state, self._step, speed, self._join("")))

    def _tagged(self, status: Status) -> Status:
        return dataclasses.replace(status, message=self._join(status.message))

    def _join(self, message: str) -> str:
        return " · ".join(part for part in (self.tag, message) if part)
