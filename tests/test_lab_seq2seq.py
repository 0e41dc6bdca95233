"""The seq2seq lab: the toy translation, the attention's promises, and the bottleneck (issue 15:
the encoder-decoder with attention beats the one without on long inputs at equal steps); the
cross-attention maps (queries = output words, keys = input words) as events and on screen."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nntui.lab.seq2seq import EOS, SOURCE, TARGET, Seq2Seq, Seq2SeqLive, exact_match, make_batch, translate
from nntui.spec.events import AttentionMaps, Curve, Decoding, from_dict
from nntui.spec.recording_check import Invalid, check_event


def test_the_translation_maps_each_word_and_reverses_the_order():
    words = [SOURCE.index(c) for c in "cabd"]
    assert "".join(TARGET[i] for i in translate(words)[:-1]) == "3102"
    assert translate(words)[-1] == EOS


def test_a_batch_pads_the_source_with_0_and_the_target_with_minus_100():
    source, target = make_batch([1, 3], torch.Generator().manual_seed(0))
    assert source.shape == (2, 3) and target.shape == (2, 4)
    assert (source[0, 1:] == 0).all() and (source[1] > 0).all()
    assert target[0, 1] == EOS and (target[0, 2:] == -100).all() and target[1, 3] == EOS


def test_exact_match_needs_every_word_and_the_end():
    target = torch.tensor([[3, 4, EOS], [5, EOS, -100]])
    assert exact_match(torch.tensor([[3, 4, EOS], [5, EOS, 9]]), target).tolist() == [1.0, 1.0]
    assert exact_match(torch.tensor([[3, 4, 7], [6, EOS, 0]]), target).tolist() == [0.0, 0.0]


def test_attention_rows_sum_to_1_and_never_look_at_padding():
    torch.manual_seed(0)
    model = Seq2Seq(hidden=16, embed=8, attention=True)
    source, target = make_batch([2, 5, 3], torch.Generator().manual_seed(1))
    inputs = torch.cat([torch.zeros_like(target[:, :1]), target[:, :-1].clamp(min=0)], dim=1)
    logits, weights = model(source, inputs, target.shape[1])
    assert logits.shape == (3, 6, len(TARGET)) and weights.shape == (3, 6, 5)
    assert torch.allclose(weights.sum(dim=2), torch.ones(3, 6))
    padding = (source == 0)[:, None, :].expand_as(weights)
    assert padding.any() and (weights[padding] == 0).all()


def test_without_attention_the_decoder_sees_only_the_context_vector():
    """Two sentences whose context vectors are made equal get the same translation: nothing else
    of the source reaches the decoder."""
    torch.manual_seed(0)
    model = Seq2Seq(hidden=16, embed=8, attention=False)
    model.bridge.weight.data.zero_()  # h_0 = tanh(bias) whatever the sentence
    a, attention = model(torch.tensor([[1, 2, 3]]), None, 4, teacher=False)
    b, _ = model(torch.tensor([[9, 9, 4]]), None, 4, teacher=False)
    assert attention is None and torch.equal(a, b)


def accuracy_on_long(attention: bool, steps: int = 150) -> float:
    params = {"attention": attention, "max_len": 8, "hidden": 32, "batch": 32, "steps": steps, "eval_every": steps}
    torch.manual_seed(0)
    experiment = Seq2SeqLive(params, seed=0)
    for _ in range(steps):
        events = experiment.step()
    return next(e.values for e in events if hasattr(e, "values") and "acc_long" in e.values)["acc_long"]


def test_attention_beats_the_bottleneck_on_long_inputs_at_equal_steps(one_torch_thread):
    with_attention, without = accuracy_on_long(True), accuracy_on_long(False)
    assert with_attention > without + 0.3, (with_attention, without)


def test_a_run_reports_the_curve_the_cross_attention_and_the_decodings(one_torch_thread):
    experiment = Seq2SeqLive({"max_len": 6, "hidden": 16, "batch": 8, "eval_every": 1}, seed=0)
    events = experiment.step()
    curve = next(e for e in events if isinstance(e, Curve))
    assert curve.name == "by_length" and curve.x.tolist() == [1, 2, 3, 4, 5, 6]
    maps = next(e for e in events if isinstance(e, AttentionMaps))
    assert maps.weights.shape == (1, 1, 7, 6) and len(maps.tokens) == 7 and len(maps.key_tokens) == 6
    assert maps.tokens[-1] == "</s>" and set(maps.key_tokens) <= set(SOURCE[1:])
    decoding = next(e for e in events if isinstance(e, Decoding))
    assert decoding.prompt == "".join(maps.key_tokens) and decoding.vocab == TARGET
    for event in events:  # every event survives a recording
        check_event(event.to_dict())
    without = Seq2SeqLive({"attention": False, "max_len": 6, "hidden": 16, "batch": 8, "eval_every": 1}, seed=0)
    assert not any(isinstance(e, AttentionMaps) for e in without.step())


# ---- cross-attention maps: more queries than keys, or fewer -----------------------------------
def cross_maps(queries: int = 3, keys: int = 2) -> AttentionMaps:
    weights = np.full((1, 1, queries, keys), 1.0 / keys, dtype=np.float32)
    return AttentionMaps(5, tokens=[str(i) for i in range(queries)], weights=weights,
                         key_tokens=list("abcdefgh"[:keys]))


def test_cross_attention_maps_round_trip_and_pass_the_recording_check():
    maps = cross_maps()
    check_event(maps.to_dict())
    again = from_dict(maps.to_dict())
    assert again.key_tokens == ["a", "b"] and again.keys == ["a", "b"] and again.weights.shape == (1, 1, 3, 2)
    self_maps = AttentionMaps(1, tokens=["x", "y"], weights=np.eye(2, dtype=np.float32)[None, None])
    assert self_maps.keys == ["x", "y"]  # no key tokens: the keys are the queries


@pytest.mark.parametrize("keys", [["a"], ["a", "b", "c"]])
def test_cross_attention_whose_shape_does_not_fit_its_tokens_is_refused(keys):
    data = {**cross_maps().to_dict(), "key_tokens": keys}
    with pytest.raises(Invalid, match="query and .* key tokens"):
        check_event(data)


async def test_the_panel_labels_keys_with_the_key_tokens_and_clears_for_a_run_without_attention():
    from textual.app import App

    from nntui.widgets.attention_panel import AttentionPanel

    class PanelApp(App):
        def compose(self):
            yield AttentionPanel()

    app = PanelApp()
    async with app.run_test(size=(60, 16)) as pilot:
        panel = app.query_one(AttentionPanel)
        panel.show(cross_maps(3, 2))
        await pilot.pause()
        assert panel.heatmap.row_labels == ["0", "1", "2"] and panel.heatmap.col_labels == ["a", "b"]
        panel.show(None)
        await pilot.pause()
        assert panel.heatmap._matrix.size == 0  # no earlier run's map left in view
