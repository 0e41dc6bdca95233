"""`nntui screenshot LESSON --out FILE.svg`: a lesson after N training steps, as SVG, with no terminal.

It trains first (in this process, like `nntui run`), then plays the events into the app run
headless at a fixed size and saves what the screen shows. Training and drawing happen one
after the other, so the UI never competes with torch for the GIL here.
"""

from __future__ import annotations

import re
from pathlib import Path

from nntui.spec.events import Event, Status
from nntui.headless import HeadlessRun
from nntui.spec.commands import Start
from nntui.runtime.replay import TERMINAL
from nntui.spec.recording import Recording

SIZE = re.compile(r"(\d{1,6})x(\d{1,6})")  # no 5,000-digit numbers to convert
MIN_SIZE = (40, 12)
# A 10000x10000 screen took 48 s and 1.9 GB; a screenshot wider than this is unreadable anyway.
MAX_SIZE = (400, 200)
SETTLE_S = 0.4  # after the last event lands: charts redraw at most every 0.2 s, the guide loads async


def parse_size(text: str) -> tuple[int, int]:
    match = SIZE.fullmatch(text.strip().lower())
    if match is None:
        raise ValueError(f"--size: expected WxH (e.g. 120x40), got {text!r}")
    width, height = int(match[1]), int(match[2])
    if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
        raise ValueError(f"--size: at least {MIN_SIZE[0]}x{MIN_SIZE[1]}, got {text!r}")
    if width > MAX_SIZE[0] or height > MAX_SIZE[1]:
        raise ValueError(f"--size: at most {MAX_SIZE[0]}x{MAX_SIZE[1]}, got {text!r}")
    return width, height


def train(job: HeadlessRun, threads: int = 1) -> list[Event]:
    """Train `job` for its steps (or to its end) and return every event it reported."""
    import torch

    from nntui.lab.base import resolve_device
    from nntui.trainer.driver import Driver

    torch.set_num_threads(threads)
    resolve_device(job.device)  # ValueError: no such device here
    driver = Driver()
    driver.handle(Start(job.experiment, job.params, job.seed, job.device, label=job.lesson))
    events = driver.take()
    for step_events in driver.steps(job.max_steps):
        events += step_events
    if driver.state == "running":  # the status the screen would show now, with this run's speed
        events.append(Status("running", driver.step, round(driver.steps_per_s(), 1)))
    return events


def render(events: list[Event], out: Path, size: tuple[int, int], lang: str = "en") -> Path:
    """Play `events` into the app's lesson screen and write the screen as SVG to `out`."""
    from nntui.playback import playback_app

    recording = Recording.of(events)
    app = playback_app(recording, speed=float("inf"), lang=lang, tag="", announce_end=False)

    async def shoot(pilot) -> None:
        for _ in range(200):  # the lesson opens and sends Start; its next frame takes everything
            await pilot.pause(0.05)
            if app.trainer.state in TERMINAL:
                break
        await pilot.pause(SETTLE_S)
        title = getattr(getattr(app.screen, "lesson", None), "title", None)
        app.exit(app.export_screenshot(title=f"nntui: {title.get(lang)}" if title else None))

    svg = app.run(headless=True, size=size, auto_pilot=shoot)
    if not svg:
        raise RuntimeError("the app closed before the screenshot was taken")
    out.write_text(svg, encoding="utf-8")
    return out
