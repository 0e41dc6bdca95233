"""One SSH session channel: the client's terminal on one side, one app process on the other.

Only an interactive shell with a PTY becomes an app. Commands (`ssh host cmd`, scp) get a
polite refusal and exit status 1; subsystems (sftp) are refused outright. The terminal size
the client declares is cut to MAX_COLS x MAX_ROWS (terminal.py), on open and on every resize.
Each app runs in a fresh session folder (its cwd and NNTUI_SESSION_DIR), removed when it ends.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import asyncssh

from nntui.serve.child import AppChild
from nntui.serve.config import SSHConfig
from nntui.serve.logline import peer_text, quoted
from nntui.serve.terminal import (
    MAX_COLS, MAX_ROWS, TERMINAL_RESET, app_command, clamp_size, new_session_dir, remove_session_dir,
)

NEEDS_PTY = "nntui: the app needs a terminal; connect with `ssh -t` (without a command)."
NO_COMMANDS = "nntui: this server only runs the nntui app; connect without a command."
SHUTTING_DOWN = "the server is shutting down"


def duration_words(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds:.0f} seconds"


class Seats(Protocol):
    config: SSHConfig

    def take(self, session: AppSession) -> str | None: ...  # None, or why not
    def leave(self, session: AppSession, reason: str) -> None: ...
    def refused(self, session: AppSession, reason: str) -> None: ...


def clamp_message(cols: int, rows: int) -> str:
    return (f"nntui: your terminal is {cols}x{rows}; the app uses at most {MAX_COLS}x{MAX_ROWS} of it "
            "(the top left corner).")


class AppSession(asyncssh.SSHServerSession):
    def __init__(self, seats: Seats, on_closed: Callable[[], None] | None = None) -> None:
        self.seats = seats
        self.config = seats.config
        self._on_closed = on_closed  # the connection counts its sessions (ssh -N is closed)
        self.chan: asyncssh.SSHServerChannel | None = None
        self.term_type: str | None = None
        self.size = (80, 24)
        self.clamped_from: tuple[int, int] | None = None  # the client's size, when it was cut
        self._clamp_told = False
        self.session_dir: Path | None = None
        self.command: str | None = None
        self.child: AppChild | None = None
        self.started = 0.0
        self.last_input = 0.0
        self._idle_timer: asyncio.TimerHandle | None = None
        self._ending = False
        self._seated = False
        self._peer = self._user = "?"
        self.closing: asyncio.Task | None = None  # close()'s work, for the server to await at shutdown

    # ---- who, for the log --------------------------------------------------------------------
    @property
    def peer(self) -> str:
        return self._peer

    @property
    def user(self) -> str:
        return self._user

    @property
    def pid(self) -> int | None:
        return self.child.pid if self.child else None

    # ---- requests, as asyncssh hands them over --------------------------------------------------
    def connection_made(self, chan: asyncssh.SSHServerChannel) -> None:
        self.chan = chan
        # Kept now: once the channel closes, asyncssh no longer answers these.
        self._peer = peer_text(chan.get_extra_info("peername"))
        self._user = chan.get_extra_info("username") or "?"

    def pty_requested(self, term_type, term_size, term_modes) -> bool:
        # The first size comes only here; terminal_size_changed is for later window changes.
        self.term_type = term_type
        self.terminal_size_changed(*term_size)
        return True

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        if width and height:  # a client that sends 0x0 means "unknown": keep the last size
            cols, rows, clamped = clamp_size(width, height)
            if clamped and self.clamped_from is None:
                self.clamped_from = (width, height)
            self.size = (cols, rows)
            if self.child:
                self.child.resize(cols, rows)

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        # Accepted only to say why nothing runs: a bare protocol refusal reads as a broken server.
        self.command = command
        return True

    def subsystem_requested(self, subsystem: str) -> bool:
        return False  # sftp and friends

    def session_started(self) -> None:
        assert self.chan is not None
        if self.command is not None:
            self._refuse(NO_COMMANDS, f"command refused: {quoted(self.command)}")
            return
        if self.term_type is None:
            self._refuse(NEEDS_PTY, "no terminal requested")
            return
        full = self.seats.take(self)
        if full:
            self._refuse(f"nntui: {full}", full)
            return
        self._seated = True
        self.started = self.last_input = time.monotonic()
        if self.clamped_from is not None:  # said before the app takes the screen; still there after it
            self._tell_clamp()
        try:
            self.session_dir = new_session_dir(self.user)
            argv, env = app_command(
                self.config.lang, self.user, self.session_dir, threads=self.config.threads,
                term_type=self.term_type, colors=self.config.colors,
            )
            self.child = AppChild(argv, env, *self.size, on_output=self._output, on_exit=self._app_exited,
                                  cwd=self.session_dir)
            self.child.start()
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            self.child = None
            self._end(f"could not start the app: {exc}", status=1)
            return
        self._arm_idle_timer()

    def data_received(self, data: bytes, datatype) -> None:
        self.last_input = time.monotonic()
        if self.child:
            self.child.write(data)

    def eof_received(self) -> bool:
        # The client will send nothing more (its stdin closed): an app without keys is no use.
        self.close(None)
        return True

    def break_received(self, msec: int) -> bool:
        return False

    def pause_writing(self) -> None:
        if self.child:
            self.child.pause_output()

    def resume_writing(self) -> None:
        if self.child:
            self.child.resume_output()

    def connection_lost(self, exc: Exception | None) -> None:
        # The client went away (or we closed the channel): the app has no one to draw for.
        self.close(None, send=False)
        if self._on_closed is not None:
            self._on_closed()
            self._on_closed = None

    # ---- the app's side ---------------------------------------------------------------------------
    def _output(self, data: bytes) -> None:
        if self.chan is not None and not self._ending:
            self.chan.write(data)

    def _app_exited(self, returncode: int) -> None:
        if self._ending:
            return  # we stopped it; close() finishes the session
        status = returncode if returncode >= 0 else 128 - returncode
        self._ending = True
        self._cancel_idle_timer()
        self._leave(f"app exited with {returncode}" if returncode else "quit")
        if self.chan is not None:
            if returncode < 0:  # killed: it could not put the terminal back as it found it
                self.chan.write(TERMINAL_RESET)
                self.chan.write(f"\r\nnntui: the app stopped (signal {-returncode}); connect again to restart.\r\n".encode())
            self._tell_clamp()
            self.chan.exit(status)

    # ---- ending ----------------------------------------------------------------------------------
    def close(self, message: str | None, *, send: bool = True) -> asyncio.Task | None:
        """Stop the app, then tell the client why (if `message`) and close the channel."""
        if self._ending:
            return None
        self._ending = True
        self._cancel_idle_timer()
        self.closing = asyncio.get_running_loop().create_task(self._finish(message, send))
        return self.closing

    async def _finish(self, message: str | None, send: bool) -> None:
        if self.child is not None:
            await self.child.stop()
        self._leave(message or "client left")
        if send and self.chan is not None:
            try:
                self.chan.write(TERMINAL_RESET)  # the app was killed mid-frame: undo its terminal modes
                if message:
                    self.chan.write(f"\r\nnntui: {message}.\r\n".encode())
                self._tell_clamp()
                self.chan.exit(0 if message is None else 1)
            except (asyncssh.Error, OSError):
                pass  # the client is already gone

    def _end(self, message: str, status: int) -> None:
        self._ending = True
        self._leave(message)
        if self.chan is not None:
            self.chan.write(f"nntui: {message}\r\n".encode())
            self.chan.exit(status)

    def _refuse(self, message: str, reason: str) -> None:
        assert self.chan is not None
        self._ending = True
        self.seats.refused(self, reason)
        text = f"{message}\r\n".encode()
        if self.term_type is None:
            self.chan.write_stderr(text)  # a script's stdout stays clean
        else:
            self.chan.write(text)
        self.chan.exit(1)

    def _leave(self, reason: str) -> None:
        if self._seated:
            self._seated = False
            self.seats.leave(self, reason)
        # Every way out comes here after the app is reaped (its group killed): nothing writes there now.
        remove_session_dir(self.session_dir)
        self.session_dir = None

    def _tell_clamp(self) -> None:
        """Say once (at the start, or when the app is gone) that the terminal was cut to the maximum."""
        if self.clamped_from is not None and not self._clamp_told and self.chan is not None:
            self._clamp_told = True
            self.chan.write(f"\r\n{clamp_message(*self.clamped_from)}\r\n".encode())

    # ---- idle timeout ---------------------------------------------------------------------------
    def _arm_idle_timer(self, delay: float | None = None) -> None:
        if self.config.idle_timeout > 0:
            loop = asyncio.get_running_loop()
            self._idle_timer = loop.call_later(delay or self.config.idle_timeout, self._check_idle)

    def _cancel_idle_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _check_idle(self) -> None:
        left = self.last_input + self.config.idle_timeout - time.monotonic()
        if left > 0:  # a key came since the timer was set: wait out the rest
            self._arm_idle_timer(left)
        else:
            self.close(f"closed after {duration_words(self.config.idle_timeout)} without a key press")
