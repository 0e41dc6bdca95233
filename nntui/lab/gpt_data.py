"""The data of the gpt lesson, all made from the shipped Shakespeare (nntui.spec.texts).

Every work is cut at 90%: the first parts, joined, are the pretraining text; the last parts are
held out, so the L1 validation windows, the task's test lines and the prompts are text the model
never trained on.

  pretraining  windows of CONTEXT characters of the pretraining text (next-character loss L1)
  the task     acceptability, a toy of CoLA (one of GPT-1's fine-tuning tasks): is this a real
               line, or the same line with the letters of every word shuffled? The two classes
               have the same letters and word lengths, so only their order tells them apart:
               what a language model learns. A labelled line is a spoken line of at least 30
               characters cut to LINE_CHARS; half of each set is scrambled. The split and the
               scrambling use SPLIT_SEED, so every run (any seed) sees the same task.
  prompts      speaker turns of the held-out play text: a speaker line ("Ber.", "BRUTUS.",
               "PUCK") and the first line of the speech. A k-shot prompt is the k turns just
               before the query, then a blank line and the query speaker's name without its
               ending; the model must complete the speaker line's format: "." and a line break,
               or (A Midsummer Night's Dream) the line break alone.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import numpy as np
import torch

from nntui.spec.texts import shakespeare

SPLIT_SEED = 1234
HELD_OUT = 0.1
CONTEXT = 64  # the GPT's positions: pretraining windows, prompts
VAL_WINDOWS = 64
LINE_CHARS = 40  # a labelled line, cut; the classifier reads it then "\n" (GPT-1's extract token)
MIN_LINE = 30
TEST_LINES = 512
IGNORE = -100
SPEAKER = re.compile(r"[A-Z][A-Za-z']+(?: [A-Z][A-Za-z']+)?\.?")
SHOT_LINE = 20  # an example turn's speech, cut, so that two examples and the query fit CONTEXT
PROMPTS = 120  # queries per k, half of each format


@dataclass(frozen=True)
class Prompt:
    text: str  # the prompt: k example turns, a blank line, the speaker's name
    answer: str  # what completes the speaker line: ".\n" or "\n"


class Shakespeare:
    def __init__(self) -> None:
        works = shakespeare()
        self.vocab = tuple(sorted(set("".join(works.values()))))
        self.index = np.zeros(128, dtype=np.int64)  # the works are ASCII
        self.index[[ord(c) for c in self.vocab]] = np.arange(len(self.vocab))
        cuts = {name: round(len(text) * (1 - HELD_OUT)) for name, text in works.items()}
        self.train_ids = self.encode("\n".join(text[: cuts[name]] for name, text in works.items()))
        held_out = {name: text[cuts[name]:] for name, text in works.items()}
        val_ids = self.encode("\n".join(held_out.values()))
        starts = torch.linspace(0, len(val_ids) - CONTEXT - 2, VAL_WINDOWS).long()
        self.val = windows(val_ids, starts)
        shuffler = random.Random(SPLIT_SEED)
        self.train_lines = spoken_lines(text[: cuts[name]] for name, text in works.items())
        self.test_lines = spoken_lines(held_out.values())
        shuffler.shuffle(self.train_lines)
        shuffler.shuffle(self.test_lines)
        self.test = self.labelled(self.test_lines[:TEST_LINES], shuffler)
        self.label_shuffler = shuffler
        self.prompt_turns = [speaker_turns(text) for name, text in held_out.items() if name != "sonnets"]

    def encode(self, text: str) -> torch.Tensor:
        return torch.from_numpy(self.index[np.frombuffer(text.encode("ascii"), dtype=np.uint8)])

    def decode(self, ids: list[int]) -> str:
        return "".join(self.vocab[i] for i in ids)

    def train_windows(self, size: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        starts = torch.randint(0, len(self.train_ids) - CONTEXT - 1, (size,), generator=generator)
        return windows(self.train_ids, starts)

    def task_train(self, count: int) -> Labelled:
        """The first `count` training lines, labelled (the same for every run)."""
        return self.labelled(self.train_lines[:count], random.Random(SPLIT_SEED + 1))

    def labelled(self, lines: list[str], shuffler: random.Random) -> Labelled:
        """Real lines (label 1) and, every other one, the same line scrambled (label 0)."""
        texts, labels = [], []
        for i, line in enumerate(lines):
            real = i % 2 == 0
            texts.append(line if real else scramble(line, shuffler))
            labels.append(int(real))
        return Labelled.of(texts, labels, self)

    def prompts(self, shots: int) -> list[Prompt]:
        """PROMPTS queries: each the k turns before it (cut) and the query's name."""
        out: list[Prompt] = []
        for turns in self.prompt_turns:
            for i in range(2, len(turns)):
                examples = "".join(f"{name}\n{speech[:SHOT_LINE].rstrip()}\n\n" for name, speech in turns[i - shots:i])
                name = turns[i][0]
                stem = name.rstrip(".")
                out.append(Prompt(f"\n\n{examples}{stem}"[-CONTEXT:], name[len(stem):] + "\n"))
        # as many of each format: a model that always writes "." gets half of them right
        picker = random.Random(SPLIT_SEED)
        return [p for answer in (".\n", "\n") for p in picker.sample([p for p in out if p.answer == answer], PROMPTS // 2)]


@dataclass(frozen=True)
class Labelled:
    """Lines for the classifier: `tokens` (n, LINE_CHARS + 1) padded with "\n" ids after each
    line's own "\n"; `targets` the next characters for L1 (IGNORE past the line); `last` where
    each line's "\n" is (the position the classifier reads); `labels` 1 real, 0 scrambled."""

    tokens: torch.Tensor
    targets: torch.Tensor
    last: torch.Tensor
    labels: torch.Tensor
    texts: tuple[str, ...]

    @classmethod
    def of(cls, texts: list[str], labels: list[int], corpus: Shakespeare) -> Labelled:
        width = LINE_CHARS + 1
        newline = corpus.vocab.index("\n")
        tokens = torch.full((len(texts), width), newline, dtype=torch.long)
        targets = torch.full((len(texts), width), IGNORE, dtype=torch.long)
        last = torch.zeros(len(texts), dtype=torch.long)
        for row, text in enumerate(texts):
            ids = corpus.encode(text + "\n")
            tokens[row, : len(ids)] = ids
            targets[row, : len(ids) - 1] = ids[1:]
            last[row] = len(ids) - 1
        return cls(tokens, targets, last, torch.tensor(labels), tuple(texts))

    def rows(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.tokens[index], self.targets[index], self.last[index], self.labels[index]

    def __len__(self) -> int:
        return len(self.labels)


def windows(ids: torch.Tensor, starts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    chunks = ids[starts[:, None] + torch.arange(CONTEXT + 1)]
    return chunks[:, :-1], chunks[:, 1:]


def spoken_lines(texts) -> list[str]:
    """Lines of speech or verse: long enough, not a stage direction, not a heading in capitals."""
    out = []
    for text in texts:
        for line in text.split("\n"):
            line = line.strip()
            if len(line) >= MIN_LINE and not line.startswith("[") and line != line.upper():
                out.append(line[:LINE_CHARS])
    return out


def scramble(line: str, shuffler: random.Random) -> str:
    """The letters of every word shuffled in place (punctuation moves with them)."""
    words = []
    for word in line.split(" "):
        letters = list(word)
        shuffler.shuffle(letters)
        words.append("".join(letters))
    return " ".join(words)


def speaker_turns(text: str) -> list[tuple[str, str]]:
    """(speaker line, first line of the speech) for every turn: a blank line, a short name line,
    then a line of speech."""
    lines = text.split("\n")
    turns = []
    for i in range(1, len(lines) - 1):
        name, speech = lines[i].strip(), lines[i + 1].strip()
        if lines[i - 1].strip() == "" and len(name) <= 20 and SPEAKER.fullmatch(name) and speech \
                and not speech.startswith("["):
            turns.append((name, speech))
    return turns
