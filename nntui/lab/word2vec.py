"""Skip-gram with negative sampling (word2vec), trained live on Shakespeare or a learner's text.

    centre word c, context word o, K noise words n_1..n_K drawn from P(w) ~ count(w)^0.75:
    loss = -log sigmoid(u_o . v_c) - sum_k log sigmoid(-u_{n_k} . v_c)

v_c is a row of the centre embedding V (v x d: the d x v matrix of the notes, stored as rows),
u_o a row of the context embedding U. Both start small (N(0, 0.1^2)), so every score starts
near 0 and the loss near ln 2 = 0.693 per label. The loss reported is d2l's: binary
cross-entropy averaged over the 1 + K labels of each pair. The pairs of one epoch are built
once (see word_corpus) and shuffled; every step takes `batch` of them and draws its negatives.
The word vectors shown are V's rows, as in d2l.

What it reports. Every `eval_every` steps (and at the first and the last): Metrics (train_loss,
the mean since the last report; the corpus's sizes; the cosine similarity of related word pairs
against random pairs), and whenever MAP_INTERVAL_S has passed, the map (Scatter: the
`map_words` most frequent words, the typed word and its nearest neighbours, projected to 2-D by
PCA) and the neighbours (Tables). Changing `word` or `map_words` sends both at once.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from nntui.lab.base import Experiment
from nntui.lab.word_corpus import build_corpus, keep_probability, pca_axes, skipgram_pairs, subsample
from nntui.spec import catalog_language
from nntui.spec.events import Event, Metrics, Scatter, Tables
from nntui.spec.texts import read_text_file, shakespeare

MAP_INTERVAL_S = 0.1  # a slowed-down run redraws its map at most this often
NEIGHBOURS = 5  # listed for the typed word (what fits the table panel at 80x24)
HITS_TOP = 10  # a related pair is a hit when the second word is among the first's 10 nearest
RANDOM_PAIRS = 1000
INIT_STD = 0.1

# Pairs a reader would call related, chosen before training (not from its results): the check
# compares their cosine with random pairs'. Only those whose words are both in the vocabulary count.
RELATED = (("he", "she"), ("his", "her"), ("my", "thy"), ("thou", "you"), ("thee", "him"),
           ("is", "was"), ("hath", "has"), ("shall", "will"), ("would", "should"),
           ("king", "queen"), ("lord", "lady"), ("father", "mother"), ("son", "daughter"),
           ("brother", "sister"), ("man", "woman"), ("day", "night"), ("heaven", "earth"))


def load_text(path: str) -> str:
    return read_text_file(path) if path else "\n".join(shakespeare().values())


class Word2Vec(Experiment):
    spec = catalog_language.WORD2VEC

    def __init__(self, params: dict[str, Any], seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed, device)
        p = self.params
        self.corpus = corpus = build_corpus(load_text(p["text_file"]), p["min_freq"])
        self.vocab, self.index = corpus.vocab, corpus.index
        rng = np.random.default_rng(seed)
        kept = subsample(corpus.ids, corpus.counts, p["t"], rng) if p["subsample"] else corpus.ids
        centres, contexts = skipgram_pairs(kept, p["window"], rng)
        to = self.device
        self.centres, self.contexts = torch.from_numpy(centres).to(to), torch.from_numpy(contexts).to(to)
        # Noise words follow the training text's counts (after subsampling) to the power 0.75.
        kept_counts = np.bincount(kept, minlength=len(self.vocab)).astype(np.float64)
        self.noise = torch.from_numpy(kept_counts ** 0.75).to(to)
        v, d = len(self.vocab), p["dim"]
        self.V = torch.nn.Parameter(torch.randn(v, d, device=to) * INIT_STD)
        self.U = torch.nn.Parameter(torch.randn(v, d, device=to) * INIT_STD)
        self.optimizer = torch.optim.Adam([self.V, self.U], lr=p["lr"])
        self.generator = torch.Generator(device=to).manual_seed(seed)
        self.order = torch.randperm(len(self.centres), generator=self.generator, device=to)
        self.cursor, self.pairs_seen = 0, 0
        self.related = [(self.index[a], self.index[b]) for a, b in RELATED if a in self.index and b in self.index]
        self.random_pairs = torch.from_numpy(np.random.default_rng(12345).choice(v, (RANDOM_PAIRS, 2))).to(to)
        self.sizes = {"vocab_size": v, "dim": d, "weights": v * d, "tokens": corpus.tokens,
                      "in_vocab": len(corpus.ids), "kept": len(kept), "pairs": len(centres),
                      "keep_top": float(keep_probability(corpus.counts, p["t"])[0]) if p["subsample"] else 1.0}
        self.losses: list[float] = []
        self.axes: np.ndarray | None = None
        self.last_map_at = -math.inf
        self.last_metrics: dict[str, float] = {}

    # ---- one step ----------------------------------------------------------------------------
    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.cursor >= len(self.order):
            self.order = torch.randperm(len(self.centres), generator=self.generator, device=self.device)
            self.cursor = 0
        index = self.order[self.cursor:self.cursor + self.params["batch"]]
        self.cursor += len(index)
        self.pairs_seen += len(index)
        return self.centres[index], self.contexts[index]

    def step(self) -> list[Event]:
        centre, context = self.next_batch()
        n, k = len(centre), self.params["negatives"]
        noise = torch.multinomial(self.noise, n * k, replacement=True, generator=self.generator).view(n, k)
        outside = torch.cat([context[:, None], noise], dim=1)  # (n, 1 + K): the true context first
        scores = (self.V[centre][:, None, :] * self.U[outside]).sum(-1)
        labels = torch.zeros_like(scores)
        labels[:, 0] = 1.0
        loss = F.binary_cross_entropy_with_logits(scores, labels)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.losses.append(loss.item())
        step = self.step_count = self.step_count + 1

        events: list[Event] = []
        reporting = self.is_due(step, "eval_every")
        if reporting:
            events.append(Metrics(step, self.measure(), epoch=self.pairs_seen / len(self.centres)))
        now = time.perf_counter()
        if reporting or now - self.last_map_at >= MAP_INTERVAL_S:
            events += self.pictures()
            self.last_map_at = now
        return events

    # ---- what it reports ---------------------------------------------------------------------
    @torch.no_grad()
    def unit_vectors(self) -> torch.Tensor:
        return F.normalize(self.V.detach(), dim=1)

    @torch.no_grad()
    def measure(self) -> dict[str, float]:
        unit = self.unit_vectors()
        values: dict[str, float] = {"train_loss": float(np.mean(self.losses)), **self.sizes}
        self.losses = []
        a, b = self.random_pairs[:, 0], self.random_pairs[:, 1]
        values["random_cos"] = (unit[a] * unit[b]).sum(1).mean().item()
        if self.related:
            first = torch.tensor([i for i, _ in self.related], device=self.device)
            second = torch.tensor([j for _, j in self.related], device=self.device)
            sims = unit[first] @ unit.T  # (pairs, v)
            sims[torch.arange(len(first)), first] = -2.0  # a word is not its own neighbour
            pair_cos = sims.gather(1, second[:, None])[:, 0]
            rank = (sims > pair_cos[:, None]).sum(1) + 1
            values["pair_cos"] = pair_cos.mean().item()
            values["pair_gap"] = values["pair_cos"] - values["random_cos"]
            values["pair_hits"] = int((rank <= HITS_TOP).sum())
            values["pair_count"] = len(self.related)
        query = self.index.get(self.params["word"].strip().lower())
        if query is not None:
            values["query_top_cos"] = self.neighbours(unit, query)[0][1]
        self.last_metrics = values
        return values

    def neighbours(self, unit: torch.Tensor, word: int) -> list[tuple[int, float]]:
        sims = unit @ unit[word]
        sims[word] = -2.0
        top = sims.topk(min(NEIGHBOURS, len(sims) - 1))
        return list(zip(top.indices.tolist(), top.values.tolist()))

    @torch.no_grad()
    def pictures(self) -> list[Event]:
        unit = self.unit_vectors()
        word = self.params["word"].strip().lower()
        query = self.index.get(word)
        near = self.neighbours(unit, query) if query is not None else []
        return [self.word_map(unit, query, near), self.neighbour_tables(unit, word, query, near)]

    def word_map(self, unit: torch.Tensor, query: int | None, near: list[tuple[int, float]]) -> Scatter:
        """The most frequent words (class 0), the typed word (1) and its neighbours (2), in the plane
        of the frequent words' two principal components."""
        top = list(range(min(self.params["map_words"], len(self.vocab))))
        shown = dict.fromkeys(top, 0)
        for i, _ in near:
            shown[i] = 2
        if query is not None:
            shown[query] = 1
        vectors = unit.cpu().numpy().astype(np.float64)
        mean, self.axes = pca_axes(vectors[top], self.axes)
        ids = list(shown)
        xy = (vectors[ids] - mean) @ self.axes.T
        reach = max(float(np.abs(xy).max()) * 1.1, 1e-3)
        return Scatter(self.step_count, "words", xy.astype(np.float32), np.array(list(shown.values())),
                       np.zeros(len(ids), dtype=bool), [-reach, reach, -reach, reach],
                       np.zeros((0, 0, 0), dtype=np.float32), [self.vocab[i] for i in ids])

    def neighbour_tables(self, unit: torch.Tensor, word: str, query: int | None,
                         near: list[tuple[int, float]]) -> Tables:
        v, d = unit.shape
        if query is None:
            note = f"not among the {v:,} words seen {self.params['min_freq']}+ times"
            note_zh = f"不在出现 {self.params['min_freq']} 次以上的 {v:,} 个词里"
            return Tables(self.step_count, "neighbours", [{
                "title": f"'{word}'", "rows": [], "cols": [], "values": [], "note": note, "note_zh": note_zh}])
        counts = self.corpus.counts
        rows = [self.vocab[i] for i, _ in near]
        values = [[cos] for _, cos in near]
        column = self.V.detach()[query].tolist()
        return Tables(self.step_count, "neighbours", [
            {"title": f"cos to '{word}'", "title_zh": f"与 '{word}' 的余弦", "rows": rows,
             "cols": ["cos"], "values": values,
             "note": f"#{query} of {v:,}, seen {int(counts[query]):,}×",
             "note_zh": f"{v:,} 个中第 {query} 号，出现 {int(counts[query]):,} 次"},
            {"title": f"W[:, {query}] ({d} numbers)", "title_zh": f"W[:, {query}]（{d} 个数）",
             "rows": [word], "cols": [str(j + 1) for j in range(d)], "values": [column], "note": ""},
        ])

    def apply_live(self, name: str) -> list[Event] | None:
        if name == "lr":  # Experiment.set_param set it
            return None
        if name in ("word", "map_words"):
            return self.pictures()
        return None  # negatives and eval_every are read at every step

    def summary(self) -> dict[str, float]:
        return {**self.last_metrics, "steps": self.step_count}
