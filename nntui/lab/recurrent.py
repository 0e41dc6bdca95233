"""Backprop through time: a tanh RNN, an LSTM or a GRU recalling the first token of a sequence.

    tokens x_1 .. x_T (one-hot over `vocab`) -> cell, h_1 .. h_T -> Linear(hidden, vocab) on h_T

The target is x_1, the FIRST token; the other T - 1 tokens are random distractors from the same
vocabulary, and the loss (cross-entropy) is taken on the last step only. So everything the net
needs must travel from step 1 to step T, and every bit of gradient that teaches step 1 must
travel back the same way: dL/dh_1 = dL/dh_T * dh_T/dh_{T-1} * ... * dh_2/dh_1, a product of T - 1
Jacobians. For a tanh RNN each is diag(1 - h^2) W_hh, and the product shrinks (or, with large
W_hh, grows) geometrically. An LSTM adds the cell path c_t = f_t * c_{t-1} + ..., whose Jacobian
is the forget gate f_t: it carries gradient only while f_t is near 1. PyTorch initialises every
bias uniformly around 0, so f_t starts near sigmoid(0) = 0.5 and the cell path halves the
gradient at every step: at initialisation (T 50, hidden 64, seed 0) ||dL/dh_1|| / ||dL/dh_T||
measured 4e-11 for a default LSTM, 8e-11 for the tanh RNN. Hence `forget_bias`: 3 opens the gate
to sigmoid(3) = 0.95 and the ratio to 0.19.

Parameters that shape the picture:
  forget_bias  added to the LSTM's forget-gate biases (half to bias_ih, half to bias_hh, gate
               order i, f, g, o), so the gate's pre-activation bias averages `forget_bias` and
               0 leaves PyTorch's default init exactly as it is. Ignored by rnn and gru.
  init_scale   multiplies the recurrent weights W_hh after PyTorch's init, whose spectral
               radius is about 0.65 for the tanh RNN: at 2 its gradient neither vanishes nor
               explodes much at initialisation (ratio ~11 at T 50), at 4 it explodes (ratio
               ~3.6e4, total gradient norm ~7,000).
  clip         rescales the whole gradient to norm `max_norm` when it is larger, every step.

A ratio at initialisation is not the whole story: training moves the strip. With Adam, the
default tanh RNN at T 50 (ratio 8e-11 at step 1) sits at chance for ~500 steps while its strip
rises, then turns over (ratio > 1) and learns most of the task (seed 0: twice chance at step 504,
0.8 at step 619, at most 0.88 in 1,000 steps). Hence the metrics
recent_accuracy (the mean batch accuracy of the last 100 steps) and the steps at which it first
reaches twice chance and 0.9, left_chance_at and learned_at: they let a lesson's check say when
a run learned, not only that it did.

Training uses PyTorch's fused modules (nn.RNN / nn.LSTM / nn.GRU). On probe steps (step 1, every
`probe_every` steps, and the last) the same parameters run through the single-step cell kernels
(those of nn.RNNCell / nn.LSTMCell / nn.GRUCell), one time step at a time, so every h_t is a
tensor whose gradient we can keep: that step's update comes from this unrolled pass, and its
||dL/dh_t|| for t = 1..T become a TimeNorms event. Both paths compute the same loss (tests
check it to 1e-5). An unrolled step costs about 1.2x (gru), 1.5x (rnn) or 3x (lstm) a fused one.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nntui.spec.events import Event, Metrics, TimeNorms
from nntui.spec import catalog
from nntui.lab.base import Experiment
from nntui.lab.probes import clip_gradients

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}

# Time steps reported by summary() when T is long: these (where <= T) and T itself.
SUMMARY_TIMES = (1, 2, 5, 10, 20, 25, 50, 75, 100, 150, 200)

# One batch of 32 is a noisy measure of accuracy: at chance (1/8) a batch scores up to ~0.375.
# The mean of the last RECENT steps is steady enough to say "still at chance" or "has learned"
# (at chance its spread is ~0.006), and the milestones below are read from it.
RECENT = 100
LEARNED = 0.9  # recent_accuracy at or above this: the task is learned


def chance_left(vocab: int) -> float:
    """recent_accuracy at or above twice chance: the net has started to recall token 1."""
    return 2.0 / vocab


# -- One time step of each cell, on the fused module's own weights. --
# These are the kernels nn.RNNCell, nn.LSTMCell and nn.GRUCell call; the equations, with
# PyTorch's gate orders, are in each docstring.

def rnn_step(x, h, c, rnn):
    """h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)"""
    return torch.rnn_tanh_cell(x, h, *weights(rnn)), None


def lstm_step(x, h, c, rnn):
    """Gates i, f, g, o = chunks of W_ih x_t + b_ih + W_hh h_{t-1} + b_hh, in that order;
    c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(g);  h_t = sigmoid(o) * tanh(c_t).
    dc_t/dc_{t-1} = sigmoid(f): the cell path carries gradient only while the forget gate is open.
    """
    return torch.lstm_cell(x, (h, c), *weights(rnn))


def gru_step(x, h, c, rnn):
    """Gates r, z, n: r = sigmoid(.), z = sigmoid(.), n = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn));
    h_t = (1 - z) * n + z * h_{t-1}: z near 1 keeps the old state, the forget gate's part.
    """
    return torch.gru_cell(x, h, *weights(rnn)), None


def weights(rnn: nn.RNNBase) -> tuple[torch.Tensor, ...]:
    return rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0


CELL_STEPS = {"rnn": rnn_step, "lstm": lstm_step, "gru": gru_step}


class RecallNet(nn.Module):
    def __init__(self, cell: str, vocab: int, hidden: int) -> None:
        super().__init__()
        self.cell_name = cell
        self.vocab = vocab
        self.rnn = CELLS[cell](vocab, hidden, batch_first=True)
        self.readout = nn.Linear(hidden, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Fast path: tokens (batch, T) in, logits (batch, vocab) from the last hidden state out."""
        out, _ = self.rnn(F.one_hot(tokens, self.vocab).float())
        return self.readout(out[:, -1])

    def unrolled(self, tokens: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Probe path: the same logits, plus h_1 .. h_T as separate tensors of the graph."""
        x = F.one_hot(tokens, self.vocab).float()
        step = CELL_STEPS[self.cell_name]
        h = x.new_zeros(x.shape[0], self.rnn.hidden_size)
        c = torch.zeros_like(h)  # the LSTM's cell state; the other cells ignore it
        hs = []
        for t in range(x.shape[1]):
            h, c = step(x[:, t], h, c, self.rnn)
            hs.append(h)
        return self.readout(h), hs


def initialise(net: RecallNet, forget_bias: float, init_scale: float) -> None:
    """PyTorch's default init, then the two knobs of this lesson."""
    rnn = net.rnn
    with torch.no_grad():
        rnn.weight_hh_l0.mul_(init_scale)
        if net.cell_name == "lstm":
            forget = slice(rnn.hidden_size, 2 * rnn.hidden_size)  # gate order i, f, g, o
            rnn.bias_ih_l0[forget] += forget_bias / 2
            rnn.bias_hh_l0[forget] += forget_bias / 2


class RecallRNN(Experiment):
    spec = catalog.RECALL_RNN

    def __init__(self, params: dict[str, Any], seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed, device)
        p = self.params
        self.net = RecallNet(p["cell"], p["vocab"], p["hidden"]).to(self.device)
        initialise(self.net, p["forget_bias"], p["init_scale"])
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=p["lr"], fused=True)
        # Fresh sequences every step from a generator of our own, so a run is reproducible
        # whatever else draws random numbers in the process.
        self.generator = torch.Generator(device=self.device).manual_seed(seed)
        self.last_loss = math.nan
        self.last_accuracy = math.nan
        self.last_norms = np.full(p["T"], np.nan)
        self.recent = deque(maxlen=RECENT)  # the last RECENT steps' batch accuracies
        self.milestones: dict[str, int] = {}  # left_chance_at, learned_at: the step each was first reached

    def batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Random sequences (batch, T) and their first tokens, the targets."""
        p = self.params
        tokens = torch.randint(
            p["vocab"], (p["batch"], p["T"]), generator=self.generator, device=self.device
        )
        return tokens, tokens[:, 0]

    def step(self) -> list[Event]:
        p = self.params
        step = self.step_count + 1
        probe = self.is_due(step)
        tokens, targets = self.batch()

        self.optimizer.zero_grad()
        if probe:
            logits, hs = self.net.unrolled(tokens)
            for h in hs:
                h.retain_grad()  # keep dL/dh_t, which autograd would otherwise free
        else:
            logits = self.net(tokens)
        loss = F.cross_entropy(logits, targets)
        loss.backward()  # nan or inf flows through to the metrics, never raised

        # The total norm is only worth a number on probe steps, unless clipping needs it anyway.
        total = clipped = None
        if p["clip"]:
            total, clipped = clip_gradients(self.net.parameters(), p["max_norm"])
        elif probe:
            total, _ = clip_gradients(self.net.parameters(), None)
        self.optimizer.step()
        self.step_count = step

        self.last_loss = loss.item()
        self.last_accuracy = (logits.argmax(dim=1) == targets).float().mean().item()
        values = {"train_loss": self.last_loss, "accuracy": self.last_accuracy}
        values.update(self.track_recent(step))
        events: list[Event] = [Metrics(step, values)]
        if probe:
            norms = torch.stack([h.grad for h in hs]).flatten(1).norm(dim=1).double().cpu().numpy()
            self.last_norms = norms
            values = {"bptt_ratio": self.ratio(norms), "grad_total": total}
            if clipped is not None:
                values["grad_total_clipped"] = clipped
            events += [TimeNorms(step, norms), Metrics(step, values)]
        return events

    def track_recent(self, step: int) -> dict[str, float]:
        """recent_accuracy, and each milestone once, at the step it is first reached.

        Nothing before the window is full (step RECENT): a mean of one or two batches is the
        noise the window is there to remove (at chance, one batch in twenty scores twice chance).
        """
        self.recent.append(self.last_accuracy)
        recent = self.recent_accuracy
        if recent is None:
            return {}
        values = {"recent_accuracy": recent}
        thresholds = {"left_chance_at": chance_left(self.params["vocab"]), "learned_at": LEARNED}
        for name, threshold in thresholds.items():
            if name not in self.milestones and recent >= threshold:
                self.milestones[name] = step
                values[name] = float(step)
        return values

    @property
    def recent_accuracy(self) -> float | None:
        """The mean batch accuracy of the last RECENT steps; None until there are that many."""
        return sum(self.recent) / RECENT if len(self.recent) == RECENT else None

    @staticmethod
    def ratio(norms: np.ndarray) -> float:
        """||dL/dh_1|| / ||dL/dh_T||: how much of the gradient reaches the first step."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(norms[0] / norms[-1])

    def summary(self) -> dict[str, float]:
        """Loss and accuracy of the last step, recent_accuracy and the milestones reached, and
        ||dL/dh_t|| of the last probe as dh_t1, dh_t2, ..."""
        T = self.params["T"]
        times = range(1, T + 1) if T <= 10 else [t for t in SUMMARY_TIMES if t < T] + [T]
        out = {
            "train_loss": self.last_loss,
            "accuracy": self.last_accuracy,
            "bptt_ratio": self.ratio(self.last_norms),
        }
        if self.recent_accuracy is not None:
            out["recent_accuracy"] = self.recent_accuracy
        out.update({name: float(step) for name, step in self.milestones.items()})
        out.update({f"dh_t{t}": float(self.last_norms[t - 1]) for t in times})
        return out
