"""A stand-in for the app under `nntui serve web`: it speaks textual-serve's protocol and reports.

Starts in ~50 ms instead of seconds (no Textual, no torch), so the server's own rules can be
tested quickly. It sends back, as JSON in data packets: at start what it was given (size,
user, folder, argv), then each resize and each key it receives. Set in its environment:
FAKE_HANG=1 ignore "quit"; FAKE_TRAINER=1 start a child that outlives it, as a stuck trainer would.
"""

import json
import os
import subprocess
import sys


def send(value) -> None:
    payload = json.dumps(value).encode()
    sys.stdout.buffer.write(b"D" + len(payload).to_bytes(4, "big") + payload)
    sys.stdout.buffer.flush()


def main() -> None:
    sys.stdout.buffer.write(b"__GANGLION__\n")
    trainer = None
    if os.environ.get("FAKE_TRAINER") == "1":
        trainer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"]).pid
    folder = os.environ.get("NNTUI_SESSION_DIR", "")
    send({"hello": {
        "size": [os.environ.get("COLUMNS"), os.environ.get("ROWS")],
        "user": os.environ.get("NNTUI_USER"), "served": os.environ.get("NNTUI_SERVED"),
        "session_dir": folder, "cwd": os.getcwd(),
        "mode": oct(os.stat(folder).st_mode & 0o777) if folder else None,
        "pid": os.getpid(), "pgid": os.getpgid(0), "trainer": trainer,
        "driver": os.environ.get("TEXTUAL_DRIVER"),
    }})
    stdin = sys.stdin.buffer
    while True:
        head = stdin.read(5)
        if len(head) < 5:
            return
        body = stdin.read(int.from_bytes(head[1:], "big"))
        if head[:1] == b"D":
            send({"stdin": body.decode()})
            continue
        meta = json.loads(body)
        if meta["type"] == "resize":
            send({"resize": [meta["width"], meta["height"]]})
        elif meta["type"] == "quit" and os.environ.get("FAKE_HANG") != "1":
            return


if __name__ == "__main__":
    main()
