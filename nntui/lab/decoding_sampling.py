"""Sampling: draw the next token from the model's distribution instead of searching for the best.

Search (greedy, beam) gives the same, often bland, answer every time; sampling gives variety, and
three knobs trade variety against sense. filter_distribution applies them in this order:

  temperature  logits / T before the softmax. T < 1 sharpens the distribution (T -> 0 is greedy,
               and T = 0 means exactly that: all mass on the argmax), T > 1 flattens it.
  top_k        keep only the k most likely tokens (0 = off). Equal logits at the cut go to the
               lower token id, so exactly k survive.
  top_p        "nucleus": keep the smallest set of most likely tokens whose probability adds up
               to at least p (1.0 = off), computed after top_k. The most likely token always
               survives, so the set is never empty.

Removed tokens get probability exactly 0 (so torch.multinomial can never draw them) and the
survivors are renormalised to sum to 1. sample_many() rolls n sequences out one draw at a time
from one torch.Generator (all unfinished ones in one model call a step), so a seed gives the same
sequences every time; sample() is one of them.

The argument checks and the checked model call live here too; decoding.py shares them.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import torch

from nntui.spec.decoding_records import Hypothesis

# next_log_probs(batch of token lists) -> (len(batch), vocab) log-probabilities of the next token.
NextLogProbs = Callable[[list[list[int]]], torch.Tensor]


def filter_distribution(
    logits: torch.Tensor, *, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0
) -> torch.Tensor:
    """logits (vocab,) -> probabilities (vocab,), float64, removed tokens exactly 0."""
    _check_filter(temperature, top_k, top_p)
    if not isinstance(logits, torch.Tensor) or logits.dim() != 1:
        shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise ValueError(f"logits must be a 1-D tensor (vocab,), got {shape}")
    logits = logits.detach().to(torch.float64)
    if torch.isnan(logits).any() or torch.isneginf(logits).all():
        raise ValueError("logits must not be NaN or all -inf: no token could be drawn")

    if temperature == 0:
        # The limit of T -> 0: all mass on the most likely token (argmax: the lower id on ties).
        probs = torch.zeros_like(logits)
        probs[torch.argmax(logits)] = 1.0
        return probs

    scaled = logits / temperature
    if 0 < top_k < len(scaled):
        # A stable sort keeps equal logits in token order, so the cut is exact and reproducible.
        order = torch.sort(scaled, descending=True, stable=True).indices
        scaled = scaled.clone()
        scaled[order[top_k:]] = -math.inf
    probs = torch.softmax(scaled, dim=0)  # exp(-inf) = 0: removed tokens are exactly 0

    if top_p < 1.0:
        sorted_probs, order = torch.sort(probs, descending=True, stable=True)
        # Mass of the tokens ranked above each one: a token is needed while that is still < p.
        # (A shifted cumsum, not cumsum - p, which rounds.) The best token has 0 above it: it stays.
        before = torch.cat([sorted_probs.new_zeros(1), torch.cumsum(sorted_probs, dim=0)[:-1]])
        probs[order[before >= top_p]] = 0.0
        probs = probs / probs.sum()
    return probs


def sample(
    next_log_probs: NextLogProbs,
    prefix: Sequence[int],
    *,
    max_new_tokens: int,
    eos_id: int | None = None,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
) -> list[int]:
    """The whole sequence (prefix included), drawn one token at a time, stopping after eos_id."""
    drawn = sample_many(
        next_log_probs, prefix, n=1, max_new_tokens=max_new_tokens, eos_id=eos_id,
        temperature=temperature, top_k=top_k, top_p=top_p, generator=generator,
    )
    return list(drawn[0].tokens)


def sample_many(
    next_log_probs: NextLogProbs,
    prefix: Sequence[int],
    *,
    n: int,
    max_new_tokens: int,
    eos_id: int | None = None,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
) -> list[Hypothesis]:
    """n sequences drawn independently from one generator, as Hypothesis records (score = log_prob).

    All unfinished sequences have the same length, so each step is one model call for all of them.
    log_prob is the model's own log P of the drawn tokens (temperature 1, nothing filtered): the
    number the searches rank by, so a sample can be compared with their answers.
    """
    _check_positive_int("n", n)
    _check_positive_int("max_new_tokens", max_new_tokens)
    _check_eos_id(eos_id)
    _check_filter(temperature, top_k, top_p)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    start = _check_prefix(prefix)
    seqs = [list(start) for _ in range(n)]
    log_probs = [0.0] * n
    live = list(range(n))
    for _ in range(max_new_tokens):
        rows = _rows(next_log_probs, [seqs[i] for i in live], eos_id)
        for i, row in zip(live, rows):
            probs = filter_distribution(row, temperature=temperature, top_k=top_k, top_p=top_p)
            if temperature == 0:
                token = int(torch.argmax(probs))  # greedy: no draw, the generator is left untouched
            else:
                token = int(torch.multinomial(probs, 1, generator=generator))
            seqs[i].append(token)
            log_probs[i] += row[token].item()
        live = [i for i in live if seqs[i][-1] != eos_id]
        if not live:
            break
    return [
        Hypothesis(tuple(seq), tuple(seq[len(start):]), lp, seq[-1] == eos_id, lp)
        for seq, lp in zip(seqs, log_probs)
    ]


# --- checks shared with decoding.py ------------------------------------------------------------


def _rows(next_log_probs: NextLogProbs, batch: list[list[int]], eos_id: int | None) -> torch.Tensor:
    """Call the model and check its answer: (len(batch), vocab), float64, on the CPU, no NaN."""
    rows = next_log_probs([list(seq) for seq in batch])
    if not isinstance(rows, torch.Tensor) or rows.dim() != 2 or rows.shape[0] != len(batch):
        shape = tuple(rows.shape) if isinstance(rows, torch.Tensor) else type(rows).__name__
        raise ValueError(f"next_log_probs must return a tensor of shape ({len(batch)}, vocab); got {shape}")
    if eos_id is not None and eos_id >= rows.shape[1]:
        raise ValueError(f"eos_id {eos_id} is outside the vocabulary of {rows.shape[1]} tokens")
    # float64 so that cumulative scores match a hand calculation; CPU so records hold plain floats.
    rows = rows.detach().to("cpu", torch.float64)
    if torch.isnan(rows).any():
        raise ValueError("next_log_probs returned NaN")
    return rows


def _check_filter(temperature: Any, top_k: Any, top_p: Any) -> None:
    if not isinstance(temperature, (int, float)) or not math.isfinite(temperature) or temperature < 0:
        raise ValueError(f"temperature must be a finite number >= 0 (0 = greedy), got {temperature!r}")
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 0:
        raise ValueError(f"top_k must be an integer >= 0 (0 = off), got {top_k!r}")
    if not isinstance(top_p, (int, float)) or not 0 < top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1] (1 = off), got {top_p!r}")


def _check_positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _check_eos_id(eos_id: Any) -> None:
    if eos_id is not None and (isinstance(eos_id, bool) or not isinstance(eos_id, int) or eos_id < 0):
        raise ValueError(f"eos_id must be None or a token id >= 0, got {eos_id!r}")


def _check_prefix(prefix: Sequence[int]) -> list[int]:
    seq = list(prefix)
    if any(isinstance(t, bool) or not isinstance(t, int) or t < 0 for t in seq):
        raise ValueError(f"prefix must be a sequence of token ids >= 0, got {list(prefix)!r}")
    return seq
