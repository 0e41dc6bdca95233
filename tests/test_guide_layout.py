"""The guide's text at any width: Chinese broken by the line-breaking rules, wide tables stacked."""

from __future__ import annotations

import re

import pytest
from rich.cells import cell_len
from textual.app import App
from textual.widgets import Markdown

from nntui.widgets.cjk_wrap import wrap_cjk_markdown
from nntui.widgets.guide_tables import stack_wide_tables, table_width
from screen_text import screen_lines

PARAGRAPH = ("按 **r**：就是开场的那个网络，训练 1,000 步。看 **grad_bars**：每一层的梯度大约只有它后一层"
             "（靠输出端那层）的 1/4。输出层的 `train_loss` 接近 0.125，而 bptt_ratio 约为 8e-11。")
# Chinese written without spaces around identifiers, as many writers do.
UNSPACED = "训练一千步之后，输出层的train_loss降到0.125左右，而第一层的bptt_ratio约为8e-11，几乎没有梯度传回来（见grad_bars）。"
CLOSERS = "，。；：、）」』》！？"
WORDS = ("grad_bars", "train_loss", "bptt_ratio", "0.125", "8e-11", "1,000", "1/4")


class Page(App):
    def __init__(self, source: str) -> None:
        super().__init__()
        self.source = source

    def compose(self):
        yield Markdown(self.source)


async def shown(source: str, width: int) -> list[str]:
    """How Textual's Markdown lays out `source` laid out by us for `width` text cells."""
    app = Page(wrap_cjk_markdown(source, width))
    async with app.run_test(size=(width + 4, 40)) as pilot:  # Markdown pads 2 cells each side
        await pilot.pause(0.2)
        return [line.rstrip() for line in screen_lines(app) if line.strip()]


@pytest.mark.parametrize("paragraph", [PARAGRAPH, UNSPACED], ids=["spaced", "unspaced"])
@pytest.mark.parametrize("width", [20, 29, 41, 60])
async def test_chinese_lines_fit_never_split_a_word_and_never_start_with_closing_punctuation(width, paragraph):
    lines = await shown(paragraph, width)
    text = "".join(line.strip() for line in lines)
    assert text.replace(" ", "") == re.sub(r"[*`\s]", "", paragraph)  # nothing lost or repeated
    for line in lines:
        assert cell_len(line.strip()) <= width
        assert line.strip()[0] not in CLOSERS, line
    for word in WORDS:  # each identifier and number whole on one line
        assert word not in paragraph or any(word in line for line in lines), word
    assert all(cell_len(line.strip()) >= width - 14 for line in lines[:-1])  # filled (less a word), not ragged


async def test_without_our_breaks_textual_does_split_them():
    """The reason for cjk_wrap: Textual alone folds a Chinese run wherever the line is full."""
    faults = []
    for width in (20, 29, 41, 60):
        app = Page(UNSPACED)
        async with app.run_test(size=(width + 4, 40)) as pilot:
            await pilot.pause(0.2)
            lines = [line.strip() for line in screen_lines(app) if line.strip()]
        faults += [word for word in WORDS if word in UNSPACED and not any(word in line for line in lines)]
        faults += [line for line in lines if line[0] in CLOSERS]
    assert faults


async def test_list_items_keep_their_hanging_indent():
    source = "1. tanh RNN，默认初始化：比值约 8e-11，停在瞎猜的水平，学不会任何东西。\n2. T = 10：比值约 0.006，学得会。"
    lines = await shown(source, 24)
    assert lines[0].lstrip().startswith("1. tanh")
    indent = len(lines[0]) - len(lines[0].lstrip()) + 3
    assert all(len(line) - len(line.lstrip()) == indent for line in lines[1:3])
    assert any(line.lstrip().startswith("2. T = 10") for line in lines)


def test_text_without_wide_characters_and_code_blocks_are_left_alone():
    english = "Press **r** to train the net for a thousand steps and watch the bars."
    assert wrap_cjk_markdown(english, 20) == english
    code = "```\nh_t = tanh(W x_t + U h_{t-1} + b)，一个很长很长很长的公式\n```"
    assert wrap_cjk_markdown(code, 20) == code


TABLE = """| sentence | sum | product |
|---|---|---|
| je suis étudiant | 0.3+0.8+0.9 | 0.216 |
| moi suis étudiant | 0.4+0.6+0.5 | 0.120 |"""


def test_a_table_that_fits_stays_a_table_one_that_does_not_becomes_a_list():
    assert table_width([["sentence", "sum", "product"], ["moi suis étudiant", "0.4+0.6+0.5", "0.120"]]) == 45
    assert stack_wide_tables(TABLE, 45) == TABLE
    stacked = stack_wide_tables(TABLE, 44)
    assert "|" not in stacked
    assert "- **je suis étudiant**: sum 0.3+0.8+0.9 · product 0.216" in stacked
    assert "- **moi suis étudiant**: sum 0.4+0.6+0.5 · product 0.120" in stacked


async def test_a_stacked_table_shows_every_number_whole_at_80x24_width():
    from nntui.widgets.guide import layout_markdown

    app = Page(layout_markdown(TABLE, 29))
    async with app.run_test(size=(33, 30)) as pilot:
        await pilot.pause(0.2)
        text = "\n".join(screen_lines(app))
    for number in ("0.3+0.8+0.9", "0.216", "0.4+0.6+0.5", "0.120"):
        assert number in text
    assert "…" not in text


async def test_a_line_that_would_read_as_a_list_or_heading_stays_in_its_paragraph():
    source = "所以每个隐藏单元画出一条曲线 f(w x + b)，输出层再把它们加起来：一二三四 1. 第一 # 第二。"
    for width in range(18, 34):
        lines = await shown(source, width)
        text = "".join(line.strip() for line in lines)
        assert "\\" not in text and "•" not in text, (width, lines)
        assert text.replace(" ", "") == source.replace(" ", ""), (width, lines)


def test_plain_chinese_text_breaks_by_the_same_rules():
    from nntui.widgets.cjk_wrap import break_plain

    summary = "一个很小的网络现场拟合一维函数：激活函数activation(w·x + b)与深度，以及没有非线性时为什么整个网络只是一个线性映射。"
    lines = break_plain(summary, 20).split("\n")
    assert all(cell_len(line) <= 20 for line in lines) and all(line[0] not in CLOSERS for line in lines)
    assert "".join(lines).replace(" ", "") == summary.replace(" ", "")
    assert break_plain("plain English stays as it is", 10) == "plain English stays as it is"
