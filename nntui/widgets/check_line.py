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

from .numbers import fmt_whole_or

__all__ = ["CheckLine", "check_text"]


def check_text(check: Check, observed: Mapping[str, float], done: bool, lang: str,
               held_at: int | None = None) -> Text:
    """Each claim with its current value and bounds, or, once it holds, its value and ✓ (so
    a long check shrinks as the run gets there); ✓ in front once the step is done.

    A lower and an upper bound on one metric read as one range: `beam_logp -2.63 ∈ (-2.65, -2.61)`.
    """
    text = Text(no_wrap=False)
    text.append(f"{'✓' if done else '○'} {t('check_waits', lang)}", style="bold green" if done else "bold")
    if held_at is not None:  # the values of that moment: the run may have moved on a step or two
        text.append(t("held_at", lang).format(step=f"{held_at:,}"), style="bold green")
    for index, group in enumerate(_grouped(check.clauses)):
        if index:
            text.append(" · ", style="dim")
        key = group[0].key
        value = observed.get(key)
        if all(clause.holds(observed) for clause in group):  # held: its value is the news, not its bounds
            text.append(f"{key} {fmt_whole_or(value, 4)} ✓", style="green")
        elif len(group) == 2:
            low, high = sorted(group, key=lambda clause: clause.op[0] == "<")
            shown, lo = _distinct(value, low.value)
            _, hi = _distinct(value, high.value)
            opening, closing = ("[" if low.op == ">=" else "("), ("]" if high.op == "<=" else ")")
            text.append(f"{key} {shown}")
            text.append(f" ∈ {opening}{lo}, {hi}{closing}", style="dim")
        else:
            shown, bound = _distinct(value, group[0].value)
            text.append(f"{key} {shown}")
            text.append(f" {group[0].op} {bound}", style="dim")
    return text


def _grouped(clauses) -> list[list]:
    """Clauses in order, a metric's `>`/`>=` and `<`/`<=` pair joined into one range."""
    groups: list[list] = []
    for clause in clauses:
        partner = next((g for g in groups if len(g) == 1 and g[0].key == clause.key
                        and {g[0].op[0], clause.op[0]} == {"<", ">"}), None)
        if partner is not None:
            partner.append(clause)
        else:
            groups.append([clause])
    return groups


def _distinct(value: float | None, bound: float) -> tuple[str, str]:
    """Value and bound with the fewest digits (3 or more) that tell them apart, so the line
    never reads "-2.3 < -2.3" for -2.303 < -2.3."""
    if value is None:
        return "–", fmt_whole_or(bound, 6)
    for digits in range(3, 9):
        shown, limit = fmt_whole_or(value, digits), fmt_whole_or(bound, digits)
        if shown != limit or value == bound:
            return shown, limit
    return shown, limit


MAX_LINES = 5  # at 80x24 the guide above keeps its room; a longer check ends in "…"


class CheckLine(Static):
    DEFAULT_CSS = "CheckLine { height: auto; max-height: 5; padding: 0 1; background: $panel-darken-1; }"

    def show(self, check: Check | None, observed: Mapping[str, float], done: bool, lang: str,
             held_at: int | None = None) -> None:
        self.display = check is not None
        if check is None:
            return
        text = check_text(check, observed, done, lang, held_at)
        width = self.content_region.width
        if width > 0:
            lines = text.wrap(self.app.console, width)
            if len(lines) > MAX_LINES:  # never cut without saying so
                last = lines[MAX_LINES - 1]
                last.truncate(width - 1)
                last.append("…", style="dim")
                text = Text("\n").join(lines[:MAX_LINES])
        self.update(text)
