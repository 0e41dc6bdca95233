"""`nntui serve web`: the same app in a browser page, through textual-serve.

A thin subclass of textual-serve's Server (and of its AppService, one per tab):
- every request but the page's static files passes web_guard's login and Origin check;
- a seat limit and an idle timeout, as `serve ssh` has, and the page's terminal size clamped;
- each app is started as the installed package (`python -P -m nntui`, never through a shell,
  never importing the server's working folder), in a private session folder, in a process
  group of its own so that stopping it stops its trainer too.
The app speaks to textual-serve over its stdin/stdout, so nothing else may write there: the
trainer already sends its fds 1 and 2 to a log or /dev/null (runtime/worker.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import socket
import sys
import time
from pathlib import Path

import aiohttp_jinja2
from aiohttp import WSCloseCode, WSMsgType, web
from aiohttp.web_runner import GracefulExit
from textual_serve.app_service import AppService
from textual_serve.server import Server

from nntui.serve.logline import quoted
from nntui.serve.terminal import app_command, new_session_dir, remove_session_dir
from nntui.serve.web_config import WebConfig, page_size
from nntui.serve.web_guard import USER, Guard, peer

log = logging.getLogger("nntui.serve")

HEARTBEAT_S = 15  # textual-serve's: a closed laptop frees its seat after about two of these
MAX_MESSAGE = 1 << 20  # one key press, resize or paste from the page; textual-serve allows 4 MiB
STOP_GRACE_S = 3.0  # after "quit", how long an app gets before its process group is killed
SHUTTING_DOWN = "the server is shutting down"
# What textual-serve sets for its app (the web driver, its size, colours): taken from its own
# environment builder, so a newer textual-serve's additions come along.
_TEXTUAL_SERVE_KEYS = re.compile(r"TEXTUAL.*|TERM_PROGRAM.*|COLUMNS|ROWS")
# A browser's Host header, as the page's own WebSocket address is built from it.
_HOST_HEADER = re.compile(r"(?:[A-Za-z0-9-]{1,63}\.)*[A-Za-z0-9-]{1,63}(?::\d{1,5})?|\[[0-9A-Fa-f:.]+\](?::\d{1,5})?")


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} minutes" if seconds >= 120 else f"{seconds:.0f} seconds"


class WebApp(AppService):
    """One tab's app: started without a shell, in its own folder and process group; stopped for sure."""

    def __init__(self, session: WebSession, server: NntuiWebServer) -> None:
        ws = session.ws
        super().__init__("nntui", write_bytes=ws.send_bytes, write_str=ws.send_str, close=self._app_exited,
                         download_manager=server.download_manager)
        self.session, self.config = session, server.config
        self.session_dir: Path | None = None
        self._stopped = False

    async def _open_app_process(self, width: int = 80, height: int = 24):
        self.session_dir = new_session_dir(self.session.user, "web")  # mode 0700
        argv, env = app_command(self.config.lang, self.session.user, self.session_dir, threads=self.config.threads)
        served = self._build_environment(width=width, height=height)
        env.update({key: value for key, value in served.items() if _TEXTUAL_SERVE_KEYS.fullmatch(key)})
        self._process = process = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=env, cwd=self.session_dir,
            start_new_session=True,  # its own process group: killpg stops the app and its trainer
        )
        self._stdin = process.stdin
        self.session.pid = process.pid
        return process

    async def _app_exited(self) -> None:
        """The app said it is quitting (the student pressed q): the tab's session ends with it."""
        if not self._stopped:  # (when the server stopped it, the reason is the server's)
            self.session.end_reason = self.session.end_reason or "the app ended"
        await self.session.ws.close()

    def _signal_group(self, sig: int) -> None:
        if self._process is not None:
            try:
                os.killpg(self._process.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass

    async def stop(self) -> None:
        """Ask the app to quit; kill its group if it has not within STOP_GRACE_S; remove its folder."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if self._task is not None:
                try:
                    await asyncio.wait_for(super().stop(), STOP_GRACE_S)
                except asyncio.TimeoutError:
                    log.info("app pid=%s did not quit in %.0fs: killed", self.session.pid, STOP_GRACE_S)
            self._signal_group(signal.SIGKILL)  # what is left: a hung app, or a trainer it left behind
            if self._process is not None:
                await self._process.wait()
        finally:
            remove_session_dir(self.session_dir)

    async def set_terminal_size(self, width: int, height: int) -> None:
        size = page_size(width, height)
        if size is not None:
            await super().set_terminal_size(*size)


class WebSession:
    def __init__(self, ws: web.WebSocketResponse, request: web.Request) -> None:
        self.ws = ws
        self.user = request[USER]
        self.peer = peer(request)
        self.started = self.last_input = time.monotonic()
        self.pid: int | None = None
        self.app: WebApp | None = None
        self.end_reason: str | None = None  # set by the server when it ends the session itself
        self.done = asyncio.Event()


class NntuiWebServer(Server):
    def __init__(self, config: WebConfig) -> None:
        super().__init__("nntui", host=config.host, port=config.port, title="nntui", public_url=config.public_url)
        self.config = config
        self.guard = Guard(config)
        self.sessions: set[WebSession] = set()
        self.closing = False

    # ---- the server ----------------------------------------------------------------------------
    def initialize_logging(self) -> None:
        # Plain lines, one per event (textual-serve's Rich handler would interpret brackets);
        # no access log: it would print every page's ?token=.
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", datefmt="%Y-%m-%d %H:%M:%S"))
        for name in ("nntui.serve", "textual-serve"):
            logger = logging.getLogger(name)
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self.guard.middleware)
        return app

    def serve(self, debug: bool = False) -> None:
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.request_exit)
        web.run_app(self._make_app(), host=self.host, port=self.port, handle_signals=False, loop=loop,
                    print=self._listening, access_log=None, shutdown_timeout=STOP_GRACE_S + 2)

    def request_exit(self) -> None:
        raise GracefulExit()

    def _listening(self, _aiohttp_line: str) -> None:
        """run_app's own "Running on" line, printed once the port is bound: the banner instead."""
        print(self.banner(), flush=True)

    async def on_startup(self, app: web.Application) -> None:
        pass  # textual-serve prints its logo here, before the port is even bound

    async def on_shutdown(self, app: web.Application) -> None:
        self.closing = True
        log.info("shutting down: closing %d session(s)", len(self.sessions))
        sessions = list(self.sessions)
        for session in sessions:  # a session already ending keeps its own reason
            session.end_reason = session.end_reason or SHUTTING_DOWN
        await asyncio.gather(*(s.app.stop() for s in sessions if s.app), return_exceptions=True)
        for session in sessions:  # the apps are gone: the message is the last thing on each page
            await self._say(session.ws, f"{SHUTTING_DOWN}.")
            await session.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")
        waiting = [asyncio.ensure_future(session.done.wait()) for session in sessions]
        if waiting:
            await asyncio.wait(waiting, timeout=2)

    def address(self) -> str:
        if self.config.public_url:
            url = self.config.public_url
        else:
            host = self.config.host
            if host in ("0.0.0.0", "::", ""):
                host = socket.gethostname()
            url = f"http://{f'[{host}]' if ':' in host else host}:{self.config.port}"
        return f"{url}/?token={self.config.token}" if self.config.token else f"{url}/"

    def banner(self) -> str:
        config = self.config
        idle = _minutes(config.idle_timeout) if config.idle_timeout else "off"
        threads = f"{config.threads} torch thread{'s' if config.threads > 1 else ''}"
        return "\n".join([
            f"nntui serve web: listening on {config.host}:{config.port}",
            f"  login      {config.auth_summary}",
            f"  seats      {config.max_sessions}, idle timeout {idle}, {threads} each",
            f"  open       {self.address()}",
            "Ctrl+C stops the server and every session.",
        ])

    # ---- the page ------------------------------------------------------------------------------
    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict:
        context = await Server.handle_index.__wrapped__(self, request)
        if not self.config.public_url and _HOST_HEADER.fullmatch(request.host):
            # The address the browser used, not --host: with 0.0.0.0 textual-serve would send
            # the page to ws://0.0.0.0:8000, which no browser elsewhere can reach.
            context["app_websocket_url"] = f"ws://{request.host}/ws"
            context["config"]["static"]["url"] = f"http://{request.host}/static/"
        return context

    # ---- one tab -------------------------------------------------------------------------------
    def _count(self) -> str:
        return f"sessions={len(self.sessions)}/{self.config.max_sessions}"

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S, max_msg_size=MAX_MESSAGE)
        asked = request.query.get("width", "80"), request.query.get("height", "24")
        size = page_size(*asked) or (80, 24)
        await ws.prepare(request)
        session = WebSession(ws, request)
        if self.closing or len(self.sessions) >= self.config.max_sessions:
            why = SHUTTING_DOWN if self.closing else f"all {self.config.max_sessions} seats are taken"
            log.info("refused peer=%s %s (%s) user=%s", session.peer, self._count(), why, quoted(session.user))
            await self._say(ws, f"{why}; please try again in a few minutes.")
            await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=why.encode()[:120])
            return ws
        self.sessions.add(session)
        app = session.app = WebApp(session, self)
        reason = "closed by the browser"
        try:
            await app.start(*size)
            clamped = "" if asked == tuple(map(str, size)) else f" (asked {quoted(asked[0])}x{quoted(asked[1])})"
            log.info("connect peer=%s %s pid=%s size=%dx%d%s user=%s", session.peer, self._count(), session.pid,
                     *size, clamped, quoted(session.user))
            reason = await self._pump(session, app)
        except asyncio.CancelledError:
            reason = SHUTTING_DOWN
        except Exception as error:  # an app that cannot start: say so in the log, free the seat
            reason = f"error: {error}"
            log.exception("session peer=%s failed", session.peer)
        finally:
            await app.stop()
            reason = session.end_reason or reason
            if not ws.closed:
                await self._say(ws, f"the session was closed: {reason}.")
                await ws.close()
            self.sessions.discard(session)
            log.info("disconnect peer=%s %s duration=%.1fs (%s) user=%s", session.peer, self._count(),
                     time.monotonic() - session.started, reason, quoted(session.user))
            session.done.set()
        return ws

    async def _say(self, ws: web.WebSocketResponse, text: str) -> None:
        """A line in the page's terminal, after whatever the app left there."""
        try:
            await ws.send_bytes(f"\x1b[0m\x1b[?25h\r\n\r\n  nntui: {text}\r\n".encode())
        except (ConnectionError, RuntimeError):
            pass

    async def _pump(self, session: WebSession, app: WebApp) -> str:
        """The page's messages to the app until the page goes, the app ends, or the session idles out."""
        idle = self.config.idle_timeout
        ws = session.ws
        while True:
            left = None
            if idle:
                left = max(session.last_input + idle - time.monotonic(), 0.001)  # 0 would mean "no timeout"
            try:
                message = await ws.receive(timeout=left)
            except asyncio.TimeoutError:
                session.end_reason = session.end_reason or f"no key pressed for {_minutes(idle)}"
                return session.end_reason
            if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                session.end_reason = session.end_reason or "closed by the browser"
                return session.end_reason
            if message.type != WSMsgType.TEXT:
                continue
            try:
                kind, data = message.json()[:2]
            except (ValueError, TypeError, KeyError):
                continue  # not what the page's script sends: ignored, like an unknown type
            if kind == "stdin" and isinstance(data, str):
                session.last_input = time.monotonic()
                await app.send_bytes(data.encode("utf-8", "replace"))
            elif kind == "resize" and isinstance(data, dict):
                await app.set_terminal_size(data.get("width"), data.get("height"))
            elif kind == "ping" and isinstance(data, (str, int, float)):
                await ws.send_json(["pong", data])
            elif kind == "blur":
                await app.blur()
            elif kind == "focus":
                await app.focus()


def serve_web(config: WebConfig) -> int:
    server = NntuiWebServer(config)
    try:
        server.serve()
    except OSError as exc:
        print(f"nntui: --host/--port: cannot listen on {config.host}:{config.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    return 0
