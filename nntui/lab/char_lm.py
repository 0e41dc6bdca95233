"""Language models compared: one character model per run, on first names or Shakespeare.

Each run trains one of char_models.MODELS (bigram counts, rnn, lstm, gru, a causal CNN of kernel
n, a tiny GPT) for next-character cross entropy, and reports, every `eval_every` steps:

  train_loss   the mean cross entropy of the batches since the last report (natural log)
  val_loss     the cross entropy on held-out text the model never trains on; perplexity = e^val_loss
  wall_s       seconds spent in training steps so far (evaluation and sampling not counted), so
               runs can be compared at equal time as well as at equal steps
  parameters   trainable weights (bigram: the 27 x 27 counts)

and a TextSample: names (or a line of text) sampled at the live `temperature`.

The corpora:
  names        the 5,163 names of nntui/data/names.txt (names_lm.py's vocabulary: "." then a-z,
               "." is the start and the end). 10% of them, fixed (not the run's seed), are the
               validation set. A step: the next `batch` names of a shuffled epoch, padded; the
               padding's targets are ignored. Uniform guessing costs ln 27 = 3.30 a character.
  shakespeare  nntui.spec.texts.shakespeare(), every work joined; the last 10% is the validation
               text. A step: `batch` random windows of CONTEXT characters; validation is 64
               windows spread evenly over the held-out text.

Adam at `lr` for every model but the bigram, which counts the batch's pairs instead.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from nntui.lab.base import Experiment
from nntui.lab.char_models import BigramCounts, make_model, parameter_count
from nntui.lab.names_lm import BOUNDARY_ID, IGNORE, VOCAB, load_names, names_tensors
from nntui.spec import catalog_language
from nntui.spec.events import Event, Metrics, TextSample
from nntui.spec.texts import shakespeare

SPLIT_SEED = 1234  # the names held out: the same for every run, so runs compare on one set
VAL_SHARE = 0.1
CONTEXT = 64  # Shakespeare windows (and the GPT's positions)
VAL_WINDOWS = 64
NAMES_PER_SAMPLE = 6
TEXT_SAMPLE_CHARS = 80


class NamesCorpus:
    vocab = VOCAB

    def __init__(self, seed: int) -> None:
        inputs, targets, lengths = names_tensors(load_names())
        order = torch.randperm(len(lengths), generator=torch.Generator().manual_seed(SPLIT_SEED))
        n_val = round(len(order) * VAL_SHARE)
        val, train = order[:n_val], order[n_val:]
        self.train = inputs[train], targets[train], lengths[train]
        self.val = inputs[val], targets[val]
        self.context = inputs.shape[1]
        self.shuffler = torch.Generator().manual_seed(seed)
        self.order, self.cursor = torch.arange(0), 0

    @property
    def train_size(self) -> int:
        return len(self.train[2])

    def batch(self, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        if self.cursor + size > len(self.order):  # a new epoch: the short tail waits for the next
            self.order, self.cursor = torch.randperm(self.train_size, generator=self.shuffler), 0
        rows = self.order[self.cursor : self.cursor + size]
        self.cursor += size
        inputs, targets, lengths = self.train
        width = int(lengths[rows].max())
        return inputs[rows, :width], targets[rows, :width]

    def train_tokens(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.train[0], self.train[1]

    def sample(self, model: torch.nn.Module, temperature: float, generator: torch.Generator) -> str:
        """NAMES_PER_SAMPLE names, each from the start token until the end token (or the context)."""
        seqs = torch.full((NAMES_PER_SAMPLE, 1), BOUNDARY_ID, dtype=torch.long)
        for _ in range(self.context - 1):
            nxt = _draw(model(seqs)[:, -1], temperature, generator)
            seqs = torch.cat([seqs, nxt[:, None]], dim=1)
            if bool((seqs[:, 1:] == BOUNDARY_ID).any(dim=1).all()):
                break
        names = []
        for row in seqs[:, 1:].tolist():
            letters = row[: row.index(BOUNDARY_ID)] if BOUNDARY_ID in row else row
            names.append("".join(VOCAB[i] for i in letters) or "·")
        return " ".join(names)


class TextCorpus:
    def __init__(self, seed: int) -> None:
        text = "\n".join(shakespeare().values())
        self.vocab = tuple(sorted(set(text)))
        codes = np.frombuffer(text.encode("ascii"), dtype=np.uint8)  # the works are ASCII
        lookup = np.zeros(128, dtype=np.int64)
        lookup[[ord(c) for c in self.vocab]] = np.arange(len(self.vocab))
        ids = torch.from_numpy(lookup[codes])
        cut = round(len(ids) * (1 - VAL_SHARE))
        self.train_ids, val_ids = ids[:cut], ids[cut:]
        starts = torch.linspace(0, len(val_ids) - CONTEXT - 2, VAL_WINDOWS).long()
        self.val = self._windows(val_ids, starts)
        self.context = CONTEXT
        self.generator = torch.Generator().manual_seed(seed)
        self.train_size = len(self.train_ids)

    @staticmethod
    def _windows(ids: torch.Tensor, starts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        index = starts[:, None] + torch.arange(CONTEXT + 1)
        chunks = ids[index]
        return chunks[:, :-1], chunks[:, 1:]

    def batch(self, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        starts = torch.randint(0, len(self.train_ids) - CONTEXT - 1, (size,), generator=self.generator)
        return self._windows(self.train_ids, starts)

    def train_tokens(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.train_ids[None, :-1], self.train_ids[None, 1:]

    def sample(self, model: torch.nn.Module, temperature: float, generator: torch.Generator) -> str:
        seq = torch.tensor([[self.vocab.index("\n")]])
        for _ in range(TEXT_SAMPLE_CHARS):
            nxt = _draw(model(seq[:, -CONTEXT:])[:, -1], temperature, generator)
            seq = torch.cat([seq, nxt[:, None]], dim=1)
        return "".join(self.vocab[i] for i in seq[0, 1:].tolist())


def _draw(logits: torch.Tensor, temperature: float, generator: torch.Generator) -> torch.Tensor:
    probs = torch.softmax(logits.double() / temperature, dim=-1)
    return torch.multinomial(probs, 1, generator=generator)[:, 0]


def unigram_entropy(targets: torch.Tensor, vocab: int) -> float:
    """The cross entropy of predicting every character by its frequency alone (nats)."""
    counts = torch.bincount(targets[targets != IGNORE], minlength=vocab).double()
    p = counts[counts > 0] / counts.sum()
    return float(-(p * p.log()).sum())


class CharLM(Experiment):
    spec = catalog_language.CHAR_LM

    def __init__(self, params: dict[str, Any], seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed, device)
        p = self.params
        self.corpus = NamesCorpus(seed) if p["corpus"] == "names" else TextCorpus(seed)
        self.model = make_model(p["model"], len(self.corpus.vocab), self.corpus.context, p["kernel"])
        self.counting = isinstance(self.model, BigramCounts)
        if not self.counting:
            self.optimizer = torch.optim.Adam(self.model.parameters(), lr=p["lr"])
        self.sampler = torch.Generator().manual_seed(seed)
        self.wall_s = 0.0
        self.losses: list[float] = []
        self.last: dict[str, float] = {}

    @property
    def total_steps(self) -> int | None:
        """Unknown in advance under a time limit: the charts' step axis then follows the run."""
        return None if self.params["seconds"] > 0 else self.params["steps"]

    @property
    def done(self) -> bool:
        """After `steps`, or once `seconds` of training have passed (0: no time limit), so that runs
        of models whose steps cost very different times can be compared at equal time."""
        seconds = self.params["seconds"]
        return self.step_count >= self.params["steps"] or (seconds > 0 and self.wall_s >= seconds)

    def step(self) -> list[Event]:
        started = time.perf_counter()
        self.losses.append(self.train_step())
        self.wall_s += time.perf_counter() - started
        step = self.step_count = self.step_count + 1
        if not self.is_due(step, "eval_every"):
            return []
        values = {"train_loss": sum(self.losses) / len(self.losses), **self.evaluate(), "wall_s": self.wall_s,
                  "parameters": float(parameter_count(self.model) or self.model.counts.numel())}
        self.losses.clear()
        self.last = values
        epoch = step * self.params["batch"] / self.corpus.train_size
        temperature = self.params["temperature"]
        text = self.sample(temperature)
        return [Metrics(step, values, epoch=epoch), TextSample(step, text, temperature=temperature)]

    def train_step(self) -> float:
        inputs, targets = self.corpus.batch(self.params["batch"])
        if self.counting:  # the baseline learns by counting; its loss is measured before the counts grow
            with torch.no_grad():
                loss = self.loss(inputs, targets)
            self.model.absorb(inputs, targets, IGNORE)
            return loss.item()
        self.model.train()
        loss = self.loss(inputs, targets)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def loss(self, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        logits = self.model(inputs)
        return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE)

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        self.model.eval()
        val = self.loss(*self.corpus.val).item()
        return {"val_loss": val, "perplexity": math.exp(val)}

    @torch.no_grad()
    def sample(self, temperature: float) -> str:
        self.model.eval()
        return self.corpus.sample(self.model, temperature, self.sampler)

    # lr reaches the optimiser through Experiment.set_param; temperature and eval_every are read
    # at every report.

    def summary(self) -> dict[str, float]:
        return {**self.last, "steps": self.step_count}
