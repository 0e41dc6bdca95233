"""Multi-head self-attention, written out step by step.

    x (batch, T, d_model) -> output (batch, T, d_model), weights (batch, heads, T, T)

The steps, in the order forward() takes them:
  1. q, k, v    three linear maps of the same input (that is what makes it *self*-attention)
  2. raw        q . k^T: how well each query position matches each key position
  3. scaled     raw / sqrt(d_k), d_k = d_model / heads
  4. masked     (causal only) -inf above the diagonal, so position i sees only j <= i
  5. softmax    each row becomes weights that are >= 0 and sum to 1
  6. mix        weights @ v, the heads concatenated back to d_model, then out_proj

The numbers match torch.nn.MultiheadAttention (batch_first=True, need_weights=True,
average_attn_weights=False) given the same weights; load_from_torch copies them over.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, d_model: int, n_heads: int, bias: bool = True) -> None:
        super().__init__()
        if d_model % n_heads != 0:
            raise ValueError(f"d_model {d_model} is not divisible by n_heads {n_heads}")
        self.d_model = d_model
        self.n_heads = n_heads
        self.d_k = d_model // n_heads
        # One d_model -> d_model map each; the heads are slices of its output, so 'heads'
        # costs no extra parameters, it only changes how the scores are grouped.
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def split_heads(self, t: torch.Tensor) -> torch.Tensor:
        """(batch, T, d_model) -> (batch, heads, T, d_k)."""
        batch, T, _ = t.shape
        return t.view(batch, T, self.n_heads, self.d_k).transpose(1, 2)

    def forward(
        self, x: torch.Tensor, causal: bool = False, return_scores: bool = False, scale: bool = True
    ) -> tuple[torch.Tensor, ...]:
        """(output, weights), or (output, weights, scores) with return_scores.

        scale=False skips step 3, only so that a lesson can show what the scaling prevents.
        """
        batch, T, _ = x.shape

        # 1. Queries ask, keys answer, values are what gets passed along.
        q = self.split_heads(self.q_proj(x))
        k = self.split_heads(self.k_proj(x))
        v = self.split_heads(self.v_proj(x))

        # 2. Every query against every key, within each head: (batch, heads, T, T).
        raw = q @ k.transpose(-2, -1)

        # 3. A dot product of d_k unit-variance terms has variance d_k; without this the
        # softmax saturates and its gradients vanish as d_k grows.
        scaled = raw / math.sqrt(self.d_k) if scale else raw

        # 4. -inf rather than a large negative number: exp(-inf) is exactly 0, so the future
        # gets exactly zero weight. The diagonal is never masked, so no row is all -inf.
        if causal:
            future = torch.triu(torch.ones(T, T, dtype=torch.bool, device=x.device), diagonal=1)
            masked = scaled.masked_fill(future, float("-inf"))
        else:
            masked = scaled

        # 5. Along the key axis: each query's weights sum to 1.
        weights = torch.softmax(masked, dim=-1)

        # 6. Each position gets a weighted average of the values, per head; the heads are laid
        # side by side again and out_proj lets them talk to each other.
        mixed = weights @ v  # (batch, heads, T, d_k)
        concat = mixed.transpose(1, 2).reshape(batch, T, self.d_model)
        output = self.out_proj(concat)

        if return_scores:
            scores = {"q": q, "k": k, "v": v, "raw": raw, "scaled": scaled, "masked": masked,
                      "softmax": weights, "mixed": mixed, "concat": concat}
            return output, weights, scores
        return output, weights

    @classmethod
    def load_from_torch(cls, module: nn.MultiheadAttention) -> MultiHeadSelfAttention:
        """A copy of a torch.nn.MultiheadAttention's weights in this module's shape."""
        if not module._qkv_same_embed_dim:
            raise ValueError("only MultiheadAttention with kdim == vdim == embed_dim is supported")
        bias = module.in_proj_bias is not None
        ours = cls(module.embed_dim, module.num_heads, bias=bias)
        # torch stacks the three input maps into one (3 d_model, d_model) matrix: q, k, v rows.
        w_q, w_k, w_v = module.in_proj_weight.detach().chunk(3, dim=0)
        with torch.no_grad():
            ours.q_proj.weight.copy_(w_q)
            ours.k_proj.weight.copy_(w_k)
            ours.v_proj.weight.copy_(w_v)
            ours.out_proj.weight.copy_(module.out_proj.weight)
            if bias:
                b_q, b_k, b_v = module.in_proj_bias.detach().chunk(3, dim=0)
                ours.q_proj.bias.copy_(b_q)
                ours.k_proj.bias.copy_(b_k)
                ours.v_proj.bias.copy_(b_v)
                ours.out_proj.bias.copy_(module.out_proj.bias)
        return ours
