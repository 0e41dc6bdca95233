"""`nntui serve ssh` end to end: time to first screen, memory per session, bytes/s while training.

Run by hand from the repository root (never by pytest; needs the OpenSSH client `ssh`):
    .venv/bin/python benchmarks/bench_ssh.py [--rounds 3] [--size 120x40] [--seconds 10]

It starts `nntui serve ssh --open` on a free loopback port (NNTUI_HOME a temporary folder) and
connects with the real `ssh -tt` on a pseudo-terminal whose output is rendered by pyte
(tests/ssh_harness.py), TERM=xterm-256color, so COLORTERM=truecolor is inferred. Then:
  1. connect -> lesson browser: `--rounds` times, from starting `ssh` to the first chapter's
     title on screen (key exchange, login, app start; the trainer's torch import overlaps);
  2. memory of one session once its trainer has warmed up (5 s after the browser shows): the
     sum over the session's process group (the app, its trainer, multiprocessing's resource
     tracker) of RSS, and of PSS (shared pages split between the processes that map them);
  3. steady-state bytes/s sent to the client while `mnist-ladder` trains: opened from the
     browser with `/ mnist <enter> <enter>`, `r` pressed, and the terminal's output counted
     in one-second buckets over `--seconds` seconds in which the status line says "running"
     (a run that finishes is restarted with `r`; seconds that straddle a restart are dropped).
     These are the bytes ssh writes to its terminal (the app's output, after decryption);
     the wire adds SSH framing and MAC, a few per cent.
The machine's load moves every number: compare runs made side by side.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from ssh_harness import SSH, Server, SshTerm, group, wait_until  # noqa: E402

BROWSER = "Neural network basics"
RUNNING = "● running"


def kib(path: str, field: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory(pgid: int) -> tuple[float, float, int]:
    """(RSS MiB, PSS MiB, processes) summed over a process group."""
    pids = group(pgid)
    rss = sum(kib(f"/proc/{pid}/status", "VmRSS:") for pid in pids)
    pss = sum(kib(f"/proc/{pid}/smaps_rollup", "Pss:") for pid in pids)
    return rss / 1024, pss / 1024, len(pids)


def first_screen(port: int, cols: int, rows: int) -> float:
    term = SshTerm(port, cols=cols, rows=rows)
    try:
        if not term.wait_text(BROWSER, 60):
            raise RuntimeError(f"no lesson browser:\n{term.text()}")
        took = term.first_seen[BROWSER] - term.started
        term.press("q")
        term.wait_exit(20)
        return took
    finally:
        term.close()


def bandwidth(term: SshTerm, seconds: int) -> list[int]:
    """Bytes in each whole second during which the lesson trained throughout."""
    buckets: list[int] = []
    restarts = 0
    while len(buckets) < seconds:
        if not term.shows(RUNNING):
            term.press("r")
            restarts += 1
            if restarts > 20 or not term.wait_text(RUNNING, 60):
                raise RuntimeError(f"the lesson does not train:\n{term.text()}")
            time.sleep(1.0)  # the restart's own redraw is not steady state
            continue
        start = time.monotonic()
        time.sleep(1.0)
        if not term.shows(RUNNING):
            continue  # finished (or diverged) within the second: not steady state
        with term.lock:
            buckets.append(sum(n for t, n in term.chunks if start <= t < start + 1.0))
    return buckets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", default="120x40")
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if SSH is None:
        sys.exit("bench_ssh: needs the OpenSSH client `ssh`")
    cols, rows = (int(n) for n in args.size.lower().split("x"))
    home = Path(tempfile.mkdtemp(prefix="nntui-bench-ssh-"))
    server = Server(home, "--open", "--idle-timeout", "0")
    try:
        times = [first_screen(server.port, cols, rows) for _ in range(args.rounds)]
        print(f"connect -> lesson browser ({args.size}): median {statistics.median(times):.2f} s, "
              f"runs {', '.join(f'{t:.2f}' for t in times)}")

        term = SshTerm(server.port, cols=cols, rows=rows)
        try:
            assert term.wait_text(BROWSER, 60), term.text()
            [app] = server.app_pids()
            time.sleep(5)  # the trainer imports torch and warms up meanwhile
            rss, pss, n = memory(app)
            print(f"one session, browser, trainer warm: RSS {rss:.0f} MiB, PSS {pss:.0f} MiB ({n} processes)")

            term.press("/")
            time.sleep(0.5)  # keys sent before the search box has focus go to the tree ("s": screenshot)
            term.press("mnist")
            if not wait_until(lambda: not term.shows("Neurons and activations"), 10):  # the list filtered
                raise RuntimeError(f"the search did not filter:\n{term.text()}")
            term.press("\r")  # leave the search box for the tree, cursor on the first match
            time.sleep(0.5)
            term.press("\r")  # open it
            if not term.wait_text("r restart", 30) or not term.shows("MNIST"):
                raise RuntimeError(f"mnist-ladder did not open:\n{term.text()}")
            term.press("r")
            if not term.wait_text(RUNNING, 60):
                raise RuntimeError(f"the lesson does not train:\n{term.text()}")
            time.sleep(2.0)
            buckets = bandwidth(term, args.seconds)
            rss, pss, n = memory(app)
            print(f"while mnist-ladder trains: RSS {rss:.0f} MiB, PSS {pss:.0f} MiB ({n} processes)")
            print(f"bytes to the client while training ({args.size}, {len(buckets)} s): "
                  f"{sum(buckets) / len(buckets) / 1024:.1f} KB/s mean, "
                  f"median {statistics.median(buckets) / 1024:.1f}, max {max(buckets) / 1024:.1f} KB/s per second")
            print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        finally:
            term.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
