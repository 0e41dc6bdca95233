"""Real recordings for replay and export tests: `nntui run LESSON --out FILE` in this process."""

from __future__ import annotations

import json
from pathlib import Path

from nntui.spec.events import Event, from_dict


def record(path: Path, lesson: str, steps: int, *settings: str, seed: int = 0) -> list[Event]:
    """Train `lesson` for `steps` steps, writing the recording to `path`; return its events."""
    from nntui.headless import HeadlessRun

    job = HeadlessRun.prepare(lesson, steps=steps, settings=list(settings), seed=seed)
    assert job.execute(out=path) == 0
    return [from_dict(json.loads(line)) for line in path.read_text().splitlines()]
