"""Memory of `nntui serve web` sessions: real server, real apps, aiohttp's WebSocket client.

    python tests/web_memory.py [SESSIONS]      (default 4; then one more at ?width=10000&height=10000)

Prints, per session, the PSS and RSS of its process group (the app and its trainer), and the
server's own. PSS counts shared pages (Python, torch's libraries) once across processes, so
the PSS sum is what the machine really spends; RSS counts them in every process.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import aiohttp
import pyte

sys.path.insert(0, str(Path(__file__).parent))
from ssh_harness import free_port, processes  # noqa: E402

READY = "神经网络基础"  # the lesson browser is drawn (--lang zh)


def memory_kib(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process in KiB, from /proc/PID/smaps_rollup."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    fields = dict(re.findall(r"^(\w+):\s+(\d+) kB", text, re.M))
    return int(fields.get("Pss", 0)), int(fields.get("Rss", 0))


def group_memory(pgid: int) -> tuple[int, int, list[str]]:
    members = [pid for pid, (state, _, pg) in processes().items() if pg == pgid and state != "Z"]
    pss = rss = 0
    parts = []
    for pid in members:
        p, r = memory_kib(pid)
        pss, rss = pss + p, rss + r
        parts.append(f"{what(pid)} {p // 1024}")
    return pss, rss, parts


def what(pid: int) -> str:
    """app, trainer or tracker: what the process of a session is, from its command line."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    text = b" ".join(argv).decode(errors="replace")
    return "tracker" if "resource_tracker" in text else "trainer" if "spawn" in text else "app"


async def open_session(http, port: int, token: str, width: int, height: int):
    ws = await http.ws_connect(f"ws://127.0.0.1:{port}/ws?token={token}&width={width}&height={height}")
    screen = pyte.Screen(min(width, 500), min(height, 200))
    stream = pyte.ByteStream(screen)
    while READY not in "\n".join(screen.display):
        message = await ws.receive(timeout=60)
        if message.type != aiohttp.WSMsgType.BINARY:
            raise RuntimeError(f"session closed: {message}")
        stream.feed(message.data)
    return ws


async def measure(port: int, token: str, server_pid: int, count: int) -> None:
    async with aiohttp.ClientSession() as http:
        sockets = [await open_session(http, port, token, 100, 30) for _ in range(count)]
        sockets.append(await open_session(http, port, token, 10000, 10000))
        await asyncio.sleep(5)  # the trainers have imported torch and settled
        groups = sorted({pg for pid, (state, ppid, pg) in processes().items() if ppid == server_pid})
        total = 0
        for number, pgid in enumerate(groups, 1):
            pss, rss, parts = group_memory(pgid)
            total += pss
            size = "500x200 (asked 10000x10000)" if number == len(groups) else "100x30"
            print(f"session {number} {size:28} PSS {pss / 1024:6.0f} MiB  RSS {rss / 1024:6.0f} MiB  "
                  f"({', '.join(parts)} MiB)")
        server_pss, server_rss = memory_kib(server_pid)
        print(f"server                               PSS {server_pss / 1024:6.0f} MiB  RSS {server_rss / 1024:6.0f} MiB")
        print(f"all {len(groups)} sessions: PSS {total / 1024:.0f} MiB, {total / 1024 / max(len(groups), 1):.0f} MiB each")
        for ws in sockets:
            await ws.close()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    port = free_port()
    with tempfile.TemporaryDirectory() as home:
        server = subprocess.Popen(
            [sys.executable, "-m", "nntui", "serve", "web", "--port", str(port), "--lang", "zh",
             "--max-sessions", str(count + 1)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=home,
            env=dict(os.environ, NNTUI_HOME=home),
        )
        try:
            token = None
            while token is None:
                line = server.stdout.readline()
                if not line:
                    raise SystemExit("the server did not start")
                if found := re.search(r"\?token=([\w-]+)", line):
                    token = found.group(1)
            asyncio.run(measure(port, token, server.pid, count))
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
