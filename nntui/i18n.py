"""The app's own words in both languages (lesson text lives in lessons/)."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "step": ("Step", "步骤"),
    "intro": ("Intro", "导言"),
    "summary": ("Summary", "小结"),
    "step_word": ("step", "步"),
    "steps_per_s": ("steps/s", "步/秒"),
    "pace": ("pace", "限速"),
    "loss": ("loss", "损失"),
    "acc": ("acc", "准确率"),
    "seed": ("seed", "种子"),
    "worked_example": ("worked example", "算例"),
    "paused_at_check": ("paused at the moment this page describes: space resumes",
                        "已在本页所说的时刻暂停：按空格继续"),
    "controls": ("Controls", "参数"),
    "search": ("Search lessons…", "搜索课程…"),
    "broken": ("broken", "有错误"),
    "done": ("done", "已完成"),
    "experiment": ("experiment", "实验"),
    "starting": ("starting", "启动中"),
    "ready": ("ready", "就绪"),
    "running": ("running", "训练中"),
    "paused": ("paused", "已暂停"),
    "finished": ("finished", "已完成"),
    "diverged": ("diverged", "已发散"),
    "error": ("error", "出错"),
    "press_r": ("train with these settings", "用这些设置训练"),
    "run_over": ("this run is over: press r for a new one", "本次训练已结束：按 r 开始新的一次"),
    "step_done": ("✓ step done: {title}", "✓ 步骤完成：{title}"),
    "edit_hint": ("enter: keep   escape: cancel", "回车：确定   Esc：取消"),
    "screenshot": ("screenshot saved to", "截图已保存到"),
    "no_lessons": ("No lesson matches.", "没有匹配的课程。"),
    # key names in the footer, and what the keys do
    "key_space": ("space", "空格"),
    "key_escape": ("esc", "Esc"),
    "key_enter": ("enter", "回车"),
    "key_tab": ("tab", "Tab"),
    "pause": ("pause", "暂停"),
    "restart": ("restart", "重新训练"),
    "page": ("page", "翻页"),
    "back": ("back", "返回"),
    "quit": ("quit", "退出"),
    "help": ("help", "帮助"),
    "close": ("close", "关闭"),
    "clear": ("clear", "清除"),
    "cancel": ("cancel", "取消"),
    "focus": ("focus", "切换焦点"),
    "language": ("中文", "English"),
    "step_key": ("step", "单步"),
    "search_key": ("search", "搜索"),
    "open_hint": ("enter: open · /: search · l: 中文 · ?: help · q: quit",
                  "回车：打开 · /：搜索 · l：English · ?：帮助 · q：退出"),
}


def t(key: str, lang: str) -> str:
    en, zh = WORDS.get(key, (key, key))
    return zh if lang == "zh" else en
