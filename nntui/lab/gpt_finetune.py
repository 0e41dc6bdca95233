"""Pretrain, then fine-tune: GPT's recipe on the tiny GPT of char_models, in one run.

Steps 1 .. pretrain_steps: next-character pretraining on Shakespeare (gpt_data.py), the loss the
course notes call L1. Then, up to `steps`: fine-tuning on the labelled task (real line or
scrambled?) with a classifier, Linear(width, 2), reading the last block's state at the "\n" that
ends the line. The task loss is L2 (cross entropy of the label); with `lam` = λ > 0 the model
minimises the notes' L3 = L2 + λ·L1, L1 here the next-character loss on the task's own lines, as
GPT-1 did (its real lines only: the scrambled ones are not language). pretrain_steps = 0 trains the same classifier from scratch, for every step.

Every `eval_every` steps it reports:
  train_loss     the mean loss minimised since the last report: L1 while pretraining, then L3
                 (which is L2 when λ = 0)
  val_loss       L1 on held-out Shakespeare: does the model still know the language?
  task_loss      L2 and aux_loss, L1 on the task's real lines (fine-tuning only)
  test_accuracy  on 512 held-out lines, half of them scrambled (chance 0.5); train_accuracy on
                 the labelled lines it fine-tunes on
and a TextSample: a line sampled at `temperature` after a line break.

At the end of pretraining, prompting without any fine-tuning: zero_shot, one_shot and few_shot
(two examples) are the share of 120 prompts whose speaker-name format the model completes
greedily (gpt_data.Prompt); half of them end in "." and a line break, half in the line break
alone, so always writing one format scores 0.5. One prompt of each k joins the samples.

Pretraining is deterministic given its settings and seed: a run whose pretraining matches an
earlier one in this process replays it (the same events, then the same weights) instead of
recomputing it. GPT pretrains once and fine-tunes many times; so do the lesson's pages.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from nntui.lab.base import Experiment
from nntui.lab.char_models import GPT_WIDTH, TinyGPT
from nntui.lab.gpt_data import CONTEXT, IGNORE, Labelled, Shakespeare
from nntui.spec import catalog_language
from nntui.spec.events import Event, Metrics, TextSample

SHOTS = {"zero_shot": 0, "one_shot": 1, "few_shot": 2}
SAMPLE_CHARS = 60
FINETUNE_BATCH = 32

_CORPUS: Shakespeare | None = None


@dataclass(frozen=True)
class Pretrained:
    """A finished pretraining: the events of each of its steps, and the state it ended in."""

    events: tuple[tuple[Event, ...], ...]
    model: dict[str, torch.Tensor]
    rng: tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # torch's, the batches', the samples'
    last: dict[str, float]


_PRETRAINED: dict[tuple, Pretrained] = {}  # oldest first
KEEP_PRETRAINED = 4  # about 0.5 MB each: a class's trainer processes must not grow without bound
KEYED = ("pretrain_steps", "lr", "batch", "eval_every", "temperature")  # a pretraining's settings


def corpus() -> Shakespeare:
    """The split text, built once per process (it is the same for every run)."""
    global _CORPUS
    if _CORPUS is None:
        _CORPUS = Shakespeare()
    return _CORPUS


def states(model: TinyGPT, tokens: torch.Tensor) -> torch.Tensor:
    """The GPT's last hidden states (batch, T, width), after its final LayerNorm: what its
    language-model head reads, and what the classifier reads."""
    x = model.embed(tokens) + model.position[: tokens.shape[1]]
    for block in model.blocks:
        x, _, _ = block(x, causal=True, capture=False)
    return model.norm(x)


class GPTFinetune(Experiment):
    spec = catalog_language.GPT_FINETUNE

    def __init__(self, params: dict[str, Any], seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed, device)
        p = self.params
        self.data = corpus()
        self.model = TinyGPT(len(self.data.vocab), CONTEXT)
        self.classifier = nn.Linear(GPT_WIDTH, 2)
        self.task = self.data.task_train(p["labels"])
        self.generator = torch.Generator().manual_seed(seed)
        self.sampler = torch.Generator().manual_seed(seed)
        self.pretraining = p["pretrain_steps"] > 0
        self.optimizer = self._optimizer()
        self.losses: list[float] = []
        self.task_losses: list[float] = []
        self.aux_losses: list[float] = []
        self.last: dict[str, float] = {}
        self.key: tuple | None = pretraining_key(self.params, seed, device)
        whole = self.pretraining and p["steps"] >= p["pretrain_steps"]  # else its last report differs
        self.replay = _PRETRAINED.get(self.key) if whole else None
        self.recorded: list[tuple[Event, ...]] = []

    def _optimizer(self) -> torch.optim.Optimizer:
        if self.pretraining:
            return torch.optim.Adam(self.model.parameters(), lr=self.params["lr"])
        weights = [*self.model.parameters(), *self.classifier.parameters()]
        return torch.optim.Adam(weights, lr=self.params["finetune_lr"])

    def step(self) -> list[Event]:
        if self.replay is not None and self.pretraining:
            return self.replayed()
        self.model.train()
        loss = self.pretrain_loss() if self.pretraining else self.finetune_loss()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.losses.append(loss.item())
        step = self.step_count = self.step_count + 1
        events: list[Event] = []
        boundary = self.pretraining and step == self.params["pretrain_steps"]
        if self.is_due(step, "eval_every") or boundary:
            events += self.report(step)
        if boundary:  # pretraining is over: prompt the model as it is, then fine-tune it
            events += self.prompting(step)
        if self.pretraining:
            self.recorded.append(tuple(events))
        if boundary:
            self.remember()
            self.pretraining = False
            self.optimizer = self._optimizer()
        return events

    def set_param(self, name: str, value: Any) -> list[Event]:
        if name in KEYED:  # its events now differ from a fresh run's: do not keep them
            self.key = None
        return super().set_param(name, value)

    def remember(self) -> None:
        """Keep this pretraining for later runs with the same settings."""
        if self.key is not None:
            rng = (torch.get_rng_state(), self.generator.get_state(), self.sampler.get_state())
            _PRETRAINED.pop(self.key, None)
            _PRETRAINED[self.key] = Pretrained(tuple(self.recorded), copy.deepcopy(self.model.state_dict()),
                                               rng, dict(self.last))
            while len(_PRETRAINED) > KEEP_PRETRAINED:
                del _PRETRAINED[next(iter(_PRETRAINED))]
        self.recorded = []

    def replayed(self) -> list[Event]:
        assert self.replay is not None
        step = self.step_count = self.step_count + 1
        events = list(self.replay.events[step - 1])
        if step == self.params["pretrain_steps"]:
            self.model.load_state_dict(self.replay.model)
            rng, batches, samples = self.replay.rng
            torch.set_rng_state(rng)
            self.generator.set_state(batches)
            self.sampler.set_state(samples)
            self.last = dict(self.replay.last)
            self.pretraining = False
            self.optimizer = self._optimizer()
        return events

    def pretrain_loss(self) -> torch.Tensor:
        inputs, targets = self.data.train_windows(self.params["batch"], self.generator)
        return F.cross_entropy(self.model(inputs).flatten(0, 1), targets.flatten())

    def finetune_loss(self) -> torch.Tensor:
        rows = torch.randint(0, len(self.task), (FINETUNE_BATCH,), generator=self.generator)
        tokens, targets, last, labels = self.task.rows(rows)
        targets[labels == 0] = IGNORE  # L1 on the real lines only: scrambled text would teach it nonsense
        hidden = states(self.model, tokens)
        task_loss = F.cross_entropy(self.classifier(hidden[torch.arange(len(rows)), last]), labels)  # L2
        aux_loss = F.cross_entropy(self.model.head(hidden).flatten(0, 1), targets.flatten(), ignore_index=IGNORE)
        self.task_losses.append(task_loss.item())
        self.aux_losses.append(aux_loss.item())
        return task_loss + self.params["lam"] * aux_loss  # L3 = L2 + λ·L1

    @torch.no_grad()
    def report(self, step: int) -> list[Event]:
        self.model.eval()
        inputs, targets = self.data.val
        values = {"train_loss": mean(self.losses),
                  "val_loss": F.cross_entropy(self.model(inputs).flatten(0, 1), targets.flatten()).item()}
        if self.task_losses:
            values |= {"task_loss": mean(self.task_losses), "aux_loss": mean(self.aux_losses),
                       "train_accuracy": self.accuracy(self.task), "test_accuracy": self.accuracy(self.data.test)}
        for series in (self.losses, self.task_losses, self.aux_losses):
            series.clear()
        self.last |= values
        temperature = self.params["temperature"]
        sample = self.generate("\n", SAMPLE_CHARS, temperature).split("\n")[0]
        return [Metrics(step, values), TextSample(step, sample, temperature=temperature)]

    def accuracy(self, lines: Labelled) -> float:
        hidden = states(self.model, lines.tokens)
        logits = self.classifier(hidden[torch.arange(len(lines)), lines.last])
        return (logits.argmax(1) == lines.labels).double().mean().item()

    @torch.no_grad()
    def prompting(self, step: int) -> list[Event]:
        self.model.eval()
        values, shown = {}, []
        for metric, shots in SHOTS.items():
            prompts = self.data.prompts(shots)
            right = sum(self.generate(p.text, len(p.answer)) == p.answer for p in prompts)
            values[metric] = right / len(prompts)
            example = prompts[-1]  # one of "A Midsummer Night's Dream", whose names end in a line break
            completion = self.generate(example.text, 24).split("\n\n")[0]
            shown.append(TextSample(step, f"k={shots}: …{example.text[-30:]}▸{completion}", name="samples"))
        self.last |= values
        return [Metrics(step, values), *shown]

    def generate(self, prompt: str, count: int, temperature: float = 0.0) -> str:
        """`count` characters after `prompt`: greedy at temperature 0, else sampled."""
        seq = self.data.encode(prompt)[None, :]
        for _ in range(count):
            logits = self.model(seq[:, -CONTEXT:])[0, -1]
            if temperature > 0:
                probs = torch.softmax(logits.double() / temperature, dim=-1)
                nxt = torch.multinomial(probs, 1, generator=self.sampler)
            else:
                nxt = logits.argmax()[None]
            seq = torch.cat([seq, nxt[None, :]], dim=1)
        return self.data.decode(seq[0, -count:].tolist())

    # lam, temperature and eval_every are read at every step or report: live without more.

    def summary(self) -> dict[str, float]:
        return {**self.last, "steps": self.step_count}


def pretraining_key(params: dict[str, Any], seed: int, device: str) -> tuple:
    """Everything a pretraining's events and weights depend on."""
    return (seed, device, torch.get_num_threads(), *(params[name] for name in KEYED))


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")
