"""The text stream (widgets/text_stream.py): generated texts newest on top with their steps, wrapped
by cells (CJK too), capped with "+N older"; its event (TextSample), history, panel, CSV; snapshots."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
from rich.cells import cell_len
from textual.app import App, ComposeResult

from nntui.export import export_csv
from nntui.runtime.history import MAX_TEXTS, History
from nntui.visuals import VISUALS
from nntui.spec.events import RunStarted, TextSample, from_dict
from nntui.spec.recording_check import Invalid, check_event
from nntui.widgets.text_stream import CUT_MARK, NO_LINE_START, Sample, TextStream, wrap_cells

# What a character-level model writes as it learns Shakespeare, step by step (made up, fixed).
SHAKESPEARE = [
    (100, "Thhe  aoe teh wh nnd ss hhe", 1.0, -3.21),
    (500, "KING RICHARD: What sare the thou, my lord, and sto hee?\nROMEO: Ay, so.", 1.0, -2.05),
    (1000, "MENENIUS: I tell you, friends, most charitable care have the patricians of you. For your "
           "wants, your suffering in this dearth, you may as well strike at the heaven with your staves.", 0.8, -1.31),
    (1500, "天地玄黄，宇宙洪荒。日月盈昃，辰宿列张。寒来暑往，秋收冬藏。闰余成岁，律吕调阳。", 0.8, -1.12),
    (2000, "ROMEO: But soft, what light through yonder window breaks? It is the east, and Juliet is the sun.",
     0.5, -0.87),
]


def lines_of(stream: TextStream, width: int, height: int, no_color: bool = False) -> list[str]:
    return [s.text for s in stream.render_stream(width, height, no_color=no_color)]


# ---------------------------------------------------------------------------
# Wrapping
# ---------------------------------------------------------------------------
def test_wrapping_breaks_at_blanks_and_keeps_words_whole():
    text = "to be or not to be, that is the question: whether 'tis nobler in the mind to suffer"
    lines = wrap_cells(text, 20)
    assert all(cell_len(line) <= 20 for line in lines)
    assert " ".join(lines) == text  # nothing lost, every break at a blank
    assert wrap_cells("abcdefghijklmnopqrstuvwxyz", 10) == ["abcdefghij", "klmnopqrst", "uvwxyz"]  # cut when it must
    assert wrap_cells("one\ntwo  three", 40) == ["one", "two  three"]  # a newline starts a line
    assert wrap_cells("tab\there\x07", 40) == ["tab⇥here�"]


def test_chinese_wraps_by_cells_and_no_line_starts_with_closing_punctuation():
    text = SHAKESPEARE[3][1]
    for width in range(4, 40):
        lines = wrap_cells(text, width)
        assert all(cell_len(line) <= width for line in lines), (width, lines)
        assert "".join(lines) == text, width
        if width >= 6:
            assert not any(line[0] in NO_LINE_START for line in lines), (width, lines)
    mixed = wrap_cells("loss 下降到 0.125，模型 learns fast。", 9)
    assert all(cell_len(line) <= 9 for line in mixed) and "0.125，" in "".join(mixed)


# ---------------------------------------------------------------------------
# The stream
# ---------------------------------------------------------------------------
def test_newest_on_top_with_its_step_temperature_and_score():
    stream = TextStream()
    stream.show(SHAKESPEARE)
    lines = lines_of(stream, 100, 30)
    assert lines[0].split() == ["step", "T", "score", "generated", "text", "·", "newest", "first"]
    assert lines[1].split()[:4] == ["2,000", "0.5", "−0.87", "ROMEO:"]
    order = [int(line.split()[0].replace(",", "")) for line in lines[1:] if line[:6].strip().replace(",", "").isdigit()]
    assert order == [2000, 1500, 1000, 500, 100]
    assert stream.shown == 5 and stream.left_out == 0 and not any("older" in line for line in lines)


def test_what_does_not_fit_is_counted_with_what_the_history_dropped():
    stream = TextStream()
    stream.show(SHAKESPEARE, older=7)
    lines = lines_of(stream, 60, 8)
    assert lines[-1].strip() == f"+{stream.left_out} older" and stream.left_out == 7 + 5 - stream.shown
    assert 1 <= stream.shown < 5
    # a text that is cut says so, and none takes more than half the lines when there are others
    cut = [line for line in lines if line.rstrip().endswith(CUT_MARK)]
    assert cut
    stream.show(SHAKESPEARE[2:3] * 3)
    lines = lines_of(stream, 40, 11)
    starts = [i for i, line in enumerate(lines) if line.lstrip().startswith("1,000")]
    assert starts[1] - starts[0] <= 5  # 10 lines below the title: at most 5 each
    stream.show(SHAKESPEARE[2:3])  # alone, it may take every line
    assert len([line for line in lines_of(stream, 40, 11) if line.strip()]) > 6


def test_narrow_panels_drop_score_then_temperature_never_the_step():
    stream = TextStream()
    stream.show(SHAKESPEARE)
    assert lines_of(stream, 36, 10)[0].split()[:3] == ["step", "T", "score"]  # 20 cells left for the text
    assert lines_of(stream, 30, 10)[0].split()[:3] == ["step", "T", "generated"]
    assert lines_of(stream, 24, 10)[0].split()[:2] == ["step", "generated"]
    for width in (1, 3, 8, 20):
        for line in lines_of(stream, width, 6):
            assert cell_len(line) == width


def test_every_size_gives_exact_widths():
    streams = [TextStream(), TextStream("生成的文本")]
    streams[0].show(SHAKESPEARE, older=120)
    streams[1].show([(s, t, None, None) for s, t, _, _ in SHAKESPEARE])
    streams[1].lang = "zh"
    empty = TextStream()
    empty.show([], older=3)
    for no_color in (False, True):
        for w in (1, 2, 5, 9, 17, 40, 80, 120):
            for h in (1, 2, 3, 4, 7, 24, 40):
                for stream in (*streams, empty):
                    lines = stream.render_stream(w, h, no_color=no_color)
                    assert 1 <= len(lines) <= h and {s.cell_length for s in lines} == {w}, (w, h)


def test_words_follow_the_language():
    stream = TextStream()
    assert lines_of(stream, 60, 4)[0].startswith("generated text: waiting for samples")
    stream.lang = "zh"
    assert lines_of(stream, 60, 4)[0].startswith("生成的文本：等待生成的文本")
    stream.show(SHAKESPEARE, older=2)
    lines = lines_of(stream, 60, 6)
    assert lines[0].split()[0] == "步" and "最新在上" in lines[0] and lines[-1].strip().startswith("更早的 +")


def test_text_stream_module_does_not_import_torch():
    code = "import sys, nntui.widgets.text_stream; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------
# The event, the history, the panel, the CSV
# ---------------------------------------------------------------------------
def events(n: int) -> list:
    return [RunStarted(1, "char-lm", {}, 0, "cpu")] + [
        TextSample(step * 10, f"sample {step}", temperature=0.8, score=-1.0 / (step + 1)) for step in range(n)
    ]


def test_a_text_sample_round_trips_through_json_and_the_checker():
    event = TextSample(12, "天地 ROMEO:\n\tx", "samples", 0.7, -1.25)
    line = json.loads(json.dumps(event.to_dict()))
    check_event(line)
    assert from_dict(line) == event
    check_event({"kind": "text_sample", "step": 1, "text": ""})  # name, temperature and score are optional
    for bad, message in (
        ({**line, "temperature": -1}, "temperature: -1.0 is below 0"),
        ({**line, "text": 3}, "text: expected text"),
        ({**line, "text": "x" * 10_001}, "longer than"),
    ):
        with pytest.raises(Invalid, match=message):
            check_event(bad)


def test_history_keeps_the_newest_texts_and_counts_the_rest():
    history = History()
    changed = history.apply(events(MAX_TEXTS + 25))
    assert changed == {"run_started", "text_sample"}
    kept = history.current.texts["samples"]
    assert len(kept) == MAX_TEXTS and kept[-1].text == f"sample {MAX_TEXTS + 24}"
    assert history.current.texts_dropped["samples"] == 25
    stream = VISUALS["text_stream"].build()
    VISUALS["text_stream"].update(stream, history, "en")
    lines = lines_of(stream, 60, 10)
    assert lines[1].split()[0] == f"{(MAX_TEXTS + 24) * 10:,}"
    assert lines[-1].strip() == f"+{MAX_TEXTS + 25 - stream.shown} older"
    history.apply([RunStarted(2, "char-lm", {}, 0, "cpu")])  # a new run starts an empty stream
    VISUALS["text_stream"].update(stream, history, "en")
    assert lines_of(stream, 60, 10)[0].startswith("generated text: waiting")


def test_texts_csv_has_every_text(tmp_path):
    written = dict((p.name, n) for p, n in export_csv(events(3), tmp_path))
    assert written["texts.csv"] == 3
    rows = list(csv.DictReader((tmp_path / "texts.csv").open(newline="")))
    assert rows[1] == {"step": "10", "name": "samples", "temperature": "0.8", "score": "-0.5", "text": "sample 1"}


# ---------------------------------------------------------------------------
# Snapshots
# ---------------------------------------------------------------------------
class StreamApp(App):
    """A character model's samples over training, beside a stream without temperatures."""

    CSS = """
    TextStream { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield TextStream(id="lm")
        yield TextStream("names", id="names")

    def on_mount(self) -> None:
        self.query_one("#lm", TextStream).show([Sample(*s) for s in SHAKESPEARE], older=12)
        self.query_one("#names", TextStream).show(
            [(step, name) for step, name in ((200, "marlie"), (400, "jhon"), (600, "keyla"), (800, "aurelio"))]
        )


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot(snap_compare, size, no_color):
    app = StreamApp()
    assert app.no_color is no_color
    assert snap_compare(app, terminal_size=size)
