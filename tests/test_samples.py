"""Tests of the SampleList widget: sampled sequences grouped, marked and cut to fit (no snapshots)."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

from nntui.spec.events import Decoding
from nntui.visuals.decoding import update_samples
from nntui.widgets.samples import CUT_MARK, IN_DATA_MARK, SampleList, group_samples

LETTERS = [".", *"abcdefghijklmnopqrstuvwxyz"]
WORDS = ["</s>", "étudiant", "je", "moi", "suis"]


def name(text: str, log_prob: float, in_data: bool | None = False, finished: bool = True) -> dict:
    tokens = [0, *(LETTERS.index(ch) for ch in text)] + ([0] if finished else [])
    return {"tokens": tokens, "log_prob": log_prob, "finished": finished, "in_data": in_data}


DRAWS = [
    name("brenda", -3.15, True), name("britt", -5.23, True), name("brenda", -3.15, True),
    name("brauglo", -13.13), name("brittnieanne", -21.5, finished=False), name("brenda", -3.15, True),
]


def lines(widget: SampleList, width: int = 40, height: int = 12) -> list[str]:
    return [strip.text for strip in widget.render_samples(width, height, no_color=True)]


def shown(samples: list[dict], vocab: list[str] = LETTERS, **size) -> tuple[SampleList, list[str]]:
    widget = SampleList()
    widget.show(vocab, samples)
    return widget, lines(widget, **size)


def test_equal_draws_share_a_line_in_first_drawn_order():
    groups = group_samples(DRAWS)
    assert [count for _, count in groups] == [3, 1, 1, 1]
    widget, text = shown(DRAWS)
    assert widget.shown == [f".brenda. {IN_DATA_MARK} ×3", f".britt. {IN_DATA_MARK}", ".brauglo.",
                            f".brittnieanne{CUT_MARK}"]
    assert text[0].startswith("6 samples") and f"{IN_DATA_MARK} in data" in text[0]
    assert text[1].startswith(".brenda. ✓ ×3") and text[1].rstrip().endswith("−3.15")
    assert text[3].rstrip().endswith("−13.13")
    assert all(len(line) == 40 for line in text)


def test_narrow_panel_drops_the_log_probabilities_then_cuts_names():
    _, wide = shown(DRAWS, width=30)
    _, narrow = shown(DRAWS, width=16)
    assert "−3.15" in wide[1] and "−" not in "".join(narrow[1:])
    assert narrow[1].startswith(".brenda. ✓ ×3")
    assert narrow[4].rstrip().endswith("…") and len(narrow[4]) == 16
    assert narrow[0].startswith("6 samples") and "in data" not in narrow[0]  # no room for the legend


def test_short_panel_says_how_many_lines_it_hides():
    _, text = shown(DRAWS, height=3)
    assert len(text) == 3 and text[1].startswith(".brenda.") and text[2].startswith("… 3 more")


def test_words_get_spaces_and_no_data_means_no_marks():
    draws = [{"tokens": [3, 4, 1, 0], "log_prob": -2.81, "finished": True, "in_data": None}] * 2
    widget, text = shown(draws, vocab=WORDS)
    assert widget.shown == ["moi suis étudiant </s> ×2"]
    assert text[0].startswith("2 samples") and IN_DATA_MARK not in text[0]


def test_waiting_then_chinese_words():
    widget = SampleList()
    assert lines(widget)[0].startswith("samples: waiting")
    widget.lang = "zh"
    widget.show(LETTERS, DRAWS)
    assert lines(widget)[0].startswith("6 个采样")


def test_update_takes_the_current_runs_latest_decoding():
    widget = SampleList()
    decoding = SimpleNamespace(vocab=LETTERS, samples=DRAWS[:2])
    run = SimpleNamespace(latest_of=lambda kind, name=None: decoding if kind is Decoding else None)
    update_samples(widget, SimpleNamespace(current=run), "en")
    lines(widget)
    assert widget.shown == [".brenda. ✓", ".britt. ✓"]
    update_samples(widget, SimpleNamespace(current=None), "zh")  # no run: keeps what it had
    assert lines(widget)[0].startswith("2 个采样") and len(widget.shown) == 2


def test_widget_module_does_not_import_torch():
    code = "import sys, nntui.widgets.samples; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_log_p_column_has_a_heading_when_it_is_drawn():
    draws = [{"tokens": [3, 4, 1, 0], "log_prob": -2.81, "finished": True}]
    widget, text = shown(draws, vocab=WORDS)
    assert text[0].rstrip().endswith("log p") and "−2.81" in text[1]
