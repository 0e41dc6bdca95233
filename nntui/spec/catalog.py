"""Which experiments exist and which parameters they take, without importing torch.

The curriculum loader and the CLI validate lessons and `--set` flags against
these specs before any model is built, so a typo is reported in milliseconds
and `nntui list` never pays for `import torch`.
"""

from __future__ import annotations

from nntui.spec.catalog_language import (
    AUTOREGRESSIVE, CHAR_LM, CONTEXTUAL, GPT_FINETUNE, SEQ2SEQ, TEXT_PIPELINE, WORD2VEC,
)
from nntui.spec.events import AttentionMaps, Curve, Decoding, ImageGrid, LayerNorms, Metrics, Scatter, Tables, TimeNorms
from nntui.spec.params import ExperimentSpec, Param, params

MNIST_MLP = ExperimentSpec(
    name="mnist-mlp",
    target="nntui.lab.mnist_mlp:MnistMLP",
    summary="A one-hidden-layer MLP on MNIST-5k with every rung of Nielsen's ladder as a parameter.",
    params=params(
        Param("hidden", "int", 100, min=1, max=1024, help="hidden units"),
        Param("activation", "choice", "sigmoid", choices=("sigmoid", "tanh", "relu")),
        Param("cost", "choice", "cross-entropy", choices=("quadratic", "cross-entropy")),
        Param("init", "choice", "scaled", choices=("standard", "scaled"),
              help="standard: N(0,1); scaled: N(0,1/n_in)"),
        Param("l2", "float", 5.0, min=0.0, max=100.0, live=True, help="L2 lambda (Nielsen's)"),
        Param("dropout", "float", 0.0, min=0.0, max=0.9, live=True, help="dropout p on the hidden layer"),
        Param("optimizer", "choice", "momentum", choices=("sgd", "momentum")),
        Param("momentum", "float", 0.9, min=0.0, max=0.99, live=True, help="momentum mu"),
        Param("lr", "float", 0.02, min=1e-5, max=100.0, live=True, help="learning rate eta"),
        Param("batch", "int", 10, min=1, max=4000, help="mini-batch size"),
        Param("epochs", "int", 30, min=1, max=1000, help="epochs to train"),
        Param("eval_every", "int", 400, min=10, max=100000, help="steps between test evaluations"),
    ),
    # digits_answered: how many of the ten digits the net answers on the test set (10 = all)
    metrics=("step", "epoch", "train_loss", "test_loss", "test_accuracy", "train_accuracy", "digits_answered"),
    emits=(Metrics, ImageGrid),
    visuals=("loss", "accuracy", "digits"),
)

TOY_FIT = ExperimentSpec(
    name="toy-fit",
    target="nntui.lab.toy_fit:ToyFit",
    summary="A tiny network fitting a 1-D function live: neurons, activations, depth.",
    params=params(
        Param("target", "choice", "sine", choices=("sine", "step", "abs", "square", "line")),
        Param("hidden", "int", 8, min=1, max=256, help="units per hidden layer"),
        Param("layers", "int", 1, min=1, max=6, help="hidden layers"),
        Param("activation", "choice", "tanh", choices=("linear", "sigmoid", "tanh", "relu")),
        Param("lr", "float", 0.01, min=1e-5, max=1.0, live=True, help="Adam learning rate"),
        Param("steps", "int", 2000, min=1, max=1_000_000, help="steps to train"),
        Param("points", "int", 64, min=8, max=1024, help="training points"),
    ),
    # steepness: the largest slope |dy/dx| of the drawn model curve, with every curve (every 10 steps)
    metrics=("step", "train_loss", "steepness"),
    emits=(Metrics, Curve),
    visuals=("loss", "fit"),
)

# Gradient probes shared by the experiments that show vanishing and exploding gradients.
_CLIPPING = (
    Param("clip", "bool", False, live=True, help="clip the total gradient norm"),
    Param("max_norm", "float", 1.0, min=1e-3, max=1e3, live=True, help="clipping threshold"),
    Param("probe_every", "int", 1, min=1, max=1000, live=True, help="steps between gradient probes"),
)
_GRADIENT_METRICS = ("grad_first", "grad_last", "grad_ratio", "grad_max", "grad_total", "grad_total_clipped")

DEEP_MLP = ExperimentSpec(
    name="deep-mlp",
    target="nntui.lab.deep_mlp:DeepMLP",
    summary="A deep MLP on MNIST-5k with per-layer gradient norms: vanishing and exploding gradients.",
    params=params(
        Param("depth", "int", 8, min=2, max=16, help="hidden layers"),
        Param("width", "int", 30, min=4, max=256, help="units per hidden layer"),
        Param("activation", "choice", "sigmoid", choices=("sigmoid", "tanh", "relu", "gelu")),
        Param("init", "choice", "xavier", choices=("standard", "scaled", "xavier", "he"),
              help="standard N(0,1); scaled N(0,1/n_in); xavier (Glorot); he (Kaiming)"),
        Param("init_scale", "float", 1.0, min=0.01, max=100.0, help="multiplies every initial weight"),
        Param("norm", "choice", "none", choices=("none", "layernorm", "batchnorm")),
        Param("residual", "bool", False, help="x + f(x) around every hidden layer after the first"),
        Param("lr", "float", 0.1, min=1e-5, max=100.0, live=True, help="SGD learning rate"),
        Param("batch", "int", 32, min=1, max=4000, help="mini-batch size"),
        Param("steps", "int", 3000, min=1, max=1_000_000, help="steps to train"),
        # 1,000 test images through the net cost as much as 3-4 training steps: every 250 steps
        # that took ~1.5% of the time (a third of the 0.95x budget below), every 500 ~0.8%.
        Param("eval_every", "int", 500, min=10, max=100000, help="steps between test evaluations"),
        *_CLIPPING[:2],
        # Every 10th step: ~90 probes a second is more than a chart can show, and it keeps
        # training at >= 0.95x a bare loop's steps/s (every step: ~0.87x; benchmarks/bench_probe.py).
        Param("probe_every", "int", 10, min=1, max=1000, live=True,
              help="steps between gradient probes (1: every step)"),
    ),
    metrics=("step", "epoch", "train_loss", "test_loss", "test_accuracy", *_GRADIENT_METRICS),
    emits=(Metrics, LayerNorms),
    visuals=("grad_traces", "grad_bars", "loss", "accuracy"),
)

RECALL_RNN = ExperimentSpec(
    name="recall-rnn",
    target="nntui.lab.recurrent:RecallRNN",
    summary="RNN, LSTM or GRU recalling the first token after T steps: gradients through time.",
    params=params(
        Param("cell", "choice", "rnn", choices=("rnn", "lstm", "gru"), help="tanh RNN, LSTM or GRU"),
        Param("T", "int", 50, min=2, max=200, help="sequence length: the distance to remember"),
        Param("hidden", "int", 64, min=4, max=512, help="hidden units"),
        Param("vocab", "int", 8, min=2, max=64, help="distinct tokens"),
        Param("forget_bias", "float", 0.0, min=-10.0, max=10.0,
              help="added to the LSTM forget-gate bias at initialisation (0: PyTorch's default, ~0)"),
        Param("init_scale", "float", 1.0, min=0.01, max=10.0, help="multiplies the recurrent weights"),
        Param("lr", "float", 0.003, min=1e-5, max=1.0, live=True, help="Adam learning rate"),
        Param("batch", "int", 32, min=1, max=1024, help="sequences per step"),
        Param("steps", "int", 3000, min=1, max=1_000_000, help="steps to train"),
        *_CLIPPING[:2],
        # Every 50th step: a probe step runs the cells one time step at a time, 1.5x (rnn) to 3x
        # (lstm) the cost of a fused step; every 50th keeps training at >= 0.95x (every 25th: lstm
        # ~0.93x) and still redraws the dL/dh_t strip 3-4 times a second.
        Param("probe_every", "int", 50, min=1, max=1000, live=True,
              help="steps between gradient probes (dL/dh_t for every t; 1: every step)"),
    ),
    # recent_accuracy: the mean batch accuracy of the last 100 steps. left_chance_at and
    # learned_at: the step at which it first reached twice chance (2/vocab) and 0.9, reported
    # once, from step 100 on (a full window), so a check can say when a run learned.
    metrics=("step", "train_loss", "accuracy", "recent_accuracy", "left_chance_at", "learned_at",
             "bptt_ratio", "grad_total", "grad_total_clipped"),
    emits=(Metrics, TimeNorms),
    visuals=("time_norms", "loss", "accuracy", "grad_total"),
)

ATTENTION_LIVE = ExperimentSpec(
    name="attention-live",
    target="nntui.lab.transformer:AttentionLive",
    summary="A tiny Transformer learning a sequence task whose right attention pattern is known.",
    params=params(
        Param("task", "choice", "reverse", choices=("reverse", "shift", "sort"),
              help="reverse: anti-diagonal; shift: copy shifted by one; sort"),
        Param("length", "int", 8, min=4, max=16, help="tokens per sequence"),
        Param("vocab", "int", 10, min=4, max=32, help="distinct tokens"),
        Param("layers", "int", 2, min=1, max=4, help="Transformer blocks"),
        Param("heads", "int", 4, min=1, max=8, help="attention heads per block"),
        Param("d_model", "int", 64, min=16, max=256, help="model width (a multiple of heads)"),
        Param("causal", "bool", False, help="decoder-style mask: no attention to later positions"),
        Param("positional", "choice", "sinusoidal", choices=("sinusoidal", "learned")),
        Param("residual", "bool", True, help="x + sublayer(x) around attention and feed-forward"),
        Param("norm", "choice", "post", choices=("post", "pre", "none"),
              help="LayerNorm after the residual add (post), before the sublayer (pre), or none"),
        Param("lr", "float", 1e-3, min=1e-5, max=1e-1, live=True, help="Adam learning rate"),
        Param("batch", "int", 64, min=1, max=1024, help="sequences per step"),
        Param("steps", "int", 500, min=1, max=1_000_000, help="steps to train"),
        Param("probe_every", "int", 10, min=1, max=1000, live=True, help="steps between attention captures"),
    ),
    # attn_*: on the 64 probe sequences every probe_every steps (see AttentionLive.attention_metrics);
    # attn_target_* only for tasks with one right key; hidden/visible_accuracy only with the mask.
    metrics=("step", "train_loss", "token_accuracy", "attn_target_last", "attn_target_best",
             "attn_target_first", "attn_target_min_head", "attn_self_first", "attn_answer_last",
             "hidden_accuracy", "visible_accuracy"),
    emits=(Metrics, AttentionMaps),
    visuals=("attention", "accuracy", "loss"),
)

ATTENTION_STEPS = ExperimentSpec(
    name="attention-steps",
    target="nntui.lab.attention_steps:AttentionSteps",
    summary="One self-attention computation on a short sentence, every intermediate shown.",
    params=params(
        Param("sentence", "choice", "thinking machines",
              choices=("thinking machines", "je suis étudiant", "I love deep learning"), live=True),
        Param("d_k", "int", 4, min=2, max=64, live=True, help="width of q and k per head"),
        Param("heads", "int", 1, min=1, max=4, live=True, help="attention heads (d_model = heads x d_k)"),
        Param("scale", "bool", True, live=True, help="divide the scores by sqrt(d_k)"),
        Param("causal", "bool", False, live=True, help="mask: no word sees the words after it"),
        Param("temperature", "float", 1.0, min=0.05, max=20.0, live=True, help="softmax temperature"),
        Param("view", "choice", "qkv", choices=("qkv", "scores", "softmax", "output", "temperature"),
              live=True, help="which step's numbers to show"),
    ),
    # What the guide quotes (see attention_steps.example_metrics): first_* and last_weight are
    # head 1's cells for the first (last) word, the rest summarise every head.
    metrics=("step", "max_weight", "top_weight", "min_weight", "row_sum_error", "future_weight",
             "heads_disagree", "raw_std", "scaled_std", "first_q0", "first_score", "first_scaled",
             "first_weight", "last_weight", "first_z0", "temperature_top"),
    emits=(Metrics, Tables, AttentionMaps),
    visuals=("tables", "attention"),
)

DECODING = ExperimentSpec(
    name="decoding",
    target="nntui.lab.decoding_live:DecodingLive",
    summary="Greedy, beam search and sampling on the notes' toy translator or a character model of names.",
    params=params(
        Param("model", "choice", "names", choices=("names", "notes"),
              help="names: a character GRU trained live on 5,163 first names; notes: the notes' word table"),
        Param("prompt", "text", "wi", choices="abcdefghijklmnopqrstuvwxyz", max=8, live=True,
              help="names: the first letters of the name (empty: from the start); notes: ignored"),
        Param("beam_width", "int", 3, min=1, max=8, live=True, help="beams kept per step (1: greedy)"),
        Param("length_penalty", "float", 0.0, min=0.0, max=2.0, live=True,
              help="rank by log-prob / length^penalty (0: the raw sum; 1: per token)"),
        Param("max_new_tokens", "int", 12, min=1, max=20, live=True, help="tokens to add at most"),
        Param("temperature", "float", 1.0, min=0.05, max=5.0, live=True,
              help="sampling: softmax(logits / T); search ignores it"),
        Param("top_k", "int", 0, min=0, max=50, live=True, help="sampling: keep the k likeliest (0: off)"),
        Param("top_p", "float", 1.0, min=0.05, max=1.0, live=True,
              help="sampling: keep the likeliest tokens up to this much mass (1: off)"),
        Param("lr", "float", 1e-2, min=1e-4, max=1.0, live=True, help="names: Adam learning rate"),
        Param("steps", "int", 1500, min=1, max=1_000_000, help="names: training steps (notes: always 1)"),
        # A decoding (greedy + beam + ten samples) costs ~14 ms, about 3 training steps of ~5 ms:
        # every 100th step keeps training at ~0.97x a bare loop.
        Param("probe_every", "int", 100, min=1, max=10_000, live=True,
              help="names: training steps between decodings (and the last step)"),
    ),
    # *_sum_p: the course notes' score of an answer, its tokens' probabilities added up (not a
    # probability). samples_*: of the ten samples each decoding draws, how many differ, and (names
    # only) how many are names of the training list.
    metrics=("step", "train_loss", "beam_logp", "greedy_logp", "beam_gain", "beam_sum_p", "greedy_sum_p",
             "samples_distinct", "samples_in_data"),
    emits=(Metrics, Decoding),
    visuals=("beam_tree", "next_token", "loss", "samples"),
)

PLAYGROUND = ExperimentSpec(
    name="playground",
    target="nntui.lab.playground:Playground",
    summary="A small MLP classifying 2-D points of 2 to 4 classes, its decision field drawn live.",
    params=params(
        Param("dataset", "choice", "circles",
              choices=("gaussians", "circles", "xor", "moons", "spiral", "spiral-3", "spiral-4", "blobs-3", "blobs-4"),
              help="the points: two classes, or a 3- or 4-class spiral or blobs"),
        Param("points", "int", 150, min=5, max=1000, help="points per class"),
        Param("noise", "float", 0.0, min=0.0, max=2.0, help="std of the Gaussian noise added to each coordinate"),
        Param("test_fraction", "float", 0.5, min=0.1, max=0.9, help="share of the points held out for testing"),
        Param("x2", "bool", False, help="feature x^2"),
        Param("y2", "bool", False, help="feature y^2"),
        Param("xy", "bool", False, help="feature x*y"),
        Param("sin_x", "bool", False, help="feature sin x"),
        Param("sin_y", "bool", False, help="feature sin y"),
        Param("layers", "int", 1, min=0, max=6, help="hidden layers (0: one linear layer, softmax regression)"),
        Param("width", "int", 4, min=1, max=64, help="units per hidden layer"),
        Param("activation", "choice", "tanh", choices=("tanh", "relu", "sigmoid", "linear")),
        Param("optimizer", "choice", "adam", choices=("adam", "sgd")),
        Param("lr", "float", 0.03, min=1e-5, max=10.0, live=True, help="learning rate"),
        Param("batch", "int", 10, min=1, max=1000, help="mini-batch size"),
        Param("l2", "float", 0.0, min=0.0, max=1.0, live=True, help="L2: adds l2 * sum(W^2) to the loss"),
        Param("steps", "int", 2000, min=1, max=1_000_000, help="steps to train"),
        Param("eval_every", "int", 10, min=1, max=10_000, live=True,
              help="steps between evaluations of the metrics, the field and the gradients"),
    ),
    # Whole-set cross-entropy (without the L2 term) and accuracy, every eval_every steps; the
    # logits z_k and softmax p_k at the origin, classes 0..3 (as many as the dataset has).
    metrics=("step", "train_loss", "test_loss", "train_accuracy", "test_accuracy",
             *(f"origin_{v}{k}" for v in ("z", "p") for k in range(4))),
    emits=(Metrics, LayerNorms, Scatter),
    visuals=("scatter", "loss", "accuracy", "grad_bars", "grad_traces"),
)

EXPERIMENTS: dict[str, ExperimentSpec] = {
    spec.name: spec
    for spec in (MNIST_MLP, TOY_FIT, DEEP_MLP, RECALL_RNN, ATTENTION_LIVE, ATTENTION_STEPS, DECODING, PLAYGROUND,
                 AUTOREGRESSIVE, TEXT_PIPELINE, WORD2VEC, CHAR_LM, SEQ2SEQ, CONTEXTUAL,
                 GPT_FINETUNE)
}


def get(name: str) -> ExperimentSpec:
    try:
        return EXPERIMENTS[name]
    except KeyError:
        known = ", ".join(EXPERIMENTS)
        raise KeyError(f"unknown experiment {name!r} (known: {known})") from None
