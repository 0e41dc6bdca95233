"""The Textual app: the lesson browser and the lesson screens, wired to the trainer.

The app never imports torch. It talks to a trainer (see runtime/client.py)
that only needs `send(command)` and `drain() -> events`, so tests hand it a
fake one and inject events.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Protocol

from textual.app import App
from textual.binding import Binding
from textual.filter import Monochrome, NoColor
from textual.reactive import reactive

from nntui import served
from nntui.curriculum.loader import load_curriculum
from nntui.curriculum.model import Curriculum
from nntui.spec.events import Event
from nntui.i18n import t
from nntui.progress import Progress
from nntui.spec.commands import Command

SERVED_SCREENSHOT_BYTES = 20 * 2**20  # a student's session folder holds at most this much


def _folder_bytes(folder: Path) -> int:
    try:
        return sum(entry.stat().st_size for entry in folder.iterdir() if entry.is_file())
    except OSError:
        return 0


class TrainerLink(Protocol):
    def send(self, command: Command) -> bool: ...
    def drain(self) -> list[Event]: ...


class NntuiApp(App):
    TITLE = "nntui"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = False  # every action has a key; the palette's hint costs footer room
    BINDINGS = [
        Binding("l", "toggle_language", "language"),
        Binding("s", "screenshot", "screenshot", show=False),
        Binding("question_mark", "help", "help"),
        Binding("ctrl+c", "quit", "quit", show=False, priority=True),
    ]

    lang: reactive[str] = reactive("en")

    def __init__(
        self,
        trainer: TrainerLink,
        *,
        lang: str = "en",
        device: str = "cpu",
        seed: int = 0,
        lesson: str | None = None,
        curriculum: Curriculum | None = None,
        progress: Progress | None = None,
        screenshot_dir: Path | None = None,
        run_params: dict | None = None,
    ) -> None:
        super().__init__()
        if self.no_color:
            # Textual's NO_COLOR still paints greys (Monochrome) in a terminal that is not in ANSI
            # mode; NO_COLOR means no colour at all: bold, dim and reverse carry the distinctions.
            self._filters = [NoColor() if isinstance(f, Monochrome) else f for f in self._filters]
        self.trainer = trainer
        self.device = device
        self.seed = seed
        self.curriculum = curriculum or load_curriculum()
        self.progress = progress or Progress()
        self.screenshot_dir = screenshot_dir or Path.cwd()
        self._first_lesson = lesson
        # Parameters every run gets where its experiment takes them, not shown as controls: e.g.
        # {"text_file": path} from `nntui open LESSON --text FILE`.
        self.run_params = dict(run_params or {})
        self.last_lesson: str | None = None  # the browser puts its cursor back on it
        self.set_reactive(NntuiApp.lang, lang)

    def on_mount(self) -> None:
        from nntui.screens.browser import BrowserScreen

        self.push_screen(BrowserScreen())
        if self._first_lesson:
            self.open_lesson(self._first_lesson)

    def notify(self, message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """On a lesson, a notice goes in its header line, where it hides no chart; elsewhere a toast.
        Never read as markup: notices quote lesson files, errors and what students typed."""
        say = getattr(self.screen, "say", None)
        if say is not None:
            say(message, severity, timeout or 5)
        else:
            super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def get_key_display(self, binding: Binding) -> str:
        display = super().get_key_display(binding)
        return t(f"key_{display}", self.lang) if display in ("space", "escape", "enter", "tab") else display

    def open_lesson(self, lesson_id: str) -> None:
        from nntui.screens.lesson import LessonScreen

        lesson = self.curriculum.find(lesson_id)
        if lesson is None or lesson.broken:
            self.notify(lesson.error if lesson else f"unknown lesson {lesson_id}", severity="error", timeout=8)
            return
        self.last_lesson = lesson.id
        self.push_screen(LessonScreen(lesson))

    def take_events(self) -> list[Event]:
        """What the trainer produced since the last call (the lesson screen's frame asks)."""
        take_notices = getattr(self.trainer, "take_notices", None)  # optional: a replay refusing a setting
        for notice in take_notices() if take_notices else ():
            self.notify(notice, timeout=4)
        return self.trainer.drain()

    def restart_trainer(self) -> None:
        restart = getattr(self.trainer, "restart", None)
        if restart is not None:
            restart()

    def action_toggle_language(self) -> None:
        self.lang = "zh" if self.lang == "en" else "en"

    def watch_lang(self, lang: str) -> None:
        for screen in self.screen_stack:
            update = getattr(screen, "update_language", None)
            if update is not None:
                update(lang)

    def action_help(self) -> None:
        from nntui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_screenshot(self) -> None:
        folder = self.screenshot_dir
        if served.is_served():  # only into the session's own folder, and only so much
            folder = served.session_dir()
            if folder is None or _folder_bytes(folder) > SERVED_SCREENSHOT_BYTES:
                self.notify(t("screenshot_refused", self.lang), severity="warning")
                return
        name = f"nntui-{getattr(self.screen, 'lesson_id', 'browser')}-{time.strftime('%Y%m%d-%H%M%S')}.svg"
        try:
            path = self.save_screenshot(filename=name, path=str(folder))
        except OSError as exc:
            self.notify(f"screenshot failed: {exc.strerror or exc}", severity="error")
            return
        shown = Path(path).name if served.is_served() else path  # the server's folders are not the student's
        self.notify(f"{t('screenshot', self.lang)} {shown}", timeout=6)

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        """A link in a lesson. Locally, http(s) opens in the browser; served over SSH, nothing is
        opened on the server (a text browser there would be a shell for the student): the link is
        shown instead. In a web session it opens in the student's own browser."""
        web = type(self._driver).__name__ == "WebDriver"
        if not url.startswith(("https://", "http://")) or (served.is_served() and not web):
            self.notify(f"{t('link', self.lang)} {url}", timeout=10)
            return
        super().open_url(url, new_tab=new_tab)
