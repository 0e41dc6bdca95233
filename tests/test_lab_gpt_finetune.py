"""The gpt lesson's lab: its task, its phases, and L3 = L2 + λ·L1 (seeded, tiny)."""

from __future__ import annotations

import pytest
import torch

from nntui.lab import gpt_finetune
from nntui.lab.gpt_data import LINE_CHARS
from nntui.lab.gpt_finetune import GPTFinetune, corpus, states
from nntui.spec.events import Metrics


def test_a_scrambled_line_has_the_letters_of_a_real_one_so_only_their_order_tells():
    task = corpus().task_train(64)
    assert task.labels.tolist() == [1, 0] * 32
    lines = corpus().train_lines[:64]
    for i in range(1, 64, 2):
        assert sorted(task.texts[i]) == sorted(lines[i]) and task.texts[i] != lines[i]
        assert [len(w) for w in task.texts[i].split(" ")] == [len(w) for w in lines[i].split(" ")]


def test_the_test_lines_are_held_out_from_the_lines_it_fine_tunes_on():
    data = corpus()
    assert not set(data.test.texts[::2]) & set(data.train_lines)
    assert all(len(text) <= LINE_CHARS for text in data.test.texts)


def _metrics(experiment: GPTFinetune) -> list[dict[str, float]]:
    seen = []
    while not experiment.done:
        seen += [e.values for e in experiment.step() if isinstance(e, Metrics)]
    return seen


def test_pretraining_ends_in_prompting_then_fine_tuning_reports_accuracy(one_torch_thread):
    seen = _metrics(GPTFinetune({"pretrain_steps": 3, "steps": 5, "eval_every": 1}, seed=0))
    prompting = [m for m in seen if "zero_shot" in m]
    assert len(prompting) == 1 and all(0 <= prompting[0][k] <= 1 for k in ("zero_shot", "one_shot", "few_shot"))
    assert "test_accuracy" not in seen[2] and "test_accuracy" in seen[-1]


def test_l3_adds_lambda_times_the_language_model_loss_to_the_task_loss(one_torch_thread):
    for lam in (0.0, 2.0):
        last = _metrics(GPTFinetune({"pretrain_steps": 2, "steps": 3, "eval_every": 1, "lam": lam}, seed=0))[-1]
        assert last["train_loss"] == pytest.approx(last["task_loss"] + lam * last["aux_loss"], rel=1e-6)


def test_the_classifier_reads_a_line_without_seeing_the_padding_after_it(one_torch_thread):
    experiment = GPTFinetune({}, seed=0)
    task = experiment.task
    tokens = task.tokens[:4].clone()
    rows = torch.arange(4)
    before = states(experiment.model, tokens)[rows, task.last[:4]]
    tokens[:, -1] = 5  # a later position: the causal mask keeps it out of every earlier state
    after = states(experiment.model, tokens)[rows, task.last[:4]]
    short = task.last[:4] < tokens.shape[1] - 1
    assert short.any() and torch.allclose(before[short], after[short])


def _run(params: dict) -> tuple[GPTFinetune, list]:
    experiment, events = GPTFinetune(params, seed=0), []
    while not experiment.done:
        events += experiment.step()
    return experiment, events


def test_a_rerun_replays_its_pretraining_and_ends_with_the_same_weights(one_torch_thread, monkeypatch):
    monkeypatch.setattr(gpt_finetune, "_PRETRAINED", {})
    params = {"pretrain_steps": 4, "steps": 7, "eval_every": 2}
    computed, first = _run(params)
    assert computed.replay is None and len(gpt_finetune._PRETRAINED) == 1
    replayed, second = _run(params)
    assert replayed.replay is not None
    assert second == first  # the same metrics and samples, pretraining and fine-tuning alike
    for name, weight in computed.model.state_dict().items():
        assert torch.equal(weight, replayed.model.state_dict()[name])


def test_only_the_newest_pretrainings_are_kept(one_torch_thread, monkeypatch):
    """A student trying setting after setting must not grow the trainer process without bound."""
    monkeypatch.setattr(gpt_finetune, "_PRETRAINED", {})
    monkeypatch.setattr(gpt_finetune, "KEEP_PRETRAINED", 2)
    for steps in (2, 3, 4):
        _run({"pretrain_steps": steps, "steps": steps + 1})
    kept = [dict(zip(gpt_finetune.KEYED, key[3:]))["pretrain_steps"] for key in gpt_finetune._PRETRAINED]
    assert kept == [3, 4]


def test_a_live_change_during_pretraining_keeps_it_from_being_replayed(one_torch_thread, monkeypatch):
    monkeypatch.setattr(gpt_finetune, "_PRETRAINED", {})
    experiment = GPTFinetune({"pretrain_steps": 3, "steps": 4}, seed=0)
    experiment.step()
    experiment.set_param("temperature", 0.5)
    while not experiment.done:
        experiment.step()
    assert gpt_finetune._PRETRAINED == {}


def test_l1_while_fine_tuning_reads_only_the_real_lines(one_torch_thread):
    experiment = GPTFinetune({"pretrain_steps": 0, "lam": 1.0}, seed=0)
    before = experiment.generator.get_state()
    experiment.finetune_loss()
    experiment.generator.set_state(before)  # the same rows again
    rows = torch.randint(0, len(experiment.task), (gpt_finetune.FINETUNE_BATCH,), generator=experiment.generator)
    tokens, targets, _, labels = experiment.task.rows(rows)
    real = labels == 1
    assert 0 < real.sum() < len(rows)
    logits = experiment.model.head(states(experiment.model, tokens[real]))
    expected = torch.nn.functional.cross_entropy(logits.flatten(0, 1), targets[real].flatten(), ignore_index=-100)
    assert experiment.aux_losses[-1] == pytest.approx(expected.item(), rel=1e-5)
