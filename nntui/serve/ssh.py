"""`nntui serve ssh`: an SSH server whose only shell is the nntui app, one process per session.

Layers, as charmbracelet/wish stacks its middlewares: the door (gate.py: the cap on connections
still logging in) -> host key (hostkey.py) -> login (auth.py, NntuiServer below: login grace
time, --max-auth-tries per connection, the per-address brake, a log line per failed login) ->
seat limit and log (Registry) -> PTY required, size clamp, idle timeout (session.py) -> the app
on its own PTY, in its own session folder (child.py, terminal.py).

The log (stderr) has one line per failed login, which a fail2ban filter can match:

    2025-01-01 09:00:00 login-failed peer=203.0.113.9:50122 method=password tries=1/6 user="bob"

    [Definition]                                    # /etc/fail2ban/filter.d/nntui.conf
    failregex = login-failed peer=<HOST>:\\d+ method=
    datepattern = ^%%Y-%%m-%%d %%H:%%M:%%S

(`method=publickey keys=N` once per connection that offered only keys nobody authorized.) Client
text (user names, commands) is always last, quoted and escaped (logline.py), so it cannot fake
`peer=`. Events an attacker can cause by the thousand (dropped silent connections, login
timeouts, failed accept()s) are counted on one `preauth`/`accept-failed` line every 10 s.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import signal
import socket
import sys
import time

import asyncssh

from nntui.serve.auth import AuthFileError, LoginBrake, read_authorized_keys
from nntui.serve.config import SSHConfig
from nntui.serve.gate import Gate, listen_sockets
from nntui.serve.hostkey import HostKeyError, fingerprint, load_or_create_host_key
from nntui.serve.logline import Tally, peer_text, quoted
from nntui.serve.session import SHUTTING_DOWN, AppSession, duration_words

log = logging.getLogger("nntui.serve")

CLOSE_GRACE_S = 2.0  # at shutdown, how long clients get to hang up by themselves
KEEPALIVE_S = 30  # a laptop lid closed mid-lesson frees its seat after about 3 of these
FDS_PER_SESSION = 4  # the server's side of one session: socket, PTY master, pidfd, a spare


class Registry:
    """The live sessions: the seat limit, the connect/disconnect log, and shutdown."""

    def __init__(self, config: SSHConfig) -> None:
        self.config = config
        self.sessions: set[AppSession] = set()
        self.connections: set[asyncssh.SSHServerConnection] = set()
        self.closing = False
        self.authorized_keys = read_authorized_keys(config.authorized_keys) if config.authorized_keys else None
        self.brake = LoginBrake()
        self.gate: Gate | None = None  # set once listening
        # Connections dropped before login (gate.py, login timeouts): counted, not logged one by one.
        self.preauth = Tally(log, "preauth", suffix=f" (--max-startups {config.max_startups})")

    def _count(self) -> str:
        return f"sessions={len(self.sessions)}/{self.config.max_sessions}"

    def take(self, session: AppSession) -> str | None:
        if self.closing:
            return SHUTTING_DOWN
        if len(self.sessions) >= self.config.max_sessions:
            return f"all {self.config.max_sessions} seats are taken; please try again in a few minutes."
        self.sessions.add(session)
        log.info("connect peer=%s %s user=%s", session.peer, self._count(), quoted(session.user))
        return None

    def leave(self, session: AppSession, reason: str) -> None:
        if session in self.sessions:
            self.sessions.discard(session)
            took = time.monotonic() - session.started
            log.info(
                "disconnect peer=%s %s duration=%.1fs (%s) user=%s",
                session.peer, self._count(), took, reason, quoted(session.user),
            )

    def refused(self, session: AppSession, reason: str) -> None:
        log.info("refused peer=%s %s (%s) user=%s", session.peer, self._count(), reason, quoted(session.user))

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
        self.preauth.flush()


class NntuiServer(asyncssh.SSHServer):
    """One per connection: login, and nothing but session channels."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.config = registry.config
        self.conn: asyncssh.SSHServerConnection | None = None
        self.peer, self.address, self.user = "?", "?", ""
        self.failures = 0  # failed attempts on this connection: wrong passwords and refused keys
        self.refused_keys = 0
        self.logged_in = False
        self.sessions = 0  # session channels open on this connection
        self._no_session_timer: asyncio.TimerHandle | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        peer = conn.get_extra_info("peername")
        self.peer, self.address = peer_text(peer), (peer[0] if peer else "?")
        self.registry.connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        self.registry.connections.discard(self.conn)
        if self.registry.gate is not None:
            self.registry.gate.settled(self.conn)
        self._cancel_no_session_timer()
        if self.logged_in:
            return
        if self.refused_keys:
            log.info("login-failed peer=%s method=publickey keys=%d user=%s", self.peer, self.refused_keys,
                     quoted(self.user))
        if isinstance(exc, asyncssh.ConnectionLost) and "timeout" in str(exc).lower():
            self.registry.preauth.add("login_timeout")

    # ---- login ---------------------------------------------------------------------------------
    def auth_completed(self) -> None:
        self.logged_in = True
        if self.registry.gate is not None:
            self.registry.gate.settled(self.conn)  # its slot among the connections logging in is free
        self._arm_no_session_timer()

    def begin_auth(self, username: str) -> bool:
        self.user = username
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

    async def validate_password(self, username: str, password: str) -> bool:
        return await self._check_password(username, password, "password")

    def kbdint_auth_supported(self) -> bool:
        # Done here, not by asyncssh's password fallback, so that the log can name the method.
        return self.config.passwords is not None

    def get_kbdint_challenge(self, username: str, lang: str, submethods: str):
        return "", "", "", (("Password: ", False),)

    async def validate_kbdint_response(self, username: str, responses) -> bool:
        if len(responses) != 1:
            return False
        return await self._check_password(username, responses[0], "keyboard-interactive")

    def validate_public_key(self, username: str, key) -> bool:
        # asyncssh asks here only about keys that are not in --authorized-keys.
        self.refused_keys += 1
        self._count_failure()
        return False

    async def _check_password(self, username: str, password: str, method: str) -> bool:
        books = self.config.passwords
        if books is None:
            return False
        wait = self.registry.brake.wait_for_turn(self.address)
        if wait > 0:
            await asyncio.sleep(wait)  # (cancelled if the client gives up or sends another try meanwhile)
        if books.check(username, password):
            return True
        self.registry.brake.failed(self.address)
        log.info("login-failed peer=%s method=%s tries=%d/%d user=%s", self.peer, method, self.failures + 1,
                 self.config.max_auth_tries, quoted(username))
        self._count_failure()
        return False

    def _count_failure(self) -> None:
        self.failures += 1
        if self.failures >= self.config.max_auth_tries and self.conn is not None:
            self.conn.disconnect(asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE, "Too many authentication failures")

    # ---- sessions ------------------------------------------------------------------------------
    def session_requested(self) -> AppSession:
        self.sessions += 1
        self._cancel_no_session_timer()
        return AppSession(self.registry, on_closed=self._session_closed)

    def _session_closed(self) -> None:
        self.sessions -= 1
        if self.sessions == 0 and not self.registry.closing:
            self._arm_no_session_timer()

    def _arm_no_session_timer(self) -> None:
        # A logged-in connection without a session (`ssh -N`, a ControlMaster left behind) holds
        # no seat and no idle timer of its own: it gets the login grace time to open one.
        self._cancel_no_session_timer()
        self._no_session_timer = asyncio.get_running_loop().call_later(self.config.login_grace, self._no_session)

    def _cancel_no_session_timer(self) -> None:
        if self._no_session_timer is not None:
            self._no_session_timer.cancel()
            self._no_session_timer = None

    def _no_session(self) -> None:
        self._no_session_timer = None
        if self.sessions == 0 and self.conn is not None:
            log.info("closed peer=%s (no session within %s of login) user=%s", self.peer,
                     duration_words(self.config.login_grace), quoted(self.user))
            self.conn.close()

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
    # asyncssh's own log is for debugging asyncssh; unhandled, its warnings would reach stderr.
    logging.getLogger("asyncssh").addHandler(logging.NullHandler())
    logging.getLogger("asyncssh").propagate = False


def _loop_errors(loop: asyncio.AbstractEventLoop) -> None:
    """asyncio's unhandled errors: the first of each kind logged whole, the rest counted."""
    tally = Tally(log, "loop-error")
    seen: set[str] = set()

    def handler(loop: asyncio.AbstractEventLoop, context: dict) -> None:
        exc = context.get("exception")
        kind = type(exc).__name__ if exc is not None else "error"
        if kind not in seen:
            seen.add(kind)
            log.warning("loop-error %s: %s (later ones are counted)", context.get("message", ""), exc)
        else:
            tally.add(kind)

    loop.set_exception_handler(handler)


def _check_fd_limit(config: SSHConfig) -> str | None:
    """Raise the open-file limit to what the caps need, if allowed; a warning if not."""
    need = config.max_startups + FDS_PER_SESSION * config.max_sessions + 64
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= need:
        return None
    if hard == resource.RLIM_INFINITY or hard >= need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
        return None
    return (f"the open-file limit ({soft}) is low for --max-startups {config.max_startups} and "
            f"--max-sessions {config.max_sessions} (about {need} needed); raise `ulimit -n` or lower them")


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
        f"  logging in at most {config.max_startups} at once, {duration_words(config.login_grace)} each, "
        f"{config.max_auth_tries} tries",
        f"  connect    {_connect_hint(config)}",
        "Ctrl+C stops the server and every session.",
    ])


def _connection_options(registry: Registry, key) -> asyncssh.SSHServerConnectionOptions:
    config = registry.config
    passwords = config.passwords is not None
    return asyncssh.SSHServerConnectionOptions(
        server_factory=lambda: NntuiServer(registry),
        server_host_keys=[key],
        encoding=None, line_editor=False,  # raw bytes both ways: keys, mouse reports, frames
        public_key_auth=bool(config.authorized_keys), password_auth=passwords, kbdint_auth=passwords,
        host_based_auth=False, gss_host=None,
        agent_forwarding=False, x11_forwarding=False, allow_scp=False, sftp_factory=None,
        keepalive_interval=KEEPALIVE_S, keepalive_count_max=3, login_timeout=config.login_grace,
    )


def _admitter(options: asyncssh.SSHServerConnectionOptions, registry: Registry):
    """The gate's `admit`: an asyncssh server connection on an accepted socket.

    What asyncssh.listen() does for each connection asyncio accepts, done for the ones the
    gate lets in (asyncssh has no hook between accept() and its connection object).
    """
    loop = asyncio.get_running_loop()

    def admit(sock: socket.socket) -> asyncssh.SSHServerConnection:
        conn = asyncssh.SSHServerConnection(loop, options)
        task = loop.create_task(loop.connect_accepted_socket(lambda: conn, sock))

        def started(task: asyncio.Task) -> None:
            if task.cancelled() or task.exception() is not None:
                sock.close()
                if registry.gate is not None:
                    registry.gate.settled(conn)

        task.add_done_callback(started)
        return conn

    return admit


async def _serve(config: SSHConfig, key, path, created: bool) -> int:
    registry = Registry(config)
    loop = asyncio.get_running_loop()
    _loop_errors(loop)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        socks = listen_sockets(config.host, config.port)
    except OSError as exc:
        print(f"nntui: --host/--port: cannot listen on {config.host}:{config.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    admit = _admitter(_connection_options(registry, key), registry)
    gate = registry.gate = Gate(socks, config.max_startups, admit, log, registry.preauth)
    gate.start()
    print(_banner(config, key, path, created), flush=True)
    warning = _check_fd_limit(config)
    if warning:
        log.warning("warning: %s", warning)
    await stop.wait()
    log.info("shutting down: closing %d session(s)", len(registry.sessions))
    gate.close()
    await registry.close_all(SHUTTING_DOWN)
    return 0


def run(config: SSHConfig) -> int:
    try:
        key, path, created = load_or_create_host_key()
    except HostKeyError as exc:
        print(f"nntui: {exc}", file=sys.stderr)
        return 1
    _setup_logging()
    return asyncio.run(_serve(config, key, path, created))
