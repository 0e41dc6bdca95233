"""What the gradient probe costs: DeepMLP.step() against a bare PyTorch loop on the same model.

Run by hand (pytest never runs this):

    .venv/bin/python benchmarks/bench_probe.py                 # 15 interleaved rounds of 1,000 steps
    .venv/bin/python benchmarks/bench_probe.py --set activation=relu --set init=he

The deep MLP at the catalog's defaults (the vanishing-gradients lesson's opening state), one
torch thread, as the trainer process runs it. Five loops, each over its own DeepMLP built
from the same parameters and seed:
  probe every step     DeepMLP.step() with probe_every 1
  probe every 10       probe_every 10 (the catalog's default)
  probe off            probe_every past the end of the benchmark: step() without the probe
  probe off, no eval   and without the test evaluation (1,000 images every 500 steps), to
                       show the part of step()'s cost that is not the probe's
  bare PyTorch loop    the same model, optimiser and batching with nothing else: no .item(),
                       no events, no evaluation
The other step() loops keep the catalog's eval_every, as a lesson does. The loops alternate
round by round, in reversed order every other round, so that load from other processes hits
them alike. Compare the medians, the median of the per-round ratios (each round's loops ran
within a few seconds of each other) and the ratio of the fastest rounds.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from nntui.spec import catalog
from nntui.lab.deep_mlp import N_TRAIN, DeepMLP

NEVER = 10**12  # probe_every for "probe off": past any benchmark's end (step 1 still probes)


def bare_loop(exp: DeepMLP, steps: int, seed: int = 0) -> None:
    """The plainest loop over exp's model and optimiser: shuffle per epoch, slice, step."""
    model, optimizer = exp.model, exp.optimizer
    x, y = exp.train_x, exp.train_y
    b, per_epoch = exp.batch, exp.steps_per_epoch
    shuffler = torch.Generator().manual_seed(seed)
    model.train()
    for s in range(steps):
        i = s % per_epoch
        if i == 0:
            order = torch.randperm(N_TRAIN, generator=shuffler).to(x.device)
            ex, ey = x[order], y[order]
        batch = slice(i * b, (i + 1) * b)
        loss = F.cross_entropy(model(ex[batch]), ey[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if x.device.type == "cuda":
        torch.cuda.synchronize()


def experiment_loop(exp: DeepMLP, steps: int) -> None:
    for _ in range(steps):
        exp.step()
    if exp.device.type == "cuda":
        torch.cuda.synchronize()


def parse_settings(settings: list[str]) -> dict:
    params = {}
    for item in settings:
        name, _, text = item.partition("=")
        params[name] = catalog.DEEP_MLP.params[name].parse(text)
    return params


def bench(rounds: int, steps: int, device: str, params: dict) -> None:
    base = {**params, "steps": 1_000_000}  # never done during the benchmark

    def make(probe_every: int, eval_every: int | None = None) -> DeepMLP:
        exp = DeepMLP(base, 0, device)
        exp.params["probe_every"] = probe_every  # NEVER is past the catalog's range: set directly
        if eval_every is not None:
            exp.params["eval_every"] = eval_every
        return exp

    every1, every10, off, off_no_eval, bare = make(1), make(10), make(NEVER), make(NEVER, NEVER), make(1)
    loops = {
        "probe every step": lambda r: experiment_loop(every1, steps),
        "probe every 10": lambda r: experiment_loop(every10, steps),
        "probe off": lambda r: experiment_loop(off, steps),
        "probe off, no eval": lambda r: experiment_loop(off_no_eval, steps),
        "bare PyTorch loop": lambda r: bare_loop(bare, steps, seed=r),
    }
    for run in loops.values():  # warm-up: allocator, first-call costs, step 1's probe
        run(0)
    names = list(loops)
    wall: dict[str, list[float]] = {n: [] for n in names}  # steps per wall-clock second
    cpu: dict[str, list[float]] = {n: [] for n in names}  # steps per second of this process's CPU
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            t, c = time.perf_counter(), time.process_time()
            loops[name](r)
            wall[name].append(steps / (time.perf_counter() - t))
            cpu[name].append(steps / (time.process_time() - c))

    p = every1.params
    print(f"DeepMLP: depth {p['depth']} width {p['width']} {p['activation']} init {p['init']} "
          f"norm {p['norm']} residual {p['residual']} batch {p['batch']} clip {p['clip']}, "
          f"eval every {p['eval_every']} steps; {rounds} rounds x {steps} steps, "
          f"{torch.get_num_threads()} torch thread(s), device {device}")
    bare_name = names[-1]
    print(f"{'loop':<20} {'median steps/s':>15} {'min':>7} {'max':>7} {'steps/CPU-s':>12} "
          f"{'vs bare':>8} {'paired':>7} {'CPU':>6} {'best':>6}")
    for name in names:
        w, c = wall[name], cpu[name]
        ratio = statistics.median(w) / statistics.median(wall[bare_name])
        paired = statistics.median(a / b for a, b in zip(w, wall[bare_name]))
        cpu_ratio = statistics.median(a / b for a, b in zip(c, cpu[bare_name]))
        best = max(w) / max(wall[bare_name])
        print(f"{name:<20} {statistics.median(w):>15.0f} {min(w):>7.0f} {max(w):>7.0f} "
              f"{statistics.median(c):>12.0f} {ratio:>8.3f} {paired:>7.3f} {cpu_ratio:>6.3f} {best:>6.3f}")
    print("vs bare: ratio of the medians (wall clock); paired: median of the per-round ratios; CPU: the "
          "same with this process's CPU time; best: of the fastest rounds (least disturbed by other load).\n"
          "Goals: >= 0.85 with the probe every step, >= 0.95 every 10 steps.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--set", dest="settings", action="append", default=[],
                        help="a DEEP_MLP parameter, name=value (repeatable)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    bench(args.rounds, args.steps, args.device, parse_settings(args.settings))


if __name__ == "__main__":
    main()
