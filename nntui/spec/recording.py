"""The recording format (`nntui run --out FILE.jsonl`): written one line at a time, read back whole.

A recording is one event per JSON line (`Event.to_dict`) plus `t`, the seconds since the run
began. Every line read is checked field by field (`recording_check`), so what the app and
`nntui export` get can be trusted; a line that is not an event is a RecordingError naming
FILE:LINE. Nothing here imports torch or Textual.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nntui.spec.events import Event, Metrics, RunStarted, from_dict
from nntui.spec.recording_check import Invalid, check_event

FALLBACK_STEPS_PER_S = 100.0  # pace of recordings written without `t`
# A recorded stall (the first Adam step warms up torch for ~1.7 s) would leave the replay
# blank for as long: gaps longer than this play as this.
MAX_GAP_S = 0.5


def recording_line(event: Event, t: float) -> str:
    """One line of a recording: the event and `t`, its seconds since the run began (replay keeps
    the run's own pace by it; readers of events ignore it)."""
    return json.dumps({**event.to_dict(), "t": round(t, 4)}) + "\n"


class RecordingError(ValueError):
    """A recording that cannot be read: the message starts with `FILE:LINE:` (or `FILE:`)."""


@dataclass
class Recording:
    path: Path
    events: list[Event]
    times: list[float]  # when each event plays, seconds from the first one
    lines: list[int]  # each event's line in the file, for error messages
    truncated: int = 0  # the number of a last line cut off mid-write (a killed run), left out; else 0
    # The run's training speed from its `t`s, for runs too short to record a status with it.
    steps_per_s: float = 0.0

    @property
    def start(self) -> RunStarted:
        return next(e for e in self.events if isinstance(e, RunStarted))

    @property
    def start_line(self) -> int:
        return next(n for e, n in zip(self.events, self.lines) if isinstance(e, RunStarted))

    @classmethod
    def of(cls, events: list[Event], path: Path | str = "<memory>") -> "Recording":
        """Events that were never written (e.g. a run trained for a screenshot), all at t=0."""
        return cls(Path(path), list(events), [0.0] * len(events), list(range(1, len(events) + 1)))


def read_recording(path: Path | str) -> Recording:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecordingError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise RecordingError(f"{path}: not a text file (expected JSON lines from `nntui run --out`)") from None
    except OSError as exc:
        raise RecordingError(f"{path}: {exc.strerror or exc}") from None
    rows = text.split("\n")
    complete = text.endswith("\n")
    events: list[Event] = []
    stamps: list[float | None] = []
    lines: list[int] = []
    truncated = 0
    for number, row in enumerate(rows, start=1):
        if not row.strip():
            continue
        try:
            data = json.loads(row)
        except json.JSONDecodeError as exc:
            if number == len(rows) and not complete:  # cut off mid-write: keep what came before
                truncated = number
                break
            raise RecordingError(f"{path}:{number}: not JSON ({exc.msg}, column {exc.colno})") from None
        except RecursionError:  # the parser recurses per bracket: thousands deep is no event
            raise RecordingError(f"{path}:{number}: nested too deeply (not an event from `nntui run`)") from None
        except ValueError as exc:  # e.g. an integer of more than 4,300 digits
            raise RecordingError(f"{path}:{number}: not JSON ({exc})") from None
        events.append(_event(data, path, number))
        stamps.append(_stamp(data, path, number))
        lines.append(number)
    if not events:
        raise RecordingError(f"{path}: empty recording (expected JSON lines from `nntui run --out`)")
    if not any(isinstance(e, RunStarted) for e in events):
        raise RecordingError(f"{path}:{lines[0]}: no run_started event: not a recording of a run")
    return Recording(path, events, _pace(events, stamps), lines, truncated, _speed(events, stamps))


def _event(data: Any, path: Path, number: int) -> Event:
    try:
        check_event(data)  # every field, so the app and export can trust what they get
    except Invalid as exc:
        raise RecordingError(f"{path}:{number}: {exc}") from None
    try:
        return from_dict(data)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:  # a gap in the checks: still no traceback
        raise RecordingError(f"{path}:{number}: bad {data.get('kind')}: {exc}") from None


def _stamp(data: dict, path: Path, number: int) -> float | None:
    t = data.get("t")
    if t is None:
        return None
    if not isinstance(t, (int, float)) or isinstance(t, bool) or not math.isfinite(t):
        raise RecordingError(f"{path}:{number}: t: expected seconds, got {t!r}")
    return float(t)


def _speed(events: list[Event], stamps: list[float | None]) -> float:
    steps = [(t, e.step) for t, e in zip(stamps, events) if isinstance(e, Metrics) and t is not None]
    if len(steps) < 2 or steps[-1][0] <= steps[0][0]:
        return 0.0
    return round((steps[-1][1] - steps[0][1]) / (steps[-1][0] - steps[0][0]), 1)


def _pace(events: list[Event], stamps: list[float | None]) -> list[float]:
    """When each event plays: recorded time with long stalls cut short, or a fixed step rate."""
    times: list[float] = []
    timed = any(s is not None for s in stamps)
    clock = previous = 0.0
    step = 0
    for event, stamp in zip(events, stamps):
        step = max(step, getattr(event, "step", 0) or 0)
        if timed:
            stamp = previous if stamp is None else stamp
            if times:
                clock += min(MAX_GAP_S, max(0.0, stamp - previous))
            previous = stamp
        else:
            clock = step / FALLBACK_STEPS_PER_S
        times.append(clock)
    return times
