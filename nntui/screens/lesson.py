"""A lesson: the guide on the left, live widgets on the right, the status line below."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Markdown, Static

from nntui.curriculum.model import Lesson, Step
from nntui.events import Event
from nntui.i18n import t
from nntui.runtime.commands import Pause, Resume, SetParam, Start, StepOnce, Stop
from nntui.runtime.history import History
from nntui.lab import catalog
from nntui.screens.panels import PANELS, available_stages
from nntui.screens.text_prompt import TextPrompt
from nntui.widgets.controls import ControlsPanel
from nntui.widgets.status import StatusLine

TICK_S = 0.1  # how often the screen looks for panels due a redraw (each has its own rate)
STATUS_METRICS = {"train_loss": "loss", "test_accuracy": "acc"}  # metric: its short name


class LessonScreen(Screen):
    BINDINGS = [
        Binding("space", "toggle_pause", "pause"),
        Binding("full_stop", "step_once", "step"),
        Binding("r", "restart", "restart"),
        Binding("n", "page(1)", "page", key_display="n/p"),
        Binding("p", "page(-1)", "prev page", show=False),
        Binding("q,escape", "leave", "back"),
        Binding("left_square_bracket", "attention(-1, 0)", "layer", show=False),
        Binding("right_square_bracket", "attention(1, 0)", "layer", show=False),
        Binding("left_curly_bracket", "attention(0, -1)", "head", show=False),
        Binding("right_curly_bracket", "attention(0, 1)", "head", show=False),
        Binding("g", "attention_grid", "all heads", show=False),
        Binding("v", "attention_stage", "stage", show=False),
        Binding("greater_than_sign", "expansion(1)", "expand", show=False),
        Binding("less_than_sign", "expansion(-1)", "back", show=False),
    ]

    def __init__(self, lesson: Lesson) -> None:
        super().__init__()
        self.lesson = lesson
        self.lesson_id = lesson.id
        self.history = History()
        self.page = 0
        self.params = dict(lesson.params)  # what `r` trains: defaults, then the open step's `set`
        self._dirty: dict[str, set[str]] = {}  # panel -> kinds of data changed since its last draw
        self._last_draw: dict[str, float] = {}
        self._told = ""  # the last divergence message shown as a notification

    # ---- layout -------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(id="lesson-header")
        with Vertical(id="guide-column"):
            with VerticalScroll(id="guide-scroll"):
                yield Markdown(id="guide")
            yield Static(id="controls-title")
            yield ControlsPanel(self.lesson.controls, self.lesson.params, self.app.lang, id="controls")
        with Vertical(id="live-column"):
            for row in self.lesson.rows or tuple((name,) for name in self.lesson.layout):
                with Horizontal(classes="live-row"):
                    for name in row:
                        yield PANELS[name].build().set_class(True, "live-panel")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.widgets = dict(zip(self.lesson.layout, self.query(".live-panel")))
        self.query_one(ControlsPanel).focus()
        self.show_page()
        self._start(label="intro")
        self.set_interval(TICK_S, self._redraw_charts)

    # ---- events from the trainer ---------------------------------------------------------
    def apply_events(self, events: list[Event]) -> None:
        changed = self.history.apply(events)
        for name in self.lesson.layout:
            self._dirty.setdefault(name, set()).update(changed)
        if "error" in changed:
            self.notify(self.history.errors[-1].message, severity="error", timeout=10)
        status = self.history.status
        if "status" in changed and status.state == "diverged" and status.message != self._told:
            self._told = status.message  # the status line cuts long advice at 80 columns; say it once
            self.notify(status.message, severity="warning", timeout=10)
        if changed & {"images", "curves", "runs"}:
            self._redraw_charts(force=True)
        self._show_status()
        self._check_step()

    def _redraw_charts(self, force: bool = False) -> None:
        """Redraw each panel whose data changed, no more often than the panel allows."""
        now = time.monotonic()
        for name, widget in self.widgets.items():
            panel = PANELS[name]
            stale = self._dirty.get(name, set()) & panel.feeds_on
            if stale and (force or now - self._last_draw.get(name, 0.0) >= panel.interval_s):
                panel.update(widget, self.history)
                self._dirty[name] = set()
                self._last_draw[name] = now

    def _show_status(self) -> None:
        status = self.history.status
        run = self.history.current
        metrics = {short: run.latest[name] for name, short in STATUS_METRICS.items() if run and name in run.latest}
        step = max(status.step, run.step if run else 0)
        self.query_one(StatusLine).show(
            status.state,
            t(status.state, self.app.lang),
            step,
            status.steps_per_s,
            metrics,
            self.app.device,
            self.app.seed,
            status.message,
        )

    def _check_step(self) -> None:
        step = self.current_step
        run = self.history.current
        # Only a run started (r) while this step is open counts: its label is the step's id.
        if step is None or step.check is None or run is None or run.label != step.id:
            return
        if step.id in self.app.progress.steps_done(self.lesson.id):
            return
        if step.check.holds(run.observed()):
            self.app.progress.mark(self.lesson.id, step.id)
            self.notify(f"✓ {t('step_done', self.app.lang)}: {step.title.get(self.app.lang)}", timeout=6)
            self._show_header()

    # ---- the guide --------------------------------------------------------------------------
    @property
    def current_step(self) -> Step | None:
        return None if self.page == 0 else self.lesson.pages[self.page]

    def show_page(self) -> None:
        page = self.lesson.pages[self.page]
        lang = self.app.lang
        self.query_one("#guide", Markdown).update(f"## {page.title.get(lang)}\n\n{page.body.get(lang)}")
        self.query_one("#guide-scroll").scroll_home(animate=False)
        self.query_one("#controls-title", Static).update(Text(t("controls", lang), style="bold"))
        self._show_header()

    def _show_header(self) -> None:
        lang = self.app.lang
        done = self.app.progress.steps_done(self.lesson.id)
        marks = "".join("✓" if step.id in done else "·" for step in self.lesson.steps)
        where = t("intro", lang) if self.page == 0 else f"{t('step', lang)} {self.page}/{len(self.lesson.steps)}"
        header = Text.assemble((self.lesson.title.get(lang), "bold"), f"   {where}   ", (marks, "green"))
        if self.query_one(ControlsPanel).pending:  # a hint that stays until r, not a toast per page
            header.append(f"   r: {t('press_r', lang)}", style="bold yellow")
        self.query_one("#lesson-header", Static).update(header)

    def update_language(self, lang: str) -> None:
        controls = self.query_one(ControlsPanel)
        controls.lang = lang
        controls.refresh()
        self._show_header()
        self._show_status()
        # Re-mounting the guide's Markdown costs a full layout: let the cheap lines show first.
        self.call_after_refresh(self.show_page)

    def action_page(self, delta: int) -> None:
        page = max(0, min(len(self.lesson.pages) - 1, self.page + delta))
        if page == self.page:
            return
        self.page = page
        step = self.current_step
        settings = dict(self.lesson.params) if step is None else dict(step.set)
        if settings and settings != {k: self.params.get(k) for k in settings}:
            self.params.update(settings)
            controls = self.query_one(ControlsPanel)
            controls.set_values(settings)
            if self._all_live(settings):  # nothing to restart for: show the step's settings at once
                for name, value in settings.items():
                    self.app.trainer.send(SetParam(name, value))
                controls.mark_applied(settings)
        self.show_page()

    def _all_live(self, settings: dict) -> bool:
        live = {c.param for c in self.lesson.controls if c.apply == "live"}
        return set(settings) <= live

    # ---- controlling the run ---------------------------------------------------------------
    def _start(self, label: str) -> None:
        controls = self.query_one(ControlsPanel)
        params = {**self.params, **controls.values}
        start = Start(self.lesson.experiment, params, self.app.seed, self.app.device, label=label)
        if not self.app.trainer.send(start):  # the trainer process died: bring up a new one
            self.app.restart_trainer()
            self.app.trainer.send(start)
        controls.mark_applied()
        self._show_header()

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
            self.notify(t("run_over", self.app.lang), timeout=3)

    def action_step_once(self) -> None:
        self.app.trainer.send(StepOnce())

    def on_controls_panel_changed(self, message: ControlsPanel.Changed) -> None:
        if message.knob.apply == "live":
            self.app.trainer.send(SetParam(message.knob.param, message.value))
        self._show_header()

    def action_attention(self, d_layer: int, d_head: int) -> None:
        """[ ] choose the layer and { } the head (or their mean) of the attention heatmap."""
        panel = self.widgets.get("attention")
        run = self.history.current
        if panel is None or run is None or run.attention is None:
            return
        layers, heads = run.attention.weights.shape[:2]
        panel.choose(layers, heads, d_layer, d_head)
        PANELS["attention"].update(panel, self.history)

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

    def action_expansion(self, direction: int) -> None:
        """> and <: the beam-search tree one expansion further or back."""
        tree = self.widgets.get("beam_tree")
        if tree is not None:
            tree.step_forward() if direction > 0 else tree.step_back()

    def action_attention_grid(self) -> None:
        """g: every layer's and head's map at once, or back to one."""
        panel = self.widgets.get("attention")
        if panel is not None:
            panel.toggle_grid()
            PANELS["attention"].update(panel, self.history)

    def action_attention_stage(self) -> None:
        """v: the softmax weights, or the raw, scaled or masked scores they came from."""
        panel = self.widgets.get("attention")
        run = self.history.current
        if panel is None or run is None or run.attention is None:
            return
        panel.next_stage(available_stages(run.attention))
        PANELS["attention"].update(panel, self.history)

    def action_leave(self) -> None:
        self.app.trainer.send(Stop())
        self.app.pop_screen()
