"""A one-line text editor over the lesson, for controls whose value is text (e.g. a prompt)."""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class TextPrompt(ModalScreen[str | None]):
    """enter keeps the text (if `check` finds nothing wrong with it), escape leaves it as it was."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]
    DEFAULT_CSS = """
    TextPrompt { align: center middle; }
    TextPrompt > Vertical { width: 60; max-width: 95%; height: auto; border: round $accent;
                            padding: 0 1; background: $surface; }
    TextPrompt #prompt-error { color: $error; height: auto; }
    """

    def __init__(self, label: str, value: str, hint: str, check: Callable[[str], str | None]) -> None:
        super().__init__()
        self.label, self.value, self.hint, self.check = label, value, hint, check

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.label, style="bold"))
            yield Input(self.value, id="prompt-input")
            yield Static(Text(self.hint, style="dim"))
            yield Static(id="prompt-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        problem = self.check(event.value)
        if problem:
            self.query_one("#prompt-error", Static).update(Text(problem))  # it quotes what was typed
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
