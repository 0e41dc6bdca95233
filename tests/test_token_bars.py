"""Tests of the TokenBars widget: the next-token distribution before and after filtering."""

from __future__ import annotations

import math

import torch
from textual.app import App, ComposeResult

from nntui.lab.decoding import filter_distribution
from nntui.lab.decoding_notes import NOTES_TABLE, NOTES_VOCAB, START
from nntui.widgets.token_bars import FILTERED_MARK, TokenBars, token_label

# A character vocabulary with a space, and fixed smooth logits (no random generator).
CHARS = list(" etaoinshrdlucmfwypvbgkjqxz.") + ["</s>"]
LOGITS = torch.tensor([3.0 - 0.25 * i + 0.3 * math.sin(i) for i in range(len(CHARS))], dtype=torch.float64)


def char_distribution(**filters) -> tuple[list[float], list[float]]:
    probs = torch.softmax(LOGITS, dim=0)
    kept = filter_distribution(LOGITS, **filters)
    return probs.tolist(), kept.tolist()


def notes_bars(top_k: int = 2) -> TokenBars:
    """The notes' first step (</s> 0.1, étudiant 0.1, je 0.3, moi 0.4, suis 0.1) with top-k filtering."""
    probs = [NOTES_TABLE[START][w] for w in NOTES_VOCAB]
    kept = filter_distribution(torch.tensor(probs, dtype=torch.float64).log(), top_k=top_k).tolist()
    bars = TokenBars()
    bars.show(list(NOTES_VOCAB), probs, kept, title="after <s>")
    return bars


def lines(bars: TokenBars, width: int = 60, height: int = 12, no_color: bool = False) -> list[str]:
    return [s.text for s in bars.render_bars(width, height, no_color=no_color)]


def test_rows_are_sorted_by_probability_ties_in_token_order():
    bars = notes_bars()
    text = lines(bars)
    assert [NOTES_VOCAB[i] for i in bars.shown] == ["moi", "je", "</s>", "étudiant", "suis"]
    assert text[1].split()[:3] == ["moi", text[1].split()[1], "0.400"]
    assert [row.split()[-2] for row in text[3:6]] == ["0.100"] * 3
    assert text[0].startswith("after <s>") and text[0].rstrip().endswith("p   kept")


def test_filtered_tokens_are_marked_and_kept_ones_renormalised():
    bars = notes_bars(top_k=2)
    text = lines(bars)
    assert text[1].rstrip().endswith("0.400  0.571") and text[2].rstrip().endswith("0.300  0.429")
    for row in text[3:6]:
        assert row.rstrip().endswith(FILTERED_MARK)
    plain = lines(bars, no_color=True)
    for row in plain[3:6]:  # NO_COLOR: a dotted bar instead of blocks, still marked
        assert "·" in row and "█" not in row and "▌" not in row
    assert "█" in plain[1]


def test_filtered_tokens_are_dim():
    bars = notes_bars(top_k=2)
    strips = bars.render_bars(60, 8)
    kept_label = next(seg for seg in strips[1] if seg.text.strip() == "moi")
    cut_label = next(seg for seg in strips[3] if seg.text.strip() == "</s>")
    assert kept_label.style.color != cut_label.style.color


def bar_eighths(strip) -> int:
    """A row's bar length in eighths of a cell, read back from its block characters."""
    bar = next(seg.text for seg in strip if seg.text and set(seg.text) <= set("▏▎▍▌▋▊▉█"))
    return sum("▏▎▍▌▋▊▉█".index(ch) + 1 for ch in bar)


def test_bars_use_eighth_blocks_for_sub_cell_lengths():
    bars = notes_bars()
    strips = bars.render_bars(60, 8)
    top, second = bar_eighths(strips[1]), bar_eighths(strips[2])
    assert top == 8 * (60 - 1 - 8 - 1 - 1 - 12)  # the most likely token fills the bar width (the last cell is a gap)
    assert second == round(0.3 / 0.4 * top) and second % 8  # 0.3 / 0.4 of it, ending in a partial block


def test_more_line_sums_what_does_not_fit():
    probs, kept = char_distribution(top_p=0.8)
    bars = TokenBars()
    bars.show(CHARS, probs, kept)
    text = lines(bars, width=60, height=10)
    assert len(text) == 10 and len(bars.shown) == 8
    rest = sorted(probs, reverse=True)[8:]
    assert text[-1].startswith(f"… {len(CHARS) - 8} more tokens, p={sum(rest):.2f}")
    assert text[2].lstrip().startswith("␣ ")  # the space, second most likely here, as "␣"
    bars.show(CHARS, probs, kept, top=3)
    text = lines(bars, width=60, height=10)
    assert len(bars.shown) == 3 and text[4].startswith(f"… {len(CHARS) - 3} more tokens")
    bars.show(CHARS, probs, [])  # no filtering: one number per row
    assert "kept" not in lines(bars)[0] and FILTERED_MARK not in "".join(lines(bars))


def test_any_size_gives_exact_widths():
    probs, kept = char_distribution(top_k=5, temperature=0.7)
    full = TokenBars()
    full.show(CHARS, probs, kept)
    empty = TokenBars()
    for no_color in (False, True):
        for width in (1, 2, 5, 9, 17, 40, 80):
            for height in (1, 2, 3, 5, 24):
                for bars in (full, empty):
                    strips = bars.render_bars(width, height, no_color=no_color)
                    assert len(strips) <= height
                    assert all(s.cell_length == width for s in strips), (width, height)


def test_column_headings_outlast_a_long_title_and_follow_the_language():
    """At 80x24 the panel is 23 columns: the title takes a line of its own (its end cut with "…"),
    "p" and "kept" head the columns on the next; with room, they share one line."""
    bars = notes_bars()
    bars.show(list(NOTES_VOCAB), [0.3, 0.4, 0.1, 0.1, 0.1], [0.43, 0.57, 0, 0, 0],
              title="next token · T 1 · top-k 2 · top-p 1")
    title, head = lines(bars, 23, 8)[:2]
    assert title.startswith("next token · T 1") and title.rstrip().endswith("…")
    assert head.rstrip().endswith("p   kept") and not head.strip().startswith("next")
    assert title[-1] == head[-1] == " "  # a gap to the panel beside it
    wide = lines(bars, 60, 8)[0]
    assert wide.startswith("next token · T 1 · top-k 2 · top-p 1") and wide.rstrip().endswith("p   kept")
    bars.lang = "zh"
    text = "\n".join(lines(bars, 40, 4))
    assert "保留" in text and "另有 3 个词元" in text and "kept" not in text and "more" not in text


def test_token_label_makes_whitespace_visible():
    assert token_label(" ") == "␣" and token_label("a b\n") == "a␣b⏎" and token_label("</s>") == "</s>"


class TokenBarsApp(App):
    def compose(self) -> ComposeResult:
        yield TokenBars(id="bars")

    def on_mount(self) -> None:
        probs, kept = char_distribution(top_p=0.8)
        self.query_one(TokenBars).show(CHARS, probs, kept, title="next character · top-p 0.8")


def test_snapshot(snap_compare, no_color):
    app = TokenBarsApp()
    assert app.no_color is no_color
    assert snap_compare(app, terminal_size=(80, 24))
