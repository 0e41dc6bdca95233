"""The worked self-attention example: its tables are the real computation, step by step."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from nntui.events import AttentionMaps, Metrics, Tables
from nntui.lab.attention_steps import AttentionSteps

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def tables_of(events) -> dict[str, np.ndarray]:
    found = next(e for e in events if isinstance(e, Tables))
    return {t["title"]: np.array(t["values"], dtype=np.float64) for t in found.tables}


def run(view: str, seed: int = 0, **params) -> tuple[AttentionSteps, list]:
    exp = AttentionSteps({"view": view, **params}, seed=seed)
    return exp, exp.step()


def test_softmax_of_one_two_three_is_the_notes_example():
    _, events = run("temperature")
    (table,) = tables_of(events).values()
    assert np.round(table[1], 3).tolist() == [0.090, 0.245, 0.665]
    exp, _ = run("temperature", temperature=0.5)
    sharp = tables_of(exp.set_param("temperature", 0.5))
    assert np.round(next(iter(sharp.values()))[2], 3).tolist() == [0.016, 0.117, 0.867]


def test_every_table_follows_from_the_one_before():
    exp, events = run("qkv", sentence="I love deep learning")
    qkv = tables_of(events)
    x, q, k, v = (qkv[t] for t in ("x: the embeddings", "q = x W^Q (queries)", "k = x W^K (keys)",
                                  "v = x W^V (values)"))
    attn = exp.attention
    assert np.allclose(q, x @ attn.q_proj.weight.detach().numpy().T, atol=1e-5)
    scores = tables_of(exp.set_param("view", "scores"))
    assert np.allclose(scores["q·k: raw scores"], q @ k.T, atol=1e-5)
    assert np.allclose(scores["scaled"], q @ k.T / math.sqrt(4), atol=1e-5)
    weights = tables_of(exp.set_param("view", "softmax"))["softmax: attention weights"]
    expected = torch.softmax(torch.tensor(q @ k.T / 2.0), dim=-1).numpy()
    assert np.allclose(weights[:, :4], expected, atol=1e-5) and np.allclose(weights[:, 4], 1.0)
    out = tables_of(exp.set_param("view", "output"))
    weighted = out["weighted values for “I”"]
    assert np.allclose(weighted[:4], expected[0][:, None] * v, atol=1e-5)
    assert np.allclose(weighted[4], expected[0] @ v, atol=1e-5)  # step 6: z is the sum
    assert np.allclose(out["z: every word's weighted sum"], expected @ v, atol=1e-5)


def test_without_scaling_a_wide_dot_product_saturates_the_softmax():
    """The lesson's numbers: d_k = 64 on four words, seeds 0-2, scaled and not."""
    for seed, (unscaled_top, scaled_top) in enumerate([(0.82, 0.38), (0.93, 0.57), (0.99, 0.66)]):
        off, _ = run("softmax", seed=seed, sentence="I love deep learning", d_k=64, scale=False)
        on, _ = run("softmax", seed=seed, sentence="I love deep learning", d_k=64, scale=True)
        assert round(off.last["max_weight"], 2) == unscaled_top
        assert round(on.last["max_weight"], 2) == scaled_top
        assert on.last["raw_std"] == pytest.approx(off.last["raw_std"])
        assert on.last["scaled_std"] == pytest.approx(on.last["raw_std"] / 8, rel=1e-5)
    assert round(AttentionSteps({"sentence": "I love deep learning", "d_k": 64}, seed=0).step()[0]
                 .values["raw_std"], 1) == 5.7


def test_the_causal_mask_hides_later_words_exactly():
    exp, events = run("scores", sentence="I love deep learning", causal=True)
    masked = tables_of(events)["scaled and masked"]
    above = np.triu(np.ones((4, 4), dtype=bool), 1)
    assert np.isneginf(masked[above]).all() and np.isfinite(masked[~above]).all()
    maps = next(e for e in events if isinstance(e, AttentionMaps))
    assert (maps.weights[0, 0][above] == 0).all() and maps.weights[0, 0, 0, 0] == 1.0


def test_heads_each_get_a_table_and_widen_the_model():
    exp, events = run("softmax", sentence="je suis étudiant", heads=2, d_k=4)
    titles = list(tables_of(events))
    assert titles == ["softmax: attention weights, head 1", "softmax: attention weights, head 2"]
    assert exp.x.shape == (3, 8)
    z = tables_of(exp.set_param("view", "output"))["z: every word's weighted sum"]
    assert z.shape == (3, 8)


def test_live_changes_recompute_and_only_after_the_first_step():
    exp = AttentionSteps({}, seed=0)
    assert exp.set_param("sentence", "I love deep learning") == []  # nothing shown yet
    events = exp.step()
    assert exp.done and next(e for e in events if isinstance(e, AttentionMaps)).tokens == [
        "I", "love", "deep", "learning"]
    again = exp.set_param("d_k", 8)
    assert any(isinstance(e, Metrics) for e in again) and exp.x.shape == (4, 8)
    # a word keeps its embedding whatever sentence it is in
    first = exp.x[0].clone()
    exp.set_param("sentence", "thinking machines")
    exp.set_param("sentence", "I love deep learning")
    assert torch.equal(exp.x[0], first)
