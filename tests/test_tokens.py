"""The token strip (widgets/tokens.py): tokens as cells with marks and colour classes, wrapping, a
cursor and its readout; its event (TokenSequence), history, panel, CSV; snapshots."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from textual.app import App, ComposeResult

from nntui.export import export_csv
from nntui.runtime.history import History
from nntui.visuals import VISUALS
from nntui.spec.events import TOKEN_MARKS, RunStarted, TokenSequence, from_dict
from nntui.spec.recording_check import Invalid, check_event
from nntui.widgets.tokens import BRACKETS, MARK_GLYPHS, TokenStrip, flow
from widget_harness import spy_refreshes

# "the lowest newest widest" cut by a BPE tokenizer after a few merges, the latest "est"
BPE = ["the", " low", "est", " new", "est", " w", "id", "est", "\n", "low", "er", "\t", "new", "er"]
BPE_MARKS = ["", "", "merged", "", "merged", "", "", "merged", "", "", "", "", "", ""]
BPE_CLASSES = [0, 1, 1, 2, 2, 3, 3, 3, 4, 5, 5, 6, 7, 7]  # the word each piece belongs to

# BERT's masked language model on one sentence: 15% chosen, [MASK] / random / kept, predicted
BERT = ["[CLS]", "my", "dog", "is", "[MASK]", "and", "he", "likes", "apple", "play", "##ing", "[SEP]"]
BERT_MARKS = ["", "", "", "", "masked", "", "", "", "replaced", "right", "wrong", ""]
BERT_NOTES = ["", "", "", "", "predicted hairy (0.62) ✓", "", "", "", "predicted to (0.41), was: to", "", "predicted ##s (0.3)", ""]


def strip_lines(strip: TokenStrip, width: int, height: int, no_color: bool = False) -> list[str]:
    return [s.text for s in strip.render_strip(width, height, no_color=no_color)]


def long_strip(n: int = 300) -> TokenStrip:
    strip = TokenStrip("long")
    strip.show([f" t{i}" for i in range(n)], ids=list(range(n)), marks=[TOKEN_MARKS[i % 5] if i % 3 == 0 else "" for i in range(n)])
    return strip


# ---------------------------------------------------------------------------
# Pure parts
# ---------------------------------------------------------------------------
def test_flow_fills_lines_greedily_one_blank_apart():
    assert flow([3, 3, 3, 3], 0, 7, 9) == [[0, 1], [2, 3]]  # 3 + 1 + 3 = 7
    assert flow([3, 3, 3, 3], 0, 6, 9) == [[0], [1], [2], [3]]
    assert flow([3, 3, 3, 3], 1, 7, 1) == [[1, 2]]  # from token 1, one line
    assert flow([3, 3, 3], 0, 7, 9, first_reserve=4) == [[0], [1, 2]]
    assert flow([9, 2], 0, 5, 9) == [[0], [1]]  # wider than a line: a line of its own


def test_whitespace_is_visible_and_marks_have_glyphs():
    strip = TokenStrip()
    strip.show(BPE, marks=BPE_MARKS, classes=BPE_CLASSES)
    text = "\n".join(strip_lines(strip, 80, 6, no_color=True))
    assert "[the]" in text and "(␣low)" in text and "(est+)" in text and "⏎" in text and "⇥" in text
    assert set(MARK_GLYPHS) == set(TOKEN_MARKS)


def test_no_color_tells_classes_apart_by_brackets_and_colour_by_background():
    strip = TokenStrip()
    strip.show(["a", "b", "c"], classes=[0, 1, 2])
    plain = strip_lines(strip, 40, 3, no_color=True)[1]
    assert plain.startswith(f"{BRACKETS[0][0]}a{BRACKETS[0][1]} {BRACKETS[1][0]}b{BRACKETS[1][1]} {BRACKETS[2][0]}c")
    coloured = strip.render_strip(40, 3)[1]
    backgrounds = {seg.text: seg.style.bgcolor for seg in coloured if seg.text in ("a", "b", "c")}
    assert len(set(backgrounds.values())) == 3  # one colour per class


def test_cursor_readout_gives_token_id_mark_and_note():
    strip = TokenStrip("bert")
    strip.show(BERT, ids=[101, 2026, 3899, 2003, 103, 1998, 2002, 7777, 6207, 2377, 2075, 102],
               marks=BERT_MARKS, notes=BERT_NOTES)
    strip.cursor = 4
    assert strip.readout() == "5/12 [MASK] id 103 · masked · predicted hairy (0.62) ✓"
    assert strip_lines(strip, 80, 5)[0] == f"bert  {strip.readout()}".ljust(80)
    strip.cursor = 10
    assert strip.readout().startswith("11/12 ##ing id 2075 · predicted wrong")
    strip.lang = "zh"
    assert "编号 2075 · 预测错误" in strip_lines(strip, 80, 5)[0]
    strip.cursor = 99  # clamped
    assert strip.cursor == 11
    # the readout outlasts the title when narrow
    strip.lang = "en"
    assert strip_lines(strip, 20, 5)[0] == "12/12 [SEP] id 102  "


def test_what_does_not_fit_is_counted_and_the_cursor_stays_in_view():
    strip = long_strip()
    for width, height in ((40, 6), (80, 24), (23, 4), (120, 40), (12, 3)):
        for cursor in (0, 1, 57, 150, 298, 299):
            strip.cursor = cursor
            lines = strip_lines(strip, width, height)
            before, after = strip.hidden
            assert strip.cursor in strip.shown, (width, height, cursor)
            assert before + len(strip.shown) + after == 300
            assert strip.shown == list(range(before, 300 - after))  # a contiguous window
            if before:
                assert lines[1].startswith(f"+{before} before"), lines
            if after:
                assert lines[-1].rstrip().endswith(f"+{after} more"), lines


def test_a_token_wider_than_the_strip_is_cut_and_read_out_whole():
    strip = TokenStrip("x")
    word = "supercalifragilisticexpialidocious"
    strip.show(["a", word, "b"], marks=["", "wrong", ""])
    strip.cursor = 1
    lines = strip_lines(strip, 20, 6, no_color=True)
    assert lines[2] == "[supercalifragil…✗] ", lines  # the last cell stays blank, a gap to a panel beside
    assert word in strip.readout()


def test_every_size_gives_exact_widths():
    strips = [long_strip(), TokenStrip()]
    wide = TokenStrip("词元 · 第 3 步")
    wide.show(["我们", "的", "模型", "正在", "学习"] * 10, marks=["merged", "", "", "wrong", ""] * 10, classes=list(range(50)))
    strips.append(wide)
    for no_color in (False, True):
        for w in (1, 2, 3, 5, 9, 17, 40, 80, 120):
            for h in (1, 2, 3, 4, 7, 24, 40):
                for strip in strips:
                    strip.cursor = 33
                    lines = strip.render_strip(w, h, no_color=no_color)
                    assert 1 <= len(lines) <= h and {s.cell_length for s in lines} == {w}, (w, h, no_color)


def test_tokens_module_does_not_import_torch():
    code = "import sys, nntui.widgets.tokens; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------
# Keys, in an app
# ---------------------------------------------------------------------------
class TokensApp(App):
    """BPE pieces of a sentence, a masked BERT input, and a long sequence scrolled to its middle."""

    CSS = """
    TokenStrip { height: 1fr; }
    #bert { height: 5; }
    """

    def compose(self) -> ComposeResult:
        yield TokenStrip("BPE · 3 merges", id="bpe")
        yield TokenStrip("BERT input · step 1,200", id="bert")
        yield TokenStrip("long", id="long")

    def on_mount(self) -> None:
        self.query_one("#bpe", TokenStrip).show(BPE * 2, ids=list(range(28)), marks=BPE_MARKS * 2,
                                                classes=BPE_CLASSES + [c + 8 for c in BPE_CLASSES])
        bert = self.query_one("#bert", TokenStrip)
        bert.show(BERT, marks=BERT_MARKS, notes=BERT_NOTES)
        bert.cursor = 4
        long = self.query_one("#long", TokenStrip)
        long.show([f" t{i}" for i in range(300)], ids=list(range(300)),
                  marks=[TOKEN_MARKS[i % 5] if i % 3 == 0 else "" for i in range(300)])
        long.cursor = 150


async def test_arrow_keys_move_the_cursor_and_repaint_few_lines():
    app = TokensApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        strip = app.query_one("#bpe", TokenStrip)
        strip.focus()
        await pilot.pause()
        regions = spy_refreshes(strip)
        await pilot.press("right", "right")
        assert strip.cursor == 2 and strip.lines_text[0].startswith("BPE · 3 merges  3/28 est id 2 · merged")
        assert 1 <= sum(r.height for r in regions) <= 4  # the readout and the cells that changed
        await pilot.press("left")
        assert strip.cursor == 1
        await pilot.press("end")
        assert strip.cursor == 27 and strip.lines_text[0].split("  ")[1].startswith("28/28")
        await pilot.press("home")
        assert strip.cursor == 0


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot(snap_compare, size, no_color):
    app = TokensApp()
    assert app.no_color is no_color
    assert snap_compare(app, terminal_size=size)


# ---------------------------------------------------------------------------
# The event, the history, the panel, the CSV
# ---------------------------------------------------------------------------
def bert_event(step: int = 3, name: str = "tokens") -> TokenSequence:
    return TokenSequence(step, name, BERT, list(range(12)), BERT_MARKS, [0] * 6 + [1] * 6, BERT_NOTES)


def test_a_token_sequence_round_trips_through_json_and_the_checker():
    event = bert_event()
    line = json.loads(json.dumps(event.to_dict()))
    check_event(line)
    assert from_dict(line) == event
    check_event({"kind": "tokens", "step": 1, "name": "x", "tokens": ["a"]})  # the lists are optional
    for bad, message in (
        ({**line, "marks": ["sparkly"] * 12}, "marks\\[0\\]: expected one of masked"),
        ({**line, "ids": [1, 2]}, "ids: 2 for 12 tokens"),
        ({**line, "ids": [-1] * 12}, "ids\\[0\\]: -1 is outside"),
        ({**line, "classes": ["a"] * 12}, "classes\\[0\\]: expected an integer"),
        ({**line, "tokens": [1, 2]}, "tokens\\[0\\]: expected text"),
    ):
        with pytest.raises(Invalid, match=message):
            check_event(bad)


def test_history_keeps_the_latest_of_each_name_and_the_panel_shows_it():
    history = History()
    changed = history.apply([RunStarted(1, "bert", {}, 0, "cpu"), bert_event(3), bert_event(4, "other")])
    assert changed == {"run_started", "tokens"}
    assert history.current.latest_of(TokenSequence, "tokens").step == 3
    assert history.current.latest_of(TokenSequence, "other").step == 4
    assert history.current.latest_of(TokenSequence).step == 4  # no name: the newest of any
    strip = VISUALS["tokens"].build()
    VISUALS["tokens"].update(strip, history, "en")
    assert strip.title == "tokens · step 3" and strip._texts == BERT
    assert TokenSequence.kind in VISUALS["tokens"].feeds_on


def test_tokens_csv_has_a_row_per_token(tmp_path):
    import csv

    written = dict((p.name, n) for p, n in export_csv([RunStarted(1, "bert", {}, 0, "cpu"), bert_event()], tmp_path))
    assert written["tokens.csv"] == 12
    rows = list(csv.DictReader((tmp_path / "tokens.csv").open(newline="")))
    assert rows[4] == {"step": "3", "name": "tokens", "position": "4", "token": "[MASK]", "id": "4", "mark": "masked",
                       "class": "0", "note": "predicted hairy (0.62) ✓"}
