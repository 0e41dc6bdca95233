"""BeamTree: a beam search drawn as an indented tree, one expansion at a time, greedy beside it.

The prefix (the prompt, or "<s>") is the root; each node is one candidate, a line of its own:
token, its log-probability and the cumulative score ("suis  −0.22  Σ−1.43"), children below
their parent, best first, joined by box characters so that every node's parent can be followed.
An indented tree rather than one column per step: five steps of such nodes do not fit 80
columns side by side, while indentation costs three cells a step.

  kept      bright           finished  "■" and green       pruned  "×" and dim
  best path heavy lines (┡━ ┃ ┗━), amber and bold, "★" on its nodes, "★ best" at its end
  greedy    "◇ greedy" on greedy's node where the tree holds it

Pruned candidates are folded to fit: kept and finished nodes come first, then the pruned ones
nearest to being kept; a parent line says what it hides ("+3 pruned": every token the search
tried but did not keep, counted from the vocabulary). Under the tree, the answers: the beam's
best hypothesis and greedy's, each with its log-probability and probability (exp of the sum),
and which is more probable. `revealed` limits the drawing to the first expansions (`<`, `>`);
then the answers are the best so far, and the last line says "expansion 2/5".
Its own words follow `lang` ("en" or "zh"); tokens and numbers are the same in both.
"""

from __future__ import annotations

import math
from typing import Any

from rich.cells import cell_len
from rich.style import Style
from textual.binding import Binding
from textual.color import Color
from textual.strip import Strip

from nntui.i18n import t
from nntui.spec.decoding_records import BeamSearchResult

from .beam_tree_layout import AT_BEST, AT_BEST_LAST, BEFORE_BEST, ROOT, Row, SearchTree, fit_rows
from .beam_tree_layout import verdict
from .cjk_wrap import wrap_plain
from .numbers import fmt_log, fmt_prob
from .shading import AppFreeRender, LineCacheWidget, fade, fit_text, parse_color, strip_from_runs
from .token_bars import token_label

__all__ = ["BeamTree", "BEST_MARK", "FINISHED_MARK", "PRUNED_MARK", "GREEDY_MARK"]

BEST_COLOR = "#ffaf00"
FINISHED_COLOR = "#5fd75f"
GREEDY_COLOR = "#5fafff"
BEST_MARK, FINISHED_MARK, PRUNED_MARK, GREEDY_MARK = "★", "■", "×", "◇"


Runs = list[tuple[str, Style]]

def legend(lang: str) -> str:
    return "  ".join(f"{mark} {t(key, lang)}" for mark, key in (
        (BEST_MARK, "beam_best"), (FINISHED_MARK, "beam_finished"), (PRUNED_MARK, "beam_pruned")))


def _cut_last(runs: list[tuple[str, Style]], width: int) -> list[tuple[str, Style]]:
    """`runs` in `width` cells, the last run cut with "…" where they do not fit."""
    head = sum(cell_len(text) for text, _ in runs[:-1])
    text, style = runs[-1]
    if head + cell_len(text) <= width or head >= width:
        return runs
    return [*runs[:-1], (fit_text(text, width - head).rstrip(), style)]


class BeamTree(AppFreeRender, LineCacheWidget, can_focus=True):
    """A beam-search tree with the best path, folding and stepping (see the module docstring)."""

    DEFAULT_CSS = """
    BeamTree {
        width: 1fr;
        height: 1fr;
        min-height: 5;
    }
    """

    BINDINGS = [
        Binding("greater_than_sign", "step_forward", "next expansion", show=False),
        Binding("less_than_sign", "step_back", "previous expansion", show=False),
        Binding("end", "show_all", "whole tree", show=False),
    ]

    def __init__(self, title: str = "", **widget_kwargs) -> None:
        super().__init__(**widget_kwargs)
        self.title = title
        self._tree: SearchTree | None = None
        self._greedy: BeamSearchResult | None = None
        self._vocab: list[str] = []
        self._joiner = " "
        self._revealed = 0
        self._at_end = True  # follow new data to its last expansion until the user steps back
        self._shown_search: tuple | None = None
        self._error = ""
        self._style_key: tuple | None = None
        self.rows: list[Row] = []  # what the last build drew (node ids in self.tree.nodes)

    # -- data and stepping ----------------------------------------------------
    def show(self, beam: dict[str, Any], vocab: list[str], *, greedy: dict[str, Any] | None = None, title: str = "") -> None:
        """Show a search (`BeamSearchResult.to_dict()`, JSON round trip allowed) over `vocab`."""
        try:
            self._tree = SearchTree(BeamSearchResult.from_dict(beam), len(vocab))
            self._greedy = BeamSearchResult.from_dict(greedy) if greedy else None
            self._error = ""
        except (KeyError, TypeError, ValueError, IndexError) as exc:  # bad data: say so, never crash
            self._tree, self._greedy = None, None
            self._error = f"{type(exc).__name__}: {exc}"
        self._vocab = [str(v) for v in vocab]
        # Character-level vocabularies spell words; word-level ones need spaces between tokens.
        single = sum(cell_len(v) == 1 for v in self._vocab)
        self._joiner = "" if self._vocab and single >= 0.8 * len(self._vocab) else " "
        if title:
            self.title = title
        steps = self.tree.n_steps if self.tree else 0
        # Another search (prompt, width, penalty, model) opens at its end; the same one decoded
        # again later in training keeps the expansion the learner stepped back to.
        search = self._search_key()
        if search != self._shown_search:
            self._shown_search, self._at_end = search, True
        if self._at_end or self._revealed > steps:
            self._revealed = steps
            self._at_end = True
        self.update_lines()

    def _search_key(self) -> tuple | None:
        result = self.tree.result if self.tree else None
        if result is None:
            return None
        return (result.prefix, result.beam_width, result.length_penalty, tuple(self._vocab))

    @property
    def tree(self) -> SearchTree | None:
        return self._tree

    @property
    def revealed(self) -> int:
        """How many expansions are drawn (0: the prefix alone)."""
        return self._revealed

    @revealed.setter
    def revealed(self, value: int) -> None:
        steps = self.tree.n_steps if self.tree else 0
        value = max(0, min(int(value), steps))
        self._at_end = value == steps
        if value != self._revealed:
            self._revealed = value
            self.update_lines()

    def step_forward(self) -> None:
        self.revealed = self._revealed + 1

    def step_back(self) -> None:
        self.revealed = self._revealed - 1

    def show_all(self) -> None:
        self.revealed = self.tree.n_steps if self.tree else 0

    action_step_forward, action_step_back, action_show_all = step_forward, step_back, show_all

    # -- text -----------------------------------------------------------------
    def token_text(self, token: int | None) -> str:
        if token is None:
            return ""
        return token_label(self._vocab[token]) if 0 <= token < len(self._vocab) else f"#{token}"

    def _sentence(self, tokens: list[int] | tuple[int, ...]) -> str:
        words = [self._vocab[t] if 0 <= t < len(self._vocab) else f"#{t}" for t in tokens]
        return self._joiner.join(words).replace("\n", "⏎")

    def _lead(self) -> str:
        """Characters join into one word: the answer reads whole with its prompt ("wi" + "lbert.")."""
        prefix = self.tree.result.prefix if self.tree else ()
        return self._sentence(prefix) if self._joiner == "" and prefix else ""

    def _prefix_text(self) -> str:
        prefix = self.tree.result.prefix if self.tree else ()
        return self._sentence(prefix) if prefix else "<s>"

    # -- building -------------------------------------------------------------
    def _styles(self, base: Style, fg: Color, bg: Color, no_color: bool) -> dict[str, Style]:
        key = (base, fg, bg, no_color)
        if key != self._style_key:
            text = base + Style(color=fg.rich_color)
            dim = base + Style(color=fade(fg, bg, 0.55).rich_color, dim=no_color)  # no colour: SGR dim
            self._cached = {
                "base": base,
                "text": text,
                "bold": text + Style(bold=True),
                "muted": base + Style(color=fade(fg, bg, 0.45).rich_color),
                "pruned": dim,
                "best": base + Style(color=parse_color(BEST_COLOR).rich_color, bold=True),
                "finished": base + Style(color=parse_color(FINISHED_COLOR).rich_color),
                "greedy": base + Style(color=parse_color(GREEDY_COLOR).rich_color),
            }
            self._style_key = key
        return self._cached

    render_tree = AppFreeRender.render_standalone

    def draw_lines(self, width: int, height: int, base: Style, fg: Color, bg: Color, no_color: bool) -> list[Strip]:
        st = self._styles(base, fg, bg, no_color)
        tree = self.tree
        if tree is None:
            message = f"{t('cannot_draw', self.lang)}{t('colon', self.lang)}{self._error}" if self._error else t("waiting_beam", self.lang)
            return [self._line([(self.title or t("beam_search", self.lang), st["bold"])], width, st),
                    self._line([(message, st["muted"])], width, st)][:height]
        leader = tree.leader(self._revealed)
        greedy_node = self._greedy_node()
        best_path = set(tree.path(leader)) if leader is not None else {ROOT}

        answers, closing = self._answer_lines(leader, width, st)
        has_title = height >= 3
        room = max(height - has_title - 2, 0)  # a short widget keeps 2 rows of tree, and loses
        answers = answers[:room]  # the closing line first, then the last answer lines
        answers += self._wrapped(closing, width, room - len(answers))
        budget = height - has_title - len(answers)
        first = [n for n in (leader, greedy_node) if n is not None]
        self.rows = fit_rows(tree, self._revealed, budget, first, best_path)

        lines = [self._title_line(width, st)] if has_title else []
        lines += self._tree_lines(self.rows, width, st, best_path, leader, greedy_node)
        lines += [Strip.blank(width, base)] * (height - len(lines) - len(answers))
        lines += [self._line(runs, width, st) for runs in answers]
        return lines[:height]

    def _greedy_node(self) -> int | None:
        if self._greedy is None or not self._greedy.hypotheses or self.tree is None:
            return None
        return self.tree.find(self._greedy.hypotheses[0].new_tokens[: self._revealed]) if self._revealed else None

    @staticmethod
    def _line(runs: list[tuple[str, Style]], width: int, st: dict) -> Strip:
        return strip_from_runs(runs).adjust_cell_length(width, st["base"])

    def _title_line(self, width: int, st: dict) -> Strip:
        result = self.tree.result  # type: ignore[union-attr]
        text = self.title or t("beam_search", self.lang)
        text += " · " + t("beam_width", self.lang).format(n=result.beam_width)
        if result.length_penalty:
            text += " · " + t("length_penalty", self.lang).format(x=f"{result.length_penalty:g}")
        runs = [(fit_text(text, width) if cell_len(text) > width else text, st["bold"])]  # cut with "…"
        room = width - cell_len(text) - 2
        marks = legend(self.lang)
        if room >= cell_len(marks):
            runs.append((" " * (room + 2 - cell_len(marks)) + marks, st["muted"]))
        return self._line(runs, width, st)

    def _tree_lines(self, rows: list[Row], width: int, st: dict, best_path: set[int], leader: int | None, greedy_node: int | None) -> list[Strip]:
        nodes = self.tree.nodes  # type: ignore[union-attr]
        labels = {row.node: self.token_text(nodes[row.node].token) for row in rows}
        logs = {row.node: fmt_log(nodes[row.node].log_prob) for row in rows}
        sums = {row.node: "Σ" + fmt_log(nodes[row.node].score) for row in rows}
        log_w = max((len(logs[r.node]) for r in rows[1:]), default=0)
        sum_w = max((len(sums[r.node]) for r in rows[1:]), default=0)
        numbers_w = log_w + 2 + sum_w
        # Three cells a level ("│  ", "├─"), two when a deep tree needs the room ("│ ", "├"),
        # and only then are tokens cut.
        for indent in (3, 2):
            tree_w = max((r.depth * indent + cell_len(labels[r.node]) for r in rows[1:]), default=0)
            if tree_w + 2 + numbers_w + 2 <= width:
                break
        room = width - 2 - numbers_w
        # Numbers go only when the room they leave for the tree is less than a short token needs.
        show_numbers = room >= min(tree_w, 2 * indent + 3)
        tree_w = min(tree_w, room)
        if not show_numbers:
            tree_w = width

        out = []
        final = self._revealed >= self.tree.n_steps  # type: ignore[union-attr]
        for row in rows:
            node = nodes[row.node]
            if row.node == ROOT:
                runs = [(fit_text(self._prefix_text(), max(1, width - 12)).rstrip(), st["bold"])]
            else:
                runs = self._guide_runs(row, indent, st)
                label_w = max(0, tree_w - row.depth * indent)
                style = self._node_style(node.fate, row.node in best_path, st)
                runs.append((fit_text(labels[row.node], label_w), style))
                if show_numbers:
                    number_style = st["pruned"] if node.fate == "pruned" else st["text"]
                    runs.append(("  " + logs[row.node].rjust(log_w) + "  " + sums[row.node].rjust(sum_w), number_style))
            room = width - sum(cell_len(text) for text, _ in runs)
            tags = self._tags(row, leader, greedy_node, best_path, final, st)
            if sum(cell_len(text) for text, _ in tags) > room:  # what the fold hides, in marks only
                tags = self._tags(row, leader, greedy_node, best_path, final, st, compact=True)
            out.append(self._line(runs + tags, width, st))
        return out

    @staticmethod
    def _node_style(fate: str, on_best: bool, st: dict) -> Style:
        if on_best:
            return st["best"]
        return {"pruned": st["pruned"], "finished": st["finished"]}.get(fate, st["text"])

    @staticmethod
    def _guide_runs(row: Row, indent: int, st: dict) -> list[tuple[str, Style]]:
        runs = [(char + " " * (indent - 1), st["best"] if heavy else st["muted"]) for char, heavy in row.guides]
        char = row.junction
        heavy_branch = char in (AT_BEST, AT_BEST_LAST)  # the branch into the best child itself
        runs.append((char, st["best"] if char in (BEFORE_BEST, AT_BEST, AT_BEST_LAST) else st["muted"]))
        if indent == 3:
            runs.append(("━" if heavy_branch else "─", st["best"] if heavy_branch else st["muted"]))
        return runs

    def _tags(
        self, row: Row, leader: int | None, greedy_node: int | None, best_path: set[int], final: bool, st: dict,
        compact: bool = False,
    ) -> list[tuple[str, Style]]:
        """The marks after the numbers: ★ on the best path, ◇ greedy, and what the fold hides
        ("+1 beam +4 pruned"; `compact`: "+1 +4×", the legend's mark for pruned)."""
        node = self.tree.nodes[row.node]  # type: ignore[union-attr]
        runs: list[tuple[str, Style]] = []
        if row.node != ROOT:  # a column of its own, so that the marks after it line up
            fate_mark = {"pruned": PRUNED_MARK, "finished": FINISHED_MARK}.get(node.fate, " ")
            runs.append((" " + fate_mark, st["pruned"] if node.fate == "pruned" else st["finished"]))
        if row.node == leader:
            runs.append((f" {BEST_MARK} {t('beam_best' if final else 'beam_leading', self.lang)}", st["best"]))
        elif row.node in best_path and row.node != ROOT:
            runs.append((" " + BEST_MARK, st["best"]))
        if row.node == greedy_node and row.node != ROOT:
            runs.append((f" {GREEDY_MARK} {t('greedy', self.lang)}", st["greedy"]))
        hidden = []
        if row.hidden_beams:
            key = "hidden_beam" if row.hidden_beams == 1 else "hidden_beams"
            hidden.append(f"+{row.hidden_beams}" if compact else t(key, self.lang).format(n=row.hidden_beams))
        if row.hidden_pruned:
            pruned = t("hidden_pruned", self.lang).format(n=row.hidden_pruned)
            hidden.append(f"+{row.hidden_pruned}{PRUNED_MARK}" if compact else pruned)
        if hidden:
            runs.append(((" " if compact else "  ") + " ".join(hidden), st["muted"]))
        return runs

    def _answer_lines(self, leader: int | None, width: int, st: dict) -> tuple[list[Runs], tuple[str, Style]]:
        """beam's and greedy's answers with log p and p; and the closing line: the verdict or the stepping hint."""
        tree = self.tree
        assert tree is not None
        final = self._revealed >= tree.n_steps
        lang = self.lang
        not_yet = t("not_expanded", lang)
        answers: list[tuple[str, str, float | None, Style]] = []
        if leader is not None:
            tokens = tree.tokens(leader)
            done = tree.nodes[leader].fate == "finished"
            answers.append((t("beam", lang), self._lead() + self._sentence(tokens) + ("" if done or final else " …"),
                            tree.nodes[leader].score, st["best"]))
        else:
            answers.append((t("beam", lang), not_yet, None, st["best"]))
        greedy_log = None
        if self._greedy is not None and self._greedy.hypotheses:
            hyp = self._greedy.hypotheses[0]
            n = len(hyp.new_tokens) if final else min(self._revealed, len(hyp.new_tokens))
            cut = self._greedy.steps[n - 1] if 0 < n <= len(self._greedy.steps) else ()
            greedy_log = hyp.log_prob if n == len(hyp.new_tokens) else (cut[0].score if cut else 0.0)
            text = self._lead() + self._sentence(hyp.new_tokens[:n]) + ("" if n == len(hyp.new_tokens) else " …")
            answers.append((t("greedy", lang), text if n else not_yet, greedy_log if n else None, st["greedy"]))

        text_w = max(cell_len(a[1]) for a in answers)
        label_w = max(7, *(cell_len(a[0]) + 1 for a in answers))
        lines = []
        for label, text, log_p, label_style in answers:
            runs = [(fit_text(label, label_w), label_style), (fit_text(text, text_w), st["text"])]
            if log_p is not None:
                runs.append((f"   log p {fmt_log(log_p)}  p {fmt_prob(math.exp(log_p))}", st["muted"]))
            lines.append(runs)
        # A sentence that would push its numbers off the line gets a line of its own under them,
        # so the whole answer, `</s>` included, stays readable at 80x24 (cut only if even that
        # line is too short).
        if any(sum(cell_len(text) for text, _ in runs) > width for runs in lines):
            split = []
            for runs in lines:
                label, sentence, *numbers = runs
                split.append(_cut_last([label, *((n.lstrip(), style) for n, style in numbers)], width))
                split.append(_cut_last([(" " * label_w, label[1]), (sentence[0].rstrip(), sentence[1])], width))
            lines = split

        if not final:
            closing = (t("expansion", lang).format(i=self._revealed, n=tree.n_steps), st["muted"])
        elif leader is not None and greedy_log is not None:
            closing = (verdict(tree.nodes[leader].score, greedy_log, lang), st["text"])
        else:
            closing = ("", st["text"])
        return lines, closing

    @staticmethod
    def _wrapped(closing: tuple[str, Style], width: int, room: int) -> list[Runs]:
        """The closing line (the verdict, or where the stepping is) wrapped to the width, in at
        most `room` lines; the last one kept ends in "…" where the rest did not fit."""
        text, style = closing
        if not text or room <= 0:
            return []
        wrapped = wrap_plain(text, width)
        kept = wrapped[:room]
        if len(wrapped) > room:
            kept[-1] = fit_text(kept[-1] + " " + wrapped[room], width).rstrip()
        return [[(fit_text(line, width).rstrip(), style)] for line in kept]
