"""Greedy against beam search, live: on the notes' toy translator, or on a name model as it trains.

model = "notes"  the course notes' five-word bigram table (decoding_notes.py). Nothing trains:
                 the single step decodes from <s> and emits the tree. Greedy says "moi je suis
                 étudiant </s>" (0.092), beam search of width 2 or more "je suis étudiant </s>"
                 (0.173). The prompt is ignored (the notes' example always starts at <s>).
model = "names"  a character GRU (names_lm.py) trains on 5,163 first names. Every probe_every
                 steps (and at steps 1 and the last) the prompt's continuations are decoded:
                 greedy, beam search, the next-letter distribution and one sample.

Every decoding setting is live: changing it re-decodes at once from the current model, also
after the run has finished, so a learner can try prompts and widths on the trained model.

What a decoding reports
  Metrics   beam_logp    log P of beam search's best answer (the new tokens, end included)
            greedy_logp  log P of greedy's answer
            beam_gain    beam_logp - greedy_logp: > 0 where looking ahead found a likelier name.
                         Not always >= 0: a length_penalty ranks by something else, and a
                         finished beam narrows the search (decoding.py), so beam can miss
                         greedy's path.
            train_loss   (names, every step) the batch's mean per-character cross entropy
  Decoding  the beam tree (with eos_id), greedy's tree beside it, the distribution of the token
            after the prompt ("probs": the model's softmax at temperature 1; "kept": what
            temperature, top_k and top_p leave, renormalised, 0 where filtered out) and one
            sampled continuation (the new tokens only, from a generator seeded by the seed and
            the step, so one step's sample is the same each time it is redrawn).
Search (greedy and beam) ignores temperature, top_k and top_p: they only shape sampling.

The names vocabulary is "." (start and end of a name, id 0) and a-z; the prefix of a search is
[0, *prompt letters], so every hypothesis starts with it. The event's `vocab` shows id 0 as ".".

The lesson's case, measured here with the defaults (names, prompt "wi", beam width 3, 1,500
steps: ~8 s on 1 torch thread). Log-probabilities are of the letters after the prompt, end
included; the probability in brackets:
    seed 0   greedy  william  -4.84 (0.0079)   beam  wilbert  -3.42 (0.0327)   gain +1.42
    seed 1   greedy  willian  -4.51 (0.0110)   beam  willie   -3.36 (0.0349)   gain +1.15
    seed 2   greedy  willia   -3.69 (0.0250)   beam  willy    -2.67 (0.0691)   gain +1.02
Greedy commits to the likeliest next letter every time (w-i-l-l-i-a...) and pays for it in the
letters after; beam search keeps three candidates and finds a name 3-4 times as probable. Width 4 gives the same answers. The answers themselves move as the model trains
(Adam at a constant lr never settles): at the checkpoints 1,000, 1,250, ..., 2,500 of seeds
0-2, beam beat greedy on "wi" by more than 0.1 nats at 16 of 21. Other prompts where width 3
wins at step 1,500 on all three seeds (seed 0's answers): "ma" margerita -5.72 / margaret
-4.89, "gl" glandice -6.10 / glenna -3.24, "g" gerrie -5.36 / greg -4.33, "w" william -5.66 /
wilbert -4.24.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from nntui.events import Decoding, Event, Metrics
from nntui.lab import catalog
from nntui.lab.base import Experiment
from nntui.lab.decoding import beam_search, filter_distribution, greedy, sample
from nntui.lab.decoding_notes import NOTES_EOS_ID, NOTES_VOCAB, notes_next_log_probs

DECODING_PARAMS = ("prompt", "beam_width", "length_penalty", "max_new_tokens", "temperature", "top_k", "top_p")


class DecodingLive(Experiment):
    spec = catalog.DECODING

    def __init__(self, params: dict[str, Any], seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed, device)
        self.lm = None
        if self.params["model"] == "names":
            from nntui.lab import names_lm  # the notes need no network, data or optimiser

            self.lm = names_lm.NamesLM(seed, self.device, lr=self.params["lr"])
            self.vocab = list(names_lm.VOCAB)
            self.eos_id = names_lm.BOUNDARY_ID
            self.next_log_probs = self.lm.next_log_probs
            self._prefix = names_lm.prompt_ids
        else:
            self.vocab = list(NOTES_VOCAB)
            self.eos_id = NOTES_EOS_ID
            self.next_log_probs = notes_next_log_probs
            self._prefix = lambda prompt: []  # the notes always start at <s>: the prompt is ignored
        self.last_loss = math.nan
        self.last: dict[str, float] = {}  # the latest decoding's metrics

    @property
    def total_steps(self) -> int:
        return self.params["steps"] if self.lm is not None else 1

    def step(self) -> list[Event]:
        step = self.step_count + 1
        values: dict[str, float] = {}
        if self.lm is not None:
            self.last_loss = self.lm.train_step()
            values["train_loss"] = self.last_loss
        self.step_count = step
        if not self.is_probe_step(step) or self.diverged:
            return [Metrics(step, values)]  # a nan loss: the driver reports the divergence
        decoding = self.decode(step)
        return [Metrics(step, values | self.last), decoding]

    @property
    def diverged(self) -> bool:
        """The names model's loss is nan or inf: its log-probs are too, nothing can be decoded."""
        return self.lm is not None and not math.isfinite(self.last_loss)

    def apply_live(self, name: str) -> list[Event] | None:
        if name == "lr" and self.lm is not None:
            self.lm.set_lr(self.params["lr"])
        if name not in DECODING_PARAMS or self.step_count == 0 or self.diverged:
            return None
        decoding = self.decode(self.step_count)
        return [Metrics(self.step_count, dict(self.last)), decoding]

    @property
    def prefix(self) -> list[int]:
        return self._prefix(self.params["prompt"])

    @torch.no_grad()
    def decode(self, step: int) -> Decoding:
        """Greedy, beam search, the next-token distribution and a sample, from the current model."""
        p = self.params
        prefix = self.prefix
        beam = beam_search(
            self.next_log_probs, prefix, beam_width=p["beam_width"], max_new_tokens=p["max_new_tokens"],
            eos_id=self.eos_id, length_penalty=p["length_penalty"],
        )
        best_greedy = greedy(self.next_log_probs, prefix, max_new_tokens=p["max_new_tokens"], eos_id=self.eos_id)
        row = self.next_log_probs([prefix])[0].double()
        kept = filter_distribution(row, temperature=p["temperature"], top_k=p["top_k"], top_p=p["top_p"])
        generator = torch.Generator().manual_seed((self.seed * 1_000_003 + step) % 2**63)
        drawn = sample(
            self.next_log_probs, prefix, max_new_tokens=p["max_new_tokens"], eos_id=self.eos_id,
            temperature=p["temperature"], top_k=p["top_k"], top_p=p["top_p"], generator=generator,
        )
        self.last = {
            "beam_logp": beam.best.log_prob,
            "greedy_logp": best_greedy.best.log_prob,
            "beam_gain": beam.best.log_prob - best_greedy.best.log_prob,
        }
        return Decoding(
            step,
            vocab=list(self.vocab),
            prompt=p["prompt"] if self.lm is not None else "",
            beam=beam.to_dict(),
            greedy=best_greedy.to_dict(),
            next_token={
                "probs": torch.softmax(row, dim=0).tolist(),
                "kept": kept.tolist(),
                "temperature": p["temperature"],
                "top_k": p["top_k"],
                "top_p": p["top_p"],
            },
            sample=drawn[len(prefix):],
        )

    def summary(self) -> dict[str, float]:
        """The last step's loss (names) and the latest decoding's log-probs and gain."""
        out = {"train_loss": self.last_loss} if self.lm is not None else {}
        return out | self.last
