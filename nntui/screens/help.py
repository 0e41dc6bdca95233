"""The help screen: every key, in the current language."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from nntui.visuals import help_rows

KEYS = (  # the lesson's and the app's own keys; each visual adds its rows after "tab" (nntui/visuals)
    ("space", "pause / resume training", "暂停 / 继续训练"),
    (".", "one step while paused", "暂停时单步训练"),
    ("r", "restart with the current controls (a new run)", "用当前参数重新开始（新的一次运行）"),
    ("n / p", "next / previous guide page", "下一页 / 上一页"),
    ("↑ ↓", "choose a control", "选择参数"),
    ("← →", "change the chosen control", "修改所选参数"),
    ("- +", "slow motion: 100, 30, 10, 3, 1 steps/s; + back to full speed",
     "慢动作：每秒 100、30、10、3、1 步；+ 恢复全速"),
    ("tab", "move focus (guide, controls, heatmap)", "切换焦点（讲解、参数、热力图）"),
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
        tab = next(i for i, row in enumerate(KEYS) if row[0] == "tab") + 1
        visual_rows = [(row.keys, row.en, row.zh) for row in help_rows()]
        for key, en, cn in (*KEYS[:tab], *visual_rows, *KEYS[tab:]):
            table.add_row(key, cn if zh else en)
        with VerticalScroll(id="help"):
            yield Static(table)
