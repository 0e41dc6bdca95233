"""A lesson: the guide on the left, live widgets on the right, the status line below."""

from __future__ import annotations

import time
from pathlib import Path

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, ScrollableContainer, Vertical
from textual.screen import Screen
from textual.widgets import Static

from nntui.curriculum.model import Lesson, Step
from nntui.spec.events import Curve, Error, Event, ImageGrid, RunStarted, Status
from nntui.i18n import describe, t
from nntui.spec.commands import Pause, Resume, SetPace, SetParam, Start, StepOnce, Stop
from nntui.runtime.history import History, Run
from nntui.spec import catalog
from nntui.screens.text_prompt import TextPrompt
from nntui.widgets.controls import ControlsPanel
from nntui.widgets.check_line import CheckLine
from nntui.widgets.guide import Guide
from nntui.widgets.key_bar import KeyBar
from nntui.widgets.status import StatusLine, StatusView
from nntui.visuals import VISUALS

# The UI's one clock: each frame takes what the trainer sent (it batches every 50 ms too), keeps
# it in the history and redraws the panels it changed, each at most as often as its visual allows.
FRAME_S = 0.05
STATUS_METRICS = {"train_loss": "loss", "test_accuracy": "acc"}  # metric: its short name
FOCUSED_ONLY = frozenset({"up", "down", "left", "right", "home", "end", "pageup", "pagedown", "enter"})
PACES = (None, 100.0, 30.0, 10.0, 3.0, 1.0)  # steps/s that - walks down and + back up (None: full speed)


class LessonScreen(Screen):
    BINDINGS = [
        Binding("space", "toggle_pause", "pause"),
        Binding("full_stop", "step_once", "step_key"),
        Binding("r", "restart", "restart"),
        Binding("n", "page(1)", "page", key_display="n/p"),
        Binding("p", "page(-1)", "prev page", show=False),
        Binding("minus", "pace(1)", "pace", key_display="-/+"),
        Binding("plus,equals_sign", "pace(-1)", "faster", show=False),
        Binding("q,escape", "leave", "back"),
        Binding("tab", "app.focus_next", "focus", show=False),
    ]  # a live panel's own keys are its widget's BINDINGS: see on_key

    def __init__(self, lesson: Lesson) -> None:
        super().__init__()
        self.lesson = lesson
        self.lesson_id = lesson.id
        self.history = History(on_metrics=self._check_step)
        self.page = 0
        self.pace: float | None = None
        self.params = dict(lesson.params)  # what `r` trains: defaults, then the open step's `set`
        self._dirty: dict[str, set[str]] = {}  # panel -> kinds of data changed since its last draw
        self._last_draw: dict[str, float] = {}
        self._told = ""  # the last divergence message shown as a notice
        self._notice: tuple[str, str] | None = None  # (text, style) shown in the header for a while
        self._notice_timer = None
        self._runs_before_page = 0  # runs up to this number began before the open page did
        self._paused: set[int] = set()  # runs a page has paused at its moment (once each)
        self._held: dict[str, tuple[int, int, dict]] = {}  # step -> (run, step, values) when its check held

    # ---- layout -------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(id="lesson-header")
        with Vertical(id="guide-column"):
            yield Guide(id="guide")
            yield CheckLine(id="check-line")
            yield Static(id="controls-title")
            yield ControlsPanel(self.lesson.controls, self.lesson.params, self.app.lang, id="controls")
        with Vertical(id="live-column"):
            for row in self.lesson.rows or tuple((name,) for name in self.lesson.layout):
                with Horizontal(classes="live-row"):
                    for name in row:
                        yield VISUALS[name].build().set_class(True, "live-panel")
        yield StatusLine(id="status")
        yield KeyBar()

    def on_mount(self) -> None:
        self._done = self.app.progress.steps_done(self.lesson.id)
        self.widgets = dict(zip(self.lesson.layout, self.query(".live-panel")))
        for name, widget in self.widgets.items():  # titles in the lesson's language before any data
            VISUALS[name].update(widget, self.history, self.app.lang)
        self.query_one(ControlsPanel).focus()
        self.show_page()
        self._start(label="intro")
        self.set_interval(FRAME_S, self._frame)

    # ---- events from the trainer ---------------------------------------------------------
    def _frame(self) -> None:
        """Runs under the help screen too: the lesson gets every event, in order."""
        if not self.app.is_running:  # shutting down: the widgets are being removed
            return
        events = self.app.take_events()
        if events:
            self.apply_events(events)
        self._redraw_charts()

    def apply_events(self, events: list[Event]) -> None:
        changed = self.history.apply(events)
        for name in self.lesson.layout:
            self._dirty.setdefault(name, set()).update(changed)
        status = self.history.status
        if Error.kind in changed and status.code != "trainer_stopped":  # that one the status line says
            self.say(self.history.errors[-1].message, "error", 10)
        if Status.kind in changed and status.state == "diverged" and status.message != self._told:
            self._told = status.message  # the status line cuts long advice at 80 columns; say it once
            self.say(describe(status.code, status.args, self.app.lang, status.message), "warning", 10)
        if changed & {ImageGrid.kind, Curve.kind, RunStarted.kind}:  # rare and wanted at once
            self._redraw_charts(force=True)
        self._show_status()

    def _redraw_charts(self, force: bool = False) -> None:
        """Redraw each panel whose data changed, no more often than the panel allows."""
        now = time.monotonic()
        for name, widget in self.widgets.items():
            vis = VISUALS[name]
            stale = self._dirty.get(name, set()) & vis.feeds_on
            if stale and (force or now - self._last_draw.get(name, 0.0) >= vis.interval_s):
                vis.update(widget, self.history, self.app.lang)
                self._dirty[name] = set()
                self._last_draw[name] = now

    def _show_status(self) -> None:
        status = self.history.status
        run = self.history.current
        step = self.current_step
        counts = run is not None and step is not None and step.matches(run.params)
        observed, held_at = run.observed() if counts else {}, None
        if step is not None and run is not None and self._held.get(step.id, (None,))[0] == run.number:
            _, held_at, observed = self._held[step.id]  # the moment it held, not a step or two later
        self.query_one(CheckLine).show(step.check if step else None, observed,
                                       step is not None and step.id in self._done, self.app.lang, held_at)
        metrics = {short: run.latest[name] for name, short in STATUS_METRICS.items() if run and name in run.latest}
        self.query_one(StatusLine).show(
            StatusView(
                state=status.state,
                step=max(status.step, run.step if run else 0),
                total=run.total if run else None,
                steps_per_s=status.steps_per_s,
                pace=self.pace,
                metrics=metrics,
                device=self.app.device,
                seed=self.app.seed,
                message=describe(status.code, status.args, self.app.lang, status.message),
            ),
            self.app.lang,
        )

    def _check_step(self, run: Run | None = None) -> None:
        """Tick the open step off once its check holds on a run it describes: one whose settings
        include the step's `set` (started with `r`, or changed live to them). The history calls
        this after every metrics event, exactly as `nntui claims` evaluates the lesson.

        A step with `pause = true` pauses each run started on its page the moment the check
        first holds, ticked before or not: the learner who runs it again sees the moment again."""
        step = self.current_step
        run = run or self.history.current
        if step is None or step.check is None or run is None:
            return
        due_tick = step.id not in self._done
        due_pause = step.pause and run.number > self._runs_before_page and run.number not in self._paused
        if not (due_tick or due_pause) or not step.matches(run.params) or not step.check.holds(observed := run.observed()):
            return
        self._held[step.id] = (run.number, run.step, observed)
        if due_tick:
            self._tick(step)
        if due_pause and self.history.status.state == "running":
            self._paused.add(run.number)
            self.app.trainer.send(Pause())  # hold the moment the page describes on screen
            self.say(t("paused_at_check", self.app.lang), "information", 6)

    def _tick(self, step: Step) -> None:
        self.app.progress.mark(self.lesson.id, step.id)
        self._done.add(step.id)
        if step.check is not None:
            self.say(t("step_done", self.app.lang).format(title=step.title.get(self.app.lang)), "information", 5)
        self._show_header()
        self._show_status()  # the check line's ✓ with the header's

    def say(self, text: str, severity: str = "information", seconds: float = 5) -> None:
        """A notice in the header line for a while: it covers the lesson's title, never a chart."""
        style = {"error": "bold white on red", "warning": "bold black on yellow"}.get(severity, "bold green")
        self._notice = (text, style)
        if self._notice_timer is not None:
            self._notice_timer.stop()
        self._notice_timer = self.set_timer(seconds, self._clear_notice)
        self._show_header()

    def _clear_notice(self) -> None:
        self._notice = None
        self._show_header()

    # ---- the guide --------------------------------------------------------------------------
    @property
    def current_step(self) -> Step | None:
        """The open page if it is a step (the intro and the summary are not)."""
        page = self.lesson.pages[self.page]
        return page if page in self.lesson.steps else None

    def show_page(self) -> None:
        page = self.lesson.pages[self.page]
        lang = self.app.lang
        self.query_one(Guide).show(f"## {page.title.get(lang)}\n\n{page.body.get(lang)}")
        self.query_one("#controls-title", Static).update(Text(t("controls", lang), style="bold"))
        self._show_status()
        self._show_header()

    def _show_header(self) -> None:
        lang = self.app.lang
        done = self._done
        marks = "".join("✓" if step.id in done else "·" for step in self.lesson.steps)
        if self.current_step is not None:
            where = f"{t('step', lang)} {self.page}/{len(self.lesson.steps)}"
        else:
            where = t("intro" if self.page == 0 else "summary", lang)
        # The notice (or the title) gives way, so the page, its ticks and the r hint always show.
        title = self.lesson.title.get(lang)
        if self._given().get("text_file"):  # the learner's own text, not the one the pages describe
            title += f" · {Path(self._given()['text_file']).name}"
        text, style = (title, "bold") if self._notice is None else self._notice
        tail = Text.assemble(f"   {where}   ", (marks, "green"))
        if self.query_one(ControlsPanel).pending:  # a hint that stays until r, not a toast per page
            tail.append(f"   r: {t('press_r', lang)}", style="bold yellow")
        room = max(8, self.size.width - 2 - tail.cell_len)
        lead = Text(text, style=style, no_wrap=True, overflow="ellipsis")
        lead.truncate(room, overflow="ellipsis")
        header = Text.assemble(lead, tail, no_wrap=True, overflow="ellipsis")
        self.query_one("#lesson-header", Static).update(header)

    def on_resize(self) -> None:
        self._show_header()  # the title gives way to the page and its ticks at any width

    def update_language(self, lang: str) -> None:
        controls = self.query_one(ControlsPanel)
        controls.lang = lang
        controls.refresh()
        for name, widget in self.widgets.items():  # every word on every panel, data or not
            VISUALS[name].update(widget, self.history, lang)
        self._show_header()
        self._show_status()
        # Re-mounting the guide's Markdown costs a full layout: let the cheap lines show first.
        self.call_after_refresh(self.show_page)

    def action_page(self, delta: int) -> None:
        page = max(0, min(len(self.lesson.pages) - 1, self.page + delta))
        if page == self.page:
            return
        self.page = page
        self._runs_before_page = self.history.current.number if self.history.current else 0
        step = self.current_step
        if page == 0:
            self._use_settings(self.lesson.params, pace=None)
        elif step is not None and step.set:  # a page states what its own settings show
            self._use_settings(self.lesson.settings_for(step), pace=step.pace)
        self.show_page()
        self._fresh_views()
        if step is not None and step.check is None and step.id not in self._done:
            self._tick(step)  # nothing to observe: reading it is doing it
        self._check_step()  # a finished run may already show what the page describes

    def _fresh_views(self) -> None:
        """A page opens on its panels' first view: tables at their top, attention as weights."""
        for widget in self.widgets.values():
            if isinstance(widget, ScrollableContainer):
                widget.scroll_home(animate=False)
            first_view = getattr(widget, "first_view", None)
            if first_view is not None:
                first_view()

    def _use_settings(self, settings: dict, pace: float | None) -> None:
        """Put a page's settings into the controls; live ones reach the model at once."""
        controls = self.query_one(ControlsPanel)
        running = self.history.current.params if self.history.current else self.params
        changed = {k: v for k, v in settings.items() if running.get(k) != v or controls.values.get(k, v) != v}
        self.params.update(settings)
        controls.set_values(settings)
        if changed and self._all_live(changed):  # nothing to restart for: show them now
            for name, value in changed.items():
                self._send_live(name, value)
            controls.mark_applied(changed)
        self._set_pace(pace)

    def _all_live(self, settings: dict) -> bool:
        live = {c.param for c in self.lesson.controls if c.apply == "live"}
        return set(settings) <= live

    def _send_live(self, name: str, value) -> None:
        """Change a live parameter of the running model; the run now has that setting."""
        self.app.trainer.send(SetParam(name, value))
        if self.history.current is not None:
            self.history.current.params[name] = value

    # ---- pace -----------------------------------------------------------------------------------
    def action_pace(self, slower: int) -> None:
        """- slows training down (100, 30, 10, 3, 1 steps/s), + speeds it back up to full speed;
        from a page's own pace (say 20) to the next one on that scale."""
        rates = [float("inf") if pace is None else pace for pace in PACES]
        now = float("inf") if self.pace is None else self.pace
        if slower > 0:
            choice = next((p for p, r in zip(PACES, rates) if r < now), PACES[-1])
        else:
            choice = next((p for p, r in zip(reversed(PACES), reversed(rates)) if r > now), None)
        self._set_pace(choice)

    def _set_pace(self, pace: float | None) -> None:
        if pace != self.pace:
            self.pace = pace
            self.app.trainer.send(SetPace(pace))
            self._show_status()

    # ---- controlling the run ---------------------------------------------------------------
    def _start(self, label: str) -> None:
        controls = self.query_one(ControlsPanel)
        params = {**self.params, **controls.values, **self._given()}
        start = Start(self.lesson.experiment, params, self.app.seed, self.app.device, label=label)
        if not self.app.trainer.send(start):  # the trainer process died: bring up a new one
            self.app.restart_trainer()
            self.app.trainer.send(SetPace(self.pace))
            self.app.trainer.send(start)
        controls.mark_applied()
        self._show_header()

    def _given(self) -> dict:
        """The app's run parameters that this lesson's experiment takes (e.g. --text's text_file)."""
        takes = catalog.get(self.lesson.experiment).params
        return {k: v for k, v in getattr(self.app, "run_params", {}).items() if k in takes}

    def action_restart(self) -> None:
        step = self.current_step
        self._start(label=step.id if step else "intro")

    def action_toggle_pause(self) -> None:
        state = self.history.status.state
        if state == "running":
            self.app.trainer.send(Pause())
        elif state == "paused":
            self.app.trainer.send(Resume())
        elif state in ("finished", "diverged", "error"):
            self.say(t("run_over", self.app.lang), "information", 3)

    def action_step_once(self) -> None:
        self.app.trainer.send(StepOnce())

    def on_controls_panel_changed(self, message: ControlsPanel.Changed) -> None:
        if message.knob.apply == "live":
            self._send_live(message.knob.param, message.value)
            self._check_step()
        self._show_header()

    def on_controls_panel_edit_text(self, message: ControlsPanel.EditText) -> None:
        control = message.knob
        param = catalog.get(self.lesson.experiment).params[control.param]

        def problem(text: str) -> str | None:
            try:
                param.check(text)
            except ValueError as exc:
                return str(exc)
            return None

        def done(text: str | None) -> None:
            if text is not None:
                self.query_one(ControlsPanel).change(control, text)

        lang = self.app.lang
        self.app.push_screen(TextPrompt(control.label.get(lang), message.value, t("edit_hint", lang), problem), done)

    async def on_key(self, event: events.Key) -> None:
        """A key nothing else took goes to the live panels: the attention map's [ ] { } g v and the
        beam tree's > < work wherever the focus is (navigation keys stay with the focused widget)."""
        if event.key in FOCUSED_ONLY:
            return
        for widget in self.widgets.values():
            binding = next((b for b in getattr(widget, "BINDINGS", ()) if isinstance(b, Binding)
                            and event.key in b.key.split(",")), None)
            if binding is not None:
                event.stop()
                await self.app.run_action(binding.action, widget)
                return

    def action_leave(self) -> None:
        self.app.trainer.send(Stop())
        self.app.pop_screen()
