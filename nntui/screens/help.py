"""The help screen: every key, in the current language."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = (
    ("space", "pause / resume training", "暂停 / 继续训练"),
    (".", "one step while paused", "暂停时单步训练"),
    ("r", "restart with the current controls (a new run)", "用当前参数重新开始（新的一次运行）"),
    ("n / p", "next / previous guide page", "下一页 / 上一页"),
    ("↑ ↓", "choose a control", "选择参数"),
    ("← →", "change the chosen control", "修改所选参数"),
    ("- +", "slow motion: 100, 30, 10, 3, 1 steps/s; + back to full speed",
     "慢动作：每秒 100、30、10、3、1 步；+ 恢复全速"),
    ("tab", "move focus (guide, controls, heatmap)", "切换焦点（讲解、参数、热力图）"),
    ("[ ]  { }", "attention: choose the layer / the head", "注意力：选择层 / 注意力头"),
    ("g", "attention: every head at once / one map", "注意力：同时显示所有头 / 单张图"),
    ("v", "attention: weights, raw, scaled or masked scores", "注意力：权重、原始、缩放或掩码后的分数"),
    ("> <", "beam search: one expansion further / back", "束搜索：前进 / 后退一次扩展"),
    ("End", "beam search (tree focused): the whole search", "束搜索（焦点在树上）：显示整次搜索"),
    ("← → Home End", "tokens (strip focused): the token read out", "词元（焦点在词元条上）：读出哪个词元"),
    ("← → ↑ ↓ Home", "decision field (focused): move the cursor / back to (0, 0)",
     "决策区域（有焦点时）：移动光标 / 回到 (0, 0)"),
    ("l", "English / 简体中文", "English / 简体中文"),
    ("s", "save a screenshot (SVG)", "保存截图（SVG）"),
    ("?", "this help", "本帮助"),
    ("q / Esc", "back / quit", "返回 / 退出"),
)


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,q,question_mark", "app.pop_screen", "close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 64; max-width: 95%; height: auto; max-height: 90%;
                                  border: round $accent; padding: 0 1; background: $surface; }
    """

    def compose(self) -> ComposeResult:
        zh = self.app.lang == "zh"
        table = Table(title="nntui — 按键" if zh else "nntui — keys", box=None, show_header=False)
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for key, en, cn in KEYS:
            table.add_row(key, cn if zh else en)
        with VerticalScroll(id="help"):
            yield Static(table)
