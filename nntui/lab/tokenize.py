"""Text to tokens to ids and back: characters, words, and byte-pair encoding trained merge by merge.

Plain Python (no torch): the tests check these against brute force, and the text lessons share them.

Words. `words(text)` cuts a text the way GPT-2's pre-tokenizer does: a word keeps the one space
before it (" the"), numbers and runs of punctuation are pieces of their own, and whitespace runs are
kept, so "".join(words(text)) == text and the ids of any level decode back to the text exactly
(unless a token fell to `<unk>`).

Vocabulary. `Vocab` is d2l's: the reserved tokens first (`<unk>` is id 0), then every token by
count, most frequent first (ties in order of first appearance); a token seen fewer than `min_freq`
times is left out, and encoding maps it to `<unk>`, which no decoding can undo.

BPE (Sennrich et al. 2016, the scheme GPT-2's tokenizer uses). Training starts from the characters
of every word and repeats one merge: count every pair of adjacent symbols inside the words (never
across two), weighted by how often each word occurs; the most frequent pair (ties: the smallest pair
in string order) becomes one new symbol wherever it occurs, left to right. The counts are kept up to
date incrementally (only the words holding the pair change) and in a heap, so a merge on a whole
play costs well under a millisecond. Its vocabulary is the reserved tokens, the characters by count, then one token
per merge in merge order (as GPT-2 numbers its own), so it never needs `<unk>` for text made of
characters it has seen.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

RESERVED = ("<unk>", "<pad>", "<bos>", "<eos>")
UNK = 0  # RESERVED.index("<unk>")

# A letter run (with its leading space and any 's / 'd ending: "Who's", "drown'd"), a digit run,
# a punctuation run, an underscore run; whitespace before a word goes with the word, the rest of a
# whitespace run is a piece of its own. The last branch takes anything else, so nothing is dropped.
_WORD = re.compile(r" ?[^\W\d_]+(?:'[^\W\d_]+)*| ?\d+| ?[^\w\s]+| ?_+|\s+(?!\S)|\s+|.", re.S)


def chars(text: str) -> list[str]:
    return list(text)


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def visible(token: str) -> str:
    """A token as one readable row (tables' labels): space ␣, newline ⏎, tab ⇥, as the token strip
    draws them."""
    return token.replace(" ", "␣").replace("\n", "⏎").replace("\t", "⇥") or "∅"


class Vocab:
    """Token <-> id by frequency, with reserved tokens first and a minimum frequency (see the module)."""

    def __init__(self, tokens: Iterable[str], min_freq: int = 1, reserved: Sequence[str] = RESERVED) -> None:
        self.counts = Counter(tokens)
        ranked = sorted(self.counts.items(), key=lambda kv: -kv[1])  # stable: ties keep first appearance
        self.itos = list(reserved) + [tok for tok, c in ranked if c >= min_freq and tok not in reserved]
        self.stoi = {tok: i for i, tok in enumerate(self.itos)}
        self.dropped = [tok for tok, c in ranked if c < min_freq]  # what encoding sends to <unk>

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        return [self.stoi.get(tok, UNK) for tok in tokens]

    def decode(self, ids: Iterable[int]) -> str:
        return "".join(self.itos[i] for i in ids)


@dataclass(frozen=True)
class Merge:
    """One BPE merge: the pair, how often it occurred, the token it made, the corpus length in tokens
    before and after (shorter by the occurrences merged: fewer than `count` where a pair overlaps
    itself, as in "eee")."""

    left: str
    right: str
    count: int
    tokens_before: int
    tokens_after: int

    @property
    def token(self) -> str:
        return self.left + self.right


class BPE:
    """A byte-pair encoder trained one `merge()` at a time on a text's words (see the module)."""

    def __init__(self, text: str, reserved: Sequence[str] = RESERVED) -> None:
        counts = Counter(words(text))
        self.chunks = list(counts)  # distinct words, first appearance first
        self.freqs = list(counts.values())
        self.symbols = [list(w) for w in self.chunks]  # each word as its current tokens
        self.index = {w: i for i, w in enumerate(self.chunks)}
        alphabet = Counter()
        for w, f in counts.items():
            for ch in w:
                alphabet[ch] += f
        self.itos = list(reserved) + [ch for ch, _ in sorted(alphabet.items(), key=lambda kv: -kv[1])]
        self.stoi = {tok: i for i, tok in enumerate(self.itos)}
        self.merges: list[Merge] = []
        self.ranks: dict[tuple[str, str], int] = {}
        self.pairs: dict[tuple[str, str], int] = defaultdict(int)  # pair -> count, only those > 0
        self.holders: dict[tuple[str, str], set[int]] = defaultdict(set)  # pair -> words holding it
        # (-count, pair) for every count a pair has had: the top one whose count is still current is
        # the best pair, ties to the smallest pair (a merge then costs ~0.1 ms, not a scan of them all)
        self.heap: list[tuple[int, tuple[str, str]]] | None = None  # built once the first counts are in
        for i, syms in enumerate(self.symbols):
            self._count(i, syms, +1)
        self.heap = [(-c, p) for p, c in self.pairs.items()]
        heapq.heapify(self.heap)
        self.length = sum(f * len(s) for f, s in zip(self.freqs, self.symbols))  # the corpus in tokens
        self.characters = self.length

    def _count(self, i: int, syms: list[str], sign: int) -> None:
        f = self.freqs[i] * sign
        for pair in zip(syms, syms[1:]):
            left = self.pairs[pair] + f
            if left > 0:
                self.pairs[pair] = left
                if self.heap is not None:
                    heapq.heappush(self.heap, (-left, pair))
                if sign > 0:
                    self.holders[pair].add(i)
            else:  # used up: best_pair never looks at it again
                del self.pairs[pair]

    def best_pair(self) -> tuple[tuple[str, str], int] | None:
        """The most frequent pair and its count (ties: the smallest pair); None when none is left."""
        heap = self.heap
        while heap and self.pairs.get(heap[0][1]) != -heap[0][0]:
            heapq.heappop(heap)  # an entry from before the pair's count last changed
        return (heap[0][1], -heap[0][0]) if heap else None

    def merge(self) -> Merge | None:
        """Merge the most frequent pair everywhere; None when every word is one token already."""
        found = self.best_pair()
        if found is None:
            return None
        (a, b), count = found
        before = self.length
        for i in sorted(self.holders.pop((a, b), ())):
            old = self.symbols[i]
            new = _merged(old, a, b)
            if len(new) != len(old):
                self._count(i, old, -1)
                self._count(i, new, +1)
                self.symbols[i] = new
                self.length -= self.freqs[i] * (len(old) - len(new))
        record = Merge(a, b, count, before, self.length)
        self.ranks[(a, b)] = len(self.merges)
        self.merges.append(record)
        if record.token not in self.stoi:  # ("a", "bc") and ("ab", "c") make one token, not two
            self.stoi[record.token] = len(self.itos)
            self.itos.append(record.token)
        return record

    def __len__(self) -> int:
        return len(self.itos)

    def counts(self) -> Counter:
        """Every token of the vocabulary with how often it occurs in the training text now (merged
        away: 0)."""
        out = Counter(dict.fromkeys(self.itos[len(RESERVED):], 0))
        for f, syms in zip(self.freqs, self.symbols):
            for s in syms:
                out[s] += f
        return out

    def tokenize(self, text: str) -> list[str]:
        """The text's tokens: a trained word as training left it, any other by the merges in order."""
        out: list[str] = []
        for w in words(text):
            i = self.index.get(w)
            out += self.symbols[i] if i is not None else self._apply(w)
        return out

    def _apply(self, word: str) -> list[str]:
        """GPT-2's loop: merge the pair that was merged first, until no pair is a merge."""
        syms = list(word)
        while len(syms) > 1:
            ranked = [(self.ranks[p], p) for p in zip(syms, syms[1:]) if p in self.ranks]
            if not ranked:
                break
            a, b = min(ranked)[1]
            syms = _merged(syms, a, b)
        return syms

    def encode(self, text: str) -> list[int]:
        return [self.stoi.get(tok, UNK) for tok in self.tokenize(text)]

    def decode(self, ids: Iterable[int]) -> str:
        return "".join(self.itos[i] for i in ids)


def _merged(syms: list[str], a: str, b: str) -> list[str]:
    """`syms` with every (a, b) made one token, left to right ("e e e" with (e, e): "ee e")."""
    out: list[str] = []
    i = 0
    while i < len(syms):
        if i + 1 < len(syms) and syms[i] == a and syms[i + 1] == b:
            out.append(a + b)
            i += 2
        else:
            out.append(syms[i])
            i += 1
    return out
