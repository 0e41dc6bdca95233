"""`nntui serve web`: textual-serve answers with the page that runs the app in a browser.

No browser here, so the page is fetched and read; the app itself is the one the SSH tests drive.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import urllib.request

import aiohttp
import pyte
import pytest
from ssh_harness import free_port, processes, wait_until
from typer.testing import CliRunner

from nntui.cli import cli
from nntui.serve.web import app_command_line

BROWSER_ZH = "神经网络基础"  # the first chapter's title in Chinese: the app runs, in --lang zh


@pytest.fixture
def web_server(tmp_path):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "nntui", "serve", "web", "--port", str(port), "--lang", "zh"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path,
    )
    server.port = port
    yield server
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
    try:
        server.output, _ = server.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.output, _ = server.communicate()


def get(url: str, page: dict) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            page["status"], page["html"] = response.status, response.read().decode()
        return True
    except OSError:
        return False


async def test_the_web_page_runs_the_app_in_its_language(web_server):
    page: dict = {}
    url = f"http://127.0.0.1:{web_server.port}"
    assert wait_until(lambda: get(url + "/", page) or web_server.poll() is not None, 30, interval=0.2)
    assert web_server.poll() is None, web_server.stdout.read().decode()
    assert page["status"] == 200
    html = page["html"]
    assert "<html" in html.lower() and "js/textual.js" in html  # the script that draws the app
    assert f"ws://127.0.0.1:{web_server.port}/ws" in html  # where that script connects

    # What the page's script does: open the websocket; the server starts `nntui` for it.
    screen = pyte.Screen(100, 30)
    stream = pyte.ByteStream(screen)
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"ws://127.0.0.1:{web_server.port}/ws?width=100&height=30") as ws:
            deadline = asyncio.get_running_loop().time() + 40
            while BROWSER_ZH not in "\n".join(screen.display):
                left = deadline - asyncio.get_running_loop().time()
                assert left > 0, "\n".join(screen.display)
                message = await ws.receive(timeout=left)
                if message.type == aiohttp.WSMsgType.BINARY:
                    stream.feed(message.data)
                elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    raise AssertionError(f"the app's websocket closed: {message}")
    # The tab closed: textual-serve tells the app to quit, and it takes its trainer with it.
    assert wait_until(lambda: not children(web_server.pid), 20), children(web_server.pid)
    web_server.send_signal(signal.SIGINT)
    out, _ = web_server.communicate(timeout=15)
    assert f"http://127.0.0.1:{web_server.port}" in out.decode()


def children(pid: int) -> set[int]:
    """Live descendants of pid (the apps textual-serve started, and their trainers)."""
    table = processes()
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, (state, ppid, _) in table.items() if ppid in frontier and state != "Z"}
        found |= frontier
    return found


def test_the_app_command_quotes_the_interpreter():
    line = app_command_line("zh")
    assert line.endswith("-m nntui --lang zh")
    assert sys.executable in line or repr(sys.executable) in line


def test_bad_web_options_exit_2_naming_the_flag():
    result = CliRunner().invoke(cli, ["serve", "web", "--lang", "fr"])
    assert result.exit_code == 2 and "--lang: expected one of en, zh" in result.output
