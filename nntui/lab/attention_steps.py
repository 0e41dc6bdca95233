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

from nntui.spec.events import AttentionMaps, Event, Metrics, Tables
from nntui.spec import catalog
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
        self.last = {**example_metrics(parts), "temperature_top": float(temperature.max())}
        maps = AttentionMaps(
            1,
            tokens=self.words,
            weights=weights.numpy(),  # (1 layer, heads, T, T)
            stages={name: s[name].numpy() for name in ("raw", "scaled", "masked")},
        )
        matrices = {name: getattr(self.attention, f"{name.lower()}_proj").weight.T for name in "QKV"}
        tables = TableMaker(self.words, self.x, parts, p, temperature, matrices).tables(p["view"])
        return [Metrics(1, dict(self.last)), maps, Tables(1, p["view"], tables)]

    def summary(self) -> dict[str, float]:
        return dict(self.last)


def example_metrics(parts: dict[str, torch.Tensor]) -> dict[str, float]:
    """The numbers the guide quotes, so that each page's check can verify them.

    `first_*` and `last_weight` read head 1 at the sentence's first (last) word, the cells a
    learner reads by hand; the rest summarise every head. parts hold (heads, T, ...) tensors.
    """
    weights = parts["softmax"]  # (heads, T, T)
    T = weights.shape[-1]
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    top_keys = weights.argmax(dim=-1)  # (heads, T): where each query looks most
    return {
        "max_weight": float(weights.max(dim=-1).values.mean()),  # 1/T: even; 1: one word each
        "top_weight": float(weights.max()),
        "min_weight": float(weights.min()),
        "row_sum_error": float((weights.sum(dim=-1) - 1).abs().max()),
        "future_weight": float(weights[:, future].max()),  # exactly 0 under the causal mask
        "heads_disagree": float((top_keys != top_keys[0]).any(dim=0).sum()),  # queries, 0 with one head
        "raw_std": float(parts["raw"].std()),
        "scaled_std": float(parts["scaled"].std()),  # what the softmax gets: the raw scores unscaled
        "first_q0": float(parts["q"][0, 0, 0]),
        "first_score": float(parts["raw"][0, 0, 0]),
        "first_scaled": float(parts["scaled"][0, 0, 0]),
        "first_weight": float(weights[0, 0, 0]),
        "last_weight": float(weights[0, -1, -1]),
        "first_z0": float(parts["mixed"][0, 0, 0]),
    }


class TableMaker:
    """The tables of each view, as plain lists (the UI process has no torch)."""

    def __init__(self, words, x, parts, params, temperature, matrices) -> None:
        self.words, self.x, self.parts, self.p, self.temperature = words, x, parts, params, temperature
        self.matrices = matrices  # "Q", "K", "V": (d_model, d_model), laid out so that q = x @ W^Q
        self.heads = params["heads"]
        self.d_k = params["d_k"]

    def tables(self, view: str) -> list[dict[str, Any]]:
        return getattr(self, f"view_{view}")()

    def _columns(self, prefix: str, width: int, per_head: bool = True) -> list[str]:
        """q0, q1, ... or, with several heads, q1.0 (head 1, entry 0): x is not split into heads."""
        if self.heads == 1 or not per_head:
            return [f"{prefix}{j}" for j in range(width)]
        return [f"{prefix}{j // self.d_k + 1}.{j % self.d_k}" for j in range(width)]

    def _by_word(self, title: Words, matrix: torch.Tensor, prefix: str, note: Words = "") -> dict[str, Any]:
        return table(title, self.words, self._columns(prefix, matrix.shape[-1], prefix != "x"), matrix, note)

    def _heads(self, name: str) -> list[tuple[Words, torch.Tensor]]:
        """(a title suffix, the head's T x T matrix) for every head."""
        stack = self.parts[name]
        if self.heads == 1:
            return [("", stack[0])]
        return [((f", head {h + 1}", f"，头 {h + 1}"), stack[h]) for h in range(self.heads)]

    def _concat(self, name: str) -> torch.Tensor:
        """(heads, T, d_k) -> (T, heads * d_k), the heads side by side."""
        return self.parts[name].transpose(0, 1).reshape(len(self.words), -1)

    def _weight(self, name: str) -> dict[str, Any]:
        """W^Q, W^K or W^V with rows named after the x entry they multiply and columns after the
        entry they make, so that q_j is the x row times column j, checkable by hand."""
        w = self.matrices[name]
        prefix = name.lower()
        return table(f"W^{name}", self._columns("x", w.shape[0], per_head=False), self._columns(prefix, w.shape[1]),
                     w, (f"{prefix}_j = x row · column j", f"{prefix}_j = x 的行 · 第 j 列"))

    def view_qkv(self) -> list[dict[str, Any]]:
        d_model = self.x.shape[1]
        return [
            self._by_word(("x: the embeddings", "x：词向量"), self.x, "x",
                          (f"one row per word, d_model = {d_model}", f"每个词一行，d_model = {d_model}")),
            self._weight("Q"),
            self._by_word(("q = x W^Q (queries)", "q = x W^Q（查询）"), self._concat("q"), "q",
                          ("what each word looks for", "每个词在找什么")),
            self._weight("K"),
            self._by_word(("k = x W^K (keys)", "k = x W^K（键）"), self._concat("k"), "k",
                          ("what each word offers to be found by", "每个词凭什么被找到")),
            self._weight("V"),
            self._by_word(("v = x W^V (values)", "v = x W^V（值）"), self._concat("v"), "v",
                          ("what each word passes on", "每个词传出去的内容")),
        ]

    def view_scores(self) -> list[dict[str, Any]]:
        out = []
        root = math.sqrt(self.d_k)
        for suffix, raw in self._heads("raw"):
            out.append(table(join(("q·k: raw scores", "q·k：原始分数"), suffix), self.words, self.words, raw,
                             ("row i, column j: q_i · k_j (query down, key across)",
                              "第 i 行第 j 列：q_i · k_j（行是查询，列是键）")))
        causal = self.p["causal"]
        for suffix, scaled in self._heads("masked" if causal else "scaled"):
            if self.p["scale"]:
                note = (f"divided by √d_k = √{self.d_k} = {root:.3g}", f"除以 √d_k = √{self.d_k} = {root:.3g}")
            else:
                note = ("scaling is off: these are the raw scores", "缩放已关闭：这些就是原始分数")
            if causal:
                note = join(note, ("; −∞ above the diagonal: a word never sees the words after it",
                                   "；对角线以上为 −∞：一个词看不到它后面的词"))
            title = ("scaled and masked", "缩放并掩码后") if causal else ("scaled", "缩放后")
            out.append(table(join(title, suffix), self.words, self.words, scaled, note))
        return out

    def view_softmax(self) -> list[dict[str, Any]]:
        out = []
        for (suffix, w), (_, scores) in zip(self._heads("softmax"), self._heads("scaled")):
            with_sum = torch.cat([w, w.sum(dim=-1, keepdim=True)], dim=-1)
            top, std = float(w.max(dim=-1).values.mean()), float(scores.std())
            note = (f"each row sums to 1; mean largest weight {top:.2f}; scores' std {std:.2f}",
                    f"每行之和为 1；平均最大权重 {top:.2f}；分数的标准差 {std:.2f}")
            out.append(table(join(("softmax: attention weights", "softmax：注意力权重"), suffix), self.words,
                             [*self.words, "Σ"], with_sum, note, emphasis="row_max"))
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
            out.append(table(join((f"weighted values for “{first}”", f"“{first}”的加权值"), suffix),
                             [*rows, f"z({first}) = Σ"], [f"{j}" for j in range(self.d_k)], matrix,
                             ("step 5: each value times its weight; step 6: their sum",
                              "第 5 步：每个值乘以它的权重；第 6 步：求和")))
        out.append(self._by_word(("z: every word's weighted sum", "z：每个词的加权和"), self.parts["concat"], "z",
                                 ("the heads side by side", "各个头并排") if self.heads > 1 else ""))
        out.append(self._by_word(("output = z W^O", "输出 = z W^O"), self.parts["output"], "o",
                                 ("W^O mixes what the heads found", "W^O 混合各个头找到的信息")))
        return out

    def view_temperature(self) -> list[dict[str, Any]]:
        logits = torch.tensor(TEMPERATURE_LOGITS)
        t = self.p["temperature"]
        matrix = torch.stack([logits, torch.softmax(logits, dim=-1), self.temperature])
        cols = [f"{v:g}" for v in TEMPERATURE_LOGITS]
        return [table(("softmax with a temperature T", "带温度 T 的 softmax"),
                      ["logits x", "softmax(x)", f"softmax(x / {t:g})"], cols, matrix,
                      ("T < 1 sharpens towards the largest; T > 1 flattens towards uniform",
                       "T < 1 向最大值变尖；T > 1 向均匀变平"), emphasis="row_max")]


Words = str | tuple[str, str]  # the same in both languages, or (English, Chinese)


def both(words: Words) -> tuple[str, str]:
    return (words, words) if isinstance(words, str) else words


def join(a: Words, b: Words) -> tuple[str, str]:
    (a_en, a_zh), (b_en, b_zh) = both(a), both(b)
    return a_en + b_en, a_zh + b_zh


def table(
    title: Words, rows: list[str], cols: list[str], matrix: torch.Tensor, note: Words = "", emphasis: str = ""
) -> dict[str, Any]:
    """emphasis="row_max" asks the widget to mark each row's largest value. Title and note are
    English, with their Chinese in title_zh and note_zh (labels and numbers read the same)."""
    (title_en, title_zh), (note_en, note_zh) = both(title), both(note)
    return {"title": title_en, "rows": list(rows), "cols": list(cols),
            "values": [[float(v) for v in row] for row in matrix.tolist()], "note": note_en, "emphasis": emphasis,
            "title_zh": title_zh, "note_zh": note_zh}
