"""Which lesson steps a learner has ticked off, kept between sessions (platformdirs).

Served to a class, every student (login name) has a file of their own, and a student may run
several sessions at once: every write merges with what is on disk, under a lock, and replaces
the file atomically, so no session ever loses another's ticks, and Ctrl+C never leaves half a file.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from platformdirs import user_data_dir

from nntui import served


def data_dir() -> Path:
    """The user's nntui folder; NNTUI_HOME overrides it (tests, shared classroom servers)."""
    return Path(os.environ.get("NNTUI_HOME") or user_data_dir("nntui", appauthor=False))


def default_path() -> Path:
    """progress.json, or, in a served session, progress/<login>.json: each student's own."""
    login = served.login()
    return data_dir() / "progress" / f"{login}.json" if login else data_dir() / "progress.json"


class Progress:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self._done: dict[str, set[str]] = self._read()

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

    def refresh(self) -> None:
        """Take in what other sessions of the same learner ticked meanwhile."""
        for lesson, steps in self._read().items():
            self._done.setdefault(lesson, set()).update(steps)

    def _read(self) -> dict[str, set[str]]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return {str(lesson): {str(s) for s in steps} for lesson, steps in raw.get("done", {}).items()
                    if isinstance(steps, list)}
        except (OSError, ValueError, AttributeError, TypeError):
            return {}  # no file yet, or one we cannot read: start fresh rather than fail

    def _save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._locked():
                self.refresh()  # another session's ticks, written since we read, are kept
                data = {"done": {lesson: sorted(steps) for lesson, steps in self._done.items()}}
                tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
                tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
                tmp.replace(self.path)
        except OSError:
            pass  # a read-only home: the ticks live as long as the app does

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
