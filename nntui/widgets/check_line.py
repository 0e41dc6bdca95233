"""What the open page waits for, with the live values: `token_accuracy 0.78 → > 0.95`.

A page's check is its claim about the live model. Shown under the guide with the current
run's values, it lets the learner watch the very numbers the page quotes, including those no
chart draws, and see how far the run is from the moment the page describes.
"""

from __future__ import annotations

from typing import Mapping

from rich.text import Text
from textual.widgets import Static

from nntui.curriculum.model import Check
from nntui.i18n import t

__all__ = ["CheckLine", "check_text"]


def check_text(check: Check, observed: Mapping[str, float], done: bool, lang: str) -> Text:
    """Each clause with its current value, green where it holds; ✓ once the step is done."""
    text = Text(no_wrap=False)
    text.append(f"{'✓' if done else '○'} {t('check_waits', lang)} ", style="bold green" if done else "bold")
    for index, clause in enumerate(check.clauses):
        if index:
            text.append(" · ", style="dim")
        value = observed.get(clause.key)
        holds = clause.holds(observed)
        shown, bound = _distinct(value, clause.value)
        text.append(f"{clause.key} {shown}", style="green" if holds else "")
        text.append(f" {clause.op} {bound}", style="dim")
    return text


def _distinct(value: float | None, bound: float) -> tuple[str, str]:
    """Value and bound with the fewest digits (3 or more) that tell them apart, so the line
    never reads "-2.3 < -2.3" for -2.303 < -2.3."""
    if value is None:
        return "–", f"{bound:g}"
    for digits in range(3, 9):
        shown, limit = f"{value:.{digits}g}", f"{bound:.{digits}g}"
        if shown != limit or value == bound:
            return shown, limit
    return shown, limit


class CheckLine(Static):
    DEFAULT_CSS = "CheckLine { height: auto; max-height: 4; padding: 0 1; background: $panel-darken-1; }"
    # (four lines hold the longest check at 80x24; the guide above scrolls)

    def show(self, check: Check | None, observed: Mapping[str, float], done: bool, lang: str) -> None:
        self.display = check is not None
        if check is not None:
            self.update(check_text(check, observed, done, lang))
