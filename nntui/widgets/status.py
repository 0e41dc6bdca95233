"""The status line: state, step, speed and pace, loss, device and seed at a glance."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual.widget import Widget

from nntui.i18n import t

STATE_STYLES = {
    "running": ("●", "bold green"),
    "paused": ("‖", "bold yellow"),
    "finished": ("✓", "bold cyan"),
    "diverged": ("✗", "bold red"),
    "error": ("✗", "bold red"),
    "starting": ("…", "dim"),
    "ready": ("○", "dim"),
}


@dataclass(frozen=True)
class StatusView:
    state: str
    step: int = 0
    total: int | None = None  # 1: a worked example, computed once, with no steps to count
    steps_per_s: float = 0.0
    pace: float | None = None  # slow motion, steps/s; None: full speed
    metrics: dict[str, float] = field(default_factory=dict)
    device: str = "cpu"
    seed: int = 0
    message: str = ""


class StatusLine(Widget):
    DEFAULT_CSS = "StatusLine { height: 1; background: $panel; padding: 0 1; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._text = Text()
        self._view: StatusView | None = None
        self._lang = "en"

    def show(self, view: StatusView, lang: str = "en") -> None:
        self._view, self._lang = view, lang
        text = status_text(view, lang)
        if text != self._text:
            self._text = text
            self.refresh()

    def render(self) -> Text:
        width = self.content_region.width
        if width and self._text.cell_len > width and self._view is not None:
            return status_text(self._view, self._lang, with_device=False)  # rather than "cpu ·" cut
        return self._text


def status_text(view: StatusView, lang: str, with_device: bool = True) -> Text:
    """What matters most comes first, so a narrow terminal cuts device and seed, not the state."""
    mark, style = STATE_STYLES.get(view.state, ("?", ""))
    worked = view.total == 1 and view.state == "finished"
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{mark} {t('worked_example' if worked else view.state, lang)}", style=style)
    if not worked and view.state not in ("starting", "ready"):
        total = f"/{view.total:,}" if view.total else ""
        text.append(f"  {t('step_word', lang)} {view.step:,}{total}")
        if view.state == "running" and view.steps_per_s > 0:  # no "0/s" before the first count
            text.append(f"  {view.steps_per_s:,.0f} {t('steps_per_s', lang)}", style="dim")
    if view.pace is not None and not worked:
        text.append(f"  {t('pace', lang)} {view.pace:g} {t('steps_per_s', lang)}", style="bold magenta")
    for name, value in view.metrics.items():
        text.append(f"  {t(name, lang)} {value:.4g}")
    if view.message:
        text.append(f"  {view.message}", style="bold red" if view.state in ("diverged", "error") else "")
    if with_device:
        text.append(f"  {view.device} · {t('seed', lang)} {view.seed}", style="dim")
    return text
