"""Steps/s of MnistMLP.step() against a bare PyTorch loop, and Nielsen's ladder.

Run by hand (pytest never runs this):

    .venv/bin/python benchmarks/bench_mnist_steps.py            # step speed, interleaved rounds
    .venv/bin/python benchmarks/bench_mnist_steps.py --ladder   # accuracy of each rung, 30 epochs

Both use one torch thread, as the trainer process does. The bare loop trains the very same
model, optimiser, cost and batching (another MnistMLP's objects), with nothing else: no
.item(), no evaluation, no events. A third row runs step() with evaluation switched off, to
split the cost of the per-step bookkeeping from that of evaluating every `eval_every` steps.
The loops alternate round by round so that load from other processes on the machine hits
them alike; compare the medians (wall clock, and this process's CPU time).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from nntui.spec import catalog
from nntui.lab.mnist_mlp import N_TRAIN, MnistMLP

# Nielsen's ladder on MNIST-5k: each rung adds one idea to the one before.
BASE = {"hidden": 30, "activation": "sigmoid", "cost": "quadratic", "init": "standard",
        "l2": 0.0, "dropout": 0.0, "optimizer": "sgd", "lr": 3.0, "batch": 10, "epochs": 30}
RUNGS: list[tuple[str, dict]] = []
_p = dict(BASE)
for _name, _change in [
    ("1 quadratic, 30 hidden, eta 3.0", {}),
    ("2 cross-entropy, eta 0.5", {"cost": "cross-entropy", "lr": 0.5}),
    ("3 100 hidden", {"hidden": 100}),
    ("4 + L2 lambda 5", {"l2": 5.0}),
    ("5 + scaled init", {"init": "scaled"}),
    ("6 + momentum (catalog defaults)", {**catalog.MNIST_MLP.defaults(), "epochs": 30}),
]:
    _p = {**_p, **_change}
    RUNGS.append((_name, dict(_p)))


def bare_loop(exp: MnistMLP, steps: int, seed: int = 0) -> None:
    """The plainest loop over exp's model and optimiser: shuffle per epoch, slice, step."""
    model, optimizer, cost = exp.model, exp.optimizer, exp.cost
    x, y, one_hot = exp.train_x, exp.train_y, exp.train_one_hot
    b, per_epoch = exp.batch, exp.steps_per_epoch
    shuffler = torch.Generator().manual_seed(seed)
    model.train()
    for s in range(steps):
        i = s % per_epoch
        if i == 0:
            order = torch.randperm(N_TRAIN, generator=shuffler).to(x.device)
            ex, ey, eh = x[order], y[order], one_hot[order]
        batch = slice(i * b, (i + 1) * b)
        loss = cost(model(ex[batch]), ey[batch], eh[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if x.device.type == "cuda":
        torch.cuda.synchronize()


def experiment_loop(exp: MnistMLP, steps: int) -> None:
    for _ in range(steps):
        exp.step()
    if exp.device.type == "cuda":
        torch.cuda.synchronize()


def headless_loop(params: dict, steps: int, device: str) -> None:
    """What `nntui run --out` does per step: the driver, its events, each one as a JSON line."""
    import json
    import os

    from nntui.spec.commands import Start
    from nntui.trainer.driver import Driver

    driver = Driver()
    driver.handle(Start("mnist-mlp", params, 0, device))
    with open(os.devnull, "w") as sink:
        while driver.step < steps and driver.tick():
            for event in driver.take():
                sink.write(json.dumps(event.to_dict()) + "\n")


def bench_steps(rounds: int, steps: int, device: str, eval_every: int | None) -> None:
    base = {"epochs": 1000}  # never done during the benchmark
    if eval_every is not None:
        base["eval_every"] = eval_every
    mine = MnistMLP(base, 0, device)
    no_eval = MnistMLP({**base, "eval_every": 100_000}, 0, device)  # step() minus evaluation
    bare = MnistMLP(base, 0, device)
    loops = {
        "MnistMLP.step()": lambda r: experiment_loop(mine, steps),
        "step(), no eval": lambda r: experiment_loop(no_eval, steps),
        "headless run --out": lambda r: headless_loop(base, steps, device),
        "bare PyTorch loop": lambda r: bare_loop(bare, steps, seed=r),
    }
    for run in loops.values():  # warm-up: allocator, first-call costs
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
    p = mine.params
    print(f"MnistMLP top rung: hidden {p['hidden']} {p['activation']} {p['cost']} {p['init']} "
          f"l2 {p['l2']} {p['optimizer']} mu {p['momentum']} lr {p['lr']} batch {p['batch']}, "
          f"eval every {p['eval_every']} steps; {rounds} rounds x {steps} steps, "
          f"{torch.get_num_threads()} torch thread(s), device {device}")
    bare_wall = statistics.median(wall[names[-1]])
    print(f"{'loop':<20} {'median steps/s':>15} {'min':>7} {'max':>7} {'steps/CPU-s':>12} {'vs bare':>8}")
    for name in names:
        w = wall[name]
        print(f"{name:<20} {statistics.median(w):>15.0f} {min(w):>7.0f} {max(w):>7.0f} "
              f"{statistics.median(cpu[name]):>12.0f} {statistics.median(w) / bare_wall:>8.3f}")
    for label, rates in (("wall", wall), ("CPU", cpu)):
        ratio = statistics.median(rates[names[0]]) / statistics.median(rates[names[-1]])
        paired = statistics.median(a / b for a, b in zip(rates[names[0]], rates[names[-1]]))
        print(f"ratio MnistMLP.step() / bare ({label} time): {ratio:.3f} of the medians, "
              f"{paired:.3f} median of the per-round ratios")


def ladder(device: str, seeds: list[int]) -> None:
    """Each rung for 30 epochs: test accuracy after 5 and 30 epochs and the wall time.

    With several seeds it prints the mean and, for 30 epochs, the range: 1,000 test images
    and batch-10 noise move a single run by about +-1 point from epoch to epoch.
    """
    print(f"seeds {seeds}, {torch.get_num_threads()} torch thread(s), device {device}")
    print(f"{'rung':<36} {'acc@5ep':>8} {'acc@30ep':>9} {'30ep range':>12} {'seconds':>8}")
    for name, params in RUNGS:
        at5, at30, seconds = [], [], []
        for seed in seeds:
            exp = MnistMLP(params, seed, device)
            t = time.perf_counter()
            while not exp.done:
                exp.step()
                if exp.step_count == 5 * exp.steps_per_epoch:
                    at5.append(exp.summary()["test_accuracy"])
            seconds.append(time.perf_counter() - t)
            at30.append(exp.summary()["test_accuracy"])
        spread = f"{min(at30):.1%}-{max(at30):.1%}"
        print(f"{name:<36} {statistics.mean(at5):>8.1%} {statistics.mean(at30):>9.1%} "
              f"{spread:>12} {statistics.mean(seconds):>8.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ladder", action="store_true", help="train every rung for 30 epochs instead")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--eval-every", type=int, default=None, help="default: the catalog's")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds for --ladder")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.ladder:
        ladder(args.device, [int(x) for x in args.seeds.split(",")])
    else:
        bench_steps(args.rounds, args.steps, args.device, args.eval_every)


if __name__ == "__main__":
    main()
