"""The character language models that char-lm compares, one interface for all:

    tokens (batch, T) long -> logits (batch, T, vocab); position t predicts token t + 1
    and sees only tokens 0..t (every model here is causal: tests/test_lab_char_lm.py checks it).

  bigram  a table of counts, not trained by gradients: log P(next | this) = log (count + 1) /
          (row + vocab), add-one smoothed. `absorb(x, y)` adds a batch's pairs; the baseline.
  rnn, lstm, gru   Embedding(vocab, EMBED) -> one recurrent layer of HIDDEN -> Linear.
  cnn     Embedding -> Conv1d(kernel n) padded n - 1 on the left only (so output t sees tokens
          t-n+1..t: the notes' n-gram view, an (n+1)-gram model) -> ReLU -> Linear. kernel 1
          sees only the current token: a bigram model, learned.
  gpt     Embedding + learned positions -> pre-norm Transformer blocks (transformer.py's Block,
          MultiHeadSelfAttention with the causal mask) -> LayerNorm -> Linear: a tiny decoder-only GPT.
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from nntui.lab.transformer import Block

MODELS = ("bigram", "rnn", "lstm", "gru", "cnn", "gpt")
EMBED = 32
HIDDEN = 128  # recurrent state and CNN channels
GPT_WIDTH = 64  # d_model; 4 heads, 2 blocks
GPT_HEADS = 4
GPT_LAYERS = 2


class BigramCounts(nn.Module):
    """Counts of (this, next) pairs seen so far; forward gives smoothed log-probabilities."""

    def __init__(self, vocab: int) -> None:
        super().__init__()
        self.register_buffer("counts", torch.zeros(vocab, vocab))

    def absorb(self, tokens: torch.Tensor, targets: torch.Tensor, ignore: int) -> None:
        real = targets != ignore
        pairs = tokens[real] * self.counts.shape[0] + targets[real]
        self.counts += torch.bincount(pairs, minlength=self.counts.numel()).view_as(self.counts).float()

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        smoothed = self.counts + 1.0
        return (smoothed / smoothed.sum(1, keepdim=True)).log()[tokens]


class RecurrentLM(nn.Module):
    CELLS: ClassVar[dict[str, type[nn.RNNBase]]] = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}

    def __init__(self, cell: str, vocab: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, EMBED)
        self.cell = self.CELLS[cell](EMBED, HIDDEN, batch_first=True)
        self.head = nn.Linear(HIDDEN, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        states, _ = self.cell(self.embed(tokens))
        return self.head(states)


class CausalCNN(nn.Module):
    def __init__(self, vocab: int, kernel: int) -> None:
        super().__init__()
        self.kernel = kernel
        self.embed = nn.Embedding(vocab, EMBED)
        self.conv = nn.Conv1d(EMBED, HIDDEN, kernel)
        self.head = nn.Linear(HIDDEN, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embed(tokens).transpose(1, 2)  # (batch, EMBED, T)
        x = F.pad(x, (self.kernel - 1, 0))  # left only: no position sees a later token
        return self.head(torch.relu(self.conv(x)).transpose(1, 2))


class TinyGPT(nn.Module):
    def __init__(self, vocab: int, context: int) -> None:
        super().__init__()
        self.context = context
        self.embed = nn.Embedding(vocab, GPT_WIDTH)
        self.position = nn.Parameter(torch.randn(context, GPT_WIDTH) * 0.02)
        # pre-norm (GPT-2's order) and a final LayerNorm: trains stably at lr 1e-2 in a few hundred steps.
        self.blocks = nn.ModuleList(Block(GPT_WIDTH, GPT_HEADS, norm="pre") for _ in range(GPT_LAYERS))
        self.norm = nn.LayerNorm(GPT_WIDTH)
        self.head = nn.Linear(GPT_WIDTH, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        tokens = tokens[:, -self.context:]  # sampling past the context keeps the newest tokens
        x = self.embed(tokens) + self.position[: tokens.shape[1]]
        for block in self.blocks:
            x, _, _ = block(x, causal=True, capture=False)
        return self.head(self.norm(x))


def make_model(name: str, vocab: int, context: int, kernel: int = 3) -> nn.Module:
    if name == "bigram":
        return BigramCounts(vocab)
    if name in RecurrentLM.CELLS:
        return RecurrentLM(name, vocab)
    if name == "cnn":
        return CausalCNN(vocab, kernel)
    if name == "gpt":
        return TinyGPT(vocab, context)
    raise ValueError(f"model: expected one of {', '.join(MODELS)}, got {name!r}")


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
