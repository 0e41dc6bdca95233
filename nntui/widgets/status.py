"""The status line: state, step, speed, loss, device and seed at a glance."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

STATE_STYLES = {
    "running": ("●", "bold green"),
    "paused": ("‖", "bold yellow"),
    "finished": ("✓", "bold cyan"),
    "diverged": ("✗", "bold red"),
    "error": ("✗", "bold red"),
    "starting": ("…", "dim"),
    "ready": ("○", "dim"),
}


class StatusLine(Widget):
    DEFAULT_CSS = "StatusLine { height: 1; background: $panel; padding: 0 1; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._text = Text()

    def show(
        self,
        state: str,
        state_label: str,
        step: int,
        steps_per_s: float,
        metrics: dict[str, float],
        device: str,
        seed: int,
        message: str = "",
    ) -> None:
        mark, style = STATE_STYLES.get(state, ("?", ""))
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{mark} {state_label}", style=style)
        text.append(f"  step {step:,}")
        text.append(f"  {steps_per_s:,.0f}/s", style="dim")
        for name, value in metrics.items():
            text.append(f"  {name} {value:.4g}")
        text.append(f"  {device} · seed {seed}", style="dim")
        if message:
            text.append(f"  {message}", style="bold red" if state in ("diverged", "error") else "")
        if text != self._text:
            self._text = text
            self.refresh()

    def render(self) -> Text:
        return self._text
