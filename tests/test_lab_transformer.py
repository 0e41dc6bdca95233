"""AttentionLive: a tiny Transformer learns reversal, and the anti-diagonal forms in its last layer.

Measured here (defaults, seed 0, 1 torch thread), and quoted by the attention-live and
transformer-block lessons: token accuracy 0.24 at step 20, 0.78 at 80, first above 0.95 at 88,
1.0 at 100; right-key attention of the last layer 0.13 / 0.46 / 0.84 / 0.93 at steps 20 / 80 /
100 / 200, of the first layer never above 0.18. 200 steps take about 2-3 s.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nntui.spec.events import AttentionMaps, Metrics
from nntui.spec import catalog
from nntui.lab.transformer import AttentionLive, TinyTransformer, make_targets

pytestmark = pytest.mark.usefixtures("one_torch_thread")

def run(exp: AttentionLive) -> list:
    events = []
    while not exp.done:
        events += exp.step()
    return events


def metric(events: list, name: str) -> list[float]:
    return [e.values[name] for e in events if isinstance(e, Metrics) and name in e.values]


def series(events: list, name: str) -> dict[int, float]:
    """step -> value of a metric, from every metrics event."""
    return {e.step: e.values[name] for e in events if isinstance(e, Metrics) and name in e.values}


def first_above(values: dict[int, float], threshold: float) -> int | None:
    return next((step for step, v in sorted(values.items()) if v > threshold), None)


def example_map(events: list, step: int) -> np.ndarray:
    """The last layer's map of the example sequence at a probe step, averaged over heads."""
    maps = next(e for e in events if isinstance(e, AttentionMaps) and e.step == step)
    return maps.weights[-1].mean(axis=0)


def test_spec_names_the_class():
    assert catalog.ATTENTION_LIVE.target == "nntui.lab.transformer:AttentionLive"
    assert AttentionLive.spec is catalog.ATTENTION_LIVE


def test_reversal_is_learned_and_the_anti_diagonal_forms_in_the_last_layer():
    """The numbers the reverse page (and the transformer-block lesson) quote."""
    exp = AttentionLive({"steps": 200}, seed=0)
    events = run(exp)
    accuracy = series(events, "token_accuracy")
    assert [round(accuracy[s], 2) for s in (20, 80)] == [0.24, 0.78]
    assert first_above(accuracy, 0.95) == 88 and accuracy[100] == 1.0
    last = series(events, "attn_target_last")
    assert [round(last[s], 2) for s in (20, 80, 100, 200)] == [0.13, 0.46, 0.84, 0.93]
    # The first layer stays near uniform (1/T = 0.125); the pattern is the second layer's.
    assert max(series(events, "attn_target_first").values()) < 0.18
    assert round(series(events, "attn_self_first")[200], 2) == 0.11  # with residuals: below uniform
    anti_diagonal = np.fliplr(example_map(events, 100)).diagonal()
    assert (anti_diagonal > 0.8).sum() == 7
    summary = exp.summary()
    assert summary["attn_target_l1"] < 0.3 < summary["attn_target_l2"] == summary["attn_target_last"]
    assert all(np.isfinite(v) for v in summary.values())
    # Probes at step 1, every probe_every steps, and the last.
    assert [e.step for e in events if isinstance(e, AttentionMaps)] == [1, *range(10, 201, 10)]
    assert metric(events, "attn_target_best")[0] < 0.2  # untrained: about uniform


def test_sort_looks_at_the_tokens_to_write_not_at_positions():
    """The sort page, paused at step 82: the example's query 0 on its two 1s, query 7 on the 9 and the 8."""
    exp = AttentionLive({"task": "sort", "steps": 82}, seed=0)
    events = run(exp)
    assert first_above(series(events, "token_accuracy"), 0.95) == 82
    assert exp.probe_tokens[0].tolist() == [5, 9, 4, 8, 3, 3, 1, 1]
    example = example_map(events, 80)
    assert [round(float(v), 2) for v in example[0, [6, 7]]] == [0.50, 0.31]  # the two 1s
    assert [round(float(v), 2) for v in example[7, [1, 3]]] == [0.36, 0.60]  # the 9 and the 8
    answer = series(events, "attn_answer_last")
    assert round(answer[80], 2) == 0.49 and round(min(answer.values()), 2) == 0.22


def test_attention_maps_shapes_and_tokens():
    exp = AttentionLive({"length": 6, "vocab": 7, "layers": 3, "heads": 2, "d_model": 16, "steps": 1}, seed=3)
    (maps,) = [e for e in exp.step() if isinstance(e, AttentionMaps)]
    assert maps.weights.shape == (3, 2, 6, 6) and maps.weights.dtype == np.float32
    np.testing.assert_allclose(maps.weights.sum(axis=-1), 1.0, atol=1e-5)
    assert set(maps.stages) == {"raw", "scaled", "masked"}
    assert all(s.shape == (3, 2, 6, 6) for s in maps.stages.values())
    assert maps.tokens == [str(t) for t in exp.probe_tokens[0].tolist()]
    assert all(0 <= int(t) < 7 for t in maps.tokens)


def test_causal_mask_leaves_exactly_zero_above_the_diagonal():
    exp = AttentionLive({"causal": True, "steps": 30, "probe_every": 10}, seed=0)
    maps = [e for e in run(exp) if isinstance(e, AttentionMaps)]
    assert len(maps) == 4
    above = np.triu(np.ones((8, 8), dtype=bool), k=1)
    for m in maps:
        assert np.all(m.weights[..., above] == 0.0)
        assert np.all(np.isneginf(m.stages["masked"][..., above]))
    assert all(np.isfinite(v) for v in exp.summary().values())


def test_targets_of_each_task():
    x = torch.tensor([[3, 1, 4, 1, 5]])
    assert make_targets("reverse", x).tolist() == [[5, 1, 4, 1, 3]]
    assert make_targets("shift", x).tolist() == [[5, 3, 1, 4, 1]]
    assert make_targets("sort", x).tolist() == [[1, 1, 3, 4, 5]]


def test_sort_reports_no_right_key_metrics():
    exp = AttentionLive({"task": "sort", "steps": 3}, seed=0)
    events = run(exp)
    assert metric(events, "attn_target_last") == []
    assert any(isinstance(e, AttentionMaps) for e in events)
    assert set(exp.summary()) == {"train_loss", "token_accuracy", "attn_self_first", "attn_answer_last"}


def test_attention_metrics_of_a_perfect_reverser():
    """All attention on the right key: every right-key metric is 1, none on the own position."""
    exp = AttentionLive({"layers": 2, "heads": 2, "steps": 1}, seed=0)
    T = exp.params["length"]
    perfect = torch.eye(T).flip(1).expand(2, 64, 2, T, T)  # (layers, batch, heads, T, T)
    values = exp.attention_metrics(perfect)
    assert values["attn_target_last"] == values["attn_target_first"] == values["attn_target_min_head"] == 1.0
    assert values["attn_self_first"] == 0.0  # T is even: no query is its own mirror
    assert values["attn_answer_last"] == 1.0  # the right key always holds the token to write
    uniform = exp.attention_metrics(torch.full((2, 64, 2, T, T), 1 / T))
    assert uniform["attn_target_last"] == pytest.approx(1 / T) and uniform["attn_self_first"] == pytest.approx(1 / T)


def test_only_the_mask_hides_queries_and_it_hides_the_future_answers():
    reverse = AttentionLive({"causal": True, "steps": 1}, seed=0)
    assert reverse.hidden.tolist() == [True] * 4 + [False] * 4  # keys 7, 6, 5, 4 lie ahead of queries 0-3
    shift = AttentionLive({"task": "shift", "causal": True, "steps": 1}, seed=0)
    assert shift.hidden.tolist() == [True] + [False] * 7  # query 0 needs the last key
    shift.step()
    assert {"hidden_accuracy", "visible_accuracy"} <= exp_metrics(shift)
    for params in ({"causal": False}, {"task": "sort", "causal": True}):
        exp = AttentionLive({**params, "steps": 1}, seed=0)
        exp.step()
        assert exp.hidden is None and "hidden_accuracy" not in exp_metrics(exp)


def exp_metrics(exp: AttentionLive) -> set[str]:
    """The names of the metrics a probe of `exp` reports."""
    return {name for e in exp.probe(exp.step_count) if isinstance(e, Metrics) for name in e.values}


def test_shift_reports_per_layer_metrics():
    exp = AttentionLive({"task": "shift", "layers": 3, "steps": 2}, seed=0)
    run(exp)
    assert {"attn_target_l1", "attn_target_l2", "attn_target_l3"} <= set(exp.summary())


def test_same_seed_same_losses():
    losses = []
    for _ in range(2):
        exp = AttentionLive({"steps": 5, "positional": "learned"}, seed=7)
        losses.append(metric(run(exp), "train_loss"))
    assert losses[0] == losses[1]
    other = AttentionLive({"steps": 5, "positional": "learned"}, seed=8)
    assert metric(run(other), "train_loss") != losses[0]


def test_lr_change_reaches_the_optimiser():
    exp = AttentionLive({"steps": 2}, seed=0)
    exp.step()
    exp.set_param("lr", 0.01)
    assert [g["lr"] for g in exp.optimizer.param_groups] == [0.01]
    with pytest.raises(ValueError):
        exp.set_param("layers", 3)


def test_model_forward_shapes():
    model = TinyTransformer(vocab=5, length=4, d_model=8, heads=2, layers=2, positional="learned")
    tokens = torch.randint(5, (3, 4))
    assert model(tokens).shape == (3, 4, 5)
    logits, weights, stages = model(tokens, capture=True)
    assert logits.shape == (3, 4, 5) and weights.shape == (2, 3, 2, 4, 4)
    assert stages["raw"].shape == (2, 3, 2, 4, 4)


def test_without_residual_connections_reversal_learns_far_slower():
    """The transformer-block lesson: with residuals accuracy is 1.0 by step 100 (see above);
    without, it is still below 0.4 at step 120."""
    exp = AttentionLive({"residual": False, "steps": 120, "probe_every": 1000}, seed=0)
    assert max(metric(run(exp), "token_accuracy")) < 0.4


@pytest.mark.parametrize("layers, norm, step", [(4, "post", 76), (2, "pre", 84)])
def test_when_reversal_passes_095_with_each_norm(layers, norm, step):
    """The transformer-block lesson: 4 post-norm layers at step 76 (as fast as without LayerNorm);
    pre-norm on 2 layers at 84, against post-norm's 88."""
    exp = AttentionLive({"layers": layers, "norm": norm, "steps": step, "probe_every": 1000}, seed=0)
    assert first_above(series(run(exp), "token_accuracy"), 0.95) == step


@pytest.mark.parametrize("norm", ["post", "pre", "none"])
def test_every_norm_placement_runs_and_none_has_no_layernorm(norm):
    model = TinyTransformer(vocab=6, length=5, d_model=16, heads=2, layers=2, norm=norm)
    logits = model(torch.randint(6, (3, 5)))
    assert logits.shape == (3, 5, 6)
    has_norm = any(isinstance(m, torch.nn.LayerNorm) for m in model.modules())
    assert has_norm == (norm != "none")
    with pytest.raises(ValueError, match="norm"):
        TinyTransformer(vocab=6, length=5, norm="middle")
