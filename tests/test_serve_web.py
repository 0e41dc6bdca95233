"""`nntui serve web`: the login, the Origin check, seats, idle timeout and size clamp, with a
real HTTP/WebSocket client (aiohttp's) over TCP.

The server's rules are tested in-process against web_fake_app.py (it starts in ~50 ms and
reports what it was given); one test runs the real server and the real app, in Chinese.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import aiohttp
import pyte
import pytest
from aiohttp import web
from ssh_harness import free_port, processes, wait_until
from typer.testing import CliRunner

import nntui.serve.web as web_module
import nntui.serve.auth as auth_module
from nntui.cli import cli
from nntui.serve.config import ConfigError
from nntui.serve.web_config import build_web_config, page_size

FAKE_APP = str(Path(__file__).with_name("web_fake_app.py"))
BROWSER_ZH = "神经网络基础"  # the first chapter's title in Chinese: the app runs, in --lang zh
CLOSED = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED)


def options(**changes):
    base = dict(host="127.0.0.1", port=8000, lang="en", public_url=None, password_file=None, open_=False,
                public=False, max_sessions=8, idle_timeout=1800, threads=1)
    return base | changes


class Running:
    def __init__(self, server: web_module.NntuiWebServer, runner: web.AppRunner) -> None:
        self.server, self.runner, self.config = server, runner, server.config
        self.base = f"http://127.0.0.1:{self.config.port}"
        self.ws_url = f"ws://127.0.0.1:{self.config.port}/ws"
        self.token = self.config.token


@pytest.fixture
async def serve(monkeypatch, caplog):
    """Start an in-process server whose apps are web_fake_app.py (with the real argv's environment)."""
    real = web_module.app_command

    def fake_command(*args, **kwargs):
        argv, env = real(*args, **kwargs)
        assert argv[:4] == [sys.executable, "-P", "-m", "nntui"]  # the contract, before swapping in the fake
        return [sys.executable, FAKE_APP], env

    monkeypatch.setattr(web_module, "app_command", fake_command)
    caplog.set_level(logging.INFO, "nntui.serve")
    runners = []

    async def start(**changes) -> Running:
        config = build_web_config(**options(port=free_port()) | changes)
        server = web_module.NntuiWebServer(config)
        runner = web.AppRunner(await server._make_app(), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", config.port).start()
        runners.append(runner)
        return Running(server, runner)

    yield start
    for runner in runners:
        await runner.cleanup()


async def reply(ws, timeout: float = 10) -> dict:
    """The fake app's next report (or the server's text, as {"text": ...})."""
    message = await ws.receive(timeout=timeout)
    assert message.type == aiohttp.WSMsgType.BINARY, message
    try:
        return json.loads(message.data)
    except ValueError:
        return {"text": message.data.decode()}


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def refused_status(session, url, **kwargs) -> int:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await session.ws_connect(url, **kwargs)
    return refused.value.status


def browser() -> aiohttp.ClientSession:
    """A client that keeps cookies from an IP address, as browsers do (aiohttp's does not by default)."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def test_the_token_lets_in_and_nothing_else(serve, caplog):
    web_server = await serve()
    token = web_server.token
    async with browser() as http:
        for query in ("", "?token=", "?token=" + token[:-1] + "x"):
            async with http.get(web_server.base + "/" + query) as page:
                assert page.status == 403
        assert re.search(r'login-failed peer=127\.0\.0\.1:\d+ method=token user="-"', caplog.text)
        assert await refused_status(http, web_server.ws_url) == 403
        assert await refused_status(http, web_server.ws_url + "?token=wrong") == 403
        # the right token, but from a page on another site: refused all the same
        assert await refused_status(http, f"{web_server.ws_url}?token={token}", origin="http://evil.example") == 403
        async with http.get(web_server.base + "/static/js/textual.js") as script:
            assert script.status == 200  # the page's script needs no login

        async with http.get(f"{web_server.base}/?token={token}") as page:
            assert page.status == 200
            assert f'data-session-websocket-url="{web_server.ws_url}"' in await page.text()
            assert page.headers["Referrer-Policy"] == "no-referrer"  # the token never leaves as a Referer
        # The page's script opens its WebSocket without the token: the page's cookie lets it in.
        async with http.ws_connect(web_server.ws_url + "?width=90&height=30") as ws:
            hello = (await reply(ws))["hello"]
    assert hello["user"] == "web" and hello["served"] == "1" and hello["size"] == ["90", "30"]
    assert hello["cwd"] == hello["session_dir"] and hello["mode"] == "0o700"
    assert hello["driver"] == "textual.drivers.web_driver:WebDriver"
    assert await wait_for(lambda: not os.path.exists(hello["session_dir"]))  # removed with the session


async def test_basic_auth_against_the_password_file(serve, tmp_path, caplog):
    passwords = tmp_path / "passwords.txt"
    passwords.write_text("alice:right horse\n")
    passwords.chmod(0o600)
    web_server = await serve(password_file=passwords)
    assert web_server.token is None  # a password file replaces the token
    alice = basic("alice", "right horse")
    async with aiohttp.ClientSession() as http:
        async with http.get(web_server.base + "/") as page:
            assert page.status == 401 and page.headers["WWW-Authenticate"].startswith("Basic")
        async with http.get(web_server.base + "/", headers=basic("alice", "wrong")) as page:
            assert page.status == 401
        assert re.search(r'login-failed peer=127\.0\.0\.1:\d+ method=basic user="alice"', caplog.text)
        async with http.get(web_server.base + "/", headers=basic('x" y\nfake=1', "no")) as page:
            assert page.status == 401
        assert r'user="x\x22\x20y\x0afake\x3d1"' in caplog.text  # quoted: a user name cannot fake a log field
        assert await refused_status(http, web_server.ws_url, headers=basic("alice", "nope")) == 401
        async with http.ws_connect(web_server.ws_url, headers=alice) as ws:
            assert (await reply(ws))["hello"]["user"] == "alice"

    web_server = await serve(password_file=passwords)  # a fresh brake
    async with aiohttp.ClientSession() as http:
        for _ in range(auth_module.FREE_FAILURES):
            async with http.get(web_server.base + "/", headers=basic("alice", "guess")) as page:
                assert page.status == 401
        started = time.monotonic()
        async with http.get(web_server.base + "/", headers=alice) as page:
            assert page.status == 200  # braked (as serve ssh brakes): it waits its turn, right or wrong
        assert time.monotonic() - started >= auth_module.FIRST_WAIT_S * 0.9


async def test_a_page_from_another_site_gets_no_session(serve, caplog):
    web_server = await serve(open_=True)  # no login at all: only the Origin check stands in the way
    own = f"http://127.0.0.1:{web_server.config.port}"
    async with aiohttp.ClientSession() as http:
        for foreign in ("http://evil.example", "null", f"http://127.0.0.1:{web_server.config.port + 1}",
                        f"https://evil.example:{web_server.config.port}"):
            assert await refused_status(http, web_server.ws_url, origin=foreign) == 403, foreign
        assert re.search(r'refused peer=127\.0\.0\.1:\d+ \(foreign Origin\) origin="http\\x3a\\x2f\\x2fevil.example"',
                         caplog.text)
        # DNS rebinding: evil.example resolving to 127.0.0.1 is still not a name of this server
        headers = {"Host": f"evil.example:{web_server.config.port}"}
        async with http.get(web_server.base + "/", headers=headers) as page:
            assert page.status == 403
        async with http.ws_connect(web_server.ws_url, origin=own) as ws:
            assert "hello" in await reply(ws)
        async with http.ws_connect(f"ws://localhost:{web_server.config.port}/ws",
                                   origin=f"http://localhost:{web_server.config.port}") as ws:
            assert "hello" in await reply(ws)


async def test_seats_are_capped(serve, caplog):
    web_server = await serve(max_sessions=2)
    url = f"{web_server.ws_url}?token={web_server.token}"
    async with aiohttp.ClientSession() as http:
        first = await http.ws_connect(url)
        second = await http.ws_connect(url)
        await reply(first), await reply(second)
        async with http.ws_connect(url) as third:
            assert "all 2 seats are taken" in (await reply(third))["text"]
            closing = await third.receive(timeout=5)
            assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 1013  # "try again later"
        assert "(all 2 seats are taken)" in caplog.text
        await first.close()
        assert await wait_for(lambda: len(web_server.server.sessions) == 1)
        async with http.ws_connect(url) as again:
            assert "hello" in await reply(again)
        await second.close()


async def wait_for(predicate, timeout: float = 10) -> bool:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return predicate()


async def test_terminal_sizes_are_clamped(serve):
    web_server = await serve()
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{web_server.ws_url}?token={web_server.token}&width=10000&height=10000") as ws:
            assert (await reply(ws))["hello"]["size"] == ["500", "200"]
            await ws.send_str(json.dumps(["resize", {"width": 100000, "height": -5}]))
            assert (await reply(ws))["resize"] == [500, 1]
            for junk in ('["resize", {"width": "x", "height": 3}]', '["resize", {"width": NaN, "height": 9}]',
                         '["resize", 5]', '["stdin"]', '{"stdin": 1}', "not json", '["stdin", 7]'):
                await ws.send_str(junk)  # ignored: the session goes on
            await ws.send_str(json.dumps(["resize", {"width": 120, "height": 40}]))
            assert (await reply(ws))["resize"] == [120, 40]
            await ws.send_str(json.dumps(["stdin", "q"]))
            assert (await reply(ws))["stdin"] == "q"


def test_page_sizes_are_read_as_serve_ssh_clamps_them():
    assert page_size("80", "24") == (80, 24)
    assert page_size(10**9, 10**9) == (500, 200)
    assert page_size(0, -3) == (1, 1)
    assert page_size(True, 3) is None and page_size(float("inf"), 3) is None and page_size("9x", 3) is None


async def test_an_idle_session_is_closed_and_its_processes_go(serve, monkeypatch):
    monkeypatch.setenv("FAKE_TRAINER", "1")  # the app leaves a child behind, as a stuck trainer would
    monkeypatch.setattr(web_module, "STOP_GRACE_S", 0.5)  # that child holds the app's stdout open
    web_server = await serve(idle_timeout=0.5)
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{web_server.ws_url}?token={web_server.token}") as ws:
            hello = (await reply(ws))["hello"]
            assert "no key pressed for 0 seconds" in (await reply(ws, timeout=10))["text"]
            assert (await ws.receive(timeout=5)).type in CLOSED
    def group() -> set[int]:
        return {pid for pid, (state, _, pgid) in processes().items() if pgid == hello["pgid"] and state != "Z"}

    assert hello["pgid"] == hello["pid"] and hello["trainer"]  # the app had its own group
    assert await wait_for(lambda: not group(), 2), group()  # SIGKILLed: gone in a moment, trainer too
    assert not os.path.exists(hello["session_dir"])


async def test_an_app_that_ignores_quit_is_killed(serve, monkeypatch):
    monkeypatch.setenv("FAKE_HANG", "1")
    monkeypatch.setattr(web_module, "STOP_GRACE_S", 0.5)
    web_server = await serve()
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{web_server.ws_url}?token={web_server.token}") as ws:
            pid = (await reply(ws))["hello"]["pid"]
    assert await wait_for(lambda: not web_server.server.sessions, 5)
    assert pid not in {p for p, (state, _, _) in processes().items() if state != "Z"}


async def test_shutdown_ends_every_session(serve):
    web_server = await serve()
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{web_server.ws_url}?token={web_server.token}") as ws:
            pid = (await reply(ws))["hello"]["pid"]
            await web_server.runner.cleanup()  # what Ctrl+C and SIGTERM do (run_app's cleanup)
            assert "the server is shutting down" in (await reply(ws))["text"]
            closing = await ws.receive(timeout=5)
            assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 1001  # "going away"
    assert pid not in {p for p, (state, _, _) in processes().items() if state != "Z"}


def test_refusals_name_the_flag():
    def refused(**changes) -> str:
        with pytest.raises(ConfigError) as error:
            build_web_config(**options(**changes))
        return str(error.value)

    assert "--i-know-this-is-public" in refused(host="0.0.0.0", open_=True)
    assert "--idle-timeout: expected seconds >= 0" in refused(idle_timeout=float("nan"))
    assert "--max-sessions: expected at least 1" in refused(max_sessions=0)
    assert "--open lets anyone in" in refused(open_=True, password_file=Path("p.txt"))
    assert "--password-file: cannot read" in refused(password_file=Path("/nonexistent/p.txt"))
    assert "--public-url" in refused(public_url="ftp://x")
    # Reachable from elsewhere: only with a login (the token is one) or said out loud.
    assert build_web_config(**options(host="0.0.0.0")).token
    assert build_web_config(**options(host="0.0.0.0", open_=True, public=True)).open
    result = CliRunner().invoke(cli, ["serve", "web", "--host", "0.0.0.0", "--open"])
    assert result.exit_code == 2 and "--open with --host 0.0.0.0" in result.output
    result = CliRunner().invoke(cli, ["serve", "web", "--lang", "fr"])
    assert result.exit_code == 2 and "--lang: expected one of en, zh" in result.output


def test_the_real_app_runs_in_the_page_in_its_language(tmp_path):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "nntui", "serve", "web", "--port", str(port), "--lang", "zh"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path, text=True,
    )
    log: list[str] = []
    reader = threading.Thread(target=lambda: log.extend(server.stdout), daemon=True)
    try:
        banner = "".join(server.stdout.readline() for _ in range(4))
        token = re.search(rf"http://127\.0\.0\.1:{port}/\?token=([\w-]+)", banner)
        assert token, banner
        reader.start()
        screen = asyncio.run(_real_session(port, token.group(1)))
        assert BROWSER_ZH in screen, screen
        # The tab closed: the app quit, and took its trainer with it.
        assert wait_until(lambda: not children(server.pid), 20), children(server.pid)
        assert wait_until(lambda: any("disconnect" in line for line in log), 20), log
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=15)
        reader.join(timeout=5)
    out = "".join(log)
    assert server.returncode == 0, out
    assert re.search(r'connect peer=127\.0\.0\.1:\d+ sessions=1/8 pid=\d+ size=100x30 user="web"', out), out
    assert "(closed by the browser)" in out


async def _real_session(port: int, token: str) -> str:
    """What the page's script does: open the page (it sets the cookie), then the WebSocket."""
    screen = pyte.Screen(100, 30)
    stream = pyte.ByteStream(screen)
    async with browser() as http:
        async with http.get(f"http://127.0.0.1:{port}/?token={token}") as page:
            assert page.status == 200
        async with http.ws_connect(f"ws://127.0.0.1:{port}/ws?width=100&height=30",
                                   origin=f"http://127.0.0.1:{port}") as ws:
            deadline = asyncio.get_running_loop().time() + 40
            while BROWSER_ZH not in "\n".join(screen.display):
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    break
                message = await ws.receive(timeout=left)
                if message.type != aiohttp.WSMsgType.BINARY:
                    raise AssertionError(f"the app's websocket closed: {message}")
                stream.feed(message.data)
    return "\n".join(screen.display)


def children(pid: int) -> set[int]:
    """Live descendants of pid (the apps the server started, and their trainers)."""
    table = processes()
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, (state, ppid, _) in table.items() if ppid in frontier and state != "Z"}
        found |= frontier
    return found
