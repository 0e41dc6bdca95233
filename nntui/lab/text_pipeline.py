"""From text to numbers: a text cut into tokens three ways, a vocabulary, ids, and BPE trained live.

The corpus is one of the shipped Shakespeare works (`work`), or a learner's own UTF-8 file
(`text_file`, set by `nntui open LESSON --text FILE`, read with nntui.spec.texts.read_text_file).
The passage shown is a famous speech of the work (PASSAGES; a learner's file: its first lines),
about PASSAGE_CHARS characters ending at a line end; every count is over the whole corpus.

The four steps of d2l's text preprocessing, at the `level` shown (live): the text, its tokens
(characters, words as nntui.lab.tokenize.words cuts them, or BPE tokens), the vocabulary (reserved
tokens, then by count; at the character and word levels a token seen fewer than `min_freq` times
falls to `<unk>`; BPE's vocabulary is its characters and merges, see tokenize.BPE), and the ids.

Each step is one BPE merge on the whole corpus (`steps` merges in a run). Every step reports:

    merges, pair_count           the merges so far; the count of the pair just merged
    bpe_tokens, bpe_vocab        the corpus's length in BPE tokens; BPE's vocabulary size
    bpe_compression              characters per BPE token; word_compression: per word (a reference)
    vocab_size, tokens,          at the level shown: vocabulary size (reserved included), the
    compression                  corpus's length in tokens, characters per token
    unk_types, unk_tokens        at the level shown: tokens that fall to <unk>, distinct / in the corpus
    round_trip                   1 when the passage's ids decode back to the passage exactly, else 0
    passage_tokens               the passage's length in tokens at the level shown
    onehot_dim, embed_dim,       the one-hot page: v (= vocab_size), d, and the d x v embedding's
    embed_params, lookup_error   size; the largest |one_hot(ids) @ E - E[ids]| over the passage (0:
                                 multiplying by a one-hot vector is looking up one row)

Views (the token strip and the tables) are sent at the first and the last step, after a live
change, and otherwise at most every VIEW_INTERVAL_S, so a fast run does not spend its time on them.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from nntui.lab.base import Experiment
from nntui.lab.tokenize import BPE, RESERVED, UNK, Vocab, chars, visible, words
from nntui.spec import catalog_language
from nntui.spec.events import Event, Metrics, Tables, TokenSequence
from nntui.spec.texts import read_text_file, shakespeare

PASSAGE_CHARS = 400  # about a dozen lines of verse
VIEW_INTERVAL_S = 0.1
TOP_TOKENS = 12  # vocabulary rows shown after the reserved ones
NEWEST_MERGES = 8
IDS_SHOWN = 12
# Where each work's passage begins: its best-known speech.
PASSAGES = {
    "hamlet": "To be, or not to be",
    "macbeth": "To-morrow, and to-morrow",
    "julius_caesar": "Friends, Romans, countrymen",
    "romeo_and_juliet": "But soft! what light",
    "sonnets": "Shall I compare thee",
    "tempest": "Our revels now are ended",
    "lear": "Blow, winds",
    "othello": "Who steals my purse",
    "midsummer_nights_dream": "  If we shadows have offended",
}
LEVELS = {"char": ("characters", "字符"), "word": ("words", "词"), "bpe": ("BPE tokens", "BPE 词元")}


def passage_of(text: str, start: str | None) -> str:
    """From `start` (or the text's first non-blank line), whole lines up to PASSAGE_CHARS or more."""
    begin = text.find(start) if start else len(text) - len(text.lstrip())
    begin = max(begin, 0)
    end = text.find("\n", begin + PASSAGE_CHARS)
    return text[begin:] if end < 0 else text[begin:end + 1]


class TextPipeline(Experiment):
    spec = catalog_language.TEXT_PIPELINE

    def __init__(self, params: dict[str, Any], seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed, device)
        p = self.params
        if p["text_file"]:
            self.text = read_text_file(p["text_file"])
            self.source = Path(p["text_file"]).name
            self.passage = passage_of(self.text, None)
        else:
            self.text = shakespeare()[p["work"]]
            self.source = p["work"]
            self.passage = passage_of(self.text, PASSAGES[p["work"]])
        self.bpe = BPE(self.text)
        self.corpus = {"char": chars(self.text), "word": words(self.text)}
        self.word_compression = len(self.text) / len(self.corpus["word"])
        self.last_merge = None
        self.exhausted = False  # every word is one token: no pair left to merge
        self.last_view_at = -1e9
        self.embedding: tuple[tuple, float] | None = None  # (ids, v, d) and its lookup_error
        self.last_metrics: dict[str, float] = {}

    @property
    def done(self) -> bool:
        return super().done or self.exhausted

    def step(self) -> list[Event]:
        merge = self.bpe.merge()
        if merge is None:
            self.exhausted = True
        else:
            self.last_merge = merge
        step = self.step_count = self.step_count + 1
        now = time.perf_counter()
        due = step == 1 or self.done or now - self.last_view_at >= VIEW_INTERVAL_S
        events: list[Event] = [Metrics(step, self.measure(embed=due))]
        if due:
            self.last_view_at = now
            events += self.views()
        return events

    def apply_live(self, name: str) -> list[Event]:
        if not self.step_count:
            return []
        return [Metrics(self.step_count, self.measure()), *self.views()]

    # ---- the level shown ----------------------------------------------------------------------
    def shown(self) -> tuple[list[str], list[int], Any]:
        """The passage's tokens and ids at the level shown, and that level's vocabulary."""
        level = self.params["level"]
        if level == "bpe":
            tokens = self.bpe.tokenize(self.passage)
            return tokens, [self.bpe.stoi[t] for t in tokens], self.bpe
        vocab = self.vocab(level)
        tokens = chars(self.passage) if level == "char" else words(self.passage)
        return tokens, vocab.encode(tokens), vocab

    def vocab(self, level: str) -> Vocab:
        key = (level, self.params["min_freq"])
        if getattr(self, "_vocab_key", None) != key:
            self._vocab_key, self._vocab = key, Vocab(self.corpus[level], self.params["min_freq"])
        return self._vocab

    def measure(self, embed: bool = True) -> dict[str, float]:
        """The metrics (see the module); lookup_error is recomputed only with `embed` (with the views:
        at BPE level v changes every merge, and a product the size of the passage's one-hot matrix
        every step would cost more than the merge), else the last value is kept."""
        p, bpe = self.params, self.bpe
        tokens, ids, vocab = self.shown()
        if p["level"] == "bpe":
            corpus_tokens, unk_types, unk_tokens = bpe.length, 0, 0
        else:
            corpus_tokens = len(self.corpus[p["level"]])
            unk_types, unk_tokens = len(vocab.dropped), sum(vocab.counts[t] for t in vocab.dropped)
        v, d = len(vocab), p["embed_dim"]
        m = self.last_merge
        values = {
            "merges": float(len(bpe.merges)),
            "pair_count": float(m.count if m else 0),
            "bpe_tokens": float(bpe.length),
            "bpe_vocab": float(len(bpe)),
            "bpe_compression": len(self.text) / bpe.length,
            "word_compression": self.word_compression,
            "vocab_size": float(v),
            "tokens": float(corpus_tokens),
            "compression": len(self.text) / corpus_tokens,
            "unk_types": float(unk_types),
            "unk_tokens": float(unk_tokens),
            "round_trip": float(vocab.decode(ids) == self.passage),
            "passage_tokens": float(len(tokens)),
            "onehot_dim": float(v),
            "embed_dim": float(d),
            "embed_params": float(v * d),
            "lookup_error": self.lookup_error(ids, v, d) if embed or self.embedding is None else self.embedding[1],
        }
        self.last_metrics = values
        return values

    @torch.no_grad()
    def lookup_error(self, ids: list[int], v: int, d: int) -> float:
        """max |one_hot(ids) @ E - E[ids]| for an embedding E (v x d) drawn from the run's seed; kept
        while the ids and sizes stay (a merge that leaves the passage as it was changes only v)."""
        key = (tuple(ids), v, d)
        if self.embedding is None or self.embedding[0] != key:
            table = torch.randn(v, d, generator=torch.Generator().manual_seed(self.seed))
            index = torch.tensor(ids, dtype=torch.long)
            product = F.one_hot(index, v).float() @ table
            self.embedding = (key, (product - F.embedding(index, table)).abs().max().item())
        return self.embedding[1]

    # ---- views --------------------------------------------------------------------------------
    def views(self) -> list[Event]:
        tokens, ids, vocab = self.shown()
        level = self.params["level"]
        step = self.step_count
        newest = self.last_merge.token if self.last_merge and level == "bpe" else None
        owner = word_of_each(tokens)
        marks = ["replaced" if i == UNK else "merged" if t == newest else "" for t, i in zip(tokens, ids)]
        notes = [f"-> <unk> ({vocab.counts[t]}×)" if i == UNK else "" for t, i in zip(tokens, ids)]
        strip = TokenSequence(step, "tokens", tokens, ids, marks, [w % 6 for w in owner], notes)
        tables = ([self.merges_table()] if level == "bpe" else []) + [self.vocab_table(vocab), ids_table(tokens, ids)]
        return [strip, Tables(step, level, tables)]

    def vocab_table(self, vocab: Any) -> dict[str, Any]:
        level, min_freq = self.params["level"], self.params["min_freq"]
        counts = self.bpe.counts() if level == "bpe" else vocab.counts
        top = sorted(vocab.itos[len(RESERVED):], key=lambda t: -counts[t])[:TOP_TOKENS]
        rows = list(RESERVED) + top
        values = [[None, float(i)] for i in range(len(RESERVED))] + [[float(counts[t]), float(vocab.stoi[t])] for t in top]
        en, zh = LEVELS[level]
        title = (f"vocabulary: {len(vocab):,}", f"词表：{len(vocab):,} 个")
        source = f"{self.source}, {en}; "  # the note says the text and level (the title wraps when long)
        source_zh = f"{self.source}，{zh}；"
        if level == "bpe":
            note = (f"{len(self.bpe.itos) - len(RESERVED) - len(self.bpe.merges)} characters + "
                    f"{len(self.bpe.merges)} merges; no <unk>",
                    f"{len(self.bpe.itos) - len(RESERVED) - len(self.bpe.merges)} 个字符 + "
                    f"{len(self.bpe.merges)} 次合并；没有 <unk>")
        else:
            lost = sum(vocab.counts[t] for t in vocab.dropped)
            note = (f"min_freq {min_freq}: {len(vocab.dropped):,} rarer ones -> <unk> ({lost:,} in the text)",
                    f"min_freq {min_freq}：{len(vocab.dropped):,} 个更罕见的 -> <unk>（文中 {lost:,} 处）")
        note = (source + note[0], source_zh + note[1])
        return table(title, note, [visible(r) for r in rows], ["count", "index"], values)

    def merges_table(self) -> dict[str, Any]:
        newest = self.bpe.merges[-NEWEST_MERGES:][::-1]
        rows = [f"{visible(m.left)} + {visible(m.right)}" for m in newest]
        values = [[float(m.count), float(self.bpe.stoi[m.token])] for m in newest]
        n = len(self.bpe.merges)
        return table((f"merge {n} on top", f"第 {n} 次合并在最上"),
                     (f"{self.bpe.length:,} tokens, {self.bpe.characters / self.bpe.length:.2f} chars each",
                      f"{self.bpe.length:,} 个词元，平均每个 {self.bpe.characters / self.bpe.length:.2f} 个字符"),
                     rows, ["count", "id"], values)

    def summary(self) -> dict[str, float]:
        return {**self.last_metrics, "steps": self.step_count}


def ids_table(tokens: list[str], ids: list[int]) -> dict[str, Any]:
    shown = min(IDS_SHOWN, len(tokens))
    return table((f"ids: first {shown}", f"编号：前 {shown} 个"),
                 (f"{len(ids):,} ids in all", f"共 {len(ids):,} 个编号"),
                 [visible(t) for t in tokens[:shown]], ["id"], [[float(i)] for i in ids[:shown]])


COLUMNS_ZH = {"count": "次数", "index": "索引", "id": "编号"}


def table(title: tuple[str, str], note: tuple[str, str], rows: list[str], cols: list[str],
          values: list[list[float | None]]) -> dict[str, Any]:
    """A Tables entry in both languages, its numbers shown as whole numbers."""
    return {"title": title[0], "title_zh": title[1], "note": note[0], "note_zh": note[1], "rows": rows,
            "cols": cols, "cols_zh": [COLUMNS_ZH[c] for c in cols], "values": values, "format": "int"}


def word_of_each(tokens: list[str]) -> list[int]:
    """For each token, the number of the word (tokenize.words) it lies in: its colour in the strip."""
    bounds, at = [], 0
    for w in words("".join(tokens)):
        at += len(w)
        bounds.append(at)
    out, at, k = [], 0, 0
    for t in tokens:
        while k < len(bounds) - 1 and at >= bounds[k]:
            k += 1
        out.append(k)
        at += len(t)
    return out
