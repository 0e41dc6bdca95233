"""The course notes' toy translator: "I am a student" -> "je suis étudiant </s>".

What the notes give (greedy vs 集束搜索), in their order of the five words:
  - the first distribution, [0.1, 0.1, 0.3, 0.4, 0.1]: je 0.3, moi 0.4, the other three 0.1;
  - after moi, [0.1, 0.1, 0.1, 0.1, 0.6]: suis 0.6 (greedy: moi, then suis);
  - after je, suis 0.8 (the beam's "Je suis" = 0.3 + 0.8);
  - greedy answers "moi suis étudiant"; beam search with k = 2 keeps Je and moi, then "Je suis"
    (0.3 + 0.8) and "moi suis" (0.4 + 0.6), and answers "Je suis étudiant" with the sum 2.2, the
    largest. The notes score a path by *adding* its probabilities.

What this file adds (the lesson says so):
  - the vocabulary order </s>, étudiant, je, moi, suis. Both lists above then read in one order
    (je 3rd, moi 4th, suis 5th); </s> first, as the names model's end token is id 0;
  - P(étudiant | je suis) = 0.6 and P(</s> | je suis étudiant) = 0.5, so that the notes' sum for
    "je suis étudiant </s>" is 0.3 + 0.8 + 0.6 + 0.5 = 2.2;
  - P(étudiant | moi suis) = 0.5 and P(</s> | moi suis étudiant) = 0.5: greedy's path, sum 2.0;
  - every other word of those rows shares what is left equally, and any sequence not listed
    gives every word 0.2.

The next word depends on the whole prefix (a decoder reads everything it has written), not only
on the last word: "je suis" and the ungrammatical "moi suis" continue differently.

  P(next | prefix)          </s>   étudiant  je     moi    suis
  (start)                   0.1    0.1       0.3    0.4    0.1     the notes
  je                        0.05   0.05      0.05   0.05   0.8     the notes' 0.8, the rest ours
  moi                       0.1    0.1       0.1    0.1    0.6     the notes
  je suis                   0.1    0.6       0.1    0.1    0.1     ours
  moi suis                  0.125  0.5       0.125  0.125  0.125   ours
  je suis étudiant          0.5    0.125     0.125  0.125  0.125   ours
  moi suis étudiant         0.5    0.125     0.125  0.125  0.125   ours
  anything else             0.2    0.2       0.2    0.2    0.2     ours

Greedy: moi 0.4, suis 0.6, étudiant 0.5, </s> 0.5: "moi suis étudiant </s>", p = 0.06 (sum 2.0).

Beam search, width 2 (log-probs added, i.e. probabilities multiplied):
  step 1  kept moi (0.4), je (0.3)
  step 2  kept moi suis (0.24), je suis (0.24): equal products (the notes' sums 1.0 and 1.1 are
          not); ln 0.4 + ln 0.6 rounds 2e-16 above ln 0.3 + ln 0.8, so moi suis is listed first
  step 3  kept je suis étudiant (0.144), moi suis étudiant (0.12)
  step 4  finished je suis étudiant </s> (0.072) and moi suis étudiant </s> (0.06): width 0
  Answer: "je suis étudiant </s>", p 0.072 (the notes' sum 2.2), 1.2 times greedy's 0.06.

Width 3: step 1 also keeps </s> (it ties with étudiant and suis at 0.1; ties go to the lower
token id) and that empty translation finishes at once with p 0.1. The rest runs as with width 2,
so the answers rank </s> (0.1) > je suis étudiant </s> (0.072) > moi suis étudiant </s> (0.06).
Added up as in the notes they rank the other way: 2.2 > 2.0 > 0.1. The product is the probability
of the sentence (chain rule); the sum is not a probability (it passes 1) and grows with every word.
With the notes' own numbers stopping at once (0.1) beats any sentence through je suis (at most
0.24 * a * b with a + b = 1.1, i.e. 0.0726): the model's best output is empty, a known fault of
translation models that length normalisation (length_penalty 1: log p per token, -0.66 for
je suis étudiant </s> against -2.30 for </s>) corrects.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    import torch

NOTES_VOCAB = ("</s>", "étudiant", "je", "moi", "suis")
NOTES_EOS_ID = NOTES_VOCAB.index("</s>")


# P(next word | the words so far), by prefix; see the module docstring for whose numbers are whose.
NOTES_TABLE: dict[tuple[str, ...], dict[str, float]] = {
    (): {"</s>": 0.1, "étudiant": 0.1, "je": 0.3, "moi": 0.4, "suis": 0.1},
    ("je",): {"</s>": 0.05, "étudiant": 0.05, "je": 0.05, "moi": 0.05, "suis": 0.8},
    ("moi",): {"</s>": 0.1, "étudiant": 0.1, "je": 0.1, "moi": 0.1, "suis": 0.6},
    ("je", "suis"): {"</s>": 0.1, "étudiant": 0.6, "je": 0.1, "moi": 0.1, "suis": 0.1},
    ("moi", "suis"): {"</s>": 0.125, "étudiant": 0.5, "je": 0.125, "moi": 0.125, "suis": 0.125},
    ("je", "suis", "étudiant"): {"</s>": 0.5, "étudiant": 0.125, "je": 0.125, "moi": 0.125, "suis": 0.125},
    ("moi", "suis", "étudiant"): {"</s>": 0.5, "étudiant": 0.125, "je": 0.125, "moi": 0.125, "suis": 0.125},
}
OTHERWISE: dict[str, float] = dict.fromkeys(NOTES_VOCAB, 0.2)  # any prefix not listed
START: tuple[str, ...] = ()  # the key of the first distribution: nothing written yet


def notes_row(words: Sequence[str]) -> dict[str, float]:
    """P(next word | words), for any prefix."""
    return NOTES_TABLE.get(tuple(words), OTHERWISE)


def notes_next_log_probs(batch: list[list[int]]) -> torch.Tensor:
    """next_log_probs for the table: each sequence's row, by its whole prefix."""
    # Imported here so that the table and notes_path_scores stay usable in the torch-free UI.
    import torch

    rows = []
    for seq in batch:
        row = notes_row([NOTES_VOCAB[i] for i in seq])
        rows.append([math.log(row[word]) for word in NOTES_VOCAB])
    return torch.tensor(rows, dtype=torch.float64)


def notes_ids(words: str | Sequence[str]) -> list[int]:
    """'je suis étudiant </s>' -> [2, 4, 1, 0]."""
    words = words.split() if isinstance(words, str) else list(words)
    unknown = [w for w in words if w not in NOTES_VOCAB]
    if unknown:
        raise ValueError(f"words {unknown} are not in the notes' vocabulary {list(NOTES_VOCAB)}")
    return [NOTES_VOCAB.index(w) for w in words]


def notes_words(ids: Sequence[int]) -> str:
    """[2, 4, 1, 0] -> 'je suis étudiant </s>'."""
    return " ".join(NOTES_VOCAB[i] for i in ids)


@dataclass(frozen=True)
class NotesPathScores:
    """One path scored both ways, for the lesson to show side by side."""

    words: tuple[str, ...]
    probs: tuple[float, ...]  # P(word | the words before it), one per word
    added: float  # the notes' score: the probabilities added up (not a probability)
    product: float  # P(whole path): the right score
    log_prob: float  # log(product) = sum of logs: what beam_search adds up


def notes_path_scores(words: str | Sequence[str]) -> NotesPathScores:
    """Score a path from the start, e.g. notes_path_scores('je suis étudiant </s>')."""
    words = tuple(NOTES_VOCAB[i] for i in notes_ids(words))
    probs = tuple(notes_row(words[:i])[word] for i, word in enumerate(words))  # the chain rule
    return NotesPathScores(
        words=words,
        probs=probs,
        added=sum(probs),
        product=math.prod(probs),
        log_prob=sum(math.log(p) for p in probs),
    )
