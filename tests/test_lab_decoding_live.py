"""DecodingLive: greedy against beam search on the notes' table and on a name model as it trains.

Measured here (1 torch thread, seed 0): the names GRU's per-character cross entropy over all
5,163 names is 3.31 untrained (uniform: ln 27 = 3.30), 2.15 after 50 steps, 2.05 after 100 and
1.87 after 300 (seeds 1, 2 within 0.03): below even a bigram table fitted to the names (2.33)
from step 50. 100 steps take about 0.6 s. The lesson's names model (its names page's settings,
1,000 steps, ~5 s) is trained once for this file (`lesson_model`): the tests at the end check
what the lesson's pages quote beyond their own checks.
"""

from __future__ import annotations

import json
import math

import pytest
import torch

from nntui.spec.events import Decoding, Metrics, from_dict
from nntui.spec import catalog
from nntui.spec.params import PARAM_TYPES, Param
from nntui.lab.decoding import beam_search, greedy
from nntui.lab.decoding_live import DecodingLive
from nntui.lab.decoding_notes import NOTES_EOS_ID, notes_ids, notes_next_log_probs, notes_words
from nntui.spec.decoding_records import BeamSearchResult
from nntui.lab.names_lm import BOUNDARY_ID, LETTERS, VOCAB, encode, load_names, names_tensors

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def run(exp: DecodingLive) -> list:
    events = []
    while not exp.done:
        events += exp.step()
    return events


def only(events: list, cls: type) -> list:
    return [e for e in events if isinstance(e, cls)]


def answer(result: dict) -> str:
    return notes_words(result["hypotheses"][0]["tokens"])


def test_spec_names_the_class_and_every_metric_it_emits():
    assert catalog.DECODING.target == "nntui.lab.decoding_live:DecodingLive"
    assert DecodingLive.spec is catalog.DECODING
    assert catalog.get("decoding") is catalog.DECODING
    assert catalog.DECODING.visuals == ("beam_tree", "next_token", "loss", "samples")
    exp = DecodingLive({"steps": 2, "probe_every": 1}, seed=0)
    emitted = {name for e in only(run(exp), Metrics) for name in e.values}
    assert emitted == set(catalog.DECODING.metrics) - {"step"}
    assert set(exp.summary()) == emitted


# --------------------------------------------------------------------------- the notes' table


def test_notes_decoding_is_beam_search_on_the_notes_table():
    exp = DecodingLive({"model": "notes", "beam_width": 2, "prompt": "wi"}, seed=0)
    events = run(exp)
    assert exp.step_count == 1 and exp.done  # nothing to train: one step decodes
    (metrics,) = only(events, Metrics)
    (decoding,) = only(events, Decoding)

    expected = beam_search(notes_next_log_probs, [], beam_width=2, max_new_tokens=12, eos_id=NOTES_EOS_ID)
    assert decoding.beam == expected.to_dict()
    assert decoding.greedy == greedy(notes_next_log_probs, [], max_new_tokens=12, eos_id=NOTES_EOS_ID).to_dict()
    assert decoding.beam["eos_id"] == NOTES_EOS_ID and decoding.beam["beam_width"] == 2
    assert answer(decoding.beam) == "je suis étudiant </s>"
    assert answer(decoding.greedy) == "moi suis étudiant </s>"
    assert decoding.vocab == ["</s>", "étudiant", "je", "moi", "suis"]
    assert decoding.prompt == ""  # the notes ignore the prompt: their example starts at <s>

    assert metrics.values["beam_logp"] == pytest.approx(math.log(0.072))
    assert metrics.values["greedy_logp"] == pytest.approx(math.log(0.06))
    assert metrics.values["beam_gain"] == pytest.approx(math.log(1.2))
    # The notes' score: the answers' probabilities added up (0.3 + 0.8 + 0.6 + 0.5, 0.4 + 0.6 + 0.5 + 0.5)
    assert metrics.values["beam_sum_p"] == pytest.approx(2.2) and metrics.values["greedy_sum_p"] == pytest.approx(2.0)
    assert "train_loss" not in metrics.values and "samples_in_data" not in metrics.values  # no data
    assert decoding.next_token["probs"] == pytest.approx([0.1, 0.1, 0.3, 0.4, 0.1])  # the notes' list
    assert decoding.next_token["kept"] == pytest.approx([0.1, 0.1, 0.3, 0.4, 0.1])  # no filter by default
    assert len(decoding.samples) == 10 and all(drawn["in_data"] is None for drawn in decoding.samples)
    assert metrics.values["samples_distinct"] == len({tuple(d["tokens"]) for d in decoding.samples})
    assert exp.summary() == metrics.values


@pytest.mark.parametrize(("width", "penalty", "best", "logp", "sum_p"), [
    (1, 0.0, "moi suis étudiant </s>", math.log(0.06), 2.0),
    (2, 0.0, "je suis étudiant </s>", math.log(0.072), 2.2),
    (3, 0.0, "</s>", math.log(0.1), 0.1),  # also keeps the empty translation: likeliest, smallest sum
    (3, 1.0, "je suis étudiant </s>", math.log(0.072), 2.2),  # ranked per token: the sentence again
])
def test_notes_pages_answers(width, penalty, best, logp, sum_p):
    exp = DecodingLive({"model": "notes", "beam_width": width, "length_penalty": penalty}, seed=0)
    metrics, decoding = run(exp)
    assert answer(decoding.beam) == best and answer(decoding.greedy) == "moi suis étudiant </s>"
    assert metrics.values["beam_logp"] == pytest.approx(logp) and metrics.values["beam_sum_p"] == pytest.approx(sum_p)
    assert metrics.values["greedy_logp"] == pytest.approx(math.log(0.06))
    assert metrics.values["greedy_sum_p"] == pytest.approx(2.0)


def test_live_changes_re_decode_at_once_with_the_new_settings():
    exp = DecodingLive({"model": "notes", "beam_width": 2}, seed=0)
    assert exp.set_param("beam_width", 3) == []  # nothing decoded yet: nothing to redo
    run(exp)

    metrics, decoding = exp.set_param("beam_width", 1)  # after the run finished, still at once
    assert isinstance(metrics, Metrics) and isinstance(decoding, Decoding)
    assert decoding.step == metrics.step == 1
    assert decoding.beam["beam_width"] == 1
    assert answer(decoding.beam) == "moi suis étudiant </s>"  # width 1 is greedy
    assert metrics.values["beam_gain"] == 0.0

    _, decoding = exp.set_param("top_k", 2)
    kept = decoding.next_token["kept"]
    je, moi = notes_ids("je moi")
    assert sum(p > 0 for p in kept) == 2 and kept[moi] > kept[je] > 0
    assert sum(kept) == pytest.approx(1.0)
    assert decoding.next_token["top_k"] == 2
    assert decoding.next_token["probs"] == pytest.approx([0.1, 0.1, 0.3, 0.4, 0.1])  # the model is unchanged
    assert {d["tokens"][0] for d in decoding.samples} <= {je, moi}  # first words only from the two kept

    _, decoding = exp.set_param("temperature", 0.5)
    logits = torch.log(torch.tensor([0.3, 0.4], dtype=torch.float64)) / 0.5
    assert [decoding.next_token["kept"][i] for i in (je, moi)] == pytest.approx(torch.softmax(logits, 0).tolist())
    assert decoding.next_token["temperature"] == 0.5

    exp.set_param("top_k", 0)
    _, decoding = exp.set_param("top_p", 0.3)  # at T = 0.5 "moi" alone holds 0.16 / 0.28 = 0.57
    assert decoding.next_token["kept"] == pytest.approx([0.0, 0.0, 0.0, 1.0, 0.0])
    assert {d["tokens"][0] for d in decoding.samples} == {moi}

    _, decoding = exp.set_param("length_penalty", 1.0)
    assert decoding.beam["length_penalty"] == 1.0
    assert exp.set_param("probe_every", 7) == []  # not a decoding setting: nothing to redo
    with pytest.raises(ValueError, match="applies on restart"):
        exp.set_param("model", "names")


# --------------------------------------------------------------------------- the names model


def test_names_data_is_the_shipped_list_and_every_letter_is_in_the_vocabulary():
    names = load_names()
    assert len(names) == len(set(names)) == 5163
    assert set("".join(names)) == set(LETTERS) == set(catalog.DECODING.params["prompt"].choices)
    assert VOCAB[BOUNDARY_ID] == "." and len(VOCAB) == 27
    inputs, targets, lengths = names_tensors(("ab", "c"))
    assert inputs.tolist() == [[0, 1, 2], [0, 3, 0]]
    assert targets.tolist() == [[1, 2, 0], [3, 0, -100]]  # the end is predicted; padding ignored
    assert lengths.tolist() == [3, 2]


def test_names_model_learns_what_a_random_model_cannot():
    exp = DecodingLive({"steps": 100, "probe_every": 50}, seed=0)
    untrained = exp.lm.nll()
    assert untrained > 3.2  # about ln 27 = 3.30: no idea which letter comes next
    events = run(exp)
    # 2.05 measured: below even a bigram table fitted to these very names (2.33) and far from the
    # best any model without context can do (letter frequencies alone: 2.81).
    assert exp.lm.nll() < 2.2
    losses = [e.values["train_loss"] for e in only(events, Metrics)]
    assert len(losses) == 100 and all(math.isfinite(v) for v in losses)
    assert losses[0] > 3.2 and sum(losses[-10:]) / 10 < 2.2  # the batches' losses fall as far
    # Decodings at step 1, every probe_every steps and the last, each with its metrics.
    assert [e.step for e in only(events, Decoding)] == [1, 50, 100]
    assert [e.step for e in only(events, Metrics) if "beam_gain" in e.values] == [1, 50, 100]
    summary = exp.summary()
    assert summary["train_loss"] == losses[-1]
    assert summary["beam_gain"] == pytest.approx(summary["beam_logp"] - summary["greedy_logp"])


def test_the_prompt_starts_every_hypothesis_and_the_sample():
    exp = DecodingLive({"steps": 60, "probe_every": 60, "prompt": "ma", "beam_width": 4}, seed=0)
    decoding = only(run(exp), Decoding)[-1]
    prefix = [BOUNDARY_ID, *encode("ma")]
    assert decoding.prompt == "ma" and decoding.vocab == list(VOCAB)
    for result in (decoding.beam, decoding.greedy):
        assert list(result["prefix"]) == prefix and result["eos_id"] == BOUNDARY_ID
        assert result["hypotheses"]
        for hyp in result["hypotheses"]:
            assert list(hyp["tokens"][:3]) == prefix and list(hyp["tokens"][3:]) == list(hyp["new_tokens"])
            assert BOUNDARY_ID not in hyp["new_tokens"][:-1]  # the end token only ever ends a name
    searched = BeamSearchResult.from_dict(decoding.beam)
    assert searched == beam_search(exp.next_log_probs, prefix, beam_width=4, max_new_tokens=12,
                                   eos_id=BOUNDARY_ID)
    assert all(searched.path(i, j)[:3] == prefix
               for i, step in enumerate(searched.steps) for j in range(len(step)))
    assert len(decoding.samples) == 10
    for drawn in decoding.samples:  # whole sequences, prompt included, at most 12 new letters
        assert drawn["tokens"][:3] == prefix and 1 <= len(drawn["tokens"]) - 3 <= 12
        assert drawn["finished"] == (drawn["tokens"][-1] == BOUNDARY_ID)
        letters = "".join(VOCAB[t] for t in drawn["tokens"][1:-1])
        assert drawn["in_data"] == (drawn["finished"] and letters in load_names())

    metrics, changed = exp.set_param("prompt", "")
    assert changed.prompt == "" and list(changed.beam["prefix"]) == [BOUNDARY_ID]
    assert changed.step == metrics.step == 60
    # The next-letter distribution after the empty prompt: which letters start a name.
    probs = changed.next_token["probs"]
    assert sum(probs) == pytest.approx(1.0) and probs[BOUNDARY_ID] < 0.05


def test_a_steps_sample_is_seeded_and_search_is_deterministic():
    def decode(seed: int):
        exp = DecodingLive({"steps": 30, "probe_every": 30, "temperature": 2.0}, seed=seed)
        return only(run(exp), Decoding)[-1], exp

    first, exp = decode(0)
    again, _ = decode(0)
    assert first.to_dict() == again.to_dict()
    _, redrawn = exp.set_param("temperature", 2.0)  # same step, same settings: the same draw
    assert redrawn.samples == first.samples and redrawn.beam == first.beam
    _, colder = exp.set_param("temperature", 0.05)
    assert colder.samples != first.samples


def test_lr_is_live():
    exp = DecodingLive({"steps": 3, "lr": 0.01}, seed=0)
    exp.step()
    assert exp.set_param("lr", 0.001) == []
    assert [g["lr"] for g in exp.lm.optimizer.param_groups] == [0.001]


# --------------------------------------------------------------------------- text params, events


def test_text_param_validation():
    prompt = catalog.DECODING.params["prompt"]
    assert prompt.type == "text" and "text" in PARAM_TYPES
    assert prompt.check("wi") == "wi" and prompt.parse("") == "" and prompt.parse("abcdefgh") == "abcdefgh"
    with pytest.raises(ValueError, match=r"^prompt: 'W' is not allowed \(allowed: a-z\)$"):
        prompt.parse("Wi")
    with pytest.raises(ValueError, match=r"^prompt: ' ' is not allowed"):
        prompt.check("w i")
    with pytest.raises(ValueError, match=r"^prompt: 'abcdefghi' is longer than 8 characters$"):
        prompt.check("abcdefghi")
    with pytest.raises(ValueError, match=r"^prompt: expected text, got 3$"):
        prompt.check(3)
    with pytest.raises(ValueError, match="prompt: '1' is not allowed"):
        DecodingLive({"prompt": "w1"}, seed=0)
    exp = DecodingLive({"model": "notes"}, seed=0)
    with pytest.raises(ValueError, match="prompt: 'é' is not allowed"):
        exp.set_param("prompt", "é")
    assert exp.params["prompt"] == catalog.DECODING.params["prompt"].default  # unchanged

    free = Param("note", "text", "", min=1, max=3)  # no choices: any character
    assert free.check("é!") == "é!"
    with pytest.raises(ValueError, match="note: '' is shorter than 1 characters"):
        free.check("")


def test_events_round_trip_through_json():
    for params in ({"model": "notes"}, {"steps": 2, "probe_every": 1, "prompt": "jo"}):
        for event in run(DecodingLive(params, seed=0)):
            data = json.loads(json.dumps(event.to_dict()))
            rebuilt = from_dict(data)
            assert type(rebuilt) is type(event)
            assert rebuilt.to_dict() == event.to_dict()
            if isinstance(event, Decoding):
                assert BeamSearchResult.from_dict(rebuilt.beam) == BeamSearchResult.from_dict(event.beam)


# --------------------------------------------------------------------------- the screen = headless


def test_a_live_prompt_change_decodes_what_a_run_started_with_that_prompt_does():
    """The lesson screen sends a page's prompt live to the running (or finished) model; `nntui
    claims` starts a run with it. Decoding never touches the training, so both show one thing."""
    params = {"steps": 60, "probe_every": 30, "beam_width": 3}

    def final(prompt_at_start: str, change_at: int | None = None) -> tuple[Metrics, Decoding]:
        exp = DecodingLive({**params, "prompt": prompt_at_start}, seed=0)
        events = []
        while not exp.done:
            events += exp.step()
            if exp.step_count == change_at:
                events += exp.set_param("prompt", "mi")
        if change_at is None or change_at > exp.step_count:
            events += exp.set_param("prompt", "mi")  # after the run, as on a page opened later
        return only(events, Metrics)[-1], only(events, Decoding)[-1]

    started = DecodingLive({**params, "prompt": "mi"}, seed=0)
    fresh = run(started)
    want_metrics, want = only(fresh, Metrics)[-1], only(fresh, Decoding)[-1]
    for change_at in (None, 40):  # after training, or in the middle of it
        metrics, decoding = final("br", change_at)
        assert decoding.to_dict() == want.to_dict()
        assert {k: v for k, v in metrics.values.items() if k != "train_loss"} == {
            k: v for k, v in want_metrics.values.items() if k != "train_loss"}


# --------------------------------------------------------------------------- the lesson's names model


@pytest.fixture(scope="module")
def lesson_model():
    """The names model as the lesson's names pages train it (seed 0, the lesson's steps), trained once."""
    from nntui.curriculum.loader import load_curriculum

    lesson = load_curriculum().find("beam-search")
    settings = lesson.settings_for(next(step for step in lesson.steps if step.id == "names"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        exp = DecodingLive(settings, seed=0)
        run(exp)
    finally:
        torch.set_num_threads(threads)
    return exp


def names_of(result: dict) -> list[str]:
    return ["".join(VOCAB[t] for t in h["tokens"]) for h in result["hypotheses"]]


def decode_with(exp: DecodingLive, **settings) -> tuple[Metrics, Decoding]:
    """The decoding after setting these live, as the lesson's controls do; back to the page's after."""
    before = {name: exp.params[name] for name in settings}
    out = None
    for name, value in settings.items():
        out = exp.set_param(name, value)
    for name, value in before.items():
        exp.params[name] = value
    return out


def test_names_page_tree_greedy_leads_then_loses(lesson_model):
    metrics, decoding = decode_with(lesson_model, prompt="br")
    assert lesson_model.step_count == 1000
    assert names_of(decoding.beam)[0] == ".brenda." and names_of(decoding.greedy) == [".brittnie."]
    tree = BeamSearchResult.from_dict(decoding.beam)

    def spell(step: int, index: int) -> str:
        return "".join(VOCAB[t] for t in tree.path(step, index))

    # Expansion 3: greedy's britt leads; expansion 4: brenda leads and brittn has fallen behind it.
    leader3, leader4 = tree.steps[2][0], tree.steps[3][0]
    assert spell(2, 0) == ".britt" and leader3.score == pytest.approx(-2.46, abs=0.005)
    assert spell(3, 0) == ".brenda" and leader4.score == pytest.approx(-3.10, abs=0.005)
    brittn = next(i for i, c in enumerate(tree.steps[3]) if spell(3, i) == ".brittn")
    assert tree.steps[3][brittn].score == pytest.approx(-3.25, abs=0.005)
    brend = next(c for i, c in enumerate(tree.steps[2]) if spell(2, i) == ".brend")
    assert brend.fate == "kept"  # the third beam at expansion 3


@pytest.mark.parametrize(("prompt", "beam", "greedy_name"), [
    ("jo", ".jonell.", ".josefina."),
    ("ge", ".gena.", ".gerrill."),
    ("al", ".alina.", ".alexanda."),
    ("ed", ".edwin.", ".edwin."),
    ("ka", ".karlene.", ".karlene."),
    ("ki", ".kimberly.", ".kimberly."),
])
def test_your_prompt_page_prompts(lesson_model, prompt, beam, greedy_name):
    metrics, decoding = decode_with(lesson_model, prompt=prompt)
    assert names_of(decoding.beam)[0] == beam and names_of(decoding.greedy) == [greedy_name]
    assert (metrics.values["beam_gain"] > 0.5) == (beam != greedy_name)


def sampled(decoding: Decoding) -> list[str]:
    return ["".join(VOCAB[t] for t in d["tokens"][1:-1]) for d in decoding.samples]


def test_sampling_page_knobs(lesson_model):
    page = {"prompt": "br", "temperature": 1.0, "top_k": 5, "top_p": 1.0}
    metrics, decoding = decode_with(lesson_model, **page)
    names = sampled(decoding)
    assert len(set(names)) == 10 and metrics.values["samples_distinct"] == 10
    assert [n for d, n in zip(decoding.samples, names) if d["in_data"]] == ["brandie"]
    assert metrics.values["samples_in_data"] == 1

    _, decoding = decode_with(lesson_model, **{**page, "top_k": 1})
    assert sampled(decoding) == ["brittnie"] * 10  # greedy's answer
    assert names_of(decoding.greedy) == [".brittnie."]

    metrics, decoding = decode_with(lesson_model, **{**page, "temperature": 0.25})
    names = sampled(decoding)
    counts = [names.count(n) for n in ("brittnie", "brittney", "brenda", "brandi")]
    assert counts == [7, 1, 1, 1]

    metrics, decoding = decode_with(lesson_model, **{**page, "temperature": 4.0})
    assert metrics.values["samples_distinct"] == 10 and metrics.values["samples_in_data"] == 0

    metrics, decoding = decode_with(lesson_model, **{**page, "top_p": 0.5})
    known = {n for d, n in zip(decoding.samples, sampled(decoding)) if d["in_data"]}
    names = sampled(decoding)
    assert (names.count("brittnie"), names.count("brittney")) == (6, 2) and {"brenda", "breonna"} <= set(names)
    assert metrics.values["samples_in_data"] == 3 and known == {"brenda", "brittney"}
