"""The text pipeline: tokenizers, vocabulary and BPE against brute force, and the lab behind the lesson."""

from __future__ import annotations

from collections import Counter

import pytest

from nntui.lab.text_pipeline import TextPipeline, passage_of
from nntui.lab.tokenize import BPE, RESERVED, UNK, Vocab, chars, words
from nntui.spec.events import Metrics, Tables, TokenSequence
from nntui.spec.texts import TextFileError, shakespeare

SONNET = shakespeare()["sonnets"][10_700:14_000]
TRICKY = "Who's there?\r\n  Nay--answer me:\tstand!!  _x_ 42nd 東京は晴れ, naïve cafe\u0301 😀\n\n\nend "


# ---- text -> ids -> text ------------------------------------------------------------------------
@pytest.mark.parametrize("text", [SONNET, TRICKY, "", " ", "a"])
def test_words_cut_a_text_without_losing_a_character(text):
    assert "".join(words(text)) == text


def test_words_keep_the_space_before_them():
    assert words("To be, or not\nto be") == ["To", " be", ",", " or", " not", "\n", "to", " be"]


@pytest.mark.parametrize("cut", [chars, words])
@pytest.mark.parametrize("text", [SONNET, TRICKY])
def test_char_and_word_ids_decode_to_the_text(cut, text):
    vocab = Vocab(cut(text))
    ids = vocab.encode(cut(text))
    assert UNK not in ids
    assert vocab.decode(ids) == text


@pytest.mark.parametrize("merges", [0, 1, 25, 400])
def test_bpe_ids_decode_to_the_text_after_any_number_of_merges(merges):
    bpe = BPE(SONNET + TRICKY)
    for _ in range(merges):
        bpe.merge()
    for text in (SONNET, TRICKY, "Shall I compare thee"):
        ids = bpe.encode(text)
        assert UNK not in ids
        assert bpe.decode(ids) == text
    # a text it was not trained on, made of characters it has seen, round-trips too
    unseen = "Thee, compare I shall; 42 naïve days!"
    assert bpe.decode(bpe.encode(unseen)) == unseen
    assert len(bpe.tokenize(SONNET)) <= len(SONNET)


# ---- each merge is the most frequent pair ---------------------------------------------------------
def brute_force_tokens(text: str, merges: list[tuple[str, str]]) -> list[list[str]]:
    """Every word occurrence from its characters, with the merges applied in order, left to right."""
    out = []
    for word in words(text):
        syms = list(word)
        for a, b in merges:
            merged, i = [], 0
            while i < len(syms):
                if i + 1 < len(syms) and (syms[i], syms[i + 1]) == (a, b):
                    merged.append(a + b)
                    i += 2
                else:
                    merged.append(syms[i])
                    i += 1
            syms = merged
        out.append(syms)
    return out


def test_each_bpe_merge_is_the_most_frequent_pair_by_a_brute_force_count():
    text = SONNET[:1500] + "eeee aaaa eee"  # pairs that overlap themselves, too
    bpe = BPE(text)
    done: list[tuple[str, str]] = []
    for _ in range(80):
        seqs = brute_force_tokens(text, done)
        pairs = Counter(p for syms in seqs for p in zip(syms, syms[1:]))
        top = max(pairs.values())
        expected = min(p for p, c in pairs.items() if c == top)  # ties: the smallest pair
        merge = bpe.merge()
        assert (merge.left, merge.right) == expected
        assert merge.count == top
        assert merge.tokens_before == sum(map(len, seqs))
        done.append(expected)
        assert merge.tokens_after == sum(map(len, brute_force_tokens(text, done)))
        assert len(bpe) == len(RESERVED) + len(set(text)) + len({m.token for m in bpe.merges})


def test_bpe_stops_when_every_word_is_one_token():
    bpe = BPE("ab ab ab")
    assert [bpe.merge().token for _ in range(2)] == ["ab", " ab"]
    assert bpe.merge() is None


# ---- vocabulary and <unk> ---------------------------------------------------------------------------
def test_vocab_counts_indexes_by_frequency_and_unk_by_min_freq():
    tokens = list("the cat sat on the mat the end") + ["<unk>"]
    vocab = Vocab(tokens)
    assert vocab.counts == Counter(tokens)
    assert vocab.itos[:4] == list(RESERVED) and vocab.stoi["<unk>"] == UNK
    assert vocab.itos[4:7] == [" ", "t", "e"]  # 7, 6 and 4 times: most frequent first
    assert len(vocab) == 4 + len(set(tokens) - {"<unk>"})

    rare = Vocab(tokens, min_freq=3)
    assert set(rare.dropped) == {tok for tok, c in Counter(tokens).items() if c < 3}
    assert rare.itos[4:] == [" ", "t", "e", "h", "a"]
    ids = rare.encode(list("cat"))
    assert ids == [UNK, rare.stoi["a"], rare.stoi["t"]]
    assert rare.decode(ids) == "<unk>at"


# ---- the lab ------------------------------------------------------------------------------------------
def run(params: dict, steps: int | None = None) -> tuple[TextPipeline, list]:
    lab = TextPipeline(params)
    events: list = []
    while not lab.done and (steps is None or lab.step_count < steps):
        events += lab.step()
    return lab, events


def test_the_lab_reports_what_the_lesson_pages_say():
    lab, events = run({"level": "word", "min_freq": 2, "steps": 1})
    strip = next(e for e in events if isinstance(e, TokenSequence))
    replaced = [t for t, m in zip(strip.tokens, strip.marks) if m == "replaced"]
    assert replaced[:4] == [" nobler", " slings", " outrageous", " opposing"] and " heartache" in replaced
    assert all(i == UNK for i, m in zip(strip.ids, strip.marks) if m == "replaced")

    lab, events = run({"level": "bpe", "steps": 500})
    first = [(m.left, m.right) for m in lab.bpe.merges[:4]]
    assert first == [(" ", "t"), ("h", "e"), (" ", "a"), ("o", "u")]
    assert (lab.bpe.merges[10].token, lab.bpe.merges[10].count) == (" the", 1406)
    vocab = next(e for e in reversed(events) if isinstance(e, Tables)).tables[1]
    assert {" the", " and", " to"} <= {lab.bpe.itos[int(v[1])] for v in vocab["values"][4:]}
    metrics = [e.values for e in events if isinstance(e, Metrics)]
    assert [m["bpe_vocab"] for m in metrics] == list(range(70, 570))  # one token a merge
    assert all(a["bpe_tokens"] > b["bpe_tokens"] for a, b in zip(metrics, metrics[1:]))  # always shorter


def test_live_level_and_min_freq_redraw_at_once():
    lab, _ = run({"level": "bpe", "steps": 3})
    events = lab.set_param("level", "char")
    assert {type(e) for e in events} == {Metrics, TokenSequence, Tables}
    assert events[0].values["vocab_size"] == len(RESERVED) + len(set(lab.text))
    assert lab.set_param("min_freq", 1000)[0].values["round_trip"] == 0


def test_a_learners_text_file_is_the_corpus(tmp_path):
    path = tmp_path / "mine.txt"
    path.write_text("\n\n" + "the quick brown fox jumps over the lazy dog\n" * 60, encoding="utf-8")
    lab, events = run({"text_file": str(path), "level": "bpe", "steps": 5000})
    assert lab.passage.startswith("the quick brown fox")
    assert lab.exhausted and lab.step_count < 5000  # it ran out of pairs: every word is one token
    assert events[-3].values["round_trip"] == 1
    tiny = tmp_path / "tiny.txt"
    tiny.write_text("too short", encoding="utf-8")
    with pytest.raises(TextFileError, match="tiny.txt"):
        TextPipeline({"text_file": str(tiny)})


def test_the_passage_is_whole_lines_from_its_start():
    text = "x\n" * 10 + "START here\n" + "a line\n" * 200
    passage = passage_of(text, "START")
    assert passage.startswith("START") and passage.endswith("\n") and 400 <= len(passage) < 410


# ---- the tables widget's whole numbers ----------------------------------------------------------------
def test_tables_show_counts_as_whole_numbers_with_chinese_column_labels():
    from rich.console import Console

    from nntui.widgets.number_tables import render_table

    spec = {"title": "t", "rows": ["␣the"], "cols": ["count", "index"], "cols_zh": ["次数", "索引"],
            "values": [[3559.0, 79.0]], "format": "int"}
    console = Console(width=60, record=True)
    console.print(render_table(spec, 60, "zh"))
    text = console.export_text()
    assert "3,559" in text and "79" in text and "79.00" not in text and "次数" in text
