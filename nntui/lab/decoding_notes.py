"""The course notes' toy translation model: "I am a student" -> "je suis étudiant </s>".

The notes introduce greedy and beam search with a five-word vocabulary and a first distribution
of [0.1, 0.1, 0.3, 0.4, 0.1] (listed there as suis, étudiant, je, moi, </s>), and score a path by
*adding* its probabilities (0.3 + 0.8 for "je suis"). Real search multiplies them, i.e. adds their
logs. This table keeps the notes' numbers and adds the rest so that the lesson has a story:

  P(next | previous word)   je     moi    suis   étudiant  </s>
  <s> (start)               0.3    0.4    0.1    0.1       0.1     <- the notes' first step
  je                        0.05   0.05   0.8    0.05      0.05
  moi                       0.4    0.05   0.25   0.2       0.1
  suis                      0.05   0.05   0.05   0.8       0.05
  étudiant                  0.025  0.025  0.025  0.025     0.9
  </s>                      0.2    0.2    0.2    0.2       0.2     (never asked once </s> ends it)

A bigram table: the next word depends only on the previous one, so it reads as one row per word.
No probability is 0, so every log-prob is finite.

Greedy takes the best word each time: moi (0.4), je (0.4), suis (0.8), étudiant (0.8), </s> (0.9).
"moi je suis étudiant </s>" has probability 0.4 * 0.4 * 0.8 * 0.8 * 0.9 = 0.09216. Its first word
looked best (0.4 > 0.3) and cost it later: short-sighted.

Beam search, width 2, eos </s> (scores are sums of natural logs; product in brackets):
  step 1  kept  moi -0.9163 (0.4), je -1.2040 (0.3)
          pruned suis, étudiant, </s>: -2.3026 (0.1) each
  step 2  kept  je suis -1.4271 (0.24), moi je -1.8326 (0.16)
          best pruned: moi suis -2.3026 (0.1)
  step 3  kept  je suis étudiant -1.6503 (0.192), moi je suis -2.0557 (0.128)
          best pruned: je suis je -4.4228 (0.012)
  step 4  finished  je suis étudiant </s> -1.7556 (0.1728): the beam narrows to 1
          kept      moi je suis étudiant -2.2789 (0.1024)
          best pruned: moi je suis je -5.0515 (0.0064)
  step 5  finished  moi je suis étudiant </s> -2.3842 (0.09216): width 0, the search ends
Answer: "je suis étudiant </s>" (0.1728), ahead of greedy's answer (0.09216), found second.
(With length_penalty 1 the order holds: mean log-probs -0.4389 against -0.4768.)

Adding, as the notes do, ranks these two the other way round:
  je suis étudiant </s>       0.3 + 0.8 + 0.8 + 0.9       = 2.8   product 0.1728
  moi je suis étudiant </s>   0.4 + 0.4 + 0.8 + 0.8 + 0.9 = 3.3   product 0.09216
Every extra word adds a positive number, so a sum rewards length for its own sake (and passes 1,
which no probability can). The product is the probability of the whole sentence (chain rule): it
is the right score, and its log is what beam_search adds up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    import torch

NOTES_VOCAB = ("je", "moi", "suis", "étudiant", "</s>")
NOTES_EOS_ID = NOTES_VOCAB.index("</s>")
START = "<s>"  # the row for an empty sequence; not a token

NOTES_TABLE: dict[str, dict[str, float]] = {
    START: {"je": 0.3, "moi": 0.4, "suis": 0.1, "étudiant": 0.1, "</s>": 0.1},
    "je": {"je": 0.05, "moi": 0.05, "suis": 0.8, "étudiant": 0.05, "</s>": 0.05},
    "moi": {"je": 0.4, "moi": 0.05, "suis": 0.25, "étudiant": 0.2, "</s>": 0.1},
    "suis": {"je": 0.05, "moi": 0.05, "suis": 0.05, "étudiant": 0.8, "</s>": 0.05},
    "étudiant": {"je": 0.025, "moi": 0.025, "suis": 0.025, "étudiant": 0.025, "</s>": 0.9},
    "</s>": {"je": 0.2, "moi": 0.2, "suis": 0.2, "étudiant": 0.2, "</s>": 0.2},
}


def notes_next_log_probs(batch: list[list[int]]) -> torch.Tensor:
    """next_log_probs for the table: the row of each sequence's last word (<s> when empty)."""
    # Imported here so that the table and notes_path_scores stay usable in the torch-free UI.
    import torch

    rows = []
    for seq in batch:
        row = NOTES_TABLE[NOTES_VOCAB[seq[-1]] if seq else START]
        rows.append([math.log(row[word]) for word in NOTES_VOCAB])
    return torch.tensor(rows, dtype=torch.float64)


def notes_ids(words: str | Sequence[str]) -> list[int]:
    """'je suis étudiant </s>' -> [0, 2, 3, 4]."""
    words = words.split() if isinstance(words, str) else list(words)
    unknown = [w for w in words if w not in NOTES_VOCAB]
    if unknown:
        raise ValueError(f"words {unknown} are not in the notes' vocabulary {list(NOTES_VOCAB)}")
    return [NOTES_VOCAB.index(w) for w in words]


def notes_words(ids: Sequence[int]) -> str:
    """[0, 2, 3, 4] -> 'je suis étudiant </s>'."""
    return " ".join(NOTES_VOCAB[i] for i in ids)


@dataclass(frozen=True)
class NotesPathScores:
    """One path scored both ways, for the lesson to show side by side."""

    words: tuple[str, ...]
    probs: tuple[float, ...]  # P(word | previous word), one per word
    added: float  # the notes' score: the probabilities added up (not a probability)
    product: float  # P(whole path): the right score
    log_prob: float  # log(product) = sum of logs: what beam_search adds up


def notes_path_scores(words: str | Sequence[str]) -> NotesPathScores:
    """Score a path from the start, e.g. notes_path_scores('je suis étudiant </s>')."""
    words = tuple(NOTES_VOCAB[i] for i in notes_ids(words))
    probs, previous = [], START
    for word in words:  # chain rule: each word given the one before it
        probs.append(NOTES_TABLE[previous][word])
        previous = word
    return NotesPathScores(
        words=words,
        probs=tuple(probs),
        added=sum(probs),
        product=math.prod(probs),
        log_prob=sum(math.log(p) for p in probs),
    )
