"""word2vec: the corpus steps (words, vocabulary, subsampling, pairs), what training learns on
Shakespeare (related pairs against random ones), the map's labelled points and its widget."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nntui.lab.word2vec import Word2Vec
from nntui.lab.word_corpus import build_corpus, keep_probability, pca_axes, skipgram_pairs, subsample, words
from nntui.spec.events import Metrics, Scatter, Tables, from_dict
from nntui.spec.recording_check import Invalid, check_event
from nntui.spec.texts import TextFileError
from nntui.widgets.word_map import DOT, WordMap, place_words

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def run(exp: Word2Vec, steps: int) -> list:
    events = []
    for _ in range(steps):
        events += exp.step()
    return events


def last_metrics(events: list) -> dict[str, float]:
    return [e for e in events if isinstance(e, Metrics)][-1].values


# ---- the corpus ------------------------------------------------------------------------------
def test_words_are_lower_cased_letter_runs_keeping_apostrophes_and_cjk_characters_alone():
    assert words("The King's men, O'er 2 hills_x!") == ["the", "king's", "men", "o'er", "hills", "x"]
    assert words("我爱 cats") == ["我", "爱", "cats"]


def test_the_vocabulary_keeps_words_seen_min_freq_times_most_frequent_first():
    fillers = " ".join(f"q{chr(97 + k)} " * 25 for k in range(19))  # 19 words of 25 each
    text = "b " * 30 + "a " * 30 + "c " * 19 + fillers
    corpus = build_corpus(text, min_freq=20)
    assert corpus.vocab[:3] == ["a", "b", "qa"] and "c" not in corpus.vocab and len(corpus.vocab) == 21
    assert corpus.counts[0] == 30 and len(corpus.ids) == corpus.counts.sum()
    with pytest.raises(ValueError, match="only 2 words occur at least 26 times"):
        build_corpus(text, min_freq=26)


def test_subsampling_keeps_a_word_with_probability_sqrt_t_over_its_share():
    counts = np.array([900, 100])  # shares 0.9 and 0.1
    assert np.allclose(keep_probability(counts, 0.01), [np.sqrt(0.01 / 0.9), np.sqrt(0.01 / 0.1)])
    assert keep_probability(counts, 1.0).tolist() == [1.0, 1.0]
    ids = np.repeat([0, 1], [900, 100])
    kept = subsample(ids, counts, 0.01, np.random.default_rng(0))
    assert abs((kept == 0).sum() / 900 - np.sqrt(0.01 / 0.9)) < 0.05 and (kept == 1).sum() > 20


def test_skipgram_pairs_lie_within_the_window_both_ways_and_window_one_is_the_neighbours():
    ids = np.arange(50)
    centres, contexts = skipgram_pairs(ids, 3, np.random.default_rng(0))
    distance = np.abs(centres - contexts)
    assert distance.min() >= 1 and distance.max() <= 3 and (distance == 3).any()
    assert (centres > contexts).any() and (centres < contexts).any()
    c1, x1 = skipgram_pairs(ids, 1, np.random.default_rng(0))
    assert len(c1) == 2 * 49 and set(zip(c1.tolist(), x1.tolist())) == \
        {(i, i + 1) for i in range(49)} | {(i + 1, i) for i in range(49)}


def test_pca_axes_keep_their_sign_from_one_frame_to_the_next():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(30, 8)) * np.arange(8, 0, -1)
    mean, axes = pca_axes(vectors)
    _, again = pca_axes(vectors, -axes)  # a previous frame that pointed the other way
    assert np.allclose(again, -axes) and np.allclose(mean, vectors.mean(0))


# ---- training on Shakespeare -----------------------------------------------------------------
def test_related_pairs_become_more_similar_than_random_pairs():
    """Measured (seed 0, subsampling off, d = 50): at step 1 the 17 related pairs' mean cosine is
    -0.001 and random pairs' 0.002; after 1,000 steps 0.55 against 0.30 (pair_gap 0.25), with 5
    pairs' second word among the first's 10 nearest. At lr 1e-5 nothing moves."""
    exp = Word2Vec({"subsample": False, "steps": 1000, "eval_every": 1000}, seed=0)
    first = last_metrics(exp.step())
    assert abs(first["pair_gap"]) < 0.05 and first["pair_hits"] == 0 and first["pair_count"] == 17
    assert abs(first["train_loss"] - np.log(2)) < 0.01  # every score starts near 0
    trained = last_metrics(run(exp, 999))
    assert trained["pair_cos"] > trained["random_cos"] + 0.15 and trained["pair_hits"] >= 3
    assert trained["train_loss"] < 0.5
    frozen = Word2Vec({"subsample": False, "steps": 200, "eval_every": 200, "lr": 1e-5}, seed=0)
    still = last_metrics(run(frozen, 200))
    assert abs(still["pair_gap"]) < 0.05 and still["pair_hits"] == 0


def test_the_sizes_are_this_corpus_and_the_one_hot_lookup_is_a_column():
    exp = Word2Vec({"steps": 1, "dim": 8}, seed=0)
    values = last_metrics(exp.step())
    assert (values["tokens"], values["vocab_size"], values["in_vocab"]) == (205681, 1973, 180425)
    assert values["weights"] == 1973 * 8 and 50000 < values["kept"] < 60000
    king = exp.index["king"]
    one_hot = np.zeros(1973)
    one_hot[king] = 1.0
    W = exp.V.detach().numpy().T  # d x v, the notes' matrix
    assert np.allclose(W @ one_hot, W[:, king])


def test_typing_a_word_sends_its_neighbours_and_highlights_it_on_the_map():
    exp = Word2Vec({"steps": 5, "map_words": 10}, seed=0)
    run(exp, 5)
    scatter, tables = exp.set_param("word", "Queen")
    assert isinstance(scatter, Scatter) and isinstance(tables, Tables)
    named = dict(zip(scatter.names, scatter.labels.tolist()))
    assert named["queen"] == 1 and sum(k == 2 for k in named.values()) == 5 and named["the"] == 0
    assert len(tables.tables[0]["rows"]) == 5 and tables.tables[1]["cols"][-1] == str(exp.params["dim"])
    check_event(json.loads(json.dumps(scatter.to_dict())))
    check_event(json.loads(json.dumps(tables.to_dict())))
    _, missing = exp.set_param("word", "zyzzyva")
    assert missing.tables[0]["rows"] == [] and "not among the 1,973 words" in missing.tables[0]["note"]


def test_a_learners_text_file_replaces_shakespeare(tmp_path):
    path = tmp_path / "mine.txt"
    vocab = [a + b for a in "pqrst" for b in "aeiou"]  # 25 words
    path.write_text(" ".join(vocab * 30) + " gamma" * 30)
    exp = Word2Vec({"text_file": str(path), "min_freq": 10, "steps": 1}, seed=0)
    assert "gamma" in exp.vocab and "king" not in exp.vocab
    (tmp_path / "tiny.txt").write_text("too short")
    with pytest.raises(TextFileError, match="characters; at least"):
        Word2Vec({"text_file": str(tmp_path / "tiny.txt")}, seed=0)


# ---- the Scatter's names and the word map ----------------------------------------------------
def scatter(names: list[str]) -> Scatter:
    points = np.array([[0.0, 0.0], [0.5, 0.5], [-0.5, -0.5]], dtype=np.float32)
    return Scatter(1, "words", points, np.array([1, 2, 0]), np.zeros(3, dtype=bool), [-1, 1, -1, 1],
                   np.zeros((0, 0, 0), dtype=np.float32), names)


def test_names_round_trip_and_the_recording_check_counts_them():
    again = from_dict(json.loads(json.dumps(scatter(["king", "queen", "the"]).to_dict())))
    assert again.names == ["king", "queen", "the"]
    check_event(scatter(["a", "b", "c"]).to_dict())
    check_event(scatter([]).to_dict())  # no names: the playground's scatter
    with pytest.raises(Invalid, match="names: 2 for 3 points"):
        check_event(scatter(["a", "b"]).to_dict())


def test_words_are_placed_by_priority_without_touching_and_a_crowded_one_becomes_a_dot():
    xy = np.array([[-0.9, 0.0], [0.0, 0.0], [0.05, 0.0], [0.5, 0.0]])
    names, kinds = ["common", "query", "near", "far"], np.array([0, 1, 2, 0])
    placed = place_words(xy, names, kinds, (-1, 1, -1, 1), 40, 5)
    assert [(name, k) for _, _, name, k in placed] == [("query", 1), ("common", 0), ("far", 0)]
    spans = sorted((c, c + len(name)) for _, c, name, _ in placed)
    assert all(a_end < b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:]))  # a blank between
    # "near" sits inside "query": no room for it, not even a dot. Room beside a word: a dot.
    crowded = place_words(np.array([[0.0, 0.0], [0.5, 0.0]]), ["query", "x" * 30], np.array([1, 0]),
                          (-1, 1, -1, 1), 40, 5)
    assert crowded[1][1:3] == (30, DOT)


def test_the_word_map_draws_each_word_at_its_point():
    widget = WordMap("map")
    widget.show(scatter(["king", "queen", "the"]).points, np.array([1, 2, 0]), ["king", "queen", "the"],
                (-1, 1, -1, 1), note="step 1")
    lines = [strip.text for strip in widget.render_word_map(40, 9)]
    assert lines[0].startswith("map · step 1")
    assert "king" in lines[5] and "queen" in lines[3] and "the" in lines[7]
    widget.clear()
    assert "waiting" in widget.render_word_map(40, 9)[0].text
