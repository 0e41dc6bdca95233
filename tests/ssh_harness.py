"""Helpers for the `nntui serve ssh` tests and benchmark: a server process, and a real OpenSSH
client on a pseudo-terminal whose output is rendered into a screen by pyte."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pyte

ROOT = Path(__file__).resolve().parent.parent
SSH = shutil.which("ssh")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def processes() -> dict[int, tuple[str, int, int]]:
    """pid -> (state, ppid, process group), from /proc."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if ")" not in stat:  # the process ended while we read it: /proc gave back nothing
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        found[int(entry)] = (fields[0], int(fields[1]), int(fields[2]))
    return found


def group(pgid: int) -> set[int]:
    """Live (not zombie) processes of a process group: an app and the trainer it started."""
    return {pid for pid, (state, _, pg) in processes().items() if pg == pgid and state != "Z"}


def pty_size(pid: int) -> tuple[int, int]:
    """(cols, rows) of the terminal a process has on its stdin (its PTY, read through /proc)."""
    fd = os.open(f"/proc/{pid}/fd/0", os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    finally:
        os.close(fd)
    return cols, rows


def idle_connections(port: int, count: int) -> list[socket.socket]:
    """TCP connections that never send a byte: what a lock-out attempt holds against the port."""
    return [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server has closed (or reset) a connection; what it sent meanwhile is read and dropped."""
    sock.setblocking(False)
    try:
        while True:
            if not sock.recv(65536):
                return True
    except BlockingIOError:
        return False
    except OSError:  # ECONNRESET: closed with a reset
        return True


def wait_until(predicate, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


class Server:
    """`nntui serve ssh` as a subprocess on a free loopback port."""

    def __init__(self, home: Path, *args: str, port: int | None = None, env: dict[str, str] | None = None,
                 nofile: int | None = None) -> None:
        """`env`: more environment variables; `nofile`: the server's open-file limit (as `ulimit -n`)."""
        self.port = port or free_port()
        self.home = home
        env = dict(os.environ, NNTUI_HOME=str(home), **(env or {}))

        def limit() -> None:
            if nofile is not None:
                import resource

                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "nntui", "serve", "ssh", "--port", str(self.port), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=home, preexec_fn=limit,
        )
        self.out: list[str] = []
        self.log: list[str] = []
        self.bytes = 0  # read from stdout and stderr
        self._ready = threading.Event()
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.out), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self.log), daemon=True).start()
        if not self._ready.wait(30):
            self.stop()
            raise RuntimeError(f"server did not start: {self.out} {self.log}")

    def _pump(self, stream, lines: list[str]) -> None:
        for raw in stream:
            self.bytes += len(raw)
            line = raw.decode(errors="replace").rstrip("\n")
            lines.append(line)
            if "ssh -p" in line:
                self._ready.set()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def app_pids(self) -> set[int]:
        """The app processes the server started (one per live session)."""
        return {pid for pid, (state, ppid, _) in processes().items() if ppid == self.pid and state != "Z"}

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


class SshTerm:
    """`ssh -tt` in a pseudo-terminal of its own; what it prints goes through a pyte screen."""

    def __init__(self, port: int, *, key: Path | None = None, user: str = "student",
                 cols: int = 80, rows: int = 24, term: str = "xterm-256color", extra: tuple[str, ...] = (),
                 screen: tuple[int, int] | None = None) -> None:
        """`screen`: the (cols, rows) pyte renders, when smaller than the terminal ssh declares."""
        assert SSH, "no ssh client"
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        auth = ["-i", str(key), "-o", "PreferredAuthentications=publickey"] if key else []
        argv = [
            SSH, "-tt", "-F", "/dev/null", "-p", str(port),
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
            "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
            *auth, *extra, f"{user}@127.0.0.1",
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith("SSH_")}
        env["TERM"] = term
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env,
            start_new_session=True, preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(slave)
        self.screen = pyte.Screen(*(screen or (cols, rows)))
        self._stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()
        self.lock = threading.Lock()
        self.chunks: list[tuple[float, int]] = []  # (time, bytes) of every read
        self.first_seen: dict[str, float] = {}
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.chunks.append((time.monotonic(), len(data)))
                self.raw += data
                self._stream.feed(data)

    # ---- looking ---------------------------------------------------------------------------------
    def text(self) -> str:
        with self.lock:
            return "\n".join(self.screen.display)

    def line(self, row: int) -> str:
        with self.lock:
            return self.screen.display[row]

    def shows(self, text: str) -> bool:
        return text in self.text()

    def wait_text(self, text: str, timeout: float = 30) -> bool:
        ok = wait_until(lambda: self.shows(text), timeout)
        if ok:
            self.first_seen.setdefault(text, time.monotonic())
        return ok

    def wait_raw(self, text: str, timeout: float = 30) -> bool:
        return wait_until(lambda: text.encode() in bytes(self.raw), timeout)

    # ---- doing -----------------------------------------------------------------------------------
    def press(self, keys: str | bytes) -> None:
        os.write(self.master, keys.encode() if isinstance(keys, str) else keys)

    def resize(self, cols: int, rows: int) -> None:
        with self.lock:
            self.screen.resize(rows, cols)
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        # The kernel signals the pty's foreground group (ssh) too; say it again in case it has none.
        self.proc.send_signal(signal.SIGWINCH)

    def wait_exit(self, timeout: float = 20) -> int | None:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        try:
            os.close(self.master)
        except OSError:
            pass
