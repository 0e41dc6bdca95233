"""An ELMo-style bidirectional LSTM language model of words, and the contextual vectors it gives.

    words -> Embedding(v, EMBED) -> forward LSTM(HIDDEN)  -> h_fwd_t predicts word t + 1
                                 -> backward LSTM(HIDDEN) -> h_bwd_t predicts word t - 1
    one Linear(HIDDEN, v) softmax shared by both directions (ELMo ties it too)

h_fwd_t has read words 0..t, h_bwd_t words t..end; both have read word t itself. A word's
contextual vector is [h_fwd_t; h_bwd_t] (2 * HIDDEN numbers): ELMo's top layer, without its
learnt mix of layers. The embedding row of the word is its static vector: the same in every
sentence, as word2vec's is.

The text: nntui.spec.texts.shakespeare() cut into words as word_corpus does; the MIN_COUNT+
times words are the vocabulary (most frequent first) and every other word is `<unk>`, which
keeps the softmax small enough to train in seconds on one CPU thread.

Senses. A word's uses are labelled by the word just before it (a rule fixed before training,
not learnt): after a determiner or possessive ("my will", "the lie") it is a noun; after a
subject pronoun, "to" or a modal ("i will", "to lie") a verb. The forward LSTM reads that
word, so it can separate the senses without having learnt anything; the backward LSTM never
sees it and has only the word and what follows: its separation is the honest test.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from nntui.lab.word_corpus import words

MIN_COUNT = 20
EMBED = 64
HIDDEN = 128
UNK = "<unk>"
SIDE = 10  # words of context each side of a probed use
NOUN_BEFORE = frozenset(["the", "a", "an", "my", "thy", "his", "her", "our", "your", "their", "this", "good", "own"])
VERB_BEFORE = frozenset(["i", "we", "you", "he", "she", "they", "thou", "it", "to", "shall", "would", "should", "must", "may", "can", "doth", "do", "did", "dost"])
NOUN, VERB = 0, 1


@dataclass
class WordText:
    vocab: list[str]  # index -> word; 0 is <unk>
    ids: torch.Tensor  # every word of the text as an index
    words: list[str]  # every word of the text, as written (lower case)

    @property
    def index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.vocab)}


def word_text(text: str) -> WordText:
    found = words(text)
    counts = Counter(found)
    vocab = [UNK] + sorted((w for w, n in counts.items() if n >= MIN_COUNT), key=lambda w: (-counts[w], w))
    index = {w: i for i, w in enumerate(vocab)}
    return WordText(vocab, torch.tensor([index.get(w, 0) for w in found]), found)


class BiLM(nn.Module):
    def __init__(self, vocab: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, EMBED)
        self.forward_lm = nn.LSTM(EMBED, HIDDEN, batch_first=True)
        self.backward_lm = nn.LSTM(EMBED, HIDDEN, batch_first=True)
        self.head = nn.Linear(HIDDEN, vocab)

    def states(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(h_fwd, h_bwd), each (batch, T, HIDDEN); the backward LSTM reads the sequence reversed."""
        x = self.embed(tokens)
        h_fwd, _ = self.forward_lm(x)
        h_bwd, _ = self.backward_lm(x.flip(1))
        return h_fwd, h_bwd.flip(1)

    def losses(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Cross entropy of the forward LM (next word) and of the backward LM (previous word)."""
        h_fwd, h_bwd = self.states(tokens)
        ahead = F.cross_entropy(self.head(h_fwd[:, :-1]).flatten(0, 1), tokens[:, 1:].flatten())
        behind = F.cross_entropy(self.head(h_bwd[:, 1:]).flatten(0, 1), tokens[:, :-1].flatten())
        return ahead, behind

    @torch.no_grad()
    def vectors(self, windows: torch.Tensor, at: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The forward and backward states of position `at` of each window."""
        h_fwd, h_bwd = self.states(windows)
        return h_fwd[:, at], h_bwd[:, at]


def sense_of(before: str) -> int | None:
    return NOUN if before in NOUN_BEFORE else VERB if before in VERB_BEFORE else None


@dataclass
class Uses:
    """A word's uses in the text: where, the context window of each, and its sense label (-1: none)."""

    positions: torch.Tensor
    windows: torch.Tensor  # (uses, 2 * SIDE + 1), the use at index SIDE
    senses: torch.Tensor


def uses_of(text: WordText, word: str, limit: int | None = None) -> Uses:
    """The uses of `word` with SIDE words either side; at most `limit`, spread evenly over the text."""
    found = [i for i, w in enumerate(text.words) if w == word and SIDE <= i < len(text.words) - SIDE]
    if limit is not None and len(found) > limit:
        found = [found[round(k * (len(found) - 1) / (limit - 1))] for k in range(limit)]
    positions = torch.tensor(found, dtype=torch.long)
    windows = text.ids[positions[:, None] + torch.arange(-SIDE, SIDE + 1)] if found else torch.zeros(0, 2 * SIDE + 1)
    senses = [sense_of(text.words[i - 1]) for i in found]
    return Uses(positions, windows.long(), torch.tensor([-1 if s is None else s for s in senses], dtype=torch.long))


def cosines(vectors: torch.Tensor) -> torch.Tensor:
    unit = F.normalize(vectors, dim=1)
    return unit @ unit.T


def sense_split(vectors: torch.Tensor, senses: torch.Tensor) -> tuple[float, float] | None:
    """(within, across): the mean cosine between two uses of the same sense (noun-noun, verb-verb;
    each sense weighted equally) and between a noun use and a verb use. None without both senses."""
    noun, verb = vectors[senses == NOUN], vectors[senses == VERB]
    if len(noun) < 2 or len(verb) < 2:
        return None
    within = [_mean_off_diagonal(cosines(group)) for group in (noun, verb)]
    across = (F.normalize(noun, dim=1) @ F.normalize(verb, dim=1).T).mean().item()
    return sum(within) / 2, across


def _mean_off_diagonal(square: torch.Tensor) -> float:
    n = len(square)
    return ((square.sum() - square.diagonal().sum()) / (n * (n - 1))).item()
