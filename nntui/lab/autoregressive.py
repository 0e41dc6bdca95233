"""Predicting the next value of a noisy sine: d2l's sequence-model example, trained live.

The data (d2l, "Sequence Models"): T = 1,000 points, x_t = sin(0.01 t) + N(0, 0.2) for
t = 1..T (noise std 0.2, so even a perfect model's squared error is 0.2^2 = 0.04 on average).

Two models, the `model` parameter:

    window:  x_hat_t = MLP(x_{t-tau}, ..., x_{t-1})        Linear(tau, hidden) -> ReLU -> Linear(hidden, 1)
    latent:  h_t = tanh(W x_{t-1} + U h_{t-1} + b),  x_hat_t = V h_t + c      (a one-layer RNN)

The window model is d2l's: the 996 windows of tau = 4 values and the value after each; the
first 600 windows are the training set (so it sees x_1..x_604); Xavier-uniform weights, Adam
at lr 0.01, squared error, mini-batches of 16, reshuffled every epoch (600 / 16 = 37.5, so
38 steps an epoch; d2l trains 5 epochs: 190 steps, the default). The latent model trains on
16 random stretches of SEQ_LEN values from the same first 604, its state starting at zero in
each, squared error on every next value it predicts; it has no tau (its state is the past), and
is scored over the same values as the window model with d2l's tau = 4.

k-step-ahead prediction, as d2l plots it: from each start s = tau..T-K (0-based), the model
sees the observed values before s, then predicts x_s, x_{s+1}, ... feeding each prediction
back in as if it were observed; its j-th prediction is the k = j+1 step-ahead prediction of
x_{s+j}. The latent model starts from its state after the observed x_0..x_{s-1} (one pass of
the RNN over the series), then feeds its predictions back the same way.

What it reports, every `eval_every` steps (and at the first and the last):
- Metrics: train_loss and test_loss (one-step squared error on the training windows and on the
  rest), err_k1, err_k4, err_k16, err_k64 (the mean squared error of the k-step predictions
  against the observed x, over every start s), and epoch.
- Curve "forecast": over t, the series x and the k = 1, 4, 16, 64 step-ahead predictions
  (NaN where a prediction of that k does not exist), the chart d2l draws.
- Curve "k_error": err_k for every k = 1..K, named by the model, so earlier runs can be drawn
  beside it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nntui.lab.base import Experiment
from nntui.spec import catalog_language
from nntui.spec.events import Curve, Event, Metrics

T = 1000
TRAIN_WINDOWS = 600  # d2l's n_train: windows whose value-after lies in x_tau..x_{599+tau}
NOISE_STD = 0.2
K = 64  # the longest horizon predicted
SHOWN_K = (1, 4, 16, 64)  # the step-ahead predictions drawn over the series
SEQ_LEN = 32  # values per training stretch of the latent model
D2L_TAU = 4


def make_series(seed: int) -> np.ndarray:
    """x_t = sin(0.01 t) + N(0, 0.2), t = 1..T, float32, from a generator of its own."""
    time = np.arange(1, T + 1)
    noise = np.random.default_rng(seed).normal(0.0, NOISE_STD, T)
    return (np.sin(0.01 * time) + noise).astype(np.float32)


class WindowMLP(nn.Module):
    """d2l's MLP on the last tau values, Xavier-uniform weights (d2l's init_weights)."""

    def __init__(self, tau: int, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(tau, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        for layer in self.net:
            if isinstance(layer, nn.Linear):
                nn.init.xavier_uniform_(layer.weight)

    def forward(self, windows: torch.Tensor) -> torch.Tensor:  # (n, tau) -> (n,)
        return self.net(windows).squeeze(1)


class LatentRNN(nn.Module):
    """h_t = tanh(W x_{t-1} + U h_{t-1} + b), x_hat_t = V h_t + c."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.rnn = nn.RNN(1, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 1)

    def states(self, inputs: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        """(n, L) inputs -> (n, L, hidden): the state after each, from `h` (n, hidden) or zero."""
        return self.rnn(inputs.unsqueeze(2), None if h is None else h.unsqueeze(0))[0]

    def predict(self, states: torch.Tensor) -> torch.Tensor:
        return self.out(states).squeeze(-1)


class Autoregressive(Experiment):
    spec = catalog_language.AUTOREGRESSIVE

    def __init__(self, params: dict[str, Any], seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed, device)
        p = self.params
        self.latent = p["model"] == "latent"
        # The latent model has no window: it trains on, and is scored over, what d2l's window
        # model (tau = 4) uses, whatever tau is set to, so the two are compared on the same values.
        self.tau = D2L_TAU if self.latent else p["tau"]
        self.x_np = make_series(seed)
        self.x = torch.from_numpy(self.x_np).to(self.device)
        # windows[i] = x[i : i + tau], label x[i + tau]: d2l's features and labels
        self.windows = self.x.unfold(0, self.tau, 1)[: T - self.tau]
        self.labels = self.x[self.tau :]
        self.train_end = TRAIN_WINDOWS + self.tau  # the model trains on x[:train_end]
        self.model: nn.Module = LatentRNN(p["hidden"]) if self.latent else WindowMLP(self.tau, p["hidden"])
        self.model.to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=p["lr"])
        self.shuffler = torch.Generator().manual_seed(seed)
        self.order = torch.randperm(TRAIN_WINDOWS, generator=self.shuffler)
        self.cursor = 0
        self.epoch = 0.0
        self.last_metrics: dict[str, float] = {}

    # ---- training -------------------------------------------------------------------------
    def batch_loss(self) -> torch.Tensor:
        batch = self.params["batch"]
        if self.latent:  # random stretches of the training part, predicting each next value
            starts = torch.randint(0, self.train_end - SEQ_LEN, (batch,), generator=self.shuffler)
            stretch = self.x[starts.unsqueeze(1) + torch.arange(SEQ_LEN + 1)]
            states = self.model.states(stretch[:, :-1])
            self.epoch += batch * SEQ_LEN / TRAIN_WINDOWS
            return F.mse_loss(self.model.predict(states), stretch[:, 1:])
        if self.cursor >= TRAIN_WINDOWS:  # d2l's DataLoader: a new shuffle every epoch
            self.order = torch.randperm(TRAIN_WINDOWS, generator=self.shuffler)
            self.cursor = 0
        index = self.order[self.cursor : self.cursor + batch]
        self.cursor += len(index)
        self.epoch += len(index) / TRAIN_WINDOWS
        return F.mse_loss(self.model(self.windows[index]), self.labels[index])

    def step(self) -> list[Event]:
        events: list[Event] = []
        if self.step_count == 0:
            events += self.evaluate()  # the untrained model's predictions, before the first step
        loss = self.batch_loss()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.step_count += 1
        step = self.step_count
        if self.is_due(step, "eval_every"):
            events += self.evaluate()
        return events

    # ---- k-step-ahead prediction -------------------------------------------------------------
    @torch.no_grad()
    def ahead(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The one-step predictions of x_tau..x_{T-1}, and (starts, K) whose row s - tau holds the
        1..K step-ahead predictions of x_s..x_{s+K-1}, made from the observed values before s,
        for s = tau..T-K."""
        starts = T - K - self.tau + 1
        if self.latent:
            states = self.model.states(self.x[:-1].unsqueeze(0))[0]  # row i: the state after x_0..x_i
            one = self.model.predict(states)[self.tau - 1 :]
            h = states[self.tau - 1 : self.tau - 1 + starts]
            columns = []
            for _ in range(K):
                guess = self.model.predict(h)
                columns.append(guess)
                h = self.model.states(guess.unsqueeze(1), h)[:, 0]
            return one, torch.stack(columns, dim=1)
        # d2l's features matrix: the observed window, then each prediction in the next column
        features = torch.empty(starts, self.tau + K, device=self.device)
        features[:, : self.tau] = self.windows[:starts]
        for i in range(self.tau, self.tau + K):
            features[:, i] = self.model(features[:, i - self.tau : i])
        return self.model(self.windows), features[:, self.tau :]

    @torch.no_grad()
    def evaluate(self) -> list[Event]:
        one, predicted = self.ahead()
        errors = (one - self.labels) ** 2
        starts = predicted.shape[0]
        targets = self.x.unfold(0, K, 1)[self.tau : self.tau + starts]  # x_{s..s+K-1} per start
        k_error = ((predicted - targets) ** 2).mean(dim=0).cpu().numpy().astype(np.float32)
        values = {
            "train_loss": errors[:TRAIN_WINDOWS].mean().item(),
            "test_loss": errors[TRAIN_WINDOWS:].mean().item(),
            **{f"err_k{k}": float(k_error[k - 1]) for k in SHOWN_K},
        }
        self.last_metrics = values
        forecast = {"x": self.x_np}
        rows = predicted.cpu().numpy()
        for k in SHOWN_K:
            line = np.full(T, np.nan, np.float32)
            line[self.tau + k - 1 : self.tau + k - 1 + starts] = rows[:, k - 1]
            forecast[f"k={k}"] = line
        time = np.arange(1, T + 1, dtype=np.float32)
        name = self.params["model"]
        return [
            Metrics(self.step_count, values, epoch=round(self.epoch, 3)),
            Curve(self.step_count, "forecast", time, forecast),
            Curve(self.step_count, "k_error", np.arange(1, K + 1, dtype=np.float32), {name: k_error}),
        ]

    def summary(self) -> dict[str, float]:
        return {**self.last_metrics, "steps": self.step_count}
