"""MultiHeadSelfAttention against torch.nn.MultiheadAttention, and the causal mask's promises."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from nntui.lab.attention import MultiHeadSelfAttention

SHAPES = [(16, 4, 5), (64, 8, 12)]  # (d_model, heads, T)


def pair(d_model: int, n_heads: int, bias: bool, seed: int = 0):
    torch.manual_seed(seed)
    theirs = nn.MultiheadAttention(d_model, n_heads, bias=bias, batch_first=True).eval()
    if bias:
        # torch zeroes the biases at init; random ones make the comparison mean something.
        with torch.no_grad():
            theirs.in_proj_bias.normal_()
            theirs.out_proj.bias.normal_()
    ours = MultiHeadSelfAttention.load_from_torch(theirs).eval()
    return ours, theirs


@pytest.mark.parametrize("d_model,n_heads,T", SHAPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("causal", [False, True])
def test_matches_torch_multihead_attention(d_model, n_heads, T, bias, causal):
    ours, theirs = pair(d_model, n_heads, bias)
    x = torch.randn(3, T, d_model)
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1) if causal else None
    with torch.no_grad():
        out, weights = ours(x, causal=causal)
        ref_out, ref_weights = theirs(
            x, x, x, attn_mask=mask, need_weights=True, average_attn_weights=False
        )
    assert out.shape == (3, T, d_model)
    assert weights.shape == (3, n_heads, T, T)
    torch.testing.assert_close(out, ref_out, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(weights, ref_weights, atol=1e-5, rtol=1e-5)


def test_submodules_are_linear_layers():
    model = MultiHeadSelfAttention(16, 4, bias=False)
    for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
        layer = getattr(model, name)
        assert isinstance(layer, nn.Linear)
        assert layer.bias is None
    with pytest.raises(ValueError):
        MultiHeadSelfAttention(10, 4)


def test_causal_weights_are_zero_above_the_diagonal_and_rows_sum_to_one():
    torch.manual_seed(1)
    model = MultiHeadSelfAttention(16, 4)
    T = 7
    with torch.no_grad():
        _, weights = model(torch.randn(2, T, 16), causal=True)
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
    assert (weights[..., future] == 0).all()
    assert (weights[..., ~future] > 0).all()
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 4, T))


def test_return_scores_stages():
    torch.manual_seed(2)
    model = MultiHeadSelfAttention(16, 4)
    x = torch.randn(2, 5, 16)
    with torch.no_grad():
        _, weights, scores = model(x, causal=True, return_scores=True)
        _, _, plain = model(x, causal=False, return_scores=True)
    assert set(scores) == {"q", "k", "v", "raw", "scaled", "masked", "softmax", "mixed", "concat"}
    for name in ("raw", "scaled", "masked", "softmax"):
        assert scores[name].shape == (2, 4, 5, 5)
    assert scores["q"].shape == scores["mixed"].shape == (2, 4, 5, 4) and scores["concat"].shape == (2, 5, 16)
    assert torch.equal(scores["mixed"], weights @ scores["v"])
    d_k = 16 // 4
    assert torch.equal(scores["scaled"], scores["raw"] / math.sqrt(d_k))
    future = torch.triu(torch.ones(5, 5, dtype=torch.bool), 1)
    assert torch.isneginf(scores["masked"][..., future]).all()
    assert torch.equal(scores["masked"][..., ~future], scores["scaled"][..., ~future])
    assert torch.equal(scores["softmax"], weights)
    assert torch.equal(plain["masked"], plain["scaled"])
    assert torch.equal(plain["softmax"], torch.softmax(plain["scaled"], dim=-1))
    _, _, unscaled = model(x, return_scores=True, scale=False)
    assert torch.equal(unscaled["scaled"], unscaled["raw"])


def test_future_tokens_do_not_reach_the_past_under_the_causal_mask():
    torch.manual_seed(3)
    model = MultiHeadSelfAttention(16, 4)
    T, i = 6, 2
    x = torch.randn(1, T, 16, requires_grad=True)

    # Autograd: output at position i depends on no input after i ...
    out, _ = model(x, causal=True)
    (grad,) = torch.autograd.grad(out[0, i].sum(), x)
    assert (grad[0, i + 1 :] == 0).all()
    assert grad[0, : i + 1].abs().sum() > 0

    # ... and by perturbation: rewriting the future leaves positions <= i exactly as they were.
    with torch.no_grad():
        changed = x.detach().clone()
        changed[0, i + 1 :] += 10 * torch.randn(T - i - 1, 16)
        before, _ = model(x.detach(), causal=True)
        after, _ = model(changed, causal=True)
        assert torch.equal(before[0, : i + 1], after[0, : i + 1])
        assert not torch.allclose(before[0, i + 1 :], after[0, i + 1 :])
        # Without the mask the future does leak back.
        open_before, _ = model(x.detach())
        open_after, _ = model(changed)
        assert not torch.allclose(open_before[0, i], open_after[0, i])


def test_softmax_anchor():
    probs = torch.softmax(torch.tensor([1.0, 2.0, 3.0]), dim=0)
    torch.testing.assert_close(probs, torch.tensor([0.090, 0.245, 0.665]), atol=1e-3, rtol=0)
