"""Which lesson steps a user has ticked off, kept between sessions (platformdirs)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from platformdirs import user_data_dir


def data_dir() -> Path:
    """The user's nntui folder; NNTUI_HOME overrides it (tests, shared classroom servers)."""
    return Path(os.environ.get("NNTUI_HOME") or user_data_dir("nntui", appauthor=False))


class Progress:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / "progress.json"
        self._done: dict[str, set[str]] = {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            self._done = {lesson: set(steps) for lesson, steps in raw.get("done", {}).items()}
        except (OSError, ValueError, AttributeError):
            pass  # no file yet, or one we cannot read: start fresh rather than fail

    def steps_done(self, lesson_id: str) -> set[str]:
        return set(self._done.get(lesson_id, ()))

    def mark(self, lesson_id: str, step_id: str) -> bool:
        """Tick a step off; return False if it already was."""
        steps = self._done.setdefault(lesson_id, set())
        if step_id in steps:
            return False
        steps.add(step_id)
        self._save()
        return True

    def lesson_done(self, lesson_id: str, step_ids: list[str]) -> bool:
        return bool(step_ids) and set(step_ids) <= self._done.get(lesson_id, set())

    def _save(self) -> None:
        data = {"done": {lesson: sorted(steps) for lesson, steps in self._done.items()}}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
            tmp.replace(self.path)  # atomic: a Ctrl+C mid-write never leaves half a file
        except OSError:
            pass
