"""ContextualEmbeddings: the biLSTM gives one word different vectors in two contexts, and the
separation the lesson claims comes from training, on the forward half.

Measured here (seed 0, 1 torch thread): before training the mean cosine between 64 uses of
"will" is 0.78; after 150 steps "will"'s noun uses and verb uses are 0.06 further apart than two
uses of one sense (0.13 on the forward half alone, 0.00 on the backward half). About 10 s.
"""

from __future__ import annotations

import pytest
import torch

from nntui.lab.bilm import NOUN, VERB, BiLM, sense_split, uses_of, word_text
from nntui.lab.contextual import ContextualEmbeddings
from nntui.spec.events import Metrics, Tables
from nntui.spec.texts import shakespeare

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_one_word_gets_different_vectors_in_two_contexts():
    torch.manual_seed(0)
    model = BiLM(50)
    # word 7 at position 3 of both, with different words before and after it
    first = torch.tensor([[1, 2, 3, 7, 4, 5, 6]])
    second = torch.tensor([[9, 9, 8, 7, 10, 11, 12]])
    forward_a, backward_a = model.vectors(first, 3)
    forward_b, backward_b = model.vectors(second, 3)
    assert not torch.allclose(forward_a, forward_b, atol=1e-3)
    assert not torch.allclose(backward_a, backward_b, atol=1e-3)
    # while its static vector, the embedding row, is one and the same
    assert torch.equal(model.embed(first)[0, 3], model.embed(second)[0, 3])


def test_each_half_reads_only_its_side():
    torch.manual_seed(0)
    model = BiLM(50)
    tokens = torch.tensor([[1, 2, 3, 7, 4, 5, 6]])
    later, earlier = tokens.clone(), tokens.clone()
    later[0, 5] = 20  # after position 3: only the backward half may change there
    earlier[0, 1] = 20  # before position 3: only the forward half may change
    f0, b0 = model.vectors(tokens, 3)
    f1, b1 = model.vectors(later, 3)
    f2, b2 = model.vectors(earlier, 3)
    assert torch.equal(f0, f1) and not torch.allclose(b0, b1, atol=1e-4)
    assert torch.equal(b0, b2) and not torch.allclose(f0, f2, atol=1e-4)


def test_senses_are_labelled_by_the_word_before():
    text = word_text("\n".join(shakespeare().values()))
    uses = uses_of(text, "will")
    assert (uses.senses == NOUN).sum() == 88 and (uses.senses == VERB).sum() == 556
    vectors = torch.zeros(len(uses.senses), 2)
    vectors[:, 0] = 1.0
    vectors[uses.senses == NOUN, 1] = 1.0  # nouns at 45 degrees: within 1, across cos 45° = 0.71
    within, across = sense_split(vectors, uses.senses)
    assert within == pytest.approx(1.0) and across == pytest.approx(0.5 ** 0.5)


def test_training_separates_will_on_the_forward_half():
    exp = ContextualEmbeddings({"steps": 150, "eval_every": 150}, seed=0)
    events = []
    while not exp.done:
        events += exp.step()
    first, last = [e.values for e in events if isinstance(e, Metrics)]
    assert first["word_cos"] < 0.85  # random weights already vary with the sentence
    assert last["val_loss"] < first["val_loss"] - 1.0
    assert last["will_gap_fwd"] > first["will_gap_fwd"] + 0.05 and last["will_gap"] > 0.03
    assert abs(last["will_gap_bwd"]) < 0.03
    tables = [e for e in events if isinstance(e, Tables)][-1].tables
    assert len(tables) == 3 and len(tables[0]["rows"]) == 4
