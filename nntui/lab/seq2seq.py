"""A GRU encoder-decoder translating a toy language, with and without attention.

The task (fresh random sentences every step): a sentence of 1 to `max_len` words of a
ten-word language (the letters a..j) is translated word by word into digits (a -> 0, b -> 1,
..., j -> 9), and the target language says the words in the opposite order:

    "cabd" -> "3102"   (then the end token </s>)

so output word i translates input word L-1-i: the right alignment is the anti-diagonal, and
nothing can be written before the whole sentence has been read.

    encoder  source -> Embedding -> bidirectional GRU (packed: padding never enters it) ->
             states e_1..e_L (both directions, 2H each); the context vector h_0 =
             tanh(W [final forward; final backward])
    decoder  each step: h_t = GRUCell(embed(y_{t-1}), h_{t-1}), from h_0
             without attention: logits = Linear(h_t); everything about the source must pass
                                through the one vector h_0 (the bottleneck)
             with attention:    a_t = softmax(K e . h_t / sqrt(hidden)) over the real source
                                words (Luong's "general" score), c_t = sum a_t e, logits =
                                Linear(tanh(W [h_t; c_t])): every output looks back at every input

The encoder is bidirectional (as in Bahdanau et al.) because the backward direction knows how
far each word is from the end, which is what the reversed order needs: with a forward GRU only,
attention formed far slower here. Padded positions are masked out of the attention.

Teacher forcing: with probability `teacher_forcing` a training batch feeds the decoder the
right previous word; otherwise it feeds its own argmax guess (free running, as at test time).

What it reports every `eval_every` steps (and the first and last): exact-match accuracy of
greedy decoding on a fixed test set of EVAL_PER_LENGTH sentences of every length 1..max_len
(`by_length`, a Curve, and acc_short / acc_long / accuracy), the decoder-encoder attention of
one long example (AttentionMaps: queries = the output words, keys = the input words) and how
much of it lands on the right input word (attn_on_target), and a Decoding of that example:
greedy and beam search (nntui.lab.decoding) over the output words.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from nntui.lab.base import Experiment
from nntui.lab.decoding import beam_search, greedy
from nntui.spec import catalog_language
from nntui.spec.events import AttentionMaps, Curve, Decoding, Event, Metrics

WORDS = 10  # source words a..j, target digits 0..9
SOURCE = ["·", *"abcdefghij"]  # id 0: padding
TARGET = ["<s>", "</s>", *"0123456789"]  # ids: 0 start, 1 end, 2.. the digits
BOS, EOS = 0, 1
EVAL_PER_LENGTH = 32  # test sentences of each length
Memory = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # encoder states, their keys, the pad mask
SHORT = 5  # acc_short: lengths 1..SHORT; acc_long: the SHORT longest lengths


def translate(words: list[int]) -> list[int]:
    """Source word ids (1..10) -> target ids: the digits in reverse order, then </s>."""
    return [w + 1 for w in reversed(words)] + [EOS]


def make_batch(lengths: list[int], generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(source (B, S) padded with 0 after the words, target (B, S + 1) padded with -100 after </s>)."""
    longest = max(lengths)
    source = torch.zeros(len(lengths), longest, dtype=torch.long)
    target = torch.full((len(lengths), longest + 1), -100, dtype=torch.long)
    for i, n in enumerate(lengths):
        words = torch.randint(1, WORDS + 1, (n,), generator=generator).tolist()
        source[i, :n] = torch.tensor(words)
        target[i, : n + 1] = torch.tensor(translate(words))
    return source, target


class Seq2Seq(nn.Module):
    def __init__(self, hidden: int, embed: int, attention: bool) -> None:
        super().__init__()
        self.attention, self.hidden = attention, hidden
        self.src_embed = nn.Embedding(len(SOURCE), embed, padding_idx=0)
        self.encoder = nn.GRU(embed, hidden, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden, hidden)  # both directions' final states -> the decoder's h_0
        self.keys = nn.Linear(2 * hidden, hidden, bias=False) if attention else None
        self.tgt_embed = nn.Embedding(len(TARGET), embed)
        self.cell = nn.GRUCell(embed, hidden)
        self.combine = nn.Linear(3 * hidden, hidden) if attention else None
        self.out = nn.Linear(hidden, len(TARGET))

    def encode(self, source: torch.Tensor) -> tuple[Memory, torch.Tensor]:
        """What the decoder may look at (the states (B, S, 2H), their keys (B, S, H) and the pad
        mask (B, S), True where padding) and the context vector h_0 (B, H)."""
        pad = source == 0
        lengths = (~pad).sum(dim=1).cpu()
        packed = pack_padded_sequence(self.src_embed(source), lengths, batch_first=True, enforce_sorted=False)
        states, final = self.encoder(packed)
        states, _ = pad_packed_sequence(states, batch_first=True, total_length=source.shape[1])
        keys = self.keys(states) if self.attention else states  # once per sentence, not per output word
        return (states, keys, pad), torch.tanh(self.bridge(torch.cat([final[0], final[1]], dim=1)))

    def decode_step(self, y: torch.Tensor, h: torch.Tensor,
                    memory: Memory) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """One output word: (logits (B, V), new state (B, H), attention (B, S) or None)."""
        h = self.cell(self.tgt_embed(y), h)
        if not self.attention:
            return self.out(h), h, None
        states, keys, pad = memory
        scores = torch.einsum("bsh,bh->bs", keys, h) / math.sqrt(self.hidden)
        weights = torch.softmax(scores.masked_fill(pad, -math.inf), dim=1)
        context = torch.einsum("bs,bsh->bh", weights, states)
        return self.out(torch.tanh(self.combine(torch.cat([h, context], dim=1)))), h, weights

    def forward(self, source: torch.Tensor, inputs: torch.Tensor | None, steps: int,
                teacher: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits (B, steps, V) and attention (B, steps, S) or None. With `teacher`, step t is fed
        inputs[:, t] (inputs start with <s>); without, its own previous argmax (free running)."""
        memory, h = self.encode(source)
        y = torch.full((len(source),), BOS, dtype=torch.long, device=source.device)
        logits, maps = [], []
        for t in range(steps):
            step_logits, h, weights = self.decode_step(y, h, memory)
            logits.append(step_logits)
            maps.append(weights)
            if t + 1 < steps:
                y = inputs[:, t + 1] if teacher else step_logits.argmax(dim=1)
        attention = torch.stack(maps, dim=1) if self.attention else None
        return torch.stack(logits, dim=1), attention


class Seq2SeqLive(Experiment):
    spec = catalog_language.SEQ2SEQ

    def __init__(self, params: dict[str, Any], seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed, device)
        p = self.params
        self.model = Seq2Seq(p["hidden"], p["embed"], p["attention"]).to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=p["lr"])
        self.generator = torch.Generator().manual_seed(seed)
        self.coin = torch.Generator().manual_seed(seed + 1)  # teacher forcing's draws, apart from the data
        held_out = torch.Generator().manual_seed(seed + 10_000)
        self.lengths = list(range(1, p["max_len"] + 1))
        eval_lengths = [n for n in self.lengths for _ in range(EVAL_PER_LENGTH)]
        self.eval_source, self.eval_target = (t.to(self.device) for t in make_batch(eval_lengths, held_out))
        self.eval_lengths = torch.tensor(eval_lengths, device=self.device)
        # The example shown: a sentence of the longest length, from the test set.
        self.example = (len(eval_lengths) - 1, p["max_len"])
        self.last_loss = math.nan
        self.last: dict[str, float] = {}

    # ---- one step ---------------------------------------------------------------------------
    def step(self) -> list[Event]:
        p = self.params
        lengths = torch.randint(1, p["max_len"] + 1, (p["batch"],), generator=self.generator).tolist()
        source, target = (t.to(self.device) for t in make_batch(lengths, self.generator))
        teacher = torch.rand((), generator=self.coin).item() < p["teacher_forcing"]
        inputs = torch.cat([torch.full_like(target[:, :1], BOS), target[:, :-1].clamp(min=0)], dim=1)
        logits, _ = self.model(source, inputs, target.shape[1], teacher=teacher)
        loss = F.cross_entropy(logits.flatten(0, 1), target.flatten(), ignore_index=-100)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        step = self.step_count = self.step_count + 1
        self.last_loss = loss.item()
        values = {"train_loss": self.last_loss}
        if step == 1 or step % p["eval_every"] == 0 or step == self.total_steps:
            return self.evaluate(step, values)
        return [Metrics(step, values)]

    # ---- what it reports --------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self, step: int, values: dict[str, float]) -> list[Event]:
        self.model.eval()
        try:
            logits, _ = self.model(self.eval_source, None, self.eval_target.shape[1], teacher=False)
            right = exact_match(logits.argmax(dim=2), self.eval_target)
            by_length = np.array([right[self.eval_lengths == n].mean().item() for n in self.lengths])
            events: list[Event] = [Curve(step, "by_length", np.array(self.lengths, dtype=np.float32),
                                         {"accuracy": by_length.astype(np.float32)})]
            values |= {"accuracy": float(by_length.mean()), "acc_short": float(by_length[:SHORT].mean()),
                       "acc_long": float(by_length[-SHORT:].mean())}
            events += self.show_example(step, values)
        finally:
            self.model.train()
        self.last = values
        return [Metrics(step, values), *events]

    def show_example(self, step: int, values: dict[str, float]) -> list[Event]:
        """The example's attention (teacher-forced on its right translation) and its decodings."""
        row, n = self.example
        source = self.eval_source[row:row + 1, :n]
        target = self.eval_target[row:row + 1, : n + 1]
        inputs = torch.cat([torch.full_like(target[:, :1], BOS), target[:, :-1]], dim=1)
        events: list[Event] = []
        if self.model.attention:
            _, weights = self.model(source, inputs, n + 1)
            events.append(AttentionMaps(step, tokens=[TARGET[i] for i in target[0].tolist()],
                                        weights=weights[0].float().cpu().numpy()[None, None],
                                        key_tokens=[SOURCE[i] for i in source[0].tolist()]))
            values["attn_on_target"] = self.attention_on_target()
        events.append(self.decodings(step, source, values))
        return events

    def attention_on_target(self) -> float:
        """Mean attention on the right input word (the mirrored one) over the test set's outputs
        that translate a word (</s> left out), teacher-forced on the right translations."""
        target = self.eval_target
        inputs = torch.cat([torch.full_like(target[:, :1], BOS), target[:, :-1].clamp(min=0)], dim=1)
        _, weights = self.model(self.eval_source, inputs, target.shape[1])
        t = torch.arange(target.shape[1], device=self.device)
        # Output t of a sentence of length L translates source word L-1-t.
        right_key = (self.eval_lengths[:, None] - 1 - t[None, :]).clamp(min=0)  # (B, T)
        on_key = weights.gather(2, right_key.unsqueeze(2)).squeeze(2)
        real = t[None, :] < self.eval_lengths[:, None]
        return float(on_key[real].mean())

    def decodings(self, step: int, source: torch.Tensor, values: dict[str, float]) -> Decoding:
        """Greedy and beam search over the example's output words (nntui.lab.decoding)."""
        (states, keys, pad), h0 = self.model.encode(source)

        def next_log_probs(batch: list[list[int]]) -> torch.Tensor:
            seqs = torch.tensor(batch, dtype=torch.long, device=self.device)
            b = len(batch)
            h, memory = h0.expand(b, -1), (states.expand(b, -1, -1), keys.expand(b, -1, -1), pad.expand(b, -1))
            for t in range(seqs.shape[1]):
                logits, h, _ = self.model.decode_step(seqs[:, t], h, memory)
            return torch.log_softmax(logits.double(), dim=1).cpu()

        limit = source.shape[1] + 1
        beam = beam_search(next_log_probs, [BOS], beam_width=self.params["beam_width"], max_new_tokens=limit,
                           eos_id=EOS)
        best_greedy = greedy(next_log_probs, [BOS], max_new_tokens=limit, eos_id=EOS)
        values |= {"beam_logp": beam.best.log_prob, "greedy_logp": best_greedy.best.log_prob,
                   "beam_gain": beam.best.log_prob - best_greedy.best.log_prob}
        first = torch.exp(next_log_probs([[BOS]])[0]).tolist()
        return Decoding(step, vocab=list(TARGET), prompt="".join(SOURCE[i] for i in source[0].tolist()),
                        beam=beam.to_dict(), greedy=best_greedy.to_dict(), next_token={"probs": first})

    def summary(self) -> dict[str, float]:
        return {"train_loss": self.last_loss, **self.last}


def exact_match(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1.0 per sentence whose every word and its </s> are right (padding -100 ignored)."""
    real = target != -100
    return ((predicted == target) | ~real).all(dim=1).double()
