"""SampleList: sequences drawn from a language model, one line each, repeats counted.

The Decoding event's `samples` (prefix included, each with the model's log-probability of its new
tokens) drawn at the current temperature, top-k and top-p. Equal draws share a line with "×3",
so a cold temperature shows as one line "×10" and a hot one as ten odd names. "✓" marks a draw
that is one of the model's training examples (a name from the list), "…" one cut off by
max_new_tokens before its end token. The log-probability is drawn where the panel is wide enough:
it is the number the searches rank by, so a sample can be held against their answers.

Character vocabularies spell words (".brenda."); word ones get spaces ("je suis étudiant </s>").
"""

from __future__ import annotations

from typing import Any, Sequence

from rich.cells import cell_len
from rich.style import Style
from textual.color import Color
from textual.strip import Strip

from nntui.i18n import t

from .numbers import fmt_log
from .shading import AppFreeRender, LineCacheWidget, fade, fit_text, strip_from_runs
from .token_bars import token_label

__all__ = ["SampleList", "IN_DATA_MARK", "CUT_MARK", "group_samples"]

IN_DATA_MARK = "✓"
CUT_MARK = "…"
LOG_W = 6  # "−12.34"


def group_samples(samples: Sequence[dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
    """Equal draws (same tokens) together, in the order they were first drawn, with their count."""
    groups: dict[tuple[int, ...], list] = {}
    for drawn in samples:
        key = tuple(drawn["tokens"])
        if key in groups:
            groups[key][1] += 1
        else:
            groups[key] = [drawn, 1]
    return [(drawn, count) for drawn, count in groups.values()]


class SampleList(AppFreeRender, LineCacheWidget):
    """Sampled sequences with their counts, data marks and log-probabilities (see the module docstring)."""

    DEFAULT_CSS = """
    SampleList {
        width: 1fr;
        height: 1fr;
        min-height: 3;
    }
    """

    def __init__(self, **widget_kwargs) -> None:
        super().__init__(**widget_kwargs)
        self._vocab: list[str] = []
        self._groups: list[tuple[dict[str, Any], int]] = []
        self._total = 0
        self._style_key: tuple | None = None
        self.shown: list[str] = []  # the texts of the lines the last build drew

    def show(self, vocab: Sequence[str], samples: Sequence[dict[str, Any]]) -> None:
        """Show `samples` ({"tokens", "log_prob", "finished", "in_data"}) over `vocab`."""
        self._vocab = [str(v) for v in vocab]
        self._groups = group_samples(samples)
        self._total = len(samples)
        self.update_lines()

    def text_of(self, drawn: dict[str, Any]) -> str:
        words = [token_label(self._vocab[t]) if 0 <= t < len(self._vocab) else f"#{t}" for t in drawn["tokens"]]
        # Characters join into one word, as the beam tree writes its answers.
        single = sum(cell_len(v) == 1 for v in self._vocab)
        joiner = "" if self._vocab and single >= 0.8 * len(self._vocab) else " "
        return joiner.join(words) + ("" if drawn.get("finished", True) else CUT_MARK)

    # -- building -------------------------------------------------------------
    def _styles(self, base: Style, fg: Color, bg: Color) -> dict[str, Style]:
        key = (base, fg, bg)
        if key != self._style_key:
            self._cached = {
                "base": base,
                "title": base + Style(color=fg.rich_color, bold=True),
                "text": base + Style(color=fg.rich_color),
                "muted": base + Style(color=fade(fg, bg, 0.45).rich_color),
            }
            self._style_key = key
        return self._cached

    render_samples = AppFreeRender.render_standalone

    def draw_lines(self, width: int, height: int, base: Style, fg: Color, bg: Color, no_color: bool) -> list[Strip]:
        st = self._styles(base, fg, bg)
        lang = self.lang
        usable = width - 1 if width >= 16 else width  # a blank last cell beside the next panel
        rows = height - 1
        count = len(self._groups) if len(self._groups) <= rows else max(0, rows - 1)
        entries = [self._entry(drawn, n) for drawn, n in self._groups[:count]]
        name_w = max((cell_len(text) for text, _ in entries), default=0)
        with_log = bool(entries) and name_w + 1 + LOG_W <= usable

        marks = any(drawn.get("in_data") is not None for drawn, _ in self._groups)
        title = t("samples_n", lang).format(n=self._total) if self._total else t("samples_waiting", lang)
        if marks and cell_len(title) + 2 + cell_len(t("in_data", lang)) <= usable - (LOG_W + 1 if with_log else 0):
            title = f"{title}  {t('in_data', lang)}"
        head = [(fit_text(title, usable - (1 + LOG_W if with_log else 0)), st["title"])]
        if with_log:  # the column's heading: the number the searches rank by
            head.append((" " + "log p".rjust(LOG_W), st["muted"]))
        lines = [self._line(head, width, st)]
        self.shown = []
        if rows <= 0 or not self._groups:
            return lines[:height]
        for (text, log_prob) in entries:
            runs = [(fit_text(text, usable - (1 + LOG_W if with_log else 0)), st["text"])]
            if with_log:
                runs.append((" " + fmt_log(log_prob).rjust(LOG_W), st["muted"]))
            lines.append(self._line(runs, width, st))
            self.shown.append(text)
        if count < len(self._groups):
            more = t("more_n", lang).format(n=len(self._groups) - count)
            lines.append(self._line([(fit_text(more, usable), st["muted"])], width, st))
        return lines[:height]

    def _entry(self, drawn: dict[str, Any], count: int) -> tuple[str, float]:
        text = self.text_of(drawn)
        if drawn.get("in_data"):
            text += f" {IN_DATA_MARK}"
        if count > 1:
            text += f" ×{count}"
        return text, float(drawn.get("log_prob", float("nan")))

    @staticmethod
    def _line(runs: list[tuple[str, Style]], width: int, st: dict) -> Strip:
        return strip_from_runs(runs).adjust_cell_length(width, st["base"])
