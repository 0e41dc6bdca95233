"""End-to-end UI benchmark: key latency and terminal bandwidth while a lesson trains.

Run by hand from the repository root (never by pytest):
    .venv/bin/python benchmarks/bench_ui.py                 # 120x40 and 80x24
    .venv/bin/python benchmarks/bench_ui.py --size 120x40   # one size

It runs the real app, `nntui open mnist-ladder`, in a pseudo-terminal (TERM=xterm-256color,
COLORTERM=truecolor, NNTUI_HOME a temporary folder so no real progress file is touched) and
reads everything the app writes from the master side in a background thread, with timestamps.
For each size, in one run of the app:
  1. wait until the status line says it is training ("● running"); set the epochs control to
     60 and restart with `r` (see below); wait 3 s more;
  2. bandwidth: bytes written in 10 one-second buckets while it trains (KB/s over them, the
     median and max of the per-second counts, the longest gap between two writes), plus the
     CPU the UI process and the trainer used meanwhile (from /proc), and the steps/s the status
     line showed;
  3. key latency, keys 150-400 ms apart, each timed from os.write of the key to the first
     output that holds its effect:
       - 30 presses of `l` (English/中文): the header's new word, "导言" or "Intro". `l`
         re-renders the whole guide (Markdown) and lays the screen out again, several times;
       - 30 presses of j/k (control cursor down/up between the first two controls, in view at
         any size): the cursor's "◂". This repaints one small widget,
     so the pair separates the cost of the key's own work from the cost of training and charts;
  4. the same with training paused (space), as the baseline;
then quits (q, q) and kills the process group if anything is left.

The lesson as shipped trains 12,000 steps, about 7 s here: too short for the measurement. So
it first sets epochs to 60 (--epochs; 0 keeps the default), about 15 s a run, and whenever a
run finishes it presses `r` to train again and waits for "running" and 1 s more. Seconds and
samples that straddle a state change are dropped and taken again (the table counts them).
Each restart adds a run to the charts' overlay (at most 8 are kept).

Textual asks the terminal two DECRQM questions (synchronized output 2026, in-band resize
2048) and never waits for the answer; by default nothing answers them (like xterm). With
--answer-queries the benchmark says "2026 supported", as kitty/WezTerm/iTerm2 do, so frames
come wrapped in synchronized-update brackets.

The machine's load moves every number: the load average is printed with each table; compare
runs made side by side.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import random
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSON = "mnist-ladder"
SETTLE_S = 3.0  # after "running" shows, before measuring
BANDWIDTH_S = 10  # seconds
PAUSED_BANDWIDTH_S = 5
KEY_TIMEOUT_S = 3.0

# The status line starts with a mark and the state's word in either language (widgets/status.py, i18n.py).
STATES = {
    "running": "running", "训练中": "running",
    "paused": "paused", "已暂停": "paused",
    "finished": "finished", "已完成": "finished",
    "starting": "starting", "启动中": "starting",
    "ready": "ready", "就绪": "ready",
    "diverged": "diverged", "已发散": "diverged",
    "error": "error", "出错": "error",
}
STATE_RE = re.compile(("(?:●|‖|✓|✗|…|○) (" + "|".join(STATES) + ")").encode())
STEP_RE = re.compile(rb"  step ([\d,]+)")
RATE_RE = re.compile(rb"  ([\d,]+)/s")
# The lesson header's word for the intro page (i18n.py "intro"): what `l` visibly changes.
HEADER_WORD = {"en": "Intro".encode(), "zh": "导言".encode()}
CURSOR_MARK = "◂".encode()  # only the selected control shows it (widgets/controls.py)
QUERY_2026 = b"\x1b[?2026$p"


@dataclass
class Expectation:
    pattern: bytes
    t_write: float = 0.0
    t_seen: float | None = None


class AppInPty:
    """The app running in a pseudo-terminal, its output read and timestamped in a thread."""

    def __init__(self, cols: int, rows: int, answer_queries: bool) -> None:
        self.home = tempfile.mkdtemp(prefix="nntui-bench-ui-")
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor", NNTUI_HOME=self.home)
        env.pop("NO_COLOR", None)
        exe = ROOT / ".venv" / "bin" / "nntui"
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "nntui"]
        self.proc = subprocess.Popen(
            [*cmd, "open", LESSON], stdin=slave, stdout=slave, stderr=slave,
            env=env, cwd=ROOT, start_new_session=True, close_fds=True,
        )
        os.close(slave)
        self.answer_queries = answer_queries
        self.lock = threading.Condition()
        self.log: list[tuple[float, int]] = []  # (time, bytes) of every read
        self.state = "?"
        self.state_history: list[tuple[float, str]] = []
        self.rates: list[tuple[float, int]] = []
        self.queries: set[bytes] = set()
        self._answered: set[bytes] = set()
        self.expect: Expectation | None = None
        self._tail = b""
        self.closed = False
        self.watch_for = b""
        self.seen_value = False
        self.max_step = 0
        self.cursor_down = False  # j/k move the control cursor between the first two controls
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    # ---- reading ----------------------------------------------------------------------------
    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                data = b""
            now = time.monotonic()
            if not data:
                with self.lock:
                    self.closed = True
                    self.lock.notify_all()
                return
            window = self._tail + data
            with self.lock:
                self.log.append((now, len(data)))
                for m in STATE_RE.finditer(window):
                    if m.end() > len(self._tail):  # not already counted from the last read
                        state = STATES[m.group(1).decode()]
                        self.state = state
                        self.state_history.append((now, state))
                for m in RATE_RE.finditer(window):
                    if m.end() > len(self._tail):
                        self.rates.append((now, int(m.group(1).replace(b",", b""))))
                if self.expect is not None and self.expect.t_seen is None and self.expect.pattern in window:
                    if window.rfind(self.expect.pattern) + len(self.expect.pattern) > len(self._tail):
                        self.expect.t_seen = now
                if self.watch_for and self.watch_for in window:
                    self.seen_value = True
                for m in STEP_RE.finditer(window):
                    self.max_step = max(self.max_step, int(m.group(1).replace(b",", b"")))
                if b"$p" in window:
                    for q in re.findall(rb"\x1b\[\?\d+\$p", window):
                        self.queries.add(q)
                        if q == QUERY_2026 and self.answer_queries and q not in self._answered:
                            self._answered.add(q)
                            os.write(self.master, b"\x1b[?2026;2$y")
                self.lock.notify_all()
            self._tail = window[-32:]

    # ---- driving ------------------------------------------------------------------------------
    def press(self, key: bytes) -> None:
        os.write(self.master, key)

    def wait_state(self, want: set[str], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.lock:
            while self.state not in want:
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    return False
                self.lock.wait(left)
            return True

    def ensure_running(self, settle: float = 1.0) -> int:
        """Make sure it trains: restart with `r` if the run finished. Returns restarts made."""
        restarts = 0
        for _ in range(5):
            if self.state == "running":
                return restarts
            if self.state in ("finished", "diverged", "error"):
                self.press(b"r")
                restarts += 1
            if self.wait_state({"running"}, 60.0):
                time.sleep(settle)
        if self.state != "running":
            raise RuntimeError(f"the lesson does not train (state {self.state})")
        return restarts

    def set_epochs(self, epochs: int) -> bool:
        """Select the last control (epochs), nudge it to `epochs` and restart with `r`."""
        want = f"◂ {epochs} ▸".encode()
        with self.lock:
            self.seen_value = False
            self.watch_for = want
        self.press(b"\x1b[A")  # up wraps from the first control to the last, epochs
        time.sleep(0.3)
        for _ in range(20):
            if self.seen_value:
                break
            self.press(b"\x1b[C")  # right: one step up
            time.sleep(0.3)
        self.press(b"r")
        time.sleep(0.3)
        self.press(b"j")  # back to the first control (wraps), where j/k measure stays in view
        time.sleep(1.2)
        self.wait_state({"running"}, 30.0)
        return self.seen_value

    def bytes_between(self, t0: float, t1: float) -> list[tuple[float, int]]:
        with self.lock:
            return [(t, n) for t, n in self.log if t0 <= t < t1]

    def states_between(self, t0: float, t1: float) -> set[str]:
        with self.lock:
            before = [s for t, s in self.state_history if t < t0]
            inside = {s for t, s in self.state_history if t0 <= t < t1}
        return inside | set(before[-1:])

    def key_latency(self, key: bytes, pattern: bytes) -> Expectation:
        exp = Expectation(pattern)
        with self.lock:
            self.expect = exp
            exp.t_write = time.monotonic()
            self.press(key)
            deadline = exp.t_write + KEY_TIMEOUT_S
            while exp.t_seen is None and not self.closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.lock.wait(left)
            self.expect = None
        return exp

    def group_pids(self) -> list[int]:
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) == self.proc.pid:  # pgrp
                pids.append(int(entry))
        return pids

    def close(self) -> str:
        how = "q q"
        for key in (b"q", b"q"):
            if self.proc.poll() is None:
                self.press(key)
                time.sleep(0.7)
        try:
            self.proc.wait(timeout=8)
        except subprocess.TimeoutExpired:
            how = "ctrl+c"
            self.press(b"\x03")
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                how = "SIGKILL"
        deadline = time.monotonic() + 5.0
        while (left := self.group_pids()) and time.monotonic() < deadline:
            time.sleep(0.2)
        if left:
            how += f" (killed left-over: {', '.join(describe(pid) for pid in left)})"
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                time.sleep(1.0)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=2)
        os.close(self.master)
        shutil.rmtree(self.home, ignore_errors=True)
        return how


def cpu_ticks(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def describe(pid: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    text = b" ".join(cmd).decode(errors="replace")
    if "resource_tracker" in text:
        return "tracker"
    if "multiprocessing" in text or "spawn_main" in text:
        return "trainer"
    return "ui"


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


@dataclass
class Row:
    size: str
    state: str
    kbps: float = 0.0
    kbps_med: float = 0.0
    kbps_max: float = 0.0
    max_gap_ms: float = 0.0
    keys: dict[str, list[float]] = field(default_factory=lambda: {"l": [], "jk": []})
    timeouts: dict[str, int] = field(default_factory=lambda: {"l": 0, "jk": 0})
    dropped: dict[str, int] = field(default_factory=lambda: {"l": 0, "jk": 0})  # straddled a state change
    dropped_s: int = 0  # bandwidth seconds spoilt by a state change
    rate: float | None = None
    cpu: dict[str, float] = field(default_factory=dict)


def bandwidth(app: AppInPty, row: Row, seconds: int, want: str, restarts: list[int]) -> None:
    """Count what the app writes in 1 s buckets until `seconds` buckets were all in state `want`.

    A bucket counts only if the state did not change from 0.5 s before it to its end (so a run
    that finishes, or one just restarted, spoils only the buckets around it)."""
    hz = os.sysconf("SC_CLK_TCK")
    good: list[tuple[float, float, list[tuple[float, int]], dict[str, float]]] = []
    deadline = time.monotonic() + 6 * seconds
    while len(good) < seconds and time.monotonic() < deadline:
        if want == "running":
            restarts[0] += app.ensure_running()
        pids = {pid: describe(pid) for pid in app.group_pids()}
        ticks0 = {pid: cpu_ticks(pid) for pid in pids}
        t0 = time.monotonic()
        time.sleep(1.0)
        t1 = time.monotonic()
        ticks1 = {pid: cpu_ticks(pid) for pid in pids}
        if app.states_between(t0 - 0.5, t1) != {want}:
            row.dropped_s += 1
            continue
        cpu: dict[str, float] = {}
        for pid, role in pids.items():
            cpu[role] = cpu.get(role, 0.0) + 100 * (ticks1[pid] - ticks0[pid]) / hz / (t1 - t0)
        good.append((t0, t1, app.bytes_between(t0, t1), cpu))
    if len(good) < seconds:
        print(f"  [{row.size}] only {len(good)} good seconds of {row.state}", file=sys.stderr)
    if not good:
        return
    span = sum(t1 - t0 for t0, t1, _, _ in good)
    per_s = [sum(n for _, n in log) / (t1 - t0) for t0, t1, log, _ in good]
    row.kbps = sum(sum(n for _, n in log) for _, _, log, _ in good) / span / 1000
    row.kbps_med = statistics.median(per_s) / 1000
    row.kbps_max = max(per_s) / 1000
    gaps = []
    for t0, t1, log, _ in good:
        times = [t0] + [t for t, _ in log] + [t1]
        gaps += [b - a for a, b in zip(times, times[1:])]
    row.max_gap_ms = 1000 * max(gaps)
    for role in {r for _, _, _, cpu in good for r in cpu}:
        row.cpu[role] = statistics.mean(cpu.get(role, 0.0) for _, _, _, cpu in good)
    if want == "running":
        with app.lock:
            rates = [r for t, r in app.rates if any(t0 <= t < t1 for t0, t1, _, _ in good)]
        if rates:
            row.rate = statistics.median(rates)


def keys(app: AppInPty, row: Row, lang: list[str], count: int, want: str, restarts: list[int]) -> None:
    """Press `l` `count` times (the header flips between "Intro" and "导言"), then j/k `count`
    times (the control cursor moves down and back up: the controls panel repaints its "◂ v ▸")."""
    rng = random.Random(0)
    for kind in ("l", "jk"):
        samples = row.keys[kind]
        while len(samples) < count:
            if want == "running":
                restarts[0] += app.ensure_running()
            time.sleep(rng.uniform(0.15, 0.40))
            if kind == "l":
                new = "zh" if lang[0] == "en" else "en"
                key, pattern = b"l", HEADER_WORD[new]
            else:
                key, pattern = (b"k" if app.cursor_down else b"j"), CURSOR_MARK
                app.cursor_down = not app.cursor_down
            exp = app.key_latency(key, pattern)
            if kind == "l":
                lang[0] = new  # a key that timed out is assumed taken; a wrong guess shows as more timeouts
            if exp.t_seen is None:
                row.timeouts[kind] += 1
                time.sleep(1.0)
                if row.timeouts[kind] > count:
                    raise RuntimeError(f"`{key.decode()}` shows nothing on screen")
                continue
            if app.states_between(exp.t_write, exp.t_seen) != {want}:
                row.dropped[kind] += 1
                continue
            samples.append(1000 * (exp.t_seen - exp.t_write))


def measure(size: str, presses: int, answer_queries: bool, epochs: int) -> tuple[list[Row], dict]:
    cols, rows = (int(v) for v in size.lower().split("x"))
    app = AppInPty(cols, rows, answer_queries)
    info: dict = {"restarts": 0}
    out: list[Row] = []
    try:
        t_start = time.monotonic()
        if not app.wait_state({"running"}, 90.0):
            raise RuntimeError(f"never saw it train (state {app.state}); is the venv set up?")
        info["to_running_s"] = time.monotonic() - t_start
        if epochs:
            info["epochs_set"] = app.set_epochs(epochs)
            if not info["epochs_set"]:
                print(f"  [{size}] could not set epochs to {epochs}; measuring the lesson's default", file=sys.stderr)
        time.sleep(SETTLE_S)
        restarts = [0]
        lang = ["en"]

        train = Row(size, "training")
        bandwidth(app, train, BANDWIDTH_S, "running", restarts)
        keys(app, train, lang, presses, "running", restarts)
        out.append(train)

        # The paused baseline: pause a running run.
        restarts[0] += app.ensure_running()
        app.press(b" ")
        if not app.wait_state({"paused"}, 10.0):
            raise RuntimeError(f"space did not pause (state {app.state})")
        time.sleep(1.0)
        paused = Row(size, "paused")
        bandwidth(app, paused, PAUSED_BANDWIDTH_S, "paused", restarts)
        keys(app, paused, lang, presses, "paused", restarts)
        out.append(paused)
        info["restarts"] = restarts[0]
        info["max_step"] = app.max_step
        info["queries"] = sorted(q.decode(errors="replace").replace("\x1b", "ESC") for q in app.queries)
    finally:
        info["quit"] = app.close()
    return out, info


def print_table(rows: list[Row], infos: list[dict], load: str) -> None:
    def stats(k: list[float]) -> str:
        if not k:
            return f"{'-':>6} {'-':>5} {'-':>5}"
        return f"{pct(k, 0.5):6.0f} {pct(k, 0.9):5.0f} {max(k):5.0f}"

    print(f"\nload: {load}")
    head = (f"{'size':>7} {'state':>8} {'KB/s':>5} {'med':>5} {'max/s':>5} {'gap':>5}  "
            f"{'l p50':>6} {'p90':>5} {'max':>5}  {'jk p50':>6} {'p90':>5} {'max':>5}  {'steps/s':>7}  cpu% ui/trainer")
    print(head)
    print("-" * len(head))
    for row in rows:
        rate = f"{row.rate:,.0f}" if row.rate is not None else "-"
        extra = ""
        for kind in ("l", "jk"):
            if row.timeouts[kind]:
                extra += f"  {kind}: {row.timeouts[kind]} timeout(s)"
            if row.dropped[kind]:
                extra += f"  {kind}: {row.dropped[kind]} dropped"
        if row.dropped_s:
            extra += f"  {row.dropped_s} s dropped"
        print(f"{row.size:>7} {row.state:>8} {row.kbps:5.1f} {row.kbps_med:5.1f} {row.kbps_max:5.1f} "
              f"{row.max_gap_ms:5.0f}  {stats(row.keys['l'])}  {stats(row.keys['jk'])}  {rate:>7}  "
              f"{row.cpu.get('ui', 0):.0f}/{row.cpu.get('trainer', 0):.0f}{extra}")
    for info in infos:
        print(f"  {info['size']}: training shown after {info.get('to_running_s', float('nan')):.1f} s, "
              f"epochs {'set' if info.get('epochs_set') else 'default'}, longest run {info.get('max_step', 0):,} steps, "
              f"{info['restarts']} restart(s) with r, quit by {info['quit']}, "
              f"terminal queries seen: {', '.join(info.get('queries', [])) or 'none'}")
    print("KB/s over the good seconds (1 KB = 1000 B); med/max of the per-second counts; gap: longest ms "
          "without a write. Keys: ms from writing the key to the first output holding its effect "
          "(l: the header's new word; jk: the control cursor).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", action="append", help="COLSxROWS (repeatable; default 120x40 and 80x24)")
    parser.add_argument("--presses", type=int, default=30, help="key presses per state")
    parser.add_argument("--epochs", type=int, default=60,
                        help="set the epochs control to this first, so one run lasts the measurement "
                             "(0: keep the lesson's default, 30 epochs, about 7 s)")
    parser.add_argument("--answer-queries", action="store_true", help="answer DECRQM 2026 as supported")
    args = parser.parse_args()
    sizes = args.size or ["120x40", "80x24"]
    rows: list[Row] = []
    infos: list[dict] = []
    load = os.getloadavg()
    for size in sizes:
        print(f"measuring {size} ...", file=sys.stderr, flush=True)
        got, info = measure(size, args.presses, args.answer_queries, args.epochs)
        info["size"] = size
        rows += got
        infos.append(info)
    load_after = os.getloadavg()
    print_table(rows, infos, f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} before, "
                             f"{load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} after; "
                             f"{os.cpu_count()} cores")


if __name__ == "__main__":
    main()
