"""`nntui serve ssh`: an SSH server whose only shell is the nntui app, one process per session.

Layers, as charmbracelet/wish stacks its middlewares: host key (hostkey.py) -> login
(auth.py, NntuiServer below) -> seat limit and log (Registry) -> PTY required, resize, idle
timeout (session.py) -> the app on its own PTY (child.py).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import sys
import time

import asyncssh

from nntui.serve.auth import AuthFileError, read_authorized_keys
from nntui.serve.config import SSHConfig
from nntui.serve.hostkey import HostKeyError, fingerprint, load_or_create_host_key
from nntui.serve.session import SHUTTING_DOWN, AppSession, duration_words

log = logging.getLogger("nntui.serve")

CLOSE_GRACE_S = 2.0  # at shutdown, how long clients get to hang up by themselves
KEEPALIVE_S = 30  # a laptop lid closed mid-lesson frees its seat after about 3 of these


class Registry:
    """The live sessions: the seat limit, the connect/disconnect log, and shutdown."""

    def __init__(self, config: SSHConfig) -> None:
        self.config = config
        self.sessions: set[AppSession] = set()
        self.connections: set[asyncssh.SSHServerConnection] = set()
        self.closing = False
        self.authorized_keys = read_authorized_keys(config.authorized_keys) if config.authorized_keys else None

    def _count(self) -> str:
        return f"sessions={len(self.sessions)}/{self.config.max_sessions}"

    def take(self, session: AppSession) -> str | None:
        if self.closing:
            return SHUTTING_DOWN
        if len(self.sessions) >= self.config.max_sessions:
            return f"all {self.config.max_sessions} seats are taken; please try again in a few minutes."
        self.sessions.add(session)
        log.info("connect peer=%s user=%s %s", session.peer, session.user, self._count())
        return None

    def leave(self, session: AppSession, reason: str) -> None:
        if session in self.sessions:
            self.sessions.discard(session)
            took = time.monotonic() - session.started
            log.info(
                "disconnect peer=%s user=%s %s duration=%.1fs (%s)",
                session.peer, session.user, self._count(), took, reason,
            )

    def refused(self, session: AppSession, reason: str) -> None:
        log.info("refused peer=%s user=%s %s (%s)", session.peer, session.user, self._count(), reason)

    async def close_all(self, reason: str) -> None:
        self.closing = True
        ending = [session.close(reason) or session.closing for session in list(self.sessions)]
        await asyncio.gather(*(task for task in ending if task is not None), return_exceptions=True)
        # Give each client a moment to read the goodbye and hang up by itself; a closed
        # connection drops whatever it had not sent yet.
        waiting = [asyncio.ensure_future(conn.wait_closed()) for conn in self.connections]
        if waiting:
            await asyncio.wait(waiting, timeout=CLOSE_GRACE_S)
        for conn in list(self.connections):
            conn.abort()


class NntuiServer(asyncssh.SSHServer):
    """One per connection: login, and nothing but session channels."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.config = registry.config
        self.conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        self.registry.connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        self.registry.connections.discard(self.conn)

    def begin_auth(self, username: str) -> bool:
        if self.config.authorized_keys and self.conn is not None:
            # Read again for every login, so a key the teacher adds works without a restart.
            try:
                self.registry.authorized_keys = read_authorized_keys(self.config.authorized_keys)
            except AuthFileError as exc:
                log.warning("%s; using the keys read before", exc)
            self.conn.set_authorized_keys(self.registry.authorized_keys)
        return not self.config.open  # False: no authentication at all

    def password_auth_supported(self) -> bool:
        return self.config.passwords is not None

    def validate_password(self, username: str, password: str) -> bool:
        return self.config.passwords is not None and self.config.passwords.check(username, password)

    def session_requested(self) -> AppSession:
        return AppSession(self.registry)

    # Forwarding of any kind would hand a student the server's network: refused.
    def connection_requested(self, dest_host, dest_port, orig_host, orig_port) -> bool:
        return False

    def server_requested(self, listen_host, listen_port) -> bool:
        return False

    def unix_connection_requested(self, dest_path) -> bool:
        return False

    def unix_server_requested(self, listen_path) -> bool:
        return False


def _setup_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", datefmt="%Y-%m-%d %H:%M:%S"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def _connect_hint(config: SSHConfig) -> str:
    host = config.host
    if host in ("0.0.0.0", "::", ""):
        host = socket.gethostname()
    if ":" in host:
        host = f"[{host}]"
    user = "USER@" if config.passwords is not None and not config.authorized_keys else ""
    return f"ssh -p {config.port} {user}{host}"


def _banner(config: SSHConfig, key, path, created: bool) -> str:
    idle = duration_words(config.idle_timeout) if config.idle_timeout else "off"
    threads = f"{config.threads} torch thread{'s' if config.threads > 1 else ''}"
    return "\n".join([
        f"nntui serve ssh: listening on {config.host}:{config.port}",
        f"  host key   {fingerprint(key)}  ({'new, ' if created else ''}{path})",
        f"  login      {config.auth_summary}",
        f"  seats      {config.max_sessions}, idle timeout {idle}, {threads} each, colours {config.colors}",
        f"  connect    {_connect_hint(config)}",
        "Ctrl+C stops the server and every session.",
    ])


async def _serve(config: SSHConfig, key, path, created: bool) -> int:
    registry = Registry(config)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    passwords = config.passwords is not None
    try:
        acceptor = await asyncssh.create_server(
            lambda: NntuiServer(registry), config.host, config.port,
            server_host_keys=[key],
            encoding=None, line_editor=False,  # raw bytes both ways: keys, mouse reports, frames
            public_key_auth=bool(config.authorized_keys), password_auth=passwords, kbdint_auth=passwords,
            host_based_auth=False, gss_host=None,
            agent_forwarding=False, x11_forwarding=False, allow_scp=False, sftp_factory=None,
            keepalive_interval=KEEPALIVE_S, keepalive_count_max=3, login_timeout=60,
        )
    except OSError as exc:
        print(f"nntui: --host/--port: cannot listen on {config.host}:{config.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    print(_banner(config, key, path, created), flush=True)
    await stop.wait()
    log.info("shutting down: closing %d session(s)", len(registry.sessions))
    acceptor.close()
    await registry.close_all(SHUTTING_DOWN)
    await acceptor.wait_closed()
    return 0


def run(config: SSHConfig) -> int:
    _setup_logging()
    try:
        key, path, created = load_or_create_host_key()
    except HostKeyError as exc:
        print(f"nntui: {exc}", file=sys.stderr)
        return 1
    return asyncio.run(_serve(config, key, path, created))
