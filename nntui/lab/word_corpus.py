"""The text side of word2vec, in plain numpy: words, vocabulary, subsampling, skip-gram pairs.

Follows d2l's word2vec chapter (its PTB settings: min_freq 10, t = 1e-4, window 5):

- words: the text lower-cased and cut into runs of letters ("king's" and "o'er" stay whole);
  a CJK character is a word of its own, since Chinese and Japanese write no spaces.
- vocabulary: every word seen at least `min_freq` times, most frequent first; the rest are
  dropped from the corpus (d2l maps them to <unk> and then drops <unk>: the same).
- subsampling: word w is kept with probability min(1, sqrt(t / f(w))), f(w) its share of the
  tokens, so "the" and "and" lose most of their copies and rare words keep all of theirs.
- pairs: every kept token is a centre; its window size s is drawn from 1..window, and each
  token up to s places before or after it is a context (d2l's get_centers_and_contexts).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
LETTER = rf"(?:(?![{CJK}])[^\W\d_])"
WORD = re.compile(rf"[{CJK}]|{LETTER}+(?:'{LETTER}+)*")
MIN_VOCAB = 20  # fewer words than this make no map and no neighbours worth showing


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


@dataclass
class Corpus:
    vocab: list[str]  # index -> word, most frequent first (ties alphabetical)
    counts: np.ndarray  # (v,) how often each word occurs in the text
    ids: np.ndarray  # the text as vocabulary indices, words under min_freq left out
    tokens: int  # words in the text, all of them

    @property
    def index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.vocab)}


def build_corpus(text: str, min_freq: int) -> Corpus:
    found = words(text)
    counter = Counter(found)
    vocab = sorted((w for w, n in counter.items() if n >= min_freq), key=lambda w: (-counter[w], w))
    if len(vocab) < MIN_VOCAB:
        raise ValueError(f"only {len(vocab)} words occur at least {min_freq} times (min_freq); "
                         f"lower min_freq or use a longer text (at least {MIN_VOCAB} such words are needed)")
    index = {w: i for i, w in enumerate(vocab)}
    ids = np.fromiter((index[w] for w in found if w in index), dtype=np.int64)
    counts = np.array([counter[w] for w in vocab], dtype=np.int64)
    return Corpus(vocab, counts, ids, len(found))


def keep_probability(counts: np.ndarray, t: float) -> np.ndarray:
    """d2l's subsampling: P(keep w) = min(1, sqrt(t / f(w))), f(w) = count / tokens in the vocabulary."""
    share = counts / counts.sum()
    return np.minimum(1.0, np.sqrt(t / share))


def subsample(ids: np.ndarray, counts: np.ndarray, t: float, rng: np.random.Generator) -> np.ndarray:
    return ids[rng.random(len(ids)) < keep_probability(counts, t)[ids]]


def skipgram_pairs(ids: np.ndarray, window: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(centres, contexts): every pair within each centre's random window (1..window), both sides."""
    size = rng.integers(1, window + 1, len(ids))
    centres, contexts = [], []
    for offset in range(1, window + 1):
        before = np.nonzero(size[:len(ids) - offset] >= offset)[0]  # centre i, context i + offset
        after = np.nonzero(size[offset:] >= offset)[0] + offset  # centre i, context i - offset
        centres += [ids[before], ids[after]]
        contexts += [ids[before + offset], ids[after - offset]]
    return np.concatenate(centres), np.concatenate(contexts)


def pca_axes(vectors: np.ndarray, previous: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(mean (d,), axes (2, d)): the vectors' mean and two principal components; a point's map
    coordinates are (x - mean) @ axes.T. An axis's sign is arbitrary, so each is flipped to point
    the way it did last time: the map moves, never jumps."""
    mean = vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(vectors - mean, full_matrices=False)
    axes = vt[:2].copy()
    if previous is not None and previous.shape == axes.shape:
        axes *= np.where((axes * previous).sum(axis=1, keepdims=True) < 0, -1.0, 1.0)
    return mean, axes
