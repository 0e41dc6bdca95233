"""The trainer process: imports torch once, then runs a Driver for the app.

Started with `spawn` before the UI starts (Textual swaps sys.stderr for an
object without a file descriptor, which `spawn` cannot hand on), so torch is
already imported and warm when a lesson opens.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from nntui.spec.events import Status, coalesce
from nntui.spec.commands import Shutdown

FLUSH_EVERY_S = 0.05  # at most ~20 batches a second reach the UI
IDLE_WAIT_S = 0.1
BEAT_S = 0.25  # the heartbeat's period; the UI calls the trainer hung after seconds of silence


def main(conn: Connection, threads: int = 1, log_path: str | None = None, beat: Any = None) -> None:
    if beat is not None:
        _start_heartbeat(beat)
    _quiet_terminal(log_path)
    # Ctrl+C in the terminal reaches the whole process group; the UI decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _be_nice()
    conn.send([Status("starting", 0)])
    _warm_up(threads)
    from nntui.trainer.driver import Driver

    driver = Driver()
    conn.send([Status("ready", 0)])
    last_flush = time.perf_counter()
    while True:
        # Idle, or in slow motion until the next step is due: wait on the pipe, never spin.
        due = driver.due_in()
        wait = IDLE_WAIT_S if due is None else due
        try:
            while conn.poll(wait):
                command = conn.recv()
                if isinstance(command, Shutdown):
                    return
                driver.handle(command)
                wait = 0.0
        except (EOFError, OSError):  # the UI went away: nothing left to train for
            return
        driver.tick()
        now = time.perf_counter()
        if driver.outbox and (not driver.running or now - last_flush >= FLUSH_EVERY_S):
            try:
                conn.send(coalesce(driver.take()))
            except (BrokenPipeError, OSError):
                return
            last_flush = now


def _start_heartbeat(beat: Any) -> None:
    """Write the time into shared memory from a thread of its own: a long training step keeps
    beating (torch releases the GIL), a stopped or wedged process does not."""

    def run() -> None:
        while True:
            beat.value = time.monotonic()  # system-wide on Linux and macOS: the UI compares it
            time.sleep(BEAT_S)

    threading.Thread(target=run, name="nntui-heartbeat", daemon=True).start()


def _quiet_terminal(log_path: str | None) -> None:
    """The child inherits the terminal as fd 1 and 2; a stray warning would paint over the UI."""
    target = os.open(log_path or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(target, 1)
    os.dup2(target, 2)
    os.close(target)


def _be_nice() -> None:
    try:
        os.nice(5)  # key presses first: the UI process keeps its priority
    except OSError:
        pass


def _warm_up(threads: int) -> None:
    """Import torch and pay the first optimiser's one-off cost while the user reads."""
    import torch

    torch.set_num_threads(threads)
    model = torch.nn.Linear(4, 1)
    for optimizer in (torch.optim.SGD(model.parameters(), lr=0.1), torch.optim.Adam(model.parameters())):
        model(torch.zeros(2, 4)).sum().backward()
        optimizer.step()
        optimizer.zero_grad()
