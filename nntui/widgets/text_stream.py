"""TextStream: texts a model generates as it trains, newest on top, each with the step that made it.

A gutter on the left gives each text's step (and, where the run reports them, the temperature
it was sampled at and its score); the text wraps beside it, at blanks where it can, between
any two wide (CJK) characters, and never before closing punctuation such as "，" or "。";
widths are counted in cells (rich.cells), so Chinese lines fit as exactly as English ones.
Newlines in a text start a new line; tabs show as "⇥", other control characters as "�".

The newest text is drawn bright, older ones in the plain colour. Where the texts do not all fit,
an old text may be cut (its last line ends "…") and a last line counts those left out, together
with those the run's history no longer keeps: "+12 older". Where there is more than one text,
none takes more than half the lines, so a long sample never hides the stream. Its own words
follow `lang` ("en" or "zh").
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

from rich.cells import cell_len, get_character_cell_size
from rich.style import Style
from textual.color import Color
from textual.strip import Strip

from nntui.i18n import t

from .chart_legend import RIGHT_GAP_FROM
from .numbers import fmt_norm
from .shading import AppFreeRender, LineCacheWidget, fade, fit_text, strip_from_runs

__all__ = ["TextStream", "Sample", "wrap_cells", "CUT_MARK"]

CUT_MARK = "…"
NO_LINE_START = set("，。、；：！？）」』】》〉,.;:!?)]}%")  # closing punctuation stays on its line
_CONTROL = {"\t": "⇥", "\r": ""}
_WRAP_CACHE_MAX = 2_000


class Sample(NamedTuple):
    """One generated text: the step that made it, the text, its temperature and score (or None)."""

    step: int
    text: str
    temperature: float | None = None
    score: float | None = None


def _clean(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == "\n" else _CONTROL.get(ch, "�") for ch in text)


def wrap_cells(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` cells: broken at blanks, between wide characters, or
    (a word longer than a line) anywhere; a line never starts with closing punctuation where the
    line before can give it a character. Newlines break lines; blanks at a break are dropped."""
    width = max(1, width)
    out: list[str] = []
    for paragraph in _clean(text).split("\n"):
        out.extend(_wrap_paragraph(paragraph, width))
    return out


def _wrap_paragraph(text: str, width: int) -> list[str]:
    if cell_len(text) <= width:
        return [text.rstrip(" ")]
    lines: list[str] = []
    line: list[str] = []
    used = 0

    def flush() -> None:
        nonlocal line, used
        lines.append("".join(line).rstrip(" "))
        line, used = [], 0

    for unit, cells in _units(text):
        if unit[0] == " ":
            if line:  # blanks where a line breaks are dropped (flush strips them)
                line.append(unit)
                used += cells
            continue
        if line and used + cells > width:
            carry = []
            if (unit[0] in NO_LINE_START and len(line) > 1 and line[-1][0] != " "
                    and cell_len(line[-1]) + cells <= width):
                carry = [line.pop()]  # the character before goes down with it
            flush()
            line, used = carry, sum(cell_len(u) for u in carry)
        while used + cells > width:  # a word longer than a line: cut by cells
            cut = max(1, width - used)
            line.append(unit[:cut])
            flush()
            unit, cells = unit[cut:], cells - cut
        if unit:
            line.append(unit)
            used += cells
    if line:
        flush()
    return lines or [""]


def _units(text: str) -> list[tuple[str, int]]:
    """Runs of blanks, runs of narrow characters (words), single wide characters, with their cells."""
    units: list[tuple[str, int]] = []
    start = None
    for i, ch in enumerate(text):
        narrow_word = ch != " " and get_character_cell_size(ch) == 1
        if narrow_word:
            if start is None:
                start = i
            continue
        if start is not None:
            units.append((text[start:i], i - start))
            start = None
        if ch == " " and units and units[-1][0][0] == " ":
            units[-1] = (units[-1][0] + " ", units[-1][1] + 1)
        else:
            units.append((ch, get_character_cell_size(ch)))
    if start is not None:
        units.append((text[start:], len(text) - start))
    return units


class TextStream(AppFreeRender, LineCacheWidget):
    """Generated texts, newest on top, with their steps (see the module docstring)."""

    DEFAULT_CSS = """
    TextStream {
        width: 1fr;
        height: 1fr;
        min-height: 3;
    }
    """

    def __init__(self, title: str | None = None, **widget_kwargs) -> None:
        super().__init__(**widget_kwargs)
        self.title = title  # None: "generated text" in the widget's language
        self._samples: list[Sample] = []  # newest first
        self._older = 0
        self._wrapped: dict[tuple[str, int], list[str]] = {}
        self._style_key: tuple | None = None
        self.shown = 0  # how many texts the last build drew (the last may be cut)
        self.left_out = 0  # how many it counted as "+N older"

    def show(self, samples: Sequence[Sample | tuple], *, older: int = 0, title: str | None = None) -> None:
        """Show `samples`, oldest first as they came (each a Sample or a (step, text[, temperature[,
        score]]) tuple); `older` counts earlier ones no longer kept."""
        self._samples = [s if isinstance(s, Sample) else Sample(*s) for s in reversed(samples)]
        self._older = max(0, int(older))
        if title is not None:
            self.title = title
        self.update_lines()

    # -- building -------------------------------------------------------------
    def _styles(self, base: Style, fg: Color, bg: Color) -> dict[str, Style]:
        key = (base, fg, bg)
        if key != self._style_key:
            self._cached = {
                "base": base,
                "title": base + Style(color=fg.rich_color, bold=True),
                "newest": base + Style(color=fg.rich_color, bold=True),
                "text": base + Style(color=fade(fg, bg, 0.2).rich_color),
                "muted": base + Style(color=fade(fg, bg, 0.45).rich_color),
            }
            self._style_key = key
        return self._cached

    def _wrap(self, text: str, width: int) -> list[str]:
        key = (text, width)
        lines = self._wrapped.get(key)
        if lines is None:
            if len(self._wrapped) > _WRAP_CACHE_MAX:
                self._wrapped.clear()
            lines = self._wrapped[key] = wrap_cells(text, width)
        return lines

    render_stream = AppFreeRender.render_standalone

    def draw_lines(self, width: int, height: int, base: Style, fg: Color, bg: Color, no_color: bool) -> list[Strip]:
        st = self._styles(base, fg, bg)
        lang = self.lang
        title = self.title if self.title is not None else t("text_stream_title", lang)
        samples = self._samples
        self.shown, self.left_out = 0, self._older + len(samples)
        if not samples:
            text = f"{title}{t('colon', lang)}{t('waiting_text', lang)}"
            lines = [strip_from_runs([(fit_text(text, width), st["title"])])]
            if self._older and height > 1:
                lines.append(self._line([(t("older_n", lang).format(n=self._older), st["muted"])], width, st))
            return lines

        # The gutter: step, then temperature and score where any text has them, dropped when narrow.
        rows = height - 1
        visible = samples[: max(rows, 0)]
        step_w = max([cell_len(t("step_word", lang)), *(cell_len(f"{s.step:,}") for s in visible)])
        temps = any(s.temperature is not None for s in visible)
        scores = any(s.score is not None for s in visible)
        cols: list[tuple[str, int]] = [("step", step_w)]
        if temps:
            cols.append(("T", max([1, *(cell_len(_fmt_t(s.temperature)) for s in visible)])))
        if scores:
            cols.append(("score", max([cell_len(t("score", lang)), *(cell_len(_fmt_score(s.score)) for s in visible)])))
        usable = width - 1 if width >= RIGHT_GAP_FROM else width  # a blank last cell beside the next panel
        while len(cols) > 1 and usable - sum(w + 1 for _, w in cols) < 16:
            cols.pop()
        gutter_w = sum(w + 1 for _, w in cols)
        text_w = max(1, usable - gutter_w)

        heads = {"step": t("step_word", lang), "T": "T", "score": t("score", lang)}
        head = " ".join(fit_text(heads[name], w, "right") for name, w in cols) + " "
        full = f"{title} · {t('newest_first', lang)}"
        named = full if cell_len(full) <= text_w else fit_text(title, text_w).rstrip()
        lines = [self._line([(head, st["muted"]), (named, st["title"])], width, st)]
        if rows <= 0:
            return lines[:height]

        cap = rows if len(samples) == 1 else max(1, rows // 2)  # no text takes more than half
        shown = 0
        for k, sample in enumerate(samples):
            left = rows - (len(lines) - 1)
            more = self._older + len(samples) - k - 1  # what would be left out after this one
            room = left - (1 if more else 0)
            if room <= 0:
                break
            wrapped = self._wrap(sample.text, text_w)
            take = min(len(wrapped), cap, room)
            style = st["newest"] if k == 0 else st["text"]
            for r in range(take):
                piece = wrapped[r]
                if r == take - 1 and take < len(wrapped):  # cut: say so
                    piece = fit_text(piece + CUT_MARK, text_w).rstrip()
                gutter = self._gutter(sample, cols) if r == 0 else " " * gutter_w
                lines.append(self._line([(gutter, st["muted"]), (piece, style)], width, st))
            shown += 1
        self.shown = shown
        self.left_out = self._older + len(samples) - shown
        if self.left_out:
            lines.append(self._line([(" " * gutter_w + t("older_n", lang).format(n=self.left_out), st["muted"])],
                                    width, st))
        return lines[:height]

    @staticmethod
    def _gutter(sample: Sample, cols: list[tuple[str, int]]) -> str:
        parts = []
        for name, w in cols:
            if name == "step":
                parts.append(f"{sample.step:,}".rjust(w))
            elif name == "T":
                parts.append(_fmt_t(sample.temperature).rjust(w))
            else:
                parts.append(_fmt_score(sample.score).rjust(w))
        return " ".join(parts) + " "

    @staticmethod
    def _line(runs: list[tuple[str, Style]], width: int, st: dict) -> Strip:
        return strip_from_runs(runs).adjust_cell_length(width, st["base"])


def _fmt_t(value: float | None) -> str:
    return "" if value is None else f"{value:.2g}" if value < 10 else f"{value:.0f}"


def _fmt_score(value: float | None) -> str:
    return "" if value is None else fmt_norm(value).replace("-", "−")
