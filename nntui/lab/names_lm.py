"""A character-level language model of first names, small enough to train in seconds.

    ". e m m a"  ->  embedding (32) -> GRU (1 layer, hidden 64) -> Linear(64, 27) at every position
                 ->  logits for "e m m a ."

Vocabulary: "." then the 26 letters (27 tokens). As in Karpathy's makemore, the one token "."
(id 0) is both the start and the end of a name: every sequence starts with it (so even an empty
prompt gives the model a token to read) and the model learns to predict it after the last
letter. It can only ever be *predicted* as an end, so decoding uses it as eos_id.

Data: the 5,163 names of nntui/data/names.txt (1990 US Census, lower case, 2-11 letters), all
used for training (the lesson is about decoding, not generalisation). A step takes the next 64
names of a shuffled epoch, pads them to the longest in the batch, and minimises next-character
cross entropy over the real positions (padding targets are ignore_index, so they cost nothing).
Adam, lr 1e-2, one torch.Generator seeded from the seed for the order: a run is reproducible.

Measured here (1 torch thread, 2-core machine): per-character cross entropy over all 5,163
names, natural log, seeds 0-2: 3.30-3.34 untrained, 2.05-2.06 after 100 steps, 1.87-1.88 after
300, 1.68-1.69 after 1,000, 1.63-1.64 after 1,500, 1.60-1.61 after 2,000. For scale: guessing
uniformly is ln 27 = 3.30, the letter frequencies alone 2.81, a bigram table fitted to these
names 2.33.
About 5 ms a step (decodings every 100 steps included): 1,500 steps in ~8 s, 300 in ~1.6 s.

A GRU rather than the causal Transformer of transformer.py: on one CPU thread it was the
fastest to a good loss here (hidden 64, batch 64: ~5-6 ms a step against ~9 ms for a 1-layer,
d_model 64 Transformer), and a recurrent net reading a name left to right is the picture the
sequence chapter has already drawn. Hidden 128 learns more (1.46 rather than 1.61 after 2,000
steps) but takes twice as long a step: the lesson is about decoding, so the faster one.
"""

from __future__ import annotations

import functools
import string
from importlib import resources

import torch
import torch.nn.functional as F
from torch import nn

from nntui.lab.base import set_learning_rate
from nntui.lab.decoding import model_next_log_probs
from nntui.lab.decoding_sampling import NextLogProbs

BOUNDARY = "."  # start and end of a name: one token, id 0
BOUNDARY_ID = 0
LETTERS = string.ascii_lowercase  # every letter occurs in the data (a test checks it)
VOCAB: tuple[str, ...] = (BOUNDARY, *LETTERS)
IGNORE = -100  # cross_entropy's ignore_index: the padding after a name's end

EMBED = 32
HIDDEN = 64
BATCH = 64


@functools.lru_cache(maxsize=1)
def load_names() -> tuple[str, ...]:
    """The shipped names, in file order (alphabetical), read from the package once per process."""
    text = resources.files("nntui.data").joinpath("names.txt").read_text(encoding="ascii")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


@functools.lru_cache(maxsize=1)
def name_set() -> frozenset[str]:
    """The shipped names as a set: is a sampled name one the model was trained on?"""
    return frozenset(load_names())


def encode(text: str) -> list[int]:
    """'em' -> [5, 13]: letters only; raises ValueError naming a character outside the vocabulary."""
    for ch in text:
        if ch not in LETTERS:
            raise ValueError(f"{ch!r} is not a letter a-z of the names vocabulary")
    return [VOCAB.index(ch) for ch in text]


def decode(ids: list[int] | tuple[int, ...]) -> str:
    """[0, 5, 13, 13, 1, 0] -> '.emma.' (the boundary shown as '.')."""
    return "".join(VOCAB[i] for i in ids)


def prompt_ids(prompt: str) -> list[int]:
    """The prefix a decoding starts from: the start token, then the prompt's letters."""
    return [BOUNDARY_ID, *encode(prompt)]


def names_tensors(names: tuple[str, ...]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """inputs (n, L), targets (n, L), lengths (n,), L = longest name + 1.

    inputs  . e m m a . . .     (start token, the letters, then padding with "." that no
    targets e m m a . - - -      target ever reads: the GRU only looks backwards)
    lengths 5                   (positions that count: letters + the end)
    """
    width = max(map(len, names)) + 1
    inputs = torch.zeros(len(names), width, dtype=torch.long)
    targets = torch.full((len(names), width), IGNORE, dtype=torch.long)
    lengths = torch.tensor([len(n) + 1 for n in names])
    for i, name in enumerate(names):
        ids = torch.tensor(encode(name))
        inputs[i, 1 : len(ids) + 1] = ids
        targets[i, : len(ids)] = ids
        targets[i, len(ids)] = BOUNDARY_ID
    return inputs, targets, lengths


class CharGRU(nn.Module):
    """tokens (batch, T) -> logits (batch, T, vocab): position t predicts token t + 1."""

    def __init__(self, vocab: int = len(VOCAB), embed: int = EMBED, hidden: int = HIDDEN) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.gru = nn.GRU(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        states, _ = self.gru(self.embed(tokens))
        return self.head(states)


class NamesLM:
    """The model, its optimiser and its batches: `train_step()` once per experiment step.

    Seeded by `seed` alone (weights from torch.manual_seed(seed) inside, batches from a generator
    of its own), so two NamesLM with one seed train identically whatever else draws numbers.
    """

    def __init__(self, seed: int = 0, device: str | torch.device = "cpu", lr: float = 1e-2,
                 batch: int = BATCH) -> None:
        self.device = torch.device(device)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.model = CharGRU().to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr)
        names = load_names()
        inputs, targets, lengths = names_tensors(names)
        self.inputs, self.targets = inputs.to(self.device), targets.to(self.device)
        self.lengths = lengths  # on the CPU: only read to trim a batch
        self.batch = min(batch, len(names))
        self.steps_per_epoch = len(names) // self.batch  # the last partial batch waits for a reshuffle
        self.shuffler = torch.Generator().manual_seed(seed)
        self.order = torch.arange(len(names))
        self.steps = 0

    def set_lr(self, lr: float) -> None:
        set_learning_rate(self.optimizer, lr)

    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        i = self.steps % self.steps_per_epoch
        if i == 0:
            self.order = torch.randperm(len(self.lengths), generator=self.shuffler)
        rows = self.order[i * self.batch : (i + 1) * self.batch]
        width = int(self.lengths[rows].max())  # trim the padding no name in this batch needs
        rows = rows.to(self.device)
        return self.inputs[rows, :width], self.targets[rows, :width]

    def train_step(self) -> float:
        """One Adam step on the next batch; returns its mean per-character cross entropy."""
        self.model.train()
        inputs, targets = self.next_batch()
        logits = self.model(inputs)
        loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.steps += 1
        return loss.item()

    @torch.no_grad()
    def nll(self) -> float:
        """Mean per-character cross entropy over every name (natural log), for reports and tests."""
        self.model.eval()
        logits = self.model(self.inputs)
        return F.cross_entropy(logits.flatten(0, 1), self.targets.flatten(), ignore_index=IGNORE).item()

    def next_log_probs(self, batch: list[list[int]]) -> torch.Tensor:
        """beam_search's model call: (len(batch), vocab) log P(next | sequence), float64 on the CPU.

        Each sequence must start with the start token (see prompt_ids).
        """
        self.model.eval()
        return self._next(batch)

    @functools.cached_property
    def _next(self) -> NextLogProbs:
        return model_next_log_probs(self.model, self.device)
