"""Commands the UI sends to the trainer. Plain data, so they pickle across the pipe."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Start:
    """Build a fresh experiment and train it: a new run (what `r` sends)."""

    experiment: str
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    device: str = "cpu"
    label: str = ""
    paused: bool = False  # build it, report step 0, then wait (tests and `.`-first users)


@dataclass(frozen=True)
class Pause:
    pass


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class StepOnce:
    """One optimisation step, then stay paused."""


@dataclass(frozen=True)
class SetParam:
    """Change a live parameter of the running experiment."""

    name: str
    value: Any


@dataclass(frozen=True)
class SetPace:
    """Slow motion: at most this many steps a second (None: as fast as the model goes)."""

    steps_per_s: float | None


@dataclass(frozen=True)
class Stop:
    """Drop the current experiment; the trainer stays up, ready for the next Start."""


@dataclass(frozen=True)
class Shutdown:
    """End the trainer process."""


Command = Start | Pause | Resume | StepOnce | SetParam | SetPace | Stop | Shutdown
