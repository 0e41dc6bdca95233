"""Decoding: turning a next-token model into whole sequences (greedy, beam search, sampling).

A language model answers one question: given the tokens so far, how likely is each next token?
Everything here is built on that question, asked for several sequences at once:

    next_log_probs([[5, 2], [5, 7]]) -> tensor (2, vocab): log P(next token | sequence)

so the same search runs on a hand-written table (decoding_notes.notes_next_log_probs), a random table in
the tests, or a trained network (model_next_log_probs wraps any model(tokens) -> logits).

greedy       take the most likely token, append it, repeat. Cheap and short-sighted: the token
             that looks best now can lead to a sentence that is less likely as a whole.
beam search  keep the beam_width best partial sequences ("beams"). At each step extend every
             live beam by every token, score each candidate by its cumulative log-probability
             (the sum of its new tokens' log-probs) and keep the beam_width best. Sum of logs
             rather than product of probabilities: same order (log is increasing), and a product
             of 50 probabilities underflows while a sum of 50 logs does not.
end of text  a kept candidate that ends in eos_id is finished: it leaves the beam and the beam is
             one slot narrower from then on, so the search ends when the width reaches 0 or after
             max_new_tokens steps. This is the textbook version (Jurafsky & Martin, Speech and
             Language Processing, beam search for encoder-decoders), chosen because every kept
             node of the tree is then either expanded or an answer, which is what the tree widget
             draws. (Hugging Face's generate keeps beam_width beams alive and sets finished ones
             aside instead: a wider search, and a tree that is harder to read.)
length       every token adds a negative log-prob, so the raw sum prefers short answers. The
             final ranking divides by (number of new tokens) ** length_penalty: 0 is the raw sum,
             1 the mean log-prob per token. Only the final ranking uses it; the search itself
             compares raw sums (all live beams have the same length, so it would change nothing).
ties         equal scores go to the lower token id, then to the earlier parent: one model, one tree.

What a search records (result.steps), for the tree widget: per step, the candidates best first,
each with its parent, token, log-prob, cumulative score and fate (kept / finished / pruned).
`parent` indexes the previous step's *kept* candidates in the order listed (None at step 1,
where the parent is the prefix). Every kept and finished candidate is recorded but, per parent,
only the best max(2 * beam_width, 8) pruned ones: enough to show what else was possible without
storing vocab * beam_width nodes a step for a 50k-token vocabulary.

The records live in decoding_records, which never imports torch: they hold only Python ints,
floats, strs and tuples, so a result pickles to the UI process and to_dict() is JSON-able.
Sampling (filter_distribution, sample, sample_many) draws the next token instead of searching;
it lives in decoding_sampling and is re-exported here.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import torch

from nntui.spec.decoding_records import BeamSearchResult, Candidate, Hypothesis

# Sampling is re-exported here; the argument checks and the model call are shared with it.
from nntui.lab.decoding_sampling import (
    NextLogProbs,
    _check_eos_id,
    _check_positive_int,
    _check_prefix,
    _rows,
    filter_distribution,
    sample,
    sample_many,
)

__all__ = [
    "BeamSearchResult", "Candidate", "Hypothesis", "beam_search", "filter_distribution", "greedy",
    "model_next_log_probs", "pruned_per_parent", "sample", "sample_many",
]


def pruned_per_parent(beam_width: int) -> int:
    """How many pruned candidates a step records per parent (the rest are not stored)."""
    return max(2 * beam_width, 8)


def beam_search(
    next_log_probs: NextLogProbs,
    prefix: Sequence[int],
    *,
    beam_width: int,
    max_new_tokens: int,
    eos_id: int | None = None,
    length_penalty: float = 0.0,
) -> BeamSearchResult:
    """The beam_width best continuations of prefix; see the module docstring for the rules."""
    _check_positive_int("beam_width", beam_width)
    _check_positive_int("max_new_tokens", max_new_tokens)
    _check_eos_id(eos_id)
    if not isinstance(length_penalty, (int, float)) or not math.isfinite(length_penalty):
        raise ValueError(f"length_penalty must be a finite number, got {length_penalty!r}")
    prefix = _check_prefix(prefix)
    cap = pruned_per_parent(beam_width)

    beams: list[tuple[list[int], float]] = [(list(prefix), 0.0)]  # (sequence, cumulative score)
    width = beam_width  # slots left: each finished hypothesis takes one away for good
    finished: list[tuple[list[int], float]] = []
    steps = []
    for step in range(max_new_tokens):
        if width == 0 or not beams:
            break
        # One call for all live beams: a real model runs them as one batch.
        rows = _rows(next_log_probs, [seq for seq, _ in beams], eos_id)
        scores = torch.tensor([score for _, score in beams], dtype=torch.float64)[:, None] + rows

        # Only a parent's best `width + cap` tokens can be kept or recorded, so sort each row
        # (stable: equal scores stay in token order) and look no further than that.
        order = torch.sort(scores, dim=1, descending=True, stable=True).indices[:, : width + cap]
        pool = [
            (scores[p, t].item(), t, p, rows[p, t].item())
            for p in range(len(beams))
            for t in order[p].tolist()
        ]
        pool.sort(key=lambda c: (-c[0], c[1], c[2]))  # best score, then lower token, then parent

        candidates, next_beams = [], []
        recorded = [0] * len(beams)  # pruned candidates recorded so far, per parent
        for rank, (score, token, parent, log_prob) in enumerate(pool):
            if rank < width:
                fate = "finished" if token == eos_id else "kept"
                seq = beams[parent][0] + [token]
                (finished if fate == "finished" else next_beams).append((seq, score))
            elif recorded[parent] < cap:
                fate = "pruned"
                recorded[parent] += 1
            else:
                continue
            candidates.append(Candidate(None if step == 0 else parent, token, log_prob, score, fate))
        width -= sum(c.fate == "finished" for c in candidates)
        beams = next_beams
        steps.append(tuple(candidates))

    hyps = [_hypothesis(seq, score, len(prefix), True, length_penalty) for seq, score in finished]
    hyps += [_hypothesis(seq, score, len(prefix), False, length_penalty) for seq, score in beams]
    hyps.sort(key=lambda h: -h.score)  # stable: equal scores keep finishing order
    return BeamSearchResult(tuple(prefix), beam_width, eos_id, length_penalty, tuple(hyps), tuple(steps))


def greedy(
    next_log_probs: NextLogProbs,
    prefix: Sequence[int],
    *,
    max_new_tokens: int,
    eos_id: int | None = None,
) -> BeamSearchResult:
    """The argmax rollout, recorded like a beam search of width 1 (and equal to one)."""
    _check_positive_int("max_new_tokens", max_new_tokens)
    _check_eos_id(eos_id)
    seq, total, steps = _check_prefix(prefix), 0.0, []
    for step in range(max_new_tokens):
        row = _rows(next_log_probs, [seq], eos_id)[0]
        scores = total + row
        # argmax returns the first maximum: ties go to the lower token id, as in beam_search.
        best = int(torch.argmax(scores))
        fate = "finished" if best == eos_id else "kept"
        parent = None if step == 0 else 0
        # For the tree: the runners-up this one step beat (the same ones beam_search records).
        order = torch.sort(scores, descending=True, stable=True).indices.tolist()
        others = [t for t in order if t != best][: pruned_per_parent(1)]
        steps.append(tuple(
            Candidate(parent, t, row[t].item(), scores[t].item(), fate if t == best else "pruned")
            for t in [best, *others]
        ))
        seq, total = seq + [best], scores[best].item()
        if fate == "finished":
            break
    hyp = _hypothesis(seq, total, len(prefix), seq[-1] == eos_id, 0.0)
    return BeamSearchResult(tuple(prefix), 1, eos_id, 0.0, (hyp,), tuple(steps))


def model_next_log_probs(
    model: Callable[[torch.Tensor], Any], device: str | torch.device = "cpu"
) -> NextLogProbs:
    """Adapt model(tokens (batch, T)) -> logits (batch, T, vocab) to next_log_probs.

    Only the last position's logits predict the next token. Sequences in one call must have equal
    length (beams always do); a model needs at least one token, e.g. a start token, in the prefix.
    Put the model in eval() mode first, or dropout makes the search random.
    """

    @torch.no_grad()
    def next_log_probs(batch: list[list[int]]) -> torch.Tensor:
        if len({len(seq) for seq in batch}) != 1 or not batch[0]:
            raise ValueError("model_next_log_probs needs non-empty sequences of equal length")
        out = model(torch.tensor(batch, dtype=torch.long, device=device))
        logits = out[0] if isinstance(out, tuple) else out  # models that also return attention
        return torch.log_softmax(logits[:, -1, :].double(), dim=-1).cpu()

    return next_log_probs


def _hypothesis(seq: list[int], log_prob: float, n_prefix: int, finished: bool, penalty: float) -> Hypothesis:
    new = tuple(seq[n_prefix:])  # at least one: max_new_tokens >= 1, so 0 ** penalty never happens
    return Hypothesis(tuple(seq), new, log_prob, finished, log_prob / len(new) ** penalty)
