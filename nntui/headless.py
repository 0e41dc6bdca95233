"""`nntui run`: train a lesson's experiment without a screen, in this process.

Options are validated against the lesson and the experiment's catalog entry
before torch is imported, so a typo costs milliseconds, not seconds.
"""

from __future__ import annotations

import json
import math
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from nntui.spec.limits import check_device_name
from nntui.curriculum.loader import load_curriculum
from nntui.spec import catalog
from nntui.spec.commands import Start
from nntui.spec.events import Event, Metrics, Status
from nntui.spec.recording import recording_line

SUMMARY_SERIES = "train_loss"


class RunOptionsError(ValueError):
    """A bad lesson name, flag or parameter value; the CLI exits 2 with the message."""


@dataclass
class HeadlessRun:
    lesson: str
    experiment: str
    params: dict[str, Any]
    seed: int
    device: str
    max_steps: int | None
    losses: list[float] = field(default_factory=list)
    last_metrics: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter, repr=False)  # recorded `t` counts from here

    @classmethod
    def prepare(
        cls,
        lesson_id: str,
        *,
        steps: int | None = None,
        epochs: int | None = None,
        settings: list[str] = (),
        seed: int = 0,
        device: str = "cpu",
    ) -> "HeadlessRun":
        lesson = load_curriculum().find(lesson_id)
        if lesson is None:
            raise RunOptionsError(f"unknown lesson {lesson_id!r} (see `nntui list`)")
        if lesson.broken:
            raise RunOptionsError(f"lesson {lesson_id!r} is broken: {lesson.error}")
        spec = catalog.get(lesson.experiment)
        params = dict(lesson.params)
        for setting in settings:
            name, sep, text = setting.partition("=")
            name = name.strip()
            if not sep or not name:
                raise RunOptionsError(f"--set {setting!r}: expected name=value")
            if name not in spec.params:
                known = ", ".join(spec.params)
                raise RunOptionsError(f"--set {setting}: unknown parameter {name!r} for {spec.name} (known: {known})")
            try:
                params[name] = spec.params[name].parse(text)
            except ValueError as exc:
                raise RunOptionsError(f"--set {setting}: {exc}") from None
        if epochs is not None:
            if "epochs" not in spec.params:
                raise RunOptionsError(f"--epochs: {spec.name} does not train in epochs; use --steps")
            try:
                params["epochs"] = spec.params["epochs"].check(epochs)
            except ValueError as exc:
                raise RunOptionsError(f"--epochs: {exc}") from None
        try:
            check_device_name(device)
        except ValueError as exc:
            raise RunOptionsError(str(exc)) from None
        return cls(lesson_id, spec.name, params, seed, device, steps)

    def execute(self, *, out: Path | None = None, as_json: bool = False, threads: int = 1) -> int:
        """Train, write events, print the summary; return the exit code."""
        import torch

        from nntui.lab.base import resolve_device
        from nntui.trainer.driver import Driver

        torch.set_num_threads(threads)
        try:
            resolve_device(self.device)
            recording = RecordingFile(out) if out else None
        except (ValueError, OSError) as exc:
            print(f"nntui: {exc}", file=sys.stderr)
            return 2
        driver = Driver()
        started = self.started = time.perf_counter()
        interrupted = False
        try:
            driver.handle(Start(self.experiment, self.params, self.seed, self.device, label=self.lesson))
            interrupted = self._train(driver, recording)
        finally:
            self._record(driver.take(), recording)
            if recording:
                recording.close()
        seconds = time.perf_counter() - started
        result = self._result(driver, seconds, interrupted)
        self._print_summary(result, out, to=sys.stderr if as_json else sys.stdout)
        if as_json:
            print(json.dumps(strict_json(result), allow_nan=False))  # NaN is no JSON: null instead
        if recording and recording.error:  # e.g. a full disk: said once, after the summary
            print(f"nntui: {recording.error}", file=sys.stderr)
            return 2
        if interrupted:
            return 130
        return 0 if driver.state in ("finished", "running", "paused") else 1

    def _train(self, driver: Any, recording: RecordingFile | None) -> bool:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        total = self.max_steps or getattr(driver.experiment, "total_steps", None)
        progress = Progress(
            TextColumn(f"[bold]{self.lesson}[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[loss]}"),
            TimeRemainingColumn(),
            transient=True,
            console=_stderr_console(),
        )
        # Ctrl+C sets a flag the loop reads between steps, so no event is ever half written:
        # an exception could land in the middle of writing a batch and drop its tail.
        interrupted = threading.Event()
        on_main = threading.current_thread() is threading.main_thread()  # only it may take signals
        previous = signal.signal(signal.SIGINT, lambda *_: interrupted.set()) if on_main else None
        try:
            with progress:
                task = progress.add_task("train", total=total, loss="")
                for events in driver.steps(self.max_steps):
                    self._record(events, recording)
                    if interrupted.is_set() or (recording and recording.error):
                        break
                    if driver.step % 50 == 0:
                        loss = self.last_metrics.get(SUMMARY_SERIES)
                        progress.update(task, completed=driver.step, loss=f"loss {loss:.4f}" if loss else "")
        finally:
            if on_main:
                signal.signal(signal.SIGINT, previous)
        return interrupted.is_set()

    def _record(self, events: list[Event], recording: RecordingFile | None) -> None:
        t = time.perf_counter() - self.started
        for event in events:
            if isinstance(event, Metrics):
                self.last_metrics.update(event.values)
                if SUMMARY_SERIES in event.values:
                    self.losses.append(event.values[SUMMARY_SERIES])
            elif isinstance(event, Status) and event.message:
                print(f"nntui: {event.message}", file=sys.stderr)
            if recording:
                recording.write(recording_line(event, t), getattr(event, "step", None))

    def _result(self, driver: Any, seconds: float, interrupted: bool) -> dict[str, Any]:
        summary = driver.experiment.summary() if driver.experiment is not None else {}
        steps = driver.step
        return {
            "lesson": self.lesson,
            "experiment": self.experiment,
            "state": self._final_state(driver, interrupted),
            "steps": steps,
            "seconds": round(seconds, 3),
            "steps_per_s": round(steps / seconds, 1) if seconds > 0 else 0.0,
            "seed": self.seed,
            "device": self.device,
            "params": self.params,
            "metrics": {**self.last_metrics, **summary},
        }

    def _final_state(self, driver: Any, interrupted: bool) -> str:
        if interrupted:
            return "interrupted"
        state = "stopped" if driver.state in ("running", "paused") else driver.state  # stopped: --steps reached
        if state in ("stopped", "finished") and not all(map(_finite, self.last_metrics.values())):
            return "diverged"  # the last report was not a number (the driver stops on it; a summary may not)
        return state

    def _print_summary(self, result: dict[str, Any], out: Path | None, to: TextIO) -> None:
        from rich.console import Console
        from rich.table import Table

        console = Console(file=to)
        table = Table(title=f"{self.lesson}: {result['state']}", box=None, show_header=False)
        table.add_column(style="bold")
        table.add_column(justify="right")
        for name, value in result["metrics"].items():
            table.add_row(name, f"{value:.4g}" if isinstance(value, float) else str(value))
        table.add_row("steps", f"{result['steps']} in {result['seconds']:.1f} s ({result['steps_per_s']:.0f}/s)")
        table.add_row("seed / device", f"{self.seed} / {self.device}")
        if out:
            table.add_row("events", str(out))
        console.print(table)
        if console.is_terminal and len(self.losses) > 1:
            from rich.text import Text

            console.print(Text.from_ansi(_loss_plot(self.losses, width=min(console.width, 80))))


class RecordingFile:
    """The --out file. A write that fails (a full disk) ends the recording, not the run with a
    traceback: `error` says what happened, and training stops at the next step."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.error: str | None = None
        self.step = 0
        try:
            self._file = path.open("w", encoding="utf-8")
        except OSError as exc:
            raise OSError(f"--out {path}: cannot write here ({exc.strerror or exc})") from None

    def write(self, line: str, step: int | None = None) -> None:
        if self.error is None:
            try:
                self._file.write(line)
                self.step = step if step is not None else self.step
            except OSError as exc:
                self._failed(exc)

    def close(self) -> None:
        try:
            self._file.close()  # closes the file even when the last flush fails
        except OSError as exc:
            self._failed(exc)

    def _failed(self, exc: OSError) -> None:
        if self.error is None:
            why = exc.strerror or str(exc)
            self.error = f"--out {self.path}: {why}; the recording stops near step {self.step}"


def strict_json(value: Any) -> Any:
    """`value` with every nan and ±inf as None: what JSON itself can say."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    return value


def _finite(value: Any) -> bool:
    return not isinstance(value, float) or math.isfinite(value)


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def _loss_plot(losses: list[float], width: int) -> str:
    """A small plotext chart of the training loss for the terminal summary."""
    import numpy as np
    import plotext as plt

    y = np.asarray(losses, dtype=float)
    buckets = max(1, len(y) // (2 * width))
    trimmed = y[: len(y) // buckets * buckets].reshape(-1, buckets).mean(axis=1)
    plt.clear_figure()
    steps = (np.arange(len(trimmed)) * buckets).tolist()
    plt.plot(steps, trimmed.tolist())
    if (trimmed > 0).all():
        plt.yscale("log")
    plt.xticks([steps[0], steps[len(steps) // 2], steps[-1]])
    plt.title("training loss")
    plt.plotsize(width, 12)
    plt.theme("clear")
    return plt.build()
