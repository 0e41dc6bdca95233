"""The UI's side of the trainer: start the process, send commands, drain events.

Imports neither torch nor the lab: the trainer process does that.

The trainer can stop answering without dying (SIGSTOP, a stuck driver): its heartbeat, a
timestamp it writes to shared memory a few times a second, says so. Events are read by a
thread, so the UI never blocks on a batch the trainer stopped halfway through sending; a hung
trainer is shown as such, is sent nothing more, and is killed, not waited for, on quit or `r`.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.resource_tracker
import threading
import time
from collections import deque
from multiprocessing.connection import Connection

from nntui.spec.events import Error, Event, Status
from nntui.trainer import worker
from nntui.spec.commands import Command, Shutdown

# Silence this long means hung: the heartbeat comes every worker.BEAT_S, from its own thread,
# so a long training step does not delay it; a loaded machine may, by a second or so.
HUNG_AFTER_S = 4.0
# Until the trainer says "ready" it is importing torch, which can hold the GIL for seconds.
STARTING_S = 60.0
JOIN_S = 1.0  # how long quitting waits for a trainer that answers before killing it
HUNG_MESSAGE = "hung: the trainer has not answered for {seconds} s; press r to start a new one"


class Trainer:
    """A trainer process. Call `start()` before `App.run()`, `close()` after it."""

    def __init__(self, threads: int = 1, log_path: str | None = None) -> None:
        self.threads = threads
        self.log_path = log_path
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._inbox: _Inbox | None = None
        self._beat = None  # shared double: the trainer's last time.monotonic()
        self._started = 0.0
        self._ready = False
        self.hung = False
        self._last_status: Status | None = None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def start(self) -> None:
        # Started now, while sys.stderr is still real, the tracker lets a later restart spawn
        # from inside the running app (Textual's stderr stand-in has no file descriptor).
        multiprocessing.resource_tracker.ensure_running()
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        self._beat = context.Value("d", 0.0, lock=False)  # one writer: no lock needed
        self._process = context.Process(
            target=worker.main, args=(theirs, self.threads, self.log_path, self._beat),
            name="nntui-trainer", daemon=True,
        )
        self._process.start()
        theirs.close()
        self._conn = ours
        self._inbox = _Inbox(ours)
        self._started, self._ready, self.hung, self._last_status = time.monotonic(), False, False, None

    def send(self, command: Command) -> bool:
        """Send a command; False if the trainer is gone or hung (the next `drain` says why)."""
        if self._conn is None or self.hung:
            return False
        try:
            self._conn.send(command)
            return True
        except (BrokenPipeError, OSError):
            return False

    def drain(self) -> list[Event]:
        """Every event batch received so far, without blocking."""
        events: list[Event] = []
        inbox = self._inbox
        if inbox is None or self._conn is None:
            return events
        ended = inbox.ended  # read first: every batch is in before `ended` turns true
        events.extend(inbox.take())
        for event in events:
            if isinstance(event, Status):
                self._last_status = event
                self._ready = self._ready or event.state == "ready"
        if ended:
            self._conn = None
            code = self._process.exitcode if self._process else None
            message = f"the trainer process stopped (exit code {code}); press r to start it again"
            events.append(Error(message))
            events.append(Status("error", 0, 0.0, message, "trainer_stopped", {"code": code}))
            return events
        events.extend(self._check_heartbeat())
        return events

    def _check_heartbeat(self) -> list[Event]:
        beat = self._beat.value if self._beat is not None else 0.0
        silent = time.monotonic() - max(beat, self._started)
        hung = silent > (HUNG_AFTER_S if self._ready else STARTING_S)
        if hung == self.hung:
            return []
        self.hung = hung
        if hung:
            step = self._last_status.step if self._last_status else 0
            seconds = round(silent)
            return [Status("error", step, 0.0, HUNG_MESSAGE.format(seconds=seconds), "trainer_hung",
                           {"seconds": seconds})]
        return [self._last_status] if self._last_status else []  # it answers again: as it was

    def restart(self) -> None:
        self.close()
        self.start()

    def close(self, timeout: float = JOIN_S) -> None:
        """Stop the trainer: asked to, if it answers; killed after `timeout`, or at once if hung."""
        conn, self._conn, self._inbox = self._conn, None, None
        if conn is not None and not self.hung:
            try:
                conn.send(Shutdown())
            except (BrokenPipeError, OSError):
                pass
        # The reader thread closes the connection when it sees the end: closing it here, under
        # a blocked read, could hand its file descriptor number to the next trainer's pipe.
        process, self._process = self._process, None
        if process is not None:
            process.join(0 if self.hung else timeout)
            if process.is_alive():
                process.kill()  # SIGKILL: a stopped process never handles SIGTERM
                process.join(timeout)
        self.hung = False


class _Inbox:
    """Batches read from the trainer by a daemon thread; `ended` once the pipe closes."""

    def __init__(self, conn: Connection) -> None:
        self._batches: deque[list[Event]] = deque()
        self.ended = False
        threading.Thread(target=self._read, args=(conn,), name="nntui-trainer-reader", daemon=True).start()

    def _read(self, conn: Connection) -> None:
        try:
            while True:
                self._batches.append(conn.recv())
        except (EOFError, OSError):
            pass
        except Exception:  # a batch that cannot be unpickled: the trainer is of no more use
            pass
        finally:
            conn.close()
            self.ended = True

    def take(self) -> list[Event]:
        events: list[Event] = []
        while self._batches:  # deque.popleft is atomic: no lock with the reader thread
            events.extend(self._batches.popleft())
        return events
