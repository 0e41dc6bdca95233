"""`nntui serve ssh` under attack: idle connections held against it, a huge terminal, password guessing.

Run by hand from the repository root (never by pytest; needs the OpenSSH client `ssh`):
    .venv/bin/python benchmarks/bench_ssh_attacks.py flood [--connections 1000] [--nofile 1024] [--seconds 20]
    .venv/bin/python benchmarks/bench_ssh_attacks.py size [--size 10000x10000] [--seconds 20]
    .venv/bin/python benchmarks/bench_ssh_attacks.py guess [--seconds 5] [--parallel 8]
Add `--code DIR` to run the server (and its apps) from another copy of the source, e.g. the
code before a change: `git archive HEAD | tar -x -C DIR` (it goes first on PYTHONPATH).

flood  The server runs with an open-file limit of --nofile (as `ulimit -n 1024`) and
       --authorized-keys. A separate attacker process holds --connections TCP connections
       that never send a byte, and opens a new one whenever the server closes one (so
       about 1,000 are open or being opened at all times), at most --rate a second. Meanwhile --rounds times, the real
       `ssh -tt` with a valid key connects; the time from starting ssh to the lesson
       browser on its screen is measured (30 s at most). Reported: those times; the
       server's stderr growth (lines and bytes per second, mean and worst second) over
       --seconds of attack; the attacker's open connections and reconnects per second;
       the server's open file descriptors.
size   The real `ssh -tt` on a pseudo-terminal of --size (pyte renders only the top-left
       500x200); reported: the app's terminal size, and the most RSS and PSS of the
       session's process group (app, trainer, resource tracker), sampled every 0.5 s
       over --seconds after the browser shows, then while the first lesson trains.
guess  --parallel connections from one process try wrong passwords one after another on
       each connection (reconnecting when cut off) for --seconds: wrong guesses answered
       per second, and the server's log lines.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import nntui.serve  # noqa: E402,F401  (before asyncssh: quiets its DSA warnings)

import asyncssh  # noqa: E402
from bench_ssh import memory  # noqa: E402
from ssh_harness import SSH, Server, SshTerm, pty_size, wait_until  # noqa: E402

BROWSER = "Neural network basics"


def code_env(code: str | None) -> dict[str, str]:
    return {"PYTHONPATH": str(Path(code).resolve())} if code else {}


def fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def make_keys(folder: Path) -> tuple[Path, Path]:
    key = asyncssh.generate_private_key("ssh-ed25519")
    private = folder / "student"
    private.write_bytes(key.export_private_key())
    private.chmod(0o600)
    authorized = folder / "authorized_keys"
    authorized.write_bytes(key.export_public_key())
    return private, authorized


# ---- the attacker: a process of its own, so the measuring side keeps its CPU ---------------------------
async def hold(port: int, count: int, rate: float) -> None:
    """Keep `count` idle connections open (reopen what the server closes); print stats each second.

    New connections start at most `rate` a second: a faster burst overflows the kernel's accept
    queue, and connections the server never accepted look open to the client all the same.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    stats = {"open": 0, "opened": 0, "closed": 0, "failed": 0}
    turn = [time.monotonic()]

    async def one() -> None:
        while True:
            turn[0] = max(turn[0] + 1 / rate, time.monotonic())
            await asyncio.sleep(turn[0] - time.monotonic())
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                stats["failed"] += 1
                await asyncio.sleep(0.1)
                continue
            stats["open"] += 1
            stats["opened"] += 1
            try:
                while await reader.read(65536):  # the server's version line, then nothing from us
                    pass
            except OSError:
                pass
            stats["open"] -= 1
            stats["closed"] += 1
            writer.close()

    tasks = [asyncio.create_task(one()) for _ in range(count)]
    while True:
        await asyncio.sleep(1.0)
        print(f"{stats['open']} {stats['opened']} {stats['closed']} {stats['failed']}", flush=True)
        stats.update(opened=0, closed=0, failed=0)
    del tasks


def first_screen(port: int, key: Path, timeout: float = 30) -> float | None:
    term = SshTerm(port, key=key)
    try:
        if not term.wait_text(BROWSER, timeout):
            return None
        took = term.first_seen[BROWSER] - term.started
        term.press("q")
        term.wait_exit(20)
        return took
    finally:
        term.close()


def flood(args) -> None:
    folder = Path(tempfile.mkdtemp(prefix="nntui-bench-flood-"))
    key, authorized = make_keys(folder)
    server = Server(folder, "--authorized-keys", str(authorized), "--idle-timeout", "0",
                    env=code_env(args.code), nofile=args.nofile)
    attacker = subprocess.Popen(
        [sys.executable, __file__, "_hold", str(server.port), str(args.connections), str(args.rate)],
        stdout=subprocess.PIPE, text=True,
    )
    samples: list[list[int]] = []

    def read_attacker() -> None:
        for line in attacker.stdout:
            samples.append([int(n) for n in line.split()])

    import threading

    threading.Thread(target=read_attacker, daemon=True).start()
    try:
        wait_until(lambda: samples and samples[-1][0] >= args.connections * 0.9, 20)
        time.sleep(2.0)  # the burst is over: what follows is the steady state of a held flood
        start_lines, start_bytes, start = len(server.log), server.bytes, time.monotonic()
        ticks = os.sysconf("SC_CLK_TCK")
        start_cpu = cpu_seconds(server.pid, ticks)
        per_second: list[tuple[int, int]] = []
        fd_counts: list[int] = []
        times: list[float | None] = []
        last_lines, last_bytes = start_lines, start_bytes
        next_round = start + 2.0
        while time.monotonic() - start < args.seconds:
            if len(times) < args.rounds and time.monotonic() >= next_round:
                times.append(first_screen(server.port, key))  # (this takes the seconds it takes)
                next_round = time.monotonic() + 2.0
            else:
                time.sleep(1.0)
            per_second.append((len(server.log) - last_lines, server.bytes - last_bytes))
            last_lines, last_bytes = len(server.log), server.bytes
            fd_counts.append(fds(server.pid))
        took = time.monotonic() - start
        server_cpu = (cpu_seconds(server.pid, ticks) - start_cpu) / took
        lines, nbytes = len(server.log) - start_lines, server.bytes - start_bytes
        held = [s[0] for s in samples[-int(took):]]
        reopened = [s[1] for s in samples[-int(took):]]
        print(f"attacker: {statistics.median(held):.0f} connections open (median; min {min(held)}), "
              f"{statistics.mean(reopened):.0f} new connections/s")
        print(f"server: open-file limit {args.nofile}, {max(fd_counts)} descriptors open at most, "
              f"CPU {server_cpu:.0%} of a core")
        shown = ", ".join("none in 30 s" if t is None else f"{t:.2f} s" for t in times)
        print(f"real ssh with a valid key -> lesson browser, {len(times)} rounds during the flood: {shown}")
        print(f"server stderr during {took:.0f} s of flood: {lines} lines, {nbytes} bytes "
              f"({lines / took:.2f} lines/s, {nbytes / took:.0f} B/s mean; worst second "
              f"{max(p[0] for p in per_second)} lines, {max(p[1] for p in per_second)} B)")
        tail = [line[:160] for line in server.log[start_lines:]][-6:]
        print("last lines:\n  " + "\n  ".join(tail))
    finally:
        attacker.kill()
        attacker.wait()
        server.stop()


def size(args) -> None:
    cols, rows = (int(n) for n in args.size.lower().split("x"))
    folder = Path(tempfile.mkdtemp(prefix="nntui-bench-size-"))
    server = Server(folder, "--open", "--idle-timeout", "0", env=code_env(args.code))
    term = SshTerm(server.port, cols=cols, rows=rows, screen=(min(cols, 500), min(rows, 200)))
    try:
        if not wait_until(lambda: server.app_pids(), 30):
            raise RuntimeError(f"no app: {server.log}")
        [app] = server.app_pids()
        shown = term.wait_text(BROWSER, 60)
        print(f"client {cols}x{rows}: the app's terminal is {'x'.join(map(str, pty_size(app)))}; "
              f"browser {'shown' if shown else 'not seen on the top-left 500x200'}")

        def peak(seconds: float) -> tuple[float, float, float]:
            rss = pss = cpu = 0.0
            ticks = os.sysconf("SC_CLK_TCK")
            t0, c0 = time.monotonic(), cpu_seconds(app, ticks)
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                r, p, _ = memory(app)
                rss, pss = max(rss, r), max(pss, p)
                time.sleep(0.5)
            cpu = (cpu_seconds(app, ticks) - c0) / (time.monotonic() - t0)
            return rss, pss, cpu

        rss, pss, cpu = peak(args.seconds)
        print(f"browser, {args.seconds:.0f} s: most RSS {rss:.0f} MiB, PSS {pss:.0f} MiB; app CPU {cpu:.0%} of a core")
        term.press("\r")  # the first lesson of the first chapter
        time.sleep(1.0)
        term.press("\r")
        time.sleep(2.0)
        term.press("r")
        running = term.wait_text("● running", 30)
        rss, pss, cpu = peak(args.seconds)
        print(f"first lesson, {'training' if running else 'NOT seen training'}, {args.seconds:.0f} s: "
              f"most RSS {rss:.0f} MiB, PSS {pss:.0f} MiB; app CPU {cpu:.0%} of a core")
    finally:
        term.close()
        server.stop()


def cpu_seconds(pid: int, ticks: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks
    except OSError:
        return 0.0


class Guesser(asyncssh.SSHClient):
    """Wrong passwords, one after another on one connection; `tries` counts the ones sent."""

    def __init__(self) -> None:
        self.tries = 0

    def password_auth_requested(self) -> str:
        self.tries += 1
        return f"guess{self.tries}"


async def guess_for(port: int, seconds: float, parallel: int) -> int:
    """Wrong guesses the server answered (every try but a connection's last, and that one too
    when the server cut the connection off for it rather than for the login timeout)."""
    answered = [0]
    end = time.monotonic() + seconds

    async def one() -> None:
        while time.monotonic() < end:
            client = Guesser()
            try:
                await asyncssh.connect(
                    "127.0.0.1", port, known_hosts=None, agent_path=None, client_keys=None, config=None,
                    username="alice", client_factory=lambda: client, preferred_auth="password", kbdint_auth=False,
                )
            except asyncssh.PermissionDenied:
                answered[0] += client.tries
                continue
            except (asyncssh.Error, OSError):
                pass
            except asyncio.CancelledError:
                answered[0] += max(client.tries - 1, 0)
                raise
            answered[0] += max(client.tries - 1, 0)

    tasks = [asyncio.create_task(one()) for _ in range(parallel)]
    await asyncio.wait(tasks, timeout=seconds)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return answered[0]


def guess(args) -> None:
    folder = Path(tempfile.mkdtemp(prefix="nntui-bench-guess-"))
    passwords = folder / "passwords"
    passwords.write_text("alice:the right one\n")
    passwords.chmod(0o600)
    server = Server(folder, "--password-file", str(passwords), env=code_env(args.code))
    try:
        start_lines = len(server.log)
        answered = asyncio.run(guess_for(server.port, args.seconds, args.parallel))
        time.sleep(0.5)
        lines = server.log[start_lines:]
        failed = [line for line in lines if " login-failed " in line]
        print(f"{args.parallel} connections from one address, {args.seconds:.0f} s: {answered} wrong guesses "
              f"answered ({answered / args.seconds:.1f}/s); server log: {len(lines)} lines, "
              f"{len(failed)} of them login-failed")
        if failed:
            print(f"  e.g. {failed[-1]}")
    finally:
        server.stop()


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "_hold":
        asyncio.run(hold(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("flood", "size", "guess"))
    parser.add_argument("--code", help="run the server from this copy of the source (PYTHONPATH)")
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--nofile", type=int, default=1024)
    parser.add_argument("--rate", type=float, default=2000.0, help="flood: new connections a second, at most")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--size", default="10000x10000")
    parser.add_argument("--parallel", type=int, default=8)
    args = parser.parse_args()
    if SSH is None and args.mode != "guess":
        sys.exit("bench_ssh_attacks: needs the OpenSSH client `ssh`")
    args.seconds = args.seconds or {"flood": 20.0, "size": 10.0, "guess": 5.0}[args.mode]
    {"flood": flood, "size": size, "guess": guess}[args.mode](args)


if __name__ == "__main__":
    main()
