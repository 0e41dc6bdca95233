"""`nntui serve web`: the same app in a browser page, through textual-serve.

textual-serve starts one app process per browser tab (`python -m nntui`, which starts its own
trainer) and speaks to it over the app's stdin/stdout, so nothing else may write there: the
trainer already sends its fds 1 and 2 to a log or /dev/null (runtime/worker.py).
"""

from __future__ import annotations

import shlex
import sys

from nntui.serve.config import is_loopback


def app_command_line(lang: str) -> str:
    # textual-serve runs this through a shell: quote the interpreter's path (it may hold spaces).
    return shlex.join([sys.executable, "-m", "nntui", "--lang", lang])


def serve_web(host: str, port: int, lang: str, public_url: str | None = None) -> None:
    from textual_serve.server import Server

    if not is_loopback(host):
        print(
            f"nntui: warning: --host {host}: the web page has no login; anyone who can reach "
            f"port {port} gets an app on this machine",
            file=sys.stderr,
        )
    server = Server(app_command_line(lang), host=host, port=port, title="nntui", public_url=public_url)
    print(f"nntui serve web: open {server.public_url} in a browser", flush=True)
    server.serve()
