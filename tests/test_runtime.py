"""The runtime: the driver's state machine in-process, and the real trainer process."""

from __future__ import annotations

import time

import pytest

from nntui.spec.events import Error, Metrics, RunStarted, Status, coalesce, ImageGrid
from nntui.spec import catalog
from nntui.spec.commands import Pause, Resume, SetParam, Start, StepOnce, Stop
from nntui.trainer.driver import Driver

import fakes


@pytest.fixture
def driver(monkeypatch):
    monkeypatch.setitem(catalog.EXPERIMENTS, "fake", fakes.SPEC)
    return Driver()


def states(events):
    return [e.state for e in events if isinstance(e, Status)]


def test_start_runs_until_done(driver):
    driver.handle(Start("fake", {"steps": 5}))
    assert driver.state == "running"
    while driver.tick():
        pass
    events = driver.take()
    assert isinstance(events[0], RunStarted) and events[0].run == 1
    assert [e.step for e in events if isinstance(e, Metrics)] == [1, 2, 3, 4, 5]
    assert driver.state == "finished" and states(events)[-1] == "finished"


def test_pause_step_resume(driver):
    driver.handle(Start("fake", {"steps": 100}, paused=True))
    assert driver.state == "paused" and driver.step == 1  # step 0's report came with one step
    assert not driver.tick()
    driver.handle(StepOnce())
    assert driver.step == 2 and driver.state == "paused"
    driver.handle(Resume())
    driver.tick()
    driver.tick()
    assert driver.step == 4
    driver.handle(Pause())
    assert not driver.tick() and driver.step == 4


def test_restart_is_a_new_run_with_new_params(driver):
    driver.handle(Start("fake", {"steps": 100}))
    driver.tick()
    driver.handle(Start("fake", {"steps": 3, "lr": 1.0}, label="second"))
    events = driver.take()
    started = [e for e in events if isinstance(e, RunStarted)]
    assert [(e.run, e.label) for e in started] == [(1, ""), (2, "second")]
    assert started[1].params["lr"] == 1.0 and driver.step == 0


def test_live_parameter_change_reaches_the_model(driver):
    driver.handle(Start("fake", {"steps": 100, "lr": 1.0}))
    driver.tick()
    driver.handle(SetParam("lr", 5.0))
    driver.tick()
    losses = [e.values["train_loss"] for e in driver.take() if isinstance(e, Metrics)]
    assert losses == [1.0, 2.5]  # lr / step: the second step used the new lr


def test_restart_only_parameter_is_refused_with_an_error_event(driver):
    driver.handle(Start("fake", {}))
    driver.handle(SetParam("width", 8))
    errors = [e for e in driver.take() if isinstance(e, Error)]
    assert errors and "width" in errors[0].message and driver.state == "running"


def test_nan_becomes_diverged_with_advice(driver):
    driver.handle(Start("fake", {"steps": 100, "nan_at": 3}))
    while driver.tick():
        pass
    status = [e for e in driver.take() if isinstance(e, Status)][-1]
    assert status.state == "diverged" and status.step == 3
    assert "train_loss is nan" in status.message and "learning rate" in status.message
    driver.handle(Resume())
    assert not driver.tick()  # a diverged run stays stopped until restarted


def test_exception_becomes_error_event_and_driver_survives(driver):
    driver.handle(Start("fake", {"steps": 100, "crash_at": 2}))
    while driver.tick():
        pass
    events = driver.take()
    error = next(e for e in events if isinstance(e, Error))
    assert "RuntimeError: boom at step 2" in error.message and "Traceback" in error.traceback
    assert driver.state == "error"
    driver.handle(Start("fake", {"steps": 2}))
    while driver.tick():
        pass
    assert driver.state == "finished"


def test_bad_start_parameters_are_an_error_not_a_crash(driver):
    driver.handle(Start("fake", {"steps": -1}))
    assert driver.state == "error"
    assert "steps" in next(e for e in driver.take() if isinstance(e, Error)).message
    driver.handle(Stop())
    assert driver.state == "ready"


def test_coalesce_keeps_only_the_newest_heavy_event():
    import numpy as np

    grid = lambda step: ImageGrid(step, "digits", np.zeros((1, 2, 2), np.uint8), ["0"])
    batch = [grid(1), Metrics(1, {"a": 1.0}), grid(2), Metrics(2, {"a": 2.0})]
    kept = coalesce(batch)
    assert [type(e).__name__ for e in kept] == ["Metrics", "ImageGrid", "Metrics"]
    assert kept[1].step == 2


# ---- the real trainer process -----------------------------------------------------------------


def wait_for(trainer, predicate, timeout=30.0):
    """Drain events until one satisfies predicate; return everything drained."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = trainer.drain()
        seen.extend(batch)
        if any(predicate(e) for e in batch):
            return seen
        time.sleep(0.01)
    raise AssertionError(f"timed out; last events: {seen[-5:]}")


@pytest.fixture(scope="module")
def trainer():
    from nntui.runtime.client import Trainer

    trainer = Trainer()
    trainer.start()
    wait_for(trainer, lambda e: isinstance(e, Status) and e.state == "ready", timeout=60)
    yield trainer
    trainer.close()
    assert not trainer.alive


def last_step(events):
    steps = [e.step for e in events if isinstance(e, Metrics)]
    return steps[-1] if steps else None


def test_trainer_process_pause_step_restart(trainer):
    params = {"steps": 100_000}
    trainer.send(Start("toy-fit", params, paused=True))
    events = wait_for(trainer, lambda e: isinstance(e, Status) and e.state == "paused")
    assert any(isinstance(e, RunStarted) for e in events)
    before = last_step(events)
    trainer.send(StepOnce())
    events = wait_for(trainer, lambda e: isinstance(e, Metrics))
    assert last_step(events) == before + 1
    trainer.send(Resume())
    running = wait_for(trainer, lambda e: isinstance(e, Metrics) and e.step > before + 50)
    trainer.send(Pause())
    events = wait_for(trainer, lambda e: isinstance(e, Status) and e.state == "paused")
    time.sleep(0.2)
    paused_at = last_step(running + events + trainer.drain())  # (no step may come between, under load)
    time.sleep(0.3)
    assert last_step(trainer.drain()) is None  # nothing trains while paused
    trainer.send(SetParam("lr", 0.001))
    trainer.send(Start("toy-fit", params, paused=True, label="again"))
    events = wait_for(trainer, lambda e: isinstance(e, RunStarted))
    started = next(e for e in events if isinstance(e, RunStarted))
    assert started.label == "again" and started.run == 2 and paused_at > before
    assert not [e for e in events if isinstance(e, Error)]


def test_trainer_process_reports_errors_and_stays_up(trainer):
    trainer.send(Start("no-such-experiment"))
    events = wait_for(trainer, lambda e: isinstance(e, Error))
    assert "unknown experiment 'no-such-experiment'" in next(e for e in events if isinstance(e, Error)).message
    trainer.send(Start("toy-fit", {"steps": 5}))
    wait_for(trainer, lambda e: isinstance(e, Status) and e.state == "finished")
    assert trainer.alive


def test_an_exploded_but_finite_loss_is_diverged_too(driver):
    driver.handle(Start("fake", {"steps": 100, "lr": 5.0}))
    driver.tick()
    assert driver.state == "running"  # 5.0 is a large loss, not an exploded one
    from nntui.trainer import driver as driver_module

    driver.handle(Start("fake", {"steps": 100, "lr": 10.0}))
    original = driver_module.EXPLODED_LOSS
    driver_module.EXPLODED_LOSS = 9.0
    try:
        driver.tick()
    finally:
        driver_module.EXPLODED_LOSS = original
    assert driver.state == "diverged"
    assert "train_loss is 10" in [e for e in driver.take() if isinstance(e, Status)][-1].message


def test_a_real_mnist_run_with_a_huge_learning_rate_is_called_diverged():
    driver = Driver()
    driver.handle(Start("mnist-mlp", {"lr": 100.0, "activation": "relu", "init": "standard", "hidden": 30,
                                      "optimizer": "sgd"}))
    for _ in range(300):
        if not driver.tick():
            break
    assert driver.state == "diverged", driver.state
    status = [e for e in driver.take() if isinstance(e, Status)][-1]
    assert "lower the learning rate" in status.message and status.step < 300


def test_a_blown_up_gradient_gets_gradient_advice_not_learning_rate_advice():
    from nntui.i18n import describe
    from nntui.trainer.driver import REMEDIES, _first_non_finite, _remedy

    events = [Metrics(1, {"train_loss": 2.0, "grad_total": float("inf")})]
    name, _ = _first_non_finite(events)
    assert name == "grad_total" and "clipping" in REMEDIES[_remedy(name)]
    assert "learning rate" in REMEDIES[_remedy("train_loss")]
    args = {"step": 1, "metric": name, "value": "inf", "remedy": _remedy(name)}
    assert describe("diverged", args, "en") == "diverged at step 1: grad_total is inf; turn clipping on or lower the init scale and press r"
    assert "打开梯度裁剪" in describe("diverged", args, "zh")


class Clock:
    """A perf_counter the test moves by hand: slow motion without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_pace_spaces_the_steps_and_says_how_long_to_wait(driver, monkeypatch):
    from nntui.trainer import driver as driver_module
    from nntui.spec.commands import SetPace

    clock = Clock()
    monkeypatch.setattr(driver_module.time, "perf_counter", clock)
    driver.handle(Start("fake", {"steps": 100}))
    assert driver.due_in() == 0.0 and driver.tick()  # full speed: always due
    assert driver.tick() and driver.step == 2
    driver.handle(SetPace(10.0))
    assert driver.tick() and driver.step == 3  # the first step at a new pace is due at once
    assert driver.due_in() == pytest.approx(0.1)  # the worker waits on its pipe this long
    assert not driver.tick() and driver.step == 3
    clock.now += 0.06
    assert not driver.tick() and driver.due_in() == pytest.approx(0.04)
    clock.now += 0.04
    assert driver.tick() and driver.step == 4
    for _ in range(10):
        clock.now += 0.1
        driver.tick()
    assert driver.steps_per_s() == pytest.approx(10.0)
    driver.handle(SetPace(None))
    assert driver.due_in() == 0.0 and driver.tick()
    driver.handle(Pause())
    assert driver.due_in() is None  # not running: the worker idles on its pipe


def test_run_started_says_how_long_the_run_is(driver):
    driver.handle(Start("fake", {"steps": 7}))
    started = driver.take()[0]
    assert isinstance(started, RunStarted) and started.total == 7


def test_a_missing_device_is_a_sentence_not_an_assertion_error(driver):
    driver.handle(Start("fake", {"steps": 3}, device="cuda:99"))
    error = next(e for e in driver.take() if isinstance(e, Error))
    assert error.message.startswith("--device cuda:99: no ")  # torch's own is a bare AssertionError
    assert "Error" not in error.message.split(":")[0] and driver.state == "error"


# ---- a trainer that stops answering ------------------------------------------------------------
def test_a_stopped_trainer_is_called_hung_and_quitting_kills_it_at_once(monkeypatch):
    """SIGSTOP the real trainer process: its heartbeat stops, the UI says hung and sends nothing
    more; close() waits a second at most, then kills it (a stopped process never reads Shutdown)."""
    import os
    import signal

    from nntui.runtime import client
    from nntui.runtime.client import Trainer

    monkeypatch.setattr(client, "HUNG_AFTER_S", 1.0)
    monkeypatch.setattr(client, "STARTING_S", 1.0)  # no need to wait for torch to load
    trainer = Trainer()
    trainer.start()
    try:
        deadline = time.monotonic() + 30
        while trainer._beat.value == 0.0 and time.monotonic() < deadline:
            time.sleep(0.02)  # the first beat: the process is up
        pid = trainer._process.pid
        os.kill(pid, signal.SIGSTOP)
        hung = wait_for(trainer, lambda e: isinstance(e, Status) and e.code == "trainer_hung", timeout=10)[-1]
        assert hung.state == "error" and hung.message.startswith("hung: the trainer has not answered for")
        assert trainer.hung and not trainer.send(Start("fake"))  # `r` then restarts it
        from nntui.i18n import describe

        assert describe(hung.code, hung.args, "en").startswith("hung:") and "卡住" in describe(hung.code, hung.args, "zh")

        os.kill(pid, signal.SIGCONT)  # it answers again: no longer hung
        deadline = time.monotonic() + 10
        while trainer.hung and time.monotonic() < deadline:
            trainer.drain()
            time.sleep(0.02)
        assert not trainer.hung

        os.kill(pid, signal.SIGSTOP)  # and quit at once, before the heartbeat says hung: the worst case
        process = trainer._process
        began = time.monotonic()
        trainer.close()
        assert time.monotonic() - began < 2.0 and not process.is_alive() and process.exitcode == -signal.SIGKILL
    finally:
        trainer.close()


@pytest.mark.parametrize("name", [n for n, spec in catalog.EXPERIMENTS.items()
                                  if "lr" in spec.params and spec.params["lr"].live])
def test_a_live_learning_rate_reaches_the_optimiser_of_every_experiment(name, one_torch_thread):
    """One place (Experiment.set_param) moves it, for every experiment with an optimiser."""
    spec = catalog.get(name)
    experiment = spec.load()({}, seed=0)
    optimizer = experiment.optimizer or getattr(getattr(experiment, "lm", None), "optimizer", None)
    if optimizer is None:
        pytest.skip(f"{name} builds its optimiser later (the notes model has none)")
    new = spec.params["lr"].default * 2
    experiment.set_param("lr", new)
    assert [group["lr"] for group in optimizer.param_groups] == [pytest.approx(new)] * len(optimizer.param_groups)
