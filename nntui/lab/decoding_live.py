"""Greedy against beam search, live: on the notes' toy translator, or on a name model as it trains.

model = "notes"  the course notes' five-word table (decoding_notes.py: the notes' numbers, and the
                 lesson's where the notes give none). Nothing trains: the single step decodes
                 from <s>. Greedy says "moi suis étudiant </s>" (0.06), beam search of width 2
                 "je suis étudiant </s>" (0.072, the notes' sum 2.2), width 3 the empty "</s>"
                 (0.1). The prompt is ignored (the notes' example always starts at <s>).
model = "names"  a character GRU (names_lm.py) trains on 5,163 first names. Every probe_every
                 steps (and at steps 1 and the last) the prompt's continuations are decoded:
                 greedy, beam search, the next-letter distribution and ten samples.

Every decoding setting is live: changing it re-decodes at once from the current model, also
after the run has finished, so a learner can try prompts and widths on the trained model.
Decoding never touches the training (no shared random numbers, no state), so a prompt sent live
to a run gives the very decoding that a run started with that prompt gives at the same step:
the lesson screen (which sends a page's prompt live) and `nntui claims` (which starts a run
with it) agree; tests/test_lab_decoding_live.py checks it.

What a decoding reports
  Metrics   beam_logp    log P of beam search's best answer (the new tokens, end included)
            greedy_logp  log P of greedy's answer
            beam_gain    beam_logp - greedy_logp: > 0 where looking ahead found a likelier name.
                         Not always >= 0: a length_penalty ranks by something else, and a
                         finished beam narrows the search (decoding.py), so beam can miss
                         greedy's path.
            beam_sum_p, greedy_sum_p
                         the notes' score of each answer: its tokens' probabilities added up
            samples_distinct  how many of the ten samples differ
            samples_in_data   (names) how many of them are names of the training list
            train_loss   (names, every step) the batch's mean per-character cross entropy
  Decoding  the beam tree (with eos_id), greedy's tree beside it, the distribution of the token
            after the prompt ("probs": the model's softmax at temperature 1; "kept": what
            temperature, top_k and top_p leave, renormalised, 0 where filtered out) and ten
            sampled sequences, drawn with those settings from a generator seeded by the seed
            and the step: one step redrawn gives the same samples, and a changed knob reshapes
            the same random draws.
Search (greedy and beam) ignores temperature, top_k and top_p: they only shape sampling.

The names vocabulary is "." (start and end of a name, id 0) and a-z; the prefix of a search is
[0, *prompt letters], so every hypothesis starts with it. The event's `vocab` shows id 0 as ".".

The lesson's names pages (beam width 3, 1,000 steps, ~5 s on 1 torch thread). Log-probabilities
are of the letters after the prompt, end included:
    seed 0  "br"  greedy brittnie  -4.88   beam brenda   -3.38   gain +1.50
            "jo"  greedy josefina  -5.50   beam jonell   -4.34   gain +1.17
    seed 1  "br"  greedy brandie   -3.89   beam brandie  -3.89   gain  0
            "jo"  greedy johnathani -7.16  beam johnnie  -4.30   gain +2.86
    seed 2  "br"  greedy brittany  -5.30   beam brandon  -4.78   gain +0.52
            "jo"  greedy johnnette -5.86   beam jonell   -3.84   gain +2.02
The answers move as the model trains (Adam at a constant lr never settles): on seed 0, "wi" gives
william (-3.00) against willa (-2.85) at step 1,000 but william (-3.74) against wilbert (-3.55)
at step 1,500. The lesson quotes seed 0 at its own step count only; `nntui claims beam-search`
prints them.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from nntui.spec.events import Decoding, Event, Metrics
from nntui.spec import catalog
from nntui.lab.base import Experiment
from nntui.lab.decoding import beam_search, filter_distribution, greedy
from nntui.lab.decoding_notes import NOTES_EOS_ID, NOTES_VOCAB, notes_next_log_probs
from nntui.spec.decoding_records import BeamSearchResult, Hypothesis
from nntui.lab.decoding_sampling import sample_many

SAMPLES = 10  # names (or sentences) drawn at every decoding
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
        if not self.is_due(step) or self.diverged:
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
        """Greedy, beam search, the next-token distribution and ten samples, from the current model."""
        p = self.params
        prefix = self.prefix
        beam = beam_search(
            self.next_log_probs, prefix, beam_width=p["beam_width"], max_new_tokens=p["max_new_tokens"],
            eos_id=self.eos_id, length_penalty=p["length_penalty"],
        )
        best_greedy = greedy(self.next_log_probs, prefix, max_new_tokens=p["max_new_tokens"], eos_id=self.eos_id)
        row = self.next_log_probs([prefix])[0].double()
        kept = filter_distribution(row, temperature=p["temperature"], top_k=p["top_k"], top_p=p["top_p"])
        samples = self.draw_samples(step)
        self.last = {
            "beam_logp": beam.best.log_prob,
            "greedy_logp": best_greedy.best.log_prob,
            "beam_gain": beam.best.log_prob - best_greedy.best.log_prob,
            "beam_sum_p": added_probabilities(beam),
            "greedy_sum_p": added_probabilities(best_greedy),
            "samples_distinct": float(len({s.tokens for s in samples})),
        }
        if self.lm is not None:
            self.last["samples_in_data"] = float(sum(self.in_data(s) for s in samples))
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
            samples=[
                {"tokens": list(s.tokens), "log_prob": s.log_prob, "finished": s.finished,
                 "in_data": self.in_data(s) if self.lm is not None else None}
                for s in samples
            ],
        )

    def draw_samples(self, step: int) -> list[Hypothesis]:
        """SAMPLES continuations of the prompt at the current temperature, top_k and top_p.

        The generator is seeded by the seed and the step alone: one step redrawn with the same
        settings gives the same names, and a changed knob reshapes the same random draws.
        """
        p = self.params
        generator = torch.Generator().manual_seed((self.seed * 1_000_003 + step) % 2**63)
        return sample_many(
            self.next_log_probs, self.prefix, n=SAMPLES, max_new_tokens=p["max_new_tokens"], eos_id=self.eos_id,
            temperature=p["temperature"], top_k=p["top_k"], top_p=p["top_p"], generator=generator,
        )

    def in_data(self, drawn: Hypothesis) -> bool:
        """Whether a sampled name is one of the training names (a finished one, end token dropped)."""
        from nntui.lab import names_lm

        return drawn.finished and names_lm.decode(drawn.tokens[1:-1]) in names_lm.name_set()

    def summary(self) -> dict[str, float]:
        """The last step's loss (names) and the latest decoding's log-probs and gain."""
        out = {"train_loss": self.last_loss} if self.lm is not None else {}
        return out | self.last


def added_probabilities(result: BeamSearchResult) -> float:
    """The notes' score of the answer: its tokens' probabilities added up (not a probability)."""
    return sum(math.exp(lp) for lp in result.token_log_probs(result.best))
