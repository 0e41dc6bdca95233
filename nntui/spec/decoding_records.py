"""The records a search leaves behind: plain, frozen dataclasses, and no torch.

decoding.py fills them in the trainer process; the UI process, which never imports torch, can
unpickle them, rebuild them from JSON with from_dict, and walk the tree with kept() and path().
They hold only Python ints, floats, strs, None and tuples.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

FATES = ("kept", "finished", "pruned")  # the values of Candidate.fate


@dataclass(frozen=True)
class Candidate:
    """One node of the search tree: a parent beam extended by one token."""

    parent: int | None  # index into the previous step's kept candidates; None: the prefix
    token: int
    log_prob: float  # log P(token | parent's sequence)
    score: float  # cumulative: the sum of log_prob from the first new token to this one
    fate: str  # "kept", "finished" (ended in eos_id, left the beam) or "pruned"


@dataclass(frozen=True)
class Hypothesis:
    """A complete answer: a finished beam, or a live one when max_new_tokens ran out."""

    tokens: tuple[int, ...]  # the whole sequence, prefix included
    new_tokens: tuple[int, ...]
    log_prob: float  # sum of the new tokens' log-probs
    finished: bool  # ended in eos_id
    score: float  # log_prob / len(new_tokens) ** length_penalty: what the ranking uses


@dataclass(frozen=True)
class BeamSearchResult:
    """What beam_search (or greedy) found, and the tree it searched to find it."""

    prefix: tuple[int, ...]
    beam_width: int
    eos_id: int | None
    length_penalty: float
    hypotheses: tuple[Hypothesis, ...]  # best first
    steps: tuple[tuple[Candidate, ...], ...]  # steps[i]: candidates of step i + 1, best first

    @property
    def best(self) -> Hypothesis:
        return self.hypotheses[0]

    def kept(self, step: int) -> list[Candidate]:
        """The live beams after steps[step], in the order the next step's `parent` counts them."""
        return [c for c in self.steps[step] if c.fate == "kept"]

    def path(self, step: int, index: int) -> list[int]:
        """The whole sequence (prefix included) ending at candidate steps[step][index]."""
        tokens = []
        candidate = self.steps[step][index]
        while True:
            tokens.append(candidate.token)
            if candidate.parent is None:
                return [*self.prefix, *reversed(tokens)]
            step -= 1
            candidate = self.kept(step)[candidate.parent]

    def token_log_probs(self, hypothesis: Hypothesis) -> tuple[float, ...]:
        """log P of each of the hypothesis's new tokens, read off the tree (no model call)."""
        log_probs, parent = [], None
        for step, token in enumerate(hypothesis.new_tokens):
            node = next(
                (c for c in self.steps[step] if c.parent == parent and c.token == token and c.fate != "pruned"),
                None,
            )
            if node is None:
                raise ValueError(f"{hypothesis.tokens} is not a path of this search")
            log_probs.append(node.log_prob)
            parent = self.kept(step).index(node) if node.fate == "kept" else None
        return tuple(log_probs)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # tuples become lists only under json.dumps

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BeamSearchResult:
        hyps = tuple(
            Hypothesis(**{**h, "tokens": tuple(h["tokens"]), "new_tokens": tuple(h["new_tokens"])})
            for h in data["hypotheses"]
        )
        steps = tuple(tuple(Candidate(**c) for c in step) for step in data["steps"])
        return cls(
            prefix=tuple(data["prefix"]), beam_width=data["beam_width"], eos_id=data["eos_id"],
            length_penalty=data["length_penalty"], hypotheses=hyps, steps=steps,
        )
