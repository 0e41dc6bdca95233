"""The UI's side of the trainer: start the process, send commands, drain events.

Imports neither torch nor the lab: the trainer process does that.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.resource_tracker
from multiprocessing.connection import Connection

from nntui.events import Error, Event, Status
from nntui.runtime import worker
from nntui.runtime.commands import Command, Shutdown


class Trainer:
    """A trainer process. Call `start()` before `App.run()`, `close()` after it."""

    def __init__(self, threads: int = 1, log_path: str | None = None) -> None:
        self.threads = threads
        self.log_path = log_path
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def start(self) -> None:
        # Started now, while sys.stderr is still real, the tracker lets a later restart spawn
        # from inside the running app (Textual's stderr stand-in has no file descriptor).
        multiprocessing.resource_tracker.ensure_running()
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        self._process = context.Process(
            target=worker.main, args=(theirs, self.threads, self.log_path), name="nntui-trainer", daemon=True
        )
        self._process.start()
        theirs.close()
        self._conn = ours

    def send(self, command: Command) -> bool:
        """Send a command; False if the trainer is gone (the next `drain` says why)."""
        if self._conn is None:
            return False
        try:
            self._conn.send(command)
            return True
        except (BrokenPipeError, OSError):
            return False

    def drain(self) -> list[Event]:
        """Every event batch waiting in the pipe, without blocking."""
        events: list[Event] = []
        conn = self._conn
        if conn is None:
            return events
        try:
            while conn.poll(0):
                events.extend(conn.recv())
        except (EOFError, OSError):
            self._conn = None
            code = self._process.exitcode if self._process else None
            message = f"the trainer process stopped (exit code {code}); press r to start it again"
            events.append(Error(message))
            events.append(Status("error", 0, 0.0, message, "trainer_stopped", {"code": code}))
        return events

    def restart(self) -> None:
        self.close()
        self.start()

    def close(self, timeout: float = 2.0) -> None:
        if self._conn is not None:
            self.send(Shutdown())
            self._conn.close()
            self._conn = None
        process, self._process = self._process, None
        if process is not None:
            process.join(timeout)
            if process.is_alive():
                process.terminate()
                process.join(timeout)
