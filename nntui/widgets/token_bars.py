"""TokenBars: the next-token distribution as horizontal bars, before and after filtering.

One row per token, most likely first: the token (a space as "␣"), a bar in eighth blocks scaled
so that the most likely token fills the bar width, its probability, and, when a filtered
distribution is given (temperature / top-k / top-p, renormalised, 0 = filtered out), the
probability it keeps. Filtered tokens are dim and marked "✗"; with NO_COLOR their bar is drawn
with "·" instead of blocks, so the cut stays visible without colour. What does not fit is
summed up on a last line: "… 7 more tokens, p=0.03". A long title is cut (by cells) before
the column headings are. The last cell of each line stays blank, a gap to a panel beside
it. Its own words follow `lang` ("en" or "zh").
"""

from __future__ import annotations

import math
from typing import Sequence

from rich.cells import cell_len
from rich.style import Style
from textual.color import Color
from textual.strip import Strip

from nntui.i18n import t

from .numbers import fmt_mass, fmt_p
from .chart_legend import RIGHT_GAP_FROM
from .grad_bars import EIGHTHS
from .shading import AppFreeRender, LineCacheWidget, fade, fit_text, parse_color, strip_from_runs

__all__ = ["TokenBars", "token_label", "FILTERED_MARK"]

BAR_COLOR = "#5fafff"
FILTERED_MARK = "✗"
FILTERED_FILL = "·"  # NO_COLOR: a filtered token's bar, so it reads as "was there, cut"
LABEL_MAX = 12  # cells; longer tokens are cut with "…"
NUMBER_W = 5  # "0.412"

_VISIBLE = {" ": "␣", "\n": "⏎", "\t": "⇥"}


def token_label(text: str) -> str:
    """A token as it can be read in one cell row: spaces, newlines and tabs made visible."""
    if text == "":
        return "∅"
    return "".join(_VISIBLE.get(ch, ch) for ch in text)


class TokenBars(AppFreeRender, LineCacheWidget):
    """Next-token probabilities as bars, filtered tokens marked (see the module docstring)."""

    DEFAULT_CSS = """
    TokenBars {
        width: 1fr;
        height: 1fr;
        min-height: 3;
    }
    """

    def __init__(self, title: str | None = None, **widget_kwargs) -> None:
        super().__init__(**widget_kwargs)
        self.title = title  # None: "next token" in the widget's language
        self.top: int | None = None
        self._labels: list[str] = []
        self._probs: list[float] = []
        self._kept: list[float] | None = None
        self._order: list[int] = []
        self._style_key: tuple | None = None
        self.shown: list[int] = []  # token ids of the rows the last build drew

    def show(
        self,
        vocab: Sequence[str],
        probs: Sequence[float],
        kept: Sequence[float],
        *,
        title: str = "",
        top: int | None = None,
    ) -> None:
        """Show `probs` (one per token of `vocab`) and what filtering `kept` of them (renormalised,
        0 = filtered out; an empty `kept` means no filtering); at most `top` rows if given."""
        self._probs = [float(p) for p in probs]
        n = len(self._probs)
        self._labels = [token_label(str(vocab[i])) if i < len(vocab) else f"#{i}" for i in range(n)]
        self._kept = [float(k) for k in kept] if kept is not None and len(kept) == n and n else None
        # Most likely first; equal probabilities keep token order, as the sampler's sort does.
        self._order = sorted(range(n), key=lambda i: -self._probs[i] if not math.isnan(self._probs[i]) else 0.0)
        if title:
            self.title = title
        self.top = top
        self.update_lines()

    # -- building -------------------------------------------------------------
    def _styles(self, base: Style, fg: Color, bg: Color) -> dict[str, Style]:
        key = (base, fg, bg)
        if key != self._style_key:
            dim = fade(fg, bg, 0.55)
            self._cached = {
                "base": base,
                "title": base + Style(color=fg.rich_color, bold=True),
                "text": base + Style(color=fg.rich_color),
                "muted": base + Style(color=fade(fg, bg, 0.45).rich_color),
                "bar": base + Style(color=parse_color(BAR_COLOR).rich_color),
                "filtered": base + Style(color=dim.rich_color),
                "filtered_bar": base + Style(color=fade(fg, bg, 0.7).rich_color),
            }
            self._style_key = key
        return self._cached

    render_bars = AppFreeRender.render_standalone

    def draw_lines(self, width: int, height: int, base: Style, fg: Color, bg: Color, no_color: bool) -> list[Strip]:
        st = self._styles(base, fg, bg)
        n = len(self._order)
        has_kept = self._kept is not None
        full_width, width = width, width - 1 if width >= RIGHT_GAP_FROM else width
        label_w = min(max((cell_len(self._labels[i]) for i in self._order), default=1), LABEL_MAX, max(1, width // 4))
        numbers_w = NUMBER_W + (2 + NUMBER_W if has_kept else 0)
        bar_w = width - label_w - 1 - 1 - numbers_w
        if bar_w < 2:  # too narrow for bars: labels and numbers only
            bar_w = 0

        title = self.title if self.title is not None else t("next_token", self.lang)
        header = fit_text(title if n else f"{title}{t('colon', self.lang)}{t('waiting_distribution', self.lang)}", width)
        columns = "p".rjust(NUMBER_W) + (fit_text(t("kept", self.lang), NUMBER_W + 2, "right") if has_kept else "")
        lines = []
        if n and width - numbers_w >= cell_len(title) + 1:
            header = fit_text(title, width - numbers_w - 1) + " " + columns
        elif n and height < 6:  # no row to spare: the headings matter more than the title's end
            header = fit_text(title, max(1, width - numbers_w - 1)) + " " + columns
        elif n:  # the title on a line of its own, the column headings on the next
            lines.append(strip_from_runs([(header, st["title"])]).adjust_cell_length(full_width, st["base"]))
            header = " " * (width - cell_len(columns)) + columns
        lines.append(strip_from_runs([(header, st["title"])]).adjust_cell_length(full_width, st["base"]))
        if not n or height < len(lines) + 1:
            return lines[:height]

        rows = height - len(lines)
        count = min(n, rows, self.top if self.top is not None else n)
        if count < n and count == rows:  # the summary line takes the last row
            count = max(0, rows - 1)
        self.shown = self._order[:count]
        top_p = max((p for p in self._probs if math.isfinite(p)), default=0.0)
        for i in self.shown:
            lines.append(self._row(i, label_w, bar_w, top_p, full_width, st, no_color))
        if count < n:
            rest = self._order[count:]
            mass = sum(self._probs[i] for i in rest if math.isfinite(self._probs[i]))
            more = "more_tokens" if len(rest) != 1 else "more_token"
            text = t(more, self.lang).format(n=len(rest), p=fmt_mass(mass))
            if has_kept:
                kept = fmt_mass(sum(self._kept[i] for i in rest))  # type: ignore[index]
                text += t("more_kept", self.lang).format(p=kept)
            summary = strip_from_runs([(fit_text(text, width), st["muted"])])
            lines.append(summary.adjust_cell_length(full_width, st["base"]))
        return lines[:height]

    def _row(self, i: int, label_w: int, bar_w: int, top_p: float, width: int, st: dict, no_color: bool) -> Strip:
        p = self._probs[i]
        filtered = self._kept is not None and self._kept[i] <= 0
        text_style = st["filtered"] if filtered else st["text"]
        runs: list[tuple[str, Style]] = [(fit_text(self._labels[i], label_w, "right") + " ", text_style)]
        if bar_w:
            eighths = 0
            if top_p > 0 and math.isfinite(p) and p > 0:
                eighths = max(1, min(8 * bar_w, round(p / top_p * 8 * bar_w)))  # never absent if > 0
            full, part = divmod(eighths, 8)
            if filtered and no_color:
                bar = FILTERED_FILL * (full + (part > 0))
            else:
                bar = "█" * full + (EIGHTHS[part] if part else "")
            runs.append((bar, st["filtered_bar"] if filtered else st["bar"]))
            runs.append((" " * (bar_w - cell_len(bar) + 1), st["base"]))
        runs.append((fmt_p(p), text_style))
        if self._kept is not None:
            kept = FILTERED_MARK.center(NUMBER_W) if filtered else fmt_p(self._kept[i])
            runs.append(("  " + kept, st["filtered"] if filtered else st["text"]))
        return strip_from_runs(runs).adjust_cell_length(width, st["base"])


