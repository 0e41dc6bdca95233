"""The worked self-attention example: its tables are the real computation, step by step."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

from nntui.spec.events import AttentionMaps, Metrics, Tables
from nntui.lab.attention_steps import AttentionSteps

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def tables_of(events) -> dict[str, np.ndarray]:
    found = next(e for e in events if isinstance(e, Tables))
    return {t["title"]: np.array(t["values"], dtype=np.float64) for t in found.tables}


def run(view: str, seed: int = 0, **params) -> tuple[AttentionSteps, list]:
    exp = AttentionSteps({"view": view, **params}, seed=seed)
    return exp, exp.step()


def test_softmax_of_one_two_three_is_the_notes_example():
    _, events = run("temperature")
    (table,) = tables_of(events).values()
    assert np.round(table[1], 3).tolist() == [0.090, 0.245, 0.665]
    exp, _ = run("temperature", temperature=0.5)
    sharp = tables_of(exp.set_param("temperature", 0.5))
    assert np.round(next(iter(sharp.values()))[2], 3).tolist() == [0.016, 0.117, 0.867]
    flat = tables_of(exp.set_param("temperature", 2.0))
    assert np.round(next(iter(flat.values()))[2], 3).tolist() == [0.186, 0.307, 0.506]
    assert round(exp.last["temperature_top"], 3) == 0.506


def test_every_table_follows_from_the_one_before():
    exp, events = run("qkv", sentence="I love deep learning")
    qkv = tables_of(events)
    x, q, k, v = (qkv[t] for t in ("x: the embeddings", "q = x W^Q (queries)", "k = x W^K (keys)",
                                  "v = x W^V (values)"))
    attn = exp.attention
    assert np.allclose(q, x @ attn.q_proj.weight.detach().numpy().T, atol=1e-5)
    scores = tables_of(exp.set_param("view", "scores"))
    assert np.allclose(scores["q·k: raw scores"], q @ k.T, atol=1e-5)
    assert np.allclose(scores["scaled"], q @ k.T / math.sqrt(4), atol=1e-5)
    weights = tables_of(exp.set_param("view", "softmax"))["softmax: attention weights"]
    expected = torch.softmax(torch.tensor(q @ k.T / 2.0), dim=-1).numpy()
    assert np.allclose(weights[:, :4], expected, atol=1e-5) and np.allclose(weights[:, 4], 1.0)
    out = tables_of(exp.set_param("view", "output"))
    weighted = out["weighted values for “I”"]
    assert np.allclose(weighted[:4], expected[0][:, None] * v, atol=1e-5)
    assert np.allclose(weighted[4], expected[0] @ v, atol=1e-5)  # step 6: z is the sum
    assert np.allclose(out["z: every word's weighted sum"], expected @ v, atol=1e-5)


def test_without_scaling_a_wide_dot_product_saturates_the_softmax():
    """The lesson's numbers: d_k = 64 on four words, seeds 0-2, scaled and not."""
    for seed, (unscaled_top, scaled_top) in enumerate([(0.82, 0.38), (0.93, 0.57), (0.99, 0.66)]):
        off, _ = run("softmax", seed=seed, sentence="I love deep learning", d_k=64, scale=False)
        on, _ = run("softmax", seed=seed, sentence="I love deep learning", d_k=64, scale=True)
        assert round(off.last["max_weight"], 2) == unscaled_top
        assert round(on.last["max_weight"], 2) == scaled_top
        assert on.last["raw_std"] == pytest.approx(off.last["raw_std"])
        assert on.last["scaled_std"] == pytest.approx(on.last["raw_std"] / 8, rel=1e-5)
    assert round(AttentionSteps({"sentence": "I love deep learning", "d_k": 64}, seed=0).step()[0]
                 .values["raw_std"], 1) == 5.7


def test_the_causal_mask_hides_later_words_exactly():
    exp, events = run("scores", sentence="I love deep learning", causal=True)
    masked = tables_of(events)["scaled and masked"]
    above = np.triu(np.ones((4, 4), dtype=bool), 1)
    assert np.isneginf(masked[above]).all() and np.isfinite(masked[~above]).all()
    maps = next(e for e in events if isinstance(e, AttentionMaps))
    assert (maps.weights[0, 0][above] == 0).all() and maps.weights[0, 0, 0, 0] == 1.0


def test_heads_each_get_a_table_and_widen_the_model():
    exp, events = run("softmax", sentence="je suis étudiant", heads=2, d_k=4)
    titles = list(tables_of(events))
    assert titles == ["softmax: attention weights, head 1", "softmax: attention weights, head 2"]
    assert exp.x.shape == (3, 8)
    z = tables_of(exp.set_param("view", "output"))["z: every word's weighted sum"]
    assert z.shape == (3, 8)


def test_live_changes_recompute_and_only_after_the_first_step():
    exp = AttentionSteps({}, seed=0)
    assert exp.set_param("sentence", "I love deep learning") == []  # nothing shown yet
    events = exp.step()
    assert exp.done and next(e for e in events if isinstance(e, AttentionMaps)).tokens == [
        "I", "love", "deep", "learning"]
    again = exp.set_param("d_k", 8)
    assert any(isinstance(e, Metrics) for e in again) and exp.x.shape == (4, 8)
    # a word keeps its embedding whatever sentence it is in
    first = exp.x[0].clone()
    exp.set_param("sentence", "thinking machines")
    exp.set_param("sentence", "I love deep learning")
    assert torch.equal(exp.x[0], first)


def test_w_q_is_shown_so_that_a_q_entry_can_be_checked_by_hand():
    """The qkv page: Thinking's x row times column q0 of W^Q, from the two-decimal tables, is -0.32."""
    exp, events = run("qkv")
    shown = tables_of(events)
    assert list(shown) == ["x: the embeddings", "W^Q", "q = x W^Q (queries)", "W^K", "k = x W^K (keys)",
                           "W^V", "v = x W^V (values)"]
    x = shown["x: the embeddings"]
    for weight, product in (("W^Q", "q = x W^Q (queries)"), ("W^K", "k = x W^K (keys)"), ("W^V", "v = x W^V (values)")):
        assert np.allclose(x @ shown[weight], shown[product], atol=1e-5)
    by_hand = np.round(x[0], 2) @ np.round(shown["W^Q"][:, 0], 2)
    assert round(by_hand, 2) == round(exp.last["first_q0"], 2) == -0.32


def test_weight_tables_label_rows_by_x_entry_and_columns_by_head():
    _, events = run("qkv", heads=2, d_k=4)
    found = next(e for e in events if isinstance(e, Tables))
    w_q = next(t for t in found.tables if t["title"] == "W^Q")
    assert w_q["rows"] == [f"x{i}" for i in range(8)] and w_q["cols"][:2] == ["q1.0", "q1.1"]
    x = next(t for t in found.tables if t["title"].startswith("x"))
    assert x["cols"] == [f"x{i}" for i in range(8)]  # x is not split into heads


def test_metrics_read_the_cells_the_tables_show():
    exp, _ = run("softmax")
    weights = tables_of(exp.set_param("view", "softmax"))["softmax: attention weights"]
    m = exp.last
    assert m["first_weight"] == pytest.approx(weights[0, 0]) and m["last_weight"] == pytest.approx(weights[-1, -2])
    assert m["top_weight"] == pytest.approx(weights[:, :-1].max()) and m["min_weight"] == pytest.approx(weights[:, :-1].min())
    assert m["row_sum_error"] < 1e-6 and m["heads_disagree"] == 0
    scores = tables_of(exp.set_param("view", "scores"))
    assert m["first_score"] == pytest.approx(scores["q·k: raw scores"][0, 0])
    assert m["first_scaled"] == pytest.approx(scores["scaled"][0, 0])
    z = tables_of(exp.set_param("view", "output"))["z: every word's weighted sum"]
    assert m["first_z0"] == pytest.approx(z[0, 0])


def test_the_guide_numbers_of_thinking_machines():
    """Pages qkv to sum, on the default seed: what each page quotes, to two decimals."""
    exp, _ = run("softmax")
    m = {name: round(value, 2) for name, value in exp.last.items()}
    assert (m["first_q0"], m["first_score"], m["first_scaled"]) == (-0.32, 0.74, 0.37)
    assert (m["first_weight"], m["last_weight"], m["max_weight"], m["first_z0"]) == (0.62, 0.50, 0.56, -0.36)


def test_unscaled_the_largest_weight_is_deep_on_itself_and_scaling_spreads_it():
    """The why-scale page: seed 0, d_k = 64, four words."""
    exp, events = run("softmax", sentence="I love deep learning", d_k=64, scale=False)
    weights = tables_of(events)["softmax: attention weights"][:, :4]
    assert np.unravel_index(weights.argmax(), weights.shape) == (2, 2) and round(weights[2, 2], 2) == 0.97
    assert round(exp.last["scaled_std"], 2) == 5.71
    exp.set_param("scale", True)
    assert round(exp.last["scaled_std"], 2) == 0.71 and round(exp.last["max_weight"], 2) == 0.38


def test_under_the_mask_the_first_word_sees_only_itself():
    exp, _ = run("scores", sentence="I love deep learning", causal=True)
    m = exp.last
    assert m["future_weight"] == 0.0 and m["first_weight"] == 1.0 and round(m["last_weight"], 2) == 0.89
    exp.set_param("causal", False)
    assert exp.last["future_weight"] > 0


def test_two_heads_differ_on_learning_only():
    """The heads page: head 1 sends "learning" mostly to "I", head 2 to "love" (0.66)."""
    exp, events = run("softmax", sentence="I love deep learning", heads=2, d_k=4)
    shown = tables_of(events)
    head1, head2 = (shown[f"softmax: attention weights, head {h}"][:, :4] for h in (1, 2))
    assert head1.argmax(axis=1).tolist()[3] == 0 and head2.argmax(axis=1).tolist()[3] == 1
    assert (head1.argmax(axis=1)[:3] == head2.argmax(axis=1)[:3]).all()
    assert exp.last["heads_disagree"] == 1 and round(exp.last["top_weight"], 2) == round(head2[3, 1], 2) == 0.66


ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
NAMES = {"softmax", "d_model"}  # identifiers, the same in both languages


@pytest.mark.parametrize("settings", [{}, {"heads": 2}, {"causal": True}, {"scale": False}])
def test_every_title_and_note_has_its_chinese(settings):
    """Labels and numbers read the same in both languages; titles and notes come in both.
    The Chinese keeps no English word but the sentence's own and a few identifiers."""
    exp = AttentionSteps({"sentence": "I love deep learning", **settings}, seed=0)
    exp.step()
    allowed = NAMES | set(exp.words)
    for view in ("qkv", "scores", "softmax", "output", "temperature"):
        for spec in next(e for e in exp.set_param("view", view) if isinstance(e, Tables)).tables:
            for field in ("title", "note"):
                english, chinese = spec[field], spec[f"{field}_zh"]
                if set(ENGLISH_WORD.findall(english)) - allowed:
                    assert re.search(r"[\u4e00-\u9fff]", chinese), (view, english, chinese)
                assert not set(ENGLISH_WORD.findall(chinese.replace("d_model", ""))) - allowed, (view, chinese)
