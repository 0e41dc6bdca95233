"""ELMo, small: a bidirectional LSTM language model of Shakespeare's words, trained live, and how
the vectors it gives one word differ from sentence to sentence (see bilm.py for the model).

A step: `batch` random windows of WINDOW words from the first 90% of the text; Adam at `lr` on
the mean of the forward and backward cross entropies. The last 10% is held out.

What it reports, every `eval_every` steps (and at the first and the last):

  train_loss    mean of the two LMs' cross entropies over the batches since the last report
  val_fwd, val_bwd, val_loss   the forward, the backward and their mean on held-out windows
  will_within, will_across     the mean cosine between two uses of "will" of the same sense and
                of different senses (noun after "my/the/...", verb after "i/you/..."; bilm.py)
  will_gap      within - across, on [h_fwd; h_bwd]; will_gap_fwd / will_gap_bwd on one half
  lie_gap, lie_gap_bwd   the same for "lie" (fewer uses: 18 nouns, 36 verbs)
  word_uses, word_cos    the typed word's uses in the text and the mean cosine between them
                (up to MAX_USES, spread over the text); a static vector would give 1.0
  word_gap      within - across for the typed word, where it has both senses

and Tables: the cosines between four uses of the typed word (two of each sense where it has
both), and the nearest neighbours in context of two of them among every word of a held-out
stretch (BANK words), other uses of the same word left out. Changing `word` sends them at once.
"""

from __future__ import annotations

from typing import Any

import torch

from nntui.lab.base import Experiment
from nntui.lab.bilm import (
    NOUN,
    SIDE,
    VERB,
    BiLM,
    Uses,
    WordText,
    cosines,
    sense_split,
    uses_of,
    word_text,
)
from nntui.spec import catalog_language
from nntui.spec.events import Event, Metrics, Tables
from nntui.spec.texts import shakespeare

WINDOW = 32
VAL_SHARE = 0.1
VAL_WINDOWS = 64
MAX_USES = 64  # of the typed word, for word_cos
BANK = 3000  # held-out words whose contextual vectors are searched for neighbours
SHOWN_USES = 4
NEIGHBOURS = 3
PROBES = ("will", "lie")


class ContextualEmbeddings(Experiment):
    spec = catalog_language.CONTEXTUAL

    def __init__(self, params: dict[str, Any], seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed, device)
        self.text: WordText = word_text("\n".join(shakespeare().values()))
        ids = self.text.ids
        self.cut = round(len(ids) * (1 - VAL_SHARE))
        starts = torch.linspace(self.cut, len(ids) - WINDOW - 1, VAL_WINDOWS).long()
        self.val = ids[starts[:, None] + torch.arange(WINDOW)]
        self.model = BiLM(len(self.text.vocab))
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.params["lr"])
        self.generator = torch.Generator().manual_seed(seed)
        self.probes = {word: uses_of(self.text, word) for word in PROBES}
        self.losses: list[float] = []
        self.last: dict[str, float] = {}

    def step(self) -> list[Event]:
        starts = torch.randint(0, self.cut - WINDOW, (self.params["batch"],), generator=self.generator)
        self.model.train()
        ahead, behind = self.model.losses(self.text.ids[starts[:, None] + torch.arange(WINDOW)])
        loss = (ahead + behind) / 2
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.losses.append(loss.item())
        step = self.step_count = self.step_count + 1
        if not self.is_due(step, "eval_every"):
            return []
        return [Metrics(step, self.measure(), epoch=step * self.params["batch"] * WINDOW / self.cut), self.tables()]

    # ---- what it reports ---------------------------------------------------------------------
    @torch.no_grad()
    def measure(self) -> dict[str, float]:
        self.model.eval()
        ahead, behind = self.model.losses(self.val)
        values = {"train_loss": sum(self.losses) / len(self.losses), "val_fwd": ahead.item(),
                  "val_bwd": behind.item(), "val_loss": (ahead.item() + behind.item()) / 2}
        self.losses.clear()
        for word, uses in self.probes.items():
            forward, backward = self.model.vectors(uses.windows, SIDE)
            for suffix, vectors in (("", torch.cat([forward, backward], 1)), ("_fwd", forward), ("_bwd", backward)):
                within, across = sense_split(vectors, uses.senses)
                values[f"{word}_gap{suffix}"] = within - across
                if word == "will" and not suffix:
                    values["will_within"], values["will_across"] = within, across
        values.update(self.typed_word())
        self.last = values
        return values

    def word(self) -> str:
        return self.params["word"].strip().lower()

    def typed_word(self) -> dict[str, float]:
        uses = uses_of(self.text, self.word(), MAX_USES)
        found: dict[str, float] = {"word_uses": float(len(uses.positions))}
        if len(uses.positions) >= 2:
            both = torch.cat(self.model.vectors(uses.windows, SIDE), 1)
            square = cosines(both)
            n = len(square)
            found["word_cos"] = ((square.sum() - square.diagonal().sum()) / (n * (n - 1))).item()
            split = sense_split(both, uses.senses)
            if split is not None:
                found["word_gap"] = split[0] - split[1]
        return found

    @torch.no_grad()
    def tables(self) -> Tables:
        self.model.eval()
        word = self.word()
        uses = shown_uses(uses_of(self.text, word))
        if len(uses) < 2:
            # one real column: a table without columns would draw its title one letter a line
            return Tables(self.step_count, "contexts", [{
                "title": f"'{word}'", "rows": [word or "''"], "cols": ["uses"], "cols_zh": ["次数"],
                "values": [[float(len(uses))]], "format": "int",
                "note": "too few uses", "note_zh": "用法太少"}])
        windows = self.text.ids[torch.tensor(uses)[:, None] + torch.arange(-SIDE, SIDE + 1)]
        vectors = torch.cat(self.model.vectors(windows, SIDE), 1)
        labels = [f"{k + 1} {self.snippet(i)}" for k, i in enumerate(uses)]
        square = cosines(vectors)
        tables = [{"title": f"cos between uses of '{word}'", "title_zh": f"'{word}' 各处用法之间的余弦",
                   "rows": labels, "cols": [str(k + 1) for k in range(len(uses))], "values": square.tolist(),
                   "note": "a static vector: 1.00 in every cell", "note_zh": "静态词向量：每格都是 1.00"}]
        bank, bank_vectors = self.bank()
        unit = torch.nn.functional.normalize(bank_vectors, dim=1)
        for k in (0, len(uses) - 1):
            sims = unit @ torch.nn.functional.normalize(vectors[k], dim=0)
            sims[[j for j, i in enumerate(bank) if self.text.words[i] == word]] = -2.0
            top = sims.topk(NEIGHBOURS)
            tables.append({"title": f"nearest to use {k + 1}", "title_zh": f"离用法 {k + 1} 最近的词",
                           "rows": [self.snippet(bank[j]) for j in top.indices.tolist()], "cols": ["cos"],
                           "values": [[v] for v in top.values.tolist()], "note": ""})
        return Tables(self.step_count, "contexts", tables)

    def bank(self) -> tuple[list[int], torch.Tensor]:
        """The first BANK held-out words and their contextual vectors, read in windows of 2 * SIDE + 1."""
        positions = list(range(self.cut + SIDE, self.cut + SIDE + BANK))
        windows = self.text.ids[torch.tensor(positions)[:, None] + torch.arange(-SIDE, SIDE + 1)]
        vectors = [torch.cat(self.model.vectors(windows[i:i + 500], SIDE), 1) for i in range(0, BANK, 500)]
        return positions, torch.cat(vectors)

    def snippet(self, i: int) -> str:
        """The word at i between its neighbours: "my will is"."""
        return " ".join(self.text.words[i - 1:i + 2])

    def apply_live(self, name: str) -> list[Event] | None:
        if name == "word":
            return [self.tables()]
        return None  # lr reaches the optimiser through Experiment.set_param; eval_every is read each step

    def summary(self) -> dict[str, float]:
        return {**self.last, "steps": self.step_count}


def shown_uses(uses: Uses) -> list[int]:
    """SHOWN_USES positions: two nouns then two verbs where the word has both senses, else spread evenly."""
    positions = uses.positions.tolist()
    nouns = [p for p, s in zip(positions, uses.senses.tolist()) if s == NOUN]
    verbs = [p for p, s in zip(positions, uses.senses.tolist()) if s == VERB]
    if len(nouns) >= 2 and len(verbs) >= 2:
        return [nouns[0], nouns[len(nouns) // 2], verbs[0], verbs[len(verbs) // 2]]
    if len(positions) <= SHOWN_USES:
        return positions
    return [positions[round(k * (len(positions) - 1) / (SHOWN_USES - 1))] for k in range(SHOWN_USES)]
