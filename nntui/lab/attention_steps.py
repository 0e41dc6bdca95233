"""Self-attention in six steps, on two to four real words, with every number on show.

The course notes' walk-through ("Thinking Machines"):
  1. q, k, v      each word's embedding x times W^Q, W^K, W^V
  2. score        q_i . k_j for every pair of words
  3. scale        divide by sqrt(d_k) (8 in the notes, where d_k = 64)
  4. softmax      each query's scores become weights that sum to 1
  5. weigh        each value vector v_j times its weight
  6. sum          z_i = the weighted values added up

This is not a toy re-implementation: the numbers come from MultiHeadSelfAttention, the
module the live Transformers train with, run once on the sentence. Every parameter is
live, so a change recomputes at once and the tables follow.

Weights are drawn N(0, 1/d_model) (no biases, as in the notes), so q and k have components
of variance about 1 and a raw score q.k has variance about d_k: at d_k = 64 the raw scores
spread over about +-8 and, unscaled, the softmax puts almost all weight on one word.
"""

from __future__ import annotations

import math
import zlib
from typing import Any

import torch

from nntui.events import AttentionMaps, Event, Metrics, Tables
from nntui.lab import catalog
from nntui.lab.attention import MultiHeadSelfAttention
from nntui.lab.base import Experiment

SENTENCES = {
    "thinking machines": ["Thinking", "Machines"],
    "je suis étudiant": ["je", "suis", "étudiant"],
    "I love deep learning": ["I", "love", "deep", "learning"],
}
TEMPERATURE_LOGITS = (1.0, 2.0, 3.0)  # the notes' softmax example: [0.090, 0.245, 0.665]
NEG_INF = float("-inf")


def embedding(word: str, d_model: int, seed: int) -> torch.Tensor:
    """A word's vector, the same whatever sentence it is in (seeded by the word itself)."""
    generator = torch.Generator().manual_seed(seed * 1_000_003 + zlib.crc32(word.encode()))
    return torch.randn(d_model, generator=generator)


def softmax_with_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """softmax(logits / T): T < 1 sharpens towards the largest, T > 1 flattens towards uniform."""
    return torch.softmax(logits / temperature, dim=-1)


class AttentionSteps(Experiment):
    spec = catalog.ATTENTION_STEPS

    def __init__(self, params: dict[str, Any], seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed, device="cpu")  # a few dozen numbers: the CPU is fastest
        self.last: dict[str, float] = {}
        self.build()

    @property
    def total_steps(self) -> int:
        return 1

    @property
    def words(self) -> list[str]:
        return SENTENCES[self.params["sentence"]]

    def build(self) -> None:
        p = self.params
        d_model = p["d_k"] * p["heads"]
        self.attention = MultiHeadSelfAttention(d_model, p["heads"], bias=False)
        generator = torch.Generator().manual_seed(self.seed)
        with torch.no_grad():
            for proj in (self.attention.q_proj, self.attention.k_proj, self.attention.v_proj,
                         self.attention.out_proj):
                proj.weight.copy_(torch.randn(proj.weight.shape, generator=generator) / math.sqrt(d_model))
        self.x = torch.stack([embedding(w, d_model, self.seed) for w in self.words])

    def step(self) -> list[Event]:
        self.step_count = 1
        return self.compute()

    def apply_live(self, name: str) -> list[Event]:
        if name in ("sentence", "d_k", "heads"):
            self.build()
        return self.compute() if self.step_count else []

    @torch.no_grad()
    def compute(self) -> list[Event]:
        p = self.params
        output, weights, s = self.attention(
            self.x.unsqueeze(0), causal=p["causal"], return_scores=True, scale=p["scale"]
        )
        parts = {name: t[0] for name, t in s.items()} | {"output": output[0]}
        temperature = softmax_with_temperature(torch.tensor(TEMPERATURE_LOGITS), p["temperature"])
        self.last = {
            "max_weight": float(weights[0].max(dim=-1).values.mean()),
            "raw_std": float(parts["raw"].std()),
            "scaled_std": float(parts["scaled"].std()),
            "temperature_top": float(temperature.max()),
        }
        maps = AttentionMaps(
            1,
            tokens=self.words,
            weights=weights.numpy(),  # (1 layer, heads, T, T)
            stages={name: s[name].numpy() for name in ("raw", "scaled", "masked")},
        )
        tables = TableMaker(self.words, self.x, parts, p, temperature).tables(p["view"])
        return [Metrics(1, dict(self.last)), maps, Tables(1, p["view"], tables)]

    def summary(self) -> dict[str, float]:
        return dict(self.last)


class TableMaker:
    """The tables of each view, as plain lists (the UI process has no torch)."""

    def __init__(self, words, x, parts, params, temperature) -> None:
        self.words, self.x, self.parts, self.p, self.temperature = words, x, parts, params, temperature
        self.heads = params["heads"]
        self.d_k = params["d_k"]

    def tables(self, view: str) -> list[dict[str, Any]]:
        return getattr(self, f"view_{view}")()

    def _columns(self, prefix: str, width: int) -> list[str]:
        if self.heads == 1:
            return [f"{prefix}{j}" for j in range(width)]
        return [f"{prefix}{j // self.d_k + 1}.{j % self.d_k}" for j in range(width)]

    def _by_word(self, title: str, matrix: torch.Tensor, prefix: str, note: str = "") -> dict[str, Any]:
        return table(title, self.words, self._columns(prefix, matrix.shape[-1]), matrix, note)

    def _heads(self, name: str) -> list[tuple[str, torch.Tensor]]:
        """(a title suffix, the head's T x T matrix) for every head."""
        stack = self.parts[name]
        if self.heads == 1:
            return [("", stack[0])]
        return [(f", head {h + 1}", stack[h]) for h in range(self.heads)]

    def _concat(self, name: str) -> torch.Tensor:
        """(heads, T, d_k) -> (T, heads * d_k), the heads side by side."""
        return self.parts[name].transpose(0, 1).reshape(len(self.words), -1)

    def view_qkv(self) -> list[dict[str, Any]]:
        return [
            self._by_word("x: the embeddings", self.x, "x", f"one row per word, d_model = {self.x.shape[1]}"),
            self._by_word("q = x W^Q (queries)", self._concat("q"), "q", "what each word looks for"),
            self._by_word("k = x W^K (keys)", self._concat("k"), "k", "what each word offers to be found by"),
            self._by_word("v = x W^V (values)", self._concat("v"), "v", "what each word passes on"),
        ]

    def view_scores(self) -> list[dict[str, Any]]:
        out = []
        root = math.sqrt(self.d_k)
        for suffix, raw in self._heads("raw"):
            out.append(table(f"q·k: raw scores{suffix}", self.words, self.words, raw,
                             "row i, column j: q_i · k_j (query down, key across)"))
        for suffix, scaled in self._heads("masked" if self.p["causal"] else "scaled"):
            if self.p["scale"]:
                note = f"divided by √d_k = √{self.d_k} = {root:.3g}"
            else:
                note = "scaling is off: these are the raw scores"
            if self.p["causal"]:
                note += "; −∞ above the diagonal: a word never sees the words after it"
            out.append(table(f"scaled{' and masked' if self.p['causal'] else ''}{suffix}",
                             self.words, self.words, scaled, note))
        return out

    def view_softmax(self) -> list[dict[str, Any]]:
        out = []
        for suffix, w in self._heads("softmax"):
            with_sum = torch.cat([w, w.sum(dim=-1, keepdim=True)], dim=-1)
            top = float(w.max(dim=-1).values.mean())
            out.append(table(f"softmax: attention weights{suffix}", self.words, [*self.words, "Σ"], with_sum,
                             f"each row sums to 1; mean largest weight {top:.2f}", emphasis="row_max"))
        return out

    def view_output(self) -> list[dict[str, Any]]:
        """Steps 5 and 6 for the first word, then every word's z."""
        out = []
        first = self.words[0]
        for h, (suffix, w) in enumerate(self._heads("softmax")):
            v = self.parts["v"][h]
            weighted = w[0].unsqueeze(1) * v  # (T, d_k): row j is w_0j * v_j
            rows = [f"{w[0, j]:.2f} × v({word})" for j, word in enumerate(self.words)]
            matrix = torch.cat([weighted, weighted.sum(dim=0, keepdim=True)])
            out.append(table(f"weighted values for “{first}”{suffix}", [*rows, f"z({first}) = Σ"],
                             [f"{j}" for j in range(self.d_k)], matrix,
                             "step 5: each value times its weight; step 6: their sum"))
        out.append(self._by_word("z: every word's weighted sum", self.parts["concat"], "z",
                                 "the heads side by side" if self.heads > 1 else ""))
        out.append(self._by_word("output = z W^O", self.parts["output"], "o",
                                 "W^O mixes what the heads found"))
        return out

    def view_temperature(self) -> list[dict[str, Any]]:
        logits = torch.tensor(TEMPERATURE_LOGITS)
        t = self.p["temperature"]
        matrix = torch.stack([logits, torch.softmax(logits, dim=-1), self.temperature])
        cols = [f"{v:g}" for v in TEMPERATURE_LOGITS]
        return [table("softmax with a temperature T", ["logits x", "softmax(x)", f"softmax(x / {t:g})"],
                      cols, matrix, "T < 1 sharpens towards the largest; T > 1 flattens towards uniform",
                      emphasis="row_max")]


def table(
    title: str, rows: list[str], cols: list[str], matrix: torch.Tensor, note: str = "", emphasis: str = ""
) -> dict[str, Any]:
    """emphasis="row_max" asks the widget to mark each row's largest value."""
    return {"title": title, "rows": list(rows), "cols": list(cols),
            "values": [[float(v) for v in row] for row in matrix.tolist()], "note": note, "emphasis": emphasis}
