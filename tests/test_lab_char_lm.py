"""CharLM: every language model learns more than letter frequencies, and the GPT and the CNN
never look ahead.

Measured here (seed 0, 1 torch thread, names): the unigram entropy of the training names is
2.81 nats a character; after 100 steps every model's validation loss is below it (bigram counts
2.35, rnn/lstm/gru/cnn/gpt 2.0-2.2). 100 steps of all six take a few seconds.
"""

from __future__ import annotations

import pytest
import torch

from nntui.lab.char_lm import CharLM, NamesCorpus, unigram_entropy
from nntui.lab.char_models import MODELS, CausalCNN, TinyGPT, make_model
from nntui.spec.events import Metrics, TextSample

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def train(model: str, steps: int, **params) -> list:
    exp = CharLM({"model": model, "steps": steps, "eval_every": steps, "seconds": 0.0, **params}, seed=0)
    events = []
    while not exp.done:
        events += exp.step()
    return events


def val_losses(events: list) -> list[float]:
    return [e.values["val_loss"] for e in events if isinstance(e, Metrics)]


@pytest.mark.parametrize("model", MODELS)
def test_every_model_falls_below_the_unigram_entropy(model):
    corpus = NamesCorpus(0)
    unigram = unigram_entropy(corpus.train[1], len(corpus.vocab))
    assert 2.7 < unigram < 2.9  # letters by frequency alone: well under uniform's ln 27 = 3.30
    events = train(model, 100)
    first, last = val_losses(events)[0], val_losses(events)[-1]
    assert last < unigram and last < first - 0.3, (first, last)  # it learned, beyond frequencies
    samples = [e for e in events if isinstance(e, TextSample)]
    assert samples and samples[-1].text.strip()


def _later_changed(model: torch.nn.Module, at: int, length: int = 12) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits of a random sequence and of the same with token `at` changed."""
    torch.manual_seed(0)
    tokens = torch.randint(1, 27, (2, length))
    changed = tokens.clone()
    changed[:, at] = (changed[:, at] % 26) + 1  # another letter
    model.eval()
    with torch.no_grad():
        return model(tokens), model(changed)


@pytest.mark.parametrize("name", ["gpt", "cnn"])
@pytest.mark.parametrize("at", [0, 5, 11])
def test_changing_a_later_token_leaves_earlier_logits_alone(name, at):
    model = make_model(name, 27, context=16, kernel=4)
    before, after = _later_changed(model, at)
    assert torch.equal(before[:, :at], after[:, :at])  # positions before `at` cannot see it
    assert not torch.allclose(before[:, at], after[:, at])  # but it does reach its own position


def test_the_mask_test_catches_a_model_that_looks_ahead():
    """Without the causal mask, or with the CNN's window over the next tokens, the same check fails."""
    gpt = TinyGPT(27, 16)
    for block in gpt.blocks:
        block.attention.forward = _unmasked(block.attention.forward)
    before, after = _later_changed(gpt, 5)
    assert not torch.allclose(before[:, :5], after[:, :5])

    cnn = CausalCNN(27, kernel=4)
    cnn.kernel = 1  # no left padding: output t sees tokens t..t+3
    before, after = _later_changed(cnn, 5)
    assert not torch.allclose(before[:, :5], after[:, :5])


def _unmasked(forward):
    def call(x, causal=False, **kwargs):
        return forward(x, causal=False, **kwargs)

    return call


def test_a_run_stops_after_its_seconds_of_training():
    exp = CharLM({"model": "gru", "steps": 100_000, "seconds": 0.3}, seed=0)
    while not exp.done:
        exp.step()
    assert 0.3 <= exp.wall_s < 1.0 and exp.step_count < 100_000


def test_the_bigram_counts_give_the_add_one_smoothed_table():
    corpus = NamesCorpus(0)
    model = make_model("bigram", 27, corpus.context)
    inputs, targets = corpus.train_tokens()
    model.absorb(inputs, targets, -100)
    real = targets != -100
    assert model.counts.sum() == real.sum()  # one pair per predicted character
    table = (model.counts + 1) / (model.counts + 1).sum(1, keepdim=True)
    assert torch.allclose(model(torch.tensor([[0]]))[0, 0].exp(), table[0])
