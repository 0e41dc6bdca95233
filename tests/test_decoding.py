"""Decoding: beam search against exhaustive search and by-hand numbers, greedy, sampling filters."""

from __future__ import annotations

import json
import math
import pickle
import subprocess
import sys

import pytest
import torch

from nntui.lab.decoding import (
    BeamSearchResult,
    Hypothesis,
    beam_search,
    filter_distribution,
    greedy,
    model_next_log_probs,
    pruned_per_parent,
    sample,
    sample_many,
)
from nntui.lab.decoding_notes import (
    NOTES_EOS_ID,
    NOTES_TABLE,
    NOTES_VOCAB,
    START,
    notes_next_log_probs,
    notes_path_scores,
    notes_row,
    notes_words,
)

L = math.log


def random_model(vocab: int, seed: int, eos_id: int | None = None, eos_bias: float = 0.0):
    """A next_log_probs whose distribution depends on the whole sequence (not a bigram)."""
    gen = torch.Generator().manual_seed(seed)
    table: dict[tuple[int, ...], torch.Tensor] = {}

    def next_log_probs(batch):
        rows = []
        for seq in batch:
            if tuple(seq) not in table:
                logits = torch.randn(vocab, generator=gen, dtype=torch.float64) * 2
                if eos_id is not None:
                    logits[eos_id] += eos_bias
                table[tuple(seq)] = torch.log_softmax(logits, dim=0)
            rows.append(table[tuple(seq)])
        return torch.stack(rows)

    return next_log_probs


def table_model(table: dict[tuple[int, ...], list[float]], vocab: int):
    """next_log_probs from explicit probabilities per context; uniform elsewhere."""

    def next_log_probs(batch):
        return torch.tensor(
            [[L(p) for p in table.get(tuple(seq), [1 / vocab] * vocab)] for seq in batch],
            dtype=torch.float64,
        )

    return next_log_probs


def exhaustive(model, prefix, max_new_tokens, eos_id):
    """Every sequence the search could produce, with its summed log-prob, by brute force."""
    out = {}

    def walk(seq, log_prob, depth):
        if depth == max_new_tokens or (depth > 0 and seq[-1] == eos_id):
            out[tuple(seq)] = log_prob
            return
        row = model([seq])[0].tolist()
        for token, lp in enumerate(row):
            walk(seq + [token], log_prob + lp, depth + 1)

    walk(list(prefix), 0.0, 0)
    return out


def path_log_prob(model, tokens, n_prefix):
    """Sum of the model's log-probs for the new tokens, asked one position at a time."""
    return sum(model([list(tokens[:i])])[0, tokens[i]].item() for i in range(n_prefix, len(tokens)))


# --- the course notes' example, checked against numbers worked out by hand ----------------------


def test_notes_table_uses_the_notes_numbers_and_rows_are_distributions():
    # The notes' two lists, read in the lesson's vocabulary order </s>, étudiant, je, moi, suis.
    assert NOTES_VOCAB == ("</s>", "étudiant", "je", "moi", "suis")
    assert [NOTES_TABLE[START][w] for w in NOTES_VOCAB] == [0.1, 0.1, 0.3, 0.4, 0.1]
    assert [notes_row(["moi"])[w] for w in NOTES_VOCAB] == [0.1, 0.1, 0.1, 0.1, 0.6]
    assert notes_row(["je"])["suis"] == 0.8
    for row in [*NOTES_TABLE.values(), notes_row(["suis", "je"])]:
        assert sum(row.values()) == pytest.approx(1.0) and min(row.values()) > 0
    assert notes_row(["suis", "je"]) == dict.fromkeys(NOTES_VOCAB, 0.2)  # any prefix not listed


def test_notes_beam_tree_matches_the_hand_computed_numbers():
    result = beam_search(notes_next_log_probs, [], beam_width=2, max_new_tokens=10, eos_id=NOTES_EOS_ID)
    # (parent, word, cumulative log-prob, fate) of every kept/finished node, step by step.
    expected = [
        [(None, "moi", L(0.4), "kept"), (None, "je", L(0.3), "kept")],
        # 0.4 * 0.6 = 0.3 * 0.8 = 0.24: a tie that rounding puts moi suis 2e-16 ahead
        [(0, "suis", L(0.4) + L(0.6), "kept"), (1, "suis", L(0.3) + L(0.8), "kept")],
        [(1, "étudiant", L(0.24) + L(0.6), "kept"), (0, "étudiant", L(0.24) + L(0.5), "kept")],
        [(0, "</s>", L(0.144) + L(0.5), "finished"), (1, "</s>", L(0.12) + L(0.5), "finished")],
    ]
    # The best pruned node of each step: (parent, word, cumulative log-prob).
    best_pruned = [
        (None, "</s>", L(0.1)),  # ties with étudiant and suis: the lower token id first
        (0, "</s>", L(0.4) + L(0.1)),
        (0, "</s>", L(0.24) + L(0.125)),
        (0, "étudiant", L(0.144) + L(0.125)),
    ]
    assert len(result.steps) == 4  # the width fell to 0 after two finished hypotheses
    assert [len(candidates) for candidates in result.steps] == [5, 10, 10, 10]
    for step, (nodes, pruned) in enumerate(zip(expected, best_pruned)):
        candidates = result.steps[step]
        chosen = [c for c in candidates if c.fate != "pruned"]
        assert [(c.parent, NOTES_VOCAB[c.token], c.fate) for c in chosen] == [
            (p, w, f) for p, w, _, f in nodes
        ]
        assert [c.score for c in chosen] == pytest.approx([s for _, _, s, _ in nodes], abs=1e-12)
        first_pruned = next(c for c in candidates if c.fate == "pruned")
        assert (first_pruned.parent, NOTES_VOCAB[first_pruned.token]) == pruned[:2]
        assert first_pruned.score == pytest.approx(pruned[2], abs=1e-12)
    assert [notes_words(h.tokens) for h in result.hypotheses] == [
        "je suis étudiant </s>",
        "moi suis étudiant </s>",
    ]
    assert result.best.log_prob == pytest.approx(L(0.3 * 0.8 * 0.6 * 0.5), abs=1e-12)
    assert result.token_log_probs(result.best) == pytest.approx([L(0.3), L(0.8), L(0.6), L(0.5)])


def test_notes_greedy_is_short_sighted():
    g = greedy(notes_next_log_probs, [], max_new_tokens=10, eos_id=NOTES_EOS_ID)
    beam = beam_search(notes_next_log_probs, [], beam_width=2, max_new_tokens=10, eos_id=NOTES_EOS_ID)
    assert notes_words(g.best.tokens) == "moi suis étudiant </s>"  # the notes' greedy answer
    assert notes_words(beam.best.tokens) == "je suis étudiant </s>"  # the notes' beam answer
    assert math.exp(g.best.log_prob) == pytest.approx(0.4 * 0.6 * 0.5 * 0.5)  # 0.06
    assert math.exp(beam.best.log_prob) == pytest.approx(0.3 * 0.8 * 0.6 * 0.5)  # 0.072
    assert math.exp(beam.best.log_prob - g.best.log_prob) == pytest.approx(1.2)
    assert g.token_log_probs(g.best) == pytest.approx([L(0.4), L(0.6), L(0.5), L(0.5)])


def test_notes_sums_are_the_notes_and_rank_against_the_product():
    beam = notes_path_scores("je suis étudiant </s>")
    greedy_path = notes_path_scores("moi suis étudiant </s>")
    empty = notes_path_scores("</s>")
    assert beam.probs == (0.3, 0.8, 0.6, 0.5)
    assert sum(beam.probs[:2]) == pytest.approx(1.1) and sum(greedy_path.probs[:2]) == pytest.approx(1.0)
    assert beam.added == pytest.approx(2.2) and greedy_path.added == pytest.approx(2.0)  # the notes' 2.2
    assert beam.product == pytest.approx(0.072) and greedy_path.product == pytest.approx(0.06)
    assert beam.log_prob == pytest.approx(L(0.072))
    # je suis and moi suis: the sums rank them, the probabilities tie
    assert notes_path_scores("je suis").product == pytest.approx(notes_path_scores("moi suis").product)
    # Width 3 also keeps the empty translation: likeliest of all, last by the notes' sum.
    wide = beam_search(notes_next_log_probs, [], beam_width=3, max_new_tokens=10, eos_id=NOTES_EOS_ID)
    ranked = [notes_words(h.new_tokens) for h in wide.hypotheses]
    assert ranked == ["</s>", "je suis étudiant </s>", "moi suis étudiant </s>"]
    assert [notes_path_scores(words).product for words in ranked] == pytest.approx([0.1, 0.072, 0.06])
    assert sorted(ranked, key=lambda words: -notes_path_scores(words).added) == ranked[1:] + ranked[:1]
    assert empty.added == empty.product == 0.1
    # length_penalty 1: log p per token, and je suis étudiant </s> is first again
    fair = beam_search(notes_next_log_probs, [], beam_width=3, max_new_tokens=10, eos_id=NOTES_EOS_ID,
                       length_penalty=1.0)
    assert [notes_words(h.new_tokens) for h in fair.hypotheses] == [ranked[1], ranked[2], ranked[0]]
    assert [h.score for h in fair.hypotheses] == pytest.approx([L(0.072) / 4, L(0.06) / 4, L(0.1)])
    with pytest.raises(ValueError, match="vocabulary"):
        notes_path_scores("je suis professeur")


# --- beam search ---------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("eos_id", [None, 2])
def test_unbounded_beam_equals_exhaustive_search(seed, eos_id):
    vocab, steps, prefix = 3, 3, [1]
    model = random_model(vocab, seed)
    result = beam_search(model, prefix, beam_width=vocab**steps, max_new_tokens=steps, eos_id=eos_id)
    truth = exhaustive(model, prefix, steps, eos_id)
    found = {h.tokens: h.log_prob for h in result.hypotheses}
    assert found.keys() == truth.keys()
    for tokens, log_prob in truth.items():
        assert found[tokens] == pytest.approx(log_prob, abs=1e-12)
    assert result.best.tokens == max(truth, key=truth.get)
    assert all(c.fate != "pruned" for step in result.steps for c in step)
    assert all(h.finished == (eos_id is not None and h.tokens[-1] == eos_id) for h in result.hypotheses)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("eos_id", [None, 0])
def test_beam_width_one_is_greedy(seed, eos_id):
    model = random_model(12, seed, eos_id, eos_bias=1.0)
    g = greedy(model, [3, 4], max_new_tokens=7, eos_id=eos_id)
    b = beam_search(model, [3, 4], beam_width=1, max_new_tokens=7, eos_id=eos_id)
    assert g == b
    # and greedy is the argmax at every step, asked independently here
    tokens = [3, 4]
    for _ in range(7):
        tokens.append(int(torch.argmax(model([tokens])[0])))
        if tokens[-1] == eos_id:
            break
    assert list(g.best.tokens) == tokens


def test_scores_are_sums_of_the_models_log_probs_and_pruned_records_are_capped():
    vocab, width, penalty = 50, 3, 0.7
    model = random_model(vocab, seed=5, eos_id=7, eos_bias=2.0)
    result = beam_search(model, [1], beam_width=width, max_new_tokens=5, eos_id=7, length_penalty=penalty)
    assert len(result.hypotheses) == width
    for h in result.hypotheses:
        assert h.log_prob == pytest.approx(path_log_prob(model, h.tokens, 1), abs=1e-12)
        assert h.score == pytest.approx(h.log_prob / len(h.new_tokens) ** penalty)
    assert [h.score for h in result.hypotheses] == sorted((h.score for h in result.hypotheses), reverse=True)

    cap = pruned_per_parent(width)
    assert cap == 8
    for step, candidates in enumerate(result.steps):
        parents = [None] if step == 0 else list(range(len(result.kept(step - 1))))
        for parent in parents:
            mine = [c for c in candidates if c.parent == parent]
            if parent is None:
                seq = list(result.prefix)
            else:
                kept_at = [i for i, c in enumerate(result.steps[step - 1]) if c.fate == "kept"]
                seq = result.path(step - 1, kept_at[parent])
            row = model([list(seq)])[0].tolist()
            chosen = {c.token for c in mine if c.fate != "pruned"}
            rest = sorted((t for t in range(vocab) if t not in chosen), key=lambda t: (-row[t], t))
            assert [c.token for c in mine if c.fate == "pruned"] == rest[:cap]  # the best 8 others
            for c in mine:
                assert c.log_prob == pytest.approx(row[c.token], abs=1e-12)
                assert c.score == pytest.approx(path_log_prob(model, [*seq, c.token], 1), abs=1e-12)


def test_ties_go_to_the_lower_token_then_the_earlier_parent():
    model = table_model({(): [0.4, 0.4, 0.2], (0,): [0.3, 0.3, 0.4], (1,): [0.3, 0.3, 0.4]}, vocab=3)
    result = beam_search(model, [], beam_width=3, max_new_tokens=2)
    assert [(c.token, c.fate) for c in result.steps[0]] == [(0, "kept"), (1, "kept"), (2, "kept")]
    # step 2 from parents 0 and 1 (token 2's row is uniform: its children score lower)
    top = [(c.parent, c.token, c.fate) for c in result.steps[1]][:6]
    assert top == [
        (0, 2, "kept"), (1, 2, "kept"),  # equal scores: same token, earlier parent first
        (0, 0, "kept"), (1, 0, "pruned"), (0, 1, "pruned"), (1, 1, "pruned"),  # lower token first
    ]


def test_one_model_call_per_step_with_all_live_beams():
    model = random_model(10, seed=3, eos_id=9, eos_bias=1.5)
    calls = []

    def counting(batch):
        calls.append([list(seq) for seq in batch])
        return model(batch)

    result = beam_search(counting, [0], beam_width=4, max_new_tokens=6, eos_id=9)
    assert len(calls) == len(result.steps)
    assert calls[0] == [[0]]
    for step in range(1, len(result.steps)):
        kept = result.kept(step - 1)
        assert len(calls[step]) == len(kept)
        assert {len(seq) for seq in calls[step]} == {step + 1}


def test_finished_hypotheses_leave_the_beam_and_narrow_it():
    width, eos = 4, 5
    model = random_model(8, seed=11, eos_id=eos, eos_bias=2.5)
    result = beam_search(model, [], beam_width=width, max_new_tokens=12, eos_id=eos)
    finished_so_far = 0
    for step, candidates in enumerate(result.steps):
        finished_now = [c for c in candidates if c.fate == "finished"]
        assert all(c.token == eos for c in finished_now)
        assert all(c.token != eos for c in result.kept(step))
        finished_so_far += len(finished_now)
        # every slot is either a live beam or an answer (the vocabulary is larger than the beam)
        assert len(result.kept(step)) + finished_so_far == width
    assert finished_so_far == width and len(result.steps) < 12  # it stopped when the width hit 0
    assert all(h.finished and h.tokens[-1] == eos for h in result.hypotheses)
    assert all(eos not in h.tokens[:-1] for h in result.hypotheses)
    assert len({h.tokens for h in result.hypotheses}) == width


def test_length_penalty_decides_between_a_short_and_a_long_answer():
    a, eos = 0, 2
    model = table_model(
        {
            (): [0.55, 0.05, 0.4],  # stop at once (0.4) or go on with a
            (a,): [0.5, 0.05, 0.45],
            (a, a): [0.45, 0.05, 0.5],
        },
        vocab=3,
    )
    short, long = (eos,), (a, a, eos)  # P = 0.4 against 0.55 * 0.5 * 0.5 = 0.1375
    raw = beam_search(model, [], beam_width=2, max_new_tokens=3, eos_id=eos, length_penalty=0.0)
    mean = beam_search(model, [], beam_width=2, max_new_tokens=3, eos_id=eos, length_penalty=1.0)
    assert [h.new_tokens for h in raw.hypotheses] == [short, long]
    assert [h.new_tokens for h in mean.hypotheses] == [long, short]
    assert mean.best.score == pytest.approx(L(0.55 * 0.5 * 0.5) / 3)  # -0.66 beats log 0.4 = -0.92
    assert raw.best.score == pytest.approx(L(0.4))


def test_results_are_plain_data_that_survive_json_and_pickle():
    result = beam_search(random_model(6, seed=2), [1, 2], beam_width=3, max_new_tokens=4, eos_id=0)

    def plain(value):
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return all(plain(v) for v in value)
        return value is None or type(value) in (int, float, str, bool)

    data = result.to_dict()
    assert plain(data)
    assert BeamSearchResult.from_dict(json.loads(json.dumps(data))) == result
    assert pickle.loads(pickle.dumps(result)) == result


def test_records_and_notes_table_load_without_torch_for_the_ui():
    result = beam_search(notes_next_log_probs, [], beam_width=2, max_new_tokens=6, eos_id=NOTES_EOS_ID)
    code = (
        "import pickle, sys\n"
        "from nntui.lab.decoding_notes import notes_path_scores\n"
        f"result = pickle.loads({pickle.dumps(result)!r})\n"
        "print(result.best.tokens, notes_path_scores('je suis').product, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["(2,", "4,", "1,", "0)", "0.24", "False"]


def test_path_rebuilds_each_hypothesis_from_the_tree():
    result = beam_search(random_model(7, seed=4), [3], beam_width=3, max_new_tokens=4)
    last = len(result.steps) - 1
    ends = [result.path(last, i) for i, c in enumerate(result.steps[last]) if c.fate == "kept"]
    assert [tuple(e) for e in ends] == [h.tokens for h in result.hypotheses]


def test_token_log_probs_read_each_hypothesis_off_the_tree():
    model = random_model(6, seed=5, eos_id=0, eos_bias=1.0)
    result = beam_search(model, [2], beam_width=3, max_new_tokens=5, eos_id=0)
    assert any(h.finished for h in result.hypotheses) and any(not h.finished for h in result.hypotheses)
    for hyp in result.hypotheses:
        per_token = result.token_log_probs(hyp)
        assert len(per_token) == len(hyp.new_tokens)
        assert sum(per_token) == pytest.approx(hyp.log_prob, abs=1e-12)
        assert sum(per_token) == pytest.approx(path_log_prob(model, hyp.tokens, 1), abs=1e-12)
    stranger = Hypothesis((2, 5, 5, 5), (5, 5, 5), -1.0, False, -1.0)
    with pytest.raises(ValueError, match="not a path of this search"):
        result.token_log_probs(stranger)


# --- sampling ------------------------------------------------------------------------------------

P = [0.5, 0.2, 0.15, 0.1, 0.05]
LOGITS = torch.tensor([L(p) for p in P])


def survivors(probs: torch.Tensor) -> list[int]:
    return [i for i, p in enumerate(probs.tolist()) if p > 0]


def test_filter_defaults_leave_the_distribution_alone():
    assert filter_distribution(LOGITS).tolist() == pytest.approx(P)


@pytest.mark.parametrize(
    ("top_k", "top_p", "kept"),
    [
        (2, 1.0, [0, 1]),
        (10, 1.0, [0, 1, 2, 3, 4]),  # k beyond the vocabulary: everything
        (0, 0.45, [0]),  # 0.5 >= 0.45 already
        (0, 0.6, [0, 1]),  # 0.5 < 0.6 <= 0.7
        (0, 0.75, [0, 1, 2]),  # 0.7 < 0.75 <= 0.85
        (0, 0.99, [0, 1, 2, 3, 4]),
        (0, 0.8, [0, 1, 2]),
        (3, 0.8, [0, 1]),  # top_p after top_k: 0.5/0.85 = 0.59 < 0.8 <= 0.7/0.85 = 0.82
    ],
)
def test_filter_top_k_and_top_p_keep_exactly_these_tokens(top_k, top_p, kept):
    probs = filter_distribution(LOGITS, top_k=top_k, top_p=top_p)
    assert survivors(probs) == kept
    assert all(probs[i].item() == 0.0 for i in range(5) if i not in kept)  # exactly zero
    mass = sum(P[i] for i in kept)
    assert probs[kept].tolist() == pytest.approx([P[i] / mass for i in kept])


def test_filter_top_k_ties_go_to_the_lower_token_id():
    probs = filter_distribution(torch.tensor([1.0, 1.0, 1.0, 0.0]), top_k=2)
    assert probs.tolist() == pytest.approx([0.5, 0.5, 0.0, 0.0])


@pytest.mark.parametrize("temperature", [0.5, 2.0])
def test_filter_temperature_divides_the_logits(temperature):
    powered = [p ** (1 / temperature) for p in P]
    expected = [w / sum(powered) for w in powered]
    assert filter_distribution(LOGITS, temperature=temperature).tolist() == pytest.approx(expected)


def test_temperature_zero_is_argmax_not_a_division_by_zero():
    assert filter_distribution(LOGITS, temperature=0).tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]
    assert filter_distribution(torch.tensor([1.0, 3.0, 3.0]), temperature=0).tolist() == [0.0, 1.0, 0.0]


def fixed_model(logits):
    return lambda batch: torch.stack([logits] * len(batch))


def test_sample_is_reproducible_for_a_seed():
    model = random_model(9, seed=8)
    runs = [
        sample(model, [1], max_new_tokens=30, top_p=0.9, generator=torch.Generator().manual_seed(seed))
        for seed in (0, 0, 1)
    ]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert len(runs[0]) == 31 and runs[0][0] == 1


@pytest.mark.parametrize(("top_k", "top_p", "allowed"), [(2, 1.0, {0, 1}), (0, 0.75, {0, 1, 2})])
def test_sample_only_emits_surviving_tokens(top_k, top_p, allowed):
    gen = torch.Generator().manual_seed(0)
    seq = sample(fixed_model(LOGITS), [], max_new_tokens=300, top_k=top_k, top_p=top_p, generator=gen)
    assert set(seq) == allowed  # every survivor turns up, nothing else ever does


def test_sample_many_draws_each_sequence_from_one_generator_one_call_a_step():
    model = random_model(7, seed=6, eos_id=0, eos_bias=0.5)
    calls = []

    def counted(batch):
        calls.append(len(batch))
        return model(batch)

    drawn = sample_many(counted, [3], n=6, max_new_tokens=8, eos_id=0, generator=torch.Generator().manual_seed(1))
    assert len(drawn) == 6 and len(calls) <= 8 and calls[0] == 6  # all live sequences in one call
    assert calls == sorted(calls, reverse=True)  # finished ones drop out
    for hyp in drawn:
        assert hyp.tokens[0] == 3 and hyp.new_tokens == hyp.tokens[1:]
        assert hyp.finished == (hyp.tokens[-1] == 0) and 0 not in hyp.new_tokens[:-1]
        assert hyp.log_prob == hyp.score == pytest.approx(path_log_prob(model, hyp.tokens, 1), abs=1e-12)
    assert len({h.tokens for h in drawn}) > 1  # independent draws, not one sequence six times
    again = sample_many(model, [3], n=6, max_new_tokens=8, eos_id=0, generator=torch.Generator().manual_seed(1))
    assert again == drawn
    one = sample(model, [3], max_new_tokens=8, eos_id=0, generator=torch.Generator().manual_seed(2))
    first = sample_many(model, [3], n=1, max_new_tokens=8, eos_id=0, generator=torch.Generator().manual_seed(2))
    assert one == list(first[0].tokens)  # sample is sample_many of one
    cold = sample_many(model, [3], n=4, max_new_tokens=8, eos_id=0, temperature=0)
    assert {h.tokens for h in cold} == {greedy(model, [3], max_new_tokens=8, eos_id=0).best.tokens}


def test_sample_stops_at_eos_and_temperature_zero_is_greedy():
    model = random_model(6, seed=9, eos_id=5, eos_bias=1.0)
    g = greedy(model, [2], max_new_tokens=8, eos_id=5)
    assert sample(model, [2], max_new_tokens=8, eos_id=5, temperature=0) == list(g.best.tokens)
    gen = torch.Generator().manual_seed(3)
    for _ in range(20):
        seq = sample(model, [2], max_new_tokens=8, eos_id=5, generator=gen)
        assert 5 not in seq[1:-1] and (seq[-1] == 5 or len(seq) == 9)


# --- torch model adapter -------------------------------------------------------------------------


def test_model_adapter_returns_the_last_positions_log_probs():
    torch.manual_seed(0)
    embed, head = torch.nn.Embedding(7, 16), torch.nn.Linear(16, 7)

    def model(tokens):  # (batch, T) -> (batch, T, vocab); the running mean makes earlier tokens count
        h = embed(tokens).cumsum(dim=1) / torch.arange(1, tokens.shape[1] + 1)[:, None]
        return head(h)

    adapter = model_next_log_probs(model, "cpu")
    batch = [[1, 2, 3], [4, 5, 6]]
    expected = torch.log_softmax(model(torch.tensor(batch))[:, -1].double(), dim=-1)
    assert torch.allclose(adapter(batch), expected)
    as_tuple = model_next_log_probs(lambda t: (model(t), "attention"), "cpu")
    assert torch.allclose(as_tuple(batch), expected)
    with pytest.raises(ValueError, match="equal length"):
        adapter([[1, 2], [3]])
    result = beam_search(adapter, [1], beam_width=2, max_new_tokens=3)
    # The search scores a batch of beams, the check one path: float32 sums in another order.
    assert result.best.log_prob == pytest.approx(path_log_prob(adapter, result.best.tokens, 1), abs=1e-6)


# --- argument checks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: beam_search(notes_next_log_probs, [], beam_width=0, max_new_tokens=3), "beam_width"),
        (lambda: beam_search(notes_next_log_probs, [], beam_width=2.0, max_new_tokens=3), "beam_width"),
        (lambda: beam_search(notes_next_log_probs, [], beam_width=2, max_new_tokens=0), "max_new_tokens"),
        (lambda: greedy(notes_next_log_probs, [], max_new_tokens=-1), "max_new_tokens"),
        (lambda: beam_search(notes_next_log_probs, [], beam_width=2, max_new_tokens=3, eos_id=9), "eos_id"),
        (lambda: greedy(notes_next_log_probs, [], max_new_tokens=3, eos_id=-1), "eos_id"),
        (
            lambda: beam_search(
                notes_next_log_probs, [], beam_width=2, max_new_tokens=3, length_penalty=math.nan
            ),
            "length_penalty",
        ),
        (lambda: greedy(notes_next_log_probs, ["je"], max_new_tokens=3), "prefix"),
        (lambda: greedy(lambda b: torch.zeros(5), [], max_new_tokens=3), "next_log_probs"),
        (lambda: filter_distribution(LOGITS, temperature=-1), "temperature"),
        (lambda: filter_distribution(LOGITS, top_k=-1), "top_k"),
        (lambda: filter_distribution(LOGITS, top_k=1.5), "top_k"),
        (lambda: filter_distribution(LOGITS, top_p=0), "top_p"),
        (lambda: filter_distribution(LOGITS, top_p=1.5), "top_p"),
        (lambda: filter_distribution(LOGITS[None], top_k=1), "logits"),
        (lambda: sample(notes_next_log_probs, [], max_new_tokens=3, temperature=math.inf), "temperature"),
        (lambda: sample(notes_next_log_probs, [], max_new_tokens=3, generator=0), "generator"),
        (lambda: sample_many(notes_next_log_probs, [], n=0, max_new_tokens=3), "n must"),
    ],
)
def test_bad_arguments_raise_value_errors_that_name_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()

