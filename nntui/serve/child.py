"""One app process on its own pseudo-terminal: start, feed keys, resize, stop, reap.

Textual drives one app per process (it owns the process's stdin/stdout and signal handlers),
so every SSH session gets a process of its own, on a PTY of its own, in a process group of
its own: the app starts a trainer process (and multiprocessing's resource tracker), and
stopping a session must stop those too.

Everything runs on the server's asyncio loop: the PTY master is non-blocking and watched
with add_reader, and the child's exit is watched through a pidfd, so no thread per session.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import struct
import subprocess
import termios
import threading
from collections.abc import Callable

STOP_GRACE_S = 2.0  # SIGTERM, then this long, then SIGKILL


def _set_size(fd: int, cols: int, rows: int) -> None:
    # The kernel sends SIGWINCH to the terminal's foreground process group on a change.
    # (The session clamps sizes far below it; 65535 is what the kernel's structure can hold.)
    rows, cols = min(max(rows, 1), 0xFFFF), min(max(cols, 1), 0xFFFF)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _take_terminal() -> None:
    """In the child, after setsid(): make the PTY its controlling terminal.

    Then resizes reach it as SIGWINCH, and a hang-up as SIGHUP, as in a real terminal.
    """
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class AppChild:
    def __init__(
        self,
        argv: list[str],
        env: dict[str, str],
        cols: int,
        rows: int,
        on_output: Callable[[bytes], None],
        on_exit: Callable[[int], None],
        cwd: str | os.PathLike[str] | None = None,
    ) -> None:
        self.argv, self.env, self.cwd = argv, env, cwd
        self._size = (cols, rows)
        self._on_output, self._on_exit = on_output, on_exit
        self._loop = asyncio.get_running_loop()
        self._master = -1
        self._proc: subprocess.Popen | None = None
        self._reading = False
        self._paused = False
        self._pending_input = b""
        self._exited = asyncio.Event()
        self.returncode: int | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and not self._exited.is_set()

    def start(self) -> None:
        master, slave = os.openpty()
        try:
            _set_size(slave, *self._size)
            self._proc = subprocess.Popen(
                self.argv, stdin=slave, stdout=slave, stderr=slave, env=self.env, cwd=self.cwd,
                start_new_session=True,  # its own session and process group: killpg stops app and trainer
                preexec_fn=_take_terminal, close_fds=True,
            )
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)  # only the child holds the slave: its exit shows as EIO on the master
        self._master = master
        os.set_blocking(master, False)
        self._watch_output(True)
        self._watch_exit()

    # ---- data both ways --------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        """Keys from the client. A paste larger than the PTY's buffer waits for the app to read."""
        if self._master < 0 or not self.running:
            return
        if self._pending_input:
            self._pending_input += data
            return
        self._pending_input = data
        self._flush_input()

    def _flush_input(self) -> None:
        try:
            while self._pending_input:
                written = os.write(self._master, self._pending_input)
                self._pending_input = self._pending_input[written:]
        except BlockingIOError:
            self._loop.add_writer(self._master, self._flush_input)
            return
        except OSError:
            self._pending_input = b""  # the app is gone; its exit is reported separately
        self._loop.remove_writer(self._master)

    def pause_output(self) -> None:
        """The client is slow: stop reading, so the app blocks on its writes instead of us buffering."""
        self._paused = True
        self._watch_output(False)

    def resume_output(self) -> None:
        self._paused = False
        self._watch_output(True)

    def _watch_output(self, on: bool) -> None:
        if self._master < 0 or on == self._reading:
            return
        if on:
            self._loop.add_reader(self._master, self._read_output)
        else:
            self._loop.remove_reader(self._master)
        self._reading = on

    def _read_output(self) -> None:
        try:
            data = os.read(self._master, 65536)
        except BlockingIOError:
            return
        except OSError:  # EIO: every process holding the slave has closed it
            data = b""
        if data:
            self._on_output(data)
        else:
            self._watch_output(False)

    def resize(self, cols: int, rows: int) -> None:
        self._size = (cols, rows)
        if self._master >= 0:
            try:
                _set_size(self._master, cols, rows)
            except OSError:
                pass

    # ---- ending ------------------------------------------------------------------------------
    def _watch_exit(self) -> None:
        assert self._proc is not None
        pid = self._proc.pid
        try:
            pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):  # kernel < 5.3: a thread waits instead
            def wait() -> None:
                try:  # WNOWAIT: the pid stays reserved until _reap, so killpg cannot hit a stranger
                    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
                except ChildProcessError:
                    pass
                self._loop.call_soon_threadsafe(self._reap)

            threading.Thread(target=wait, name=f"nntui-wait-{pid}", daemon=True).start()
            return

        def exited() -> None:
            self._loop.remove_reader(pidfd)
            os.close(pidfd)
            self._reap()

        self._loop.add_reader(pidfd, exited)

    def _reap(self) -> None:
        """The app has exited (a zombie still, so its pid and group id cannot be reused yet)."""
        if self._exited.is_set() or self._proc is None:
            return
        # The app's last frame, or its traceback, may still sit in the PTY.
        if self._reading or self._paused:
            while self._master >= 0:
                try:
                    data = os.read(self._master, 65536)
                except OSError:
                    break
                if not data:
                    break
                self._on_output(data)
        self._signal_group(signal.SIGKILL)  # a trainer it left behind goes with it
        self.returncode = self._proc.wait()
        self._watch_output(False)
        self._loop.remove_writer(self._master)
        os.close(self._master)
        self._master = -1
        self._exited.set()
        self._on_exit(self.returncode)

    def _signal_group(self, sig: int) -> None:
        if self._proc is not None and not self._exited.is_set():
            try:
                os.killpg(self._proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass

    async def stop(self) -> int | None:
        """End the app and everything it started; return once the app is reaped."""
        if self._proc is None:
            return None
        self._watch_output(False)  # what it draws while dying is of no use to anyone
        self._paused = False
        if not self._exited.is_set():
            self._signal_group(signal.SIGTERM)  # Textual has no handler: the default action ends it
            try:
                await asyncio.wait_for(self._exited.wait(), STOP_GRACE_S)
            except asyncio.TimeoutError:
                self._signal_group(signal.SIGKILL)
                await self._exited.wait()
        return self.returncode
