"""The experiments of the text and language lessons: sequences, tokens, embeddings, language models.

Kept apart from `catalog.py` (the MLP, gradient and attention experiments) only for size;
`catalog.EXPERIMENTS` holds both.
"""

from __future__ import annotations

from nntui.spec.events import AttentionMaps, Curve, Decoding, Metrics, Scatter, Tables, TextSample, TokenSequence
from nntui.spec.params import ExperimentSpec, Param, params

AUTOREGRESSIVE = ExperimentSpec(
    name="autoregressive",
    target="nntui.lab.autoregressive:Autoregressive",
    summary="d2l's noisy sine (T = 1,000): a window MLP or a small RNN predicting the next value, 1 to 64 steps ahead.",
    params=params(
        Param("model", "choice", "window", choices=("window", "latent"),
              help="window: an MLP on the last tau values (d2l); latent: an RNN, h_t = g(h_{t-1}, x_{t-1})"),
        Param("tau", "int", 4, min=1, max=64, help="values the window model sees (the latent model ignores it)"),
        Param("hidden", "int", 10, min=1, max=256, help="hidden units of the MLP or the RNN"),
        Param("lr", "float", 0.01, min=1e-5, max=1.0, live=True, help="Adam learning rate"),
        Param("batch", "int", 16, min=1, max=600, help="windows (latent: stretches of 32 values) per step"),
        Param("steps", "int", 190, min=1, max=1_000_000, help="steps to train (190: d2l's 5 epochs)"),
        Param("eval_every", "int", 5, min=1, max=10_000, live=True,
              help="steps between evaluations of the predictions and their errors"),
    ),
    # train_loss / test_loss: one-step squared error on the 600 training windows / the rest;
    # err_kK: mean squared error of the K-step-ahead predictions against the observed series.
    metrics=("step", "epoch", "train_loss", "test_loss", "err_k1", "err_k4", "err_k16", "err_k64"),
    emits=(Metrics, Curve),
    visuals=("forecast", "k_error", "loss"),
)

TEXT_PIPELINE = ExperimentSpec(
    name="text-pipeline",
    target="nntui.lab.text_pipeline:TextPipeline",
    summary="A text to tokens (characters, words, BPE), a vocabulary and ids; BPE trained one merge a step.",
    params=params(
        Param("work", "choice", "hamlet",
              choices=("hamlet", "macbeth", "julius_caesar", "romeo_and_juliet", "sonnets", "tempest", "lear",
                       "othello", "midsummer_nights_dream"),
              help="the shipped Shakespeare work: the corpus, and its best-known speech the passage shown"),
        # Set by `nntui open LESSON --text FILE` (checked there first); no control shows it.
        Param("text_file", "text", "", max=4096, help="a UTF-8 text file to use instead of the work (empty: none)"),
        Param("level", "choice", "bpe", choices=("char", "word", "bpe"), live=True,
              help="what the token strip and tables show: characters, words or BPE tokens"),
        Param("min_freq", "int", 1, min=1, max=1000, live=True,
              help="characters and words seen fewer times fall to <unk>"),
        Param("embed_dim", "int", 100, min=1, max=1024, live=True, help="d of the embedding compared with one-hot"),
        Param("steps", "int", 500, min=1, max=20_000, help="BPE merges, one a step"),
    ),
    # See nntui/lab/text_pipeline.py: the BPE numbers (bpe_*, merges, pair_count) and those of the
    # level shown (vocab_size, tokens, compression, unk_*, round_trip, onehot / embedding sizes).
    metrics=("step", "merges", "pair_count", "bpe_tokens", "bpe_vocab", "bpe_compression", "word_compression",
             "vocab_size", "tokens", "compression", "unk_types", "unk_tokens", "round_trip", "passage_tokens",
             "onehot_dim", "embed_dim", "embed_params", "lookup_error"),
    emits=(Metrics, TokenSequence, Tables),
    visuals=("tokens", "tables", "compression", "vocab_growth"),
)

WORD2VEC = ExperimentSpec(
    name="word2vec",
    target="nntui.lab.word2vec:Word2Vec",
    summary="Skip-gram with negative sampling on Shakespeare's words: a 2-D map and nearest neighbours, live.",
    params=params(
        # Set by `nntui open LESSON --text FILE` (checked there first); no control shows it.
        Param("text_file", "text", "", max=4096, help="a UTF-8 text file to use instead of Shakespeare (empty: none)"),
        Param("word", "text", "king", max=30, live=True, help="the word whose nearest neighbours are listed"),
        Param("min_freq", "int", 10, min=1, max=1000, help="words seen fewer times are left out (d2l: 10)"),
        Param("subsample", "bool", True, help="drop copies of frequent words: keep w with p = sqrt(t / f(w))"),
        Param("t", "float", 1e-4, min=1e-6, max=1.0, help="the subsampling threshold (d2l: 1e-4)"),
        Param("window", "int", 5, min=1, max=10, help="contexts up to this many words away (d2l: 5)"),
        Param("negatives", "int", 5, min=1, max=20, live=True, help="noise words per pair (d2l: 5)"),
        Param("dim", "int", 50, min=2, max=300, help="d, the length of a word vector (d2l: 100)"),
        Param("lr", "float", 0.01, min=1e-5, max=1.0, live=True, help="Adam learning rate (d2l: 0.002)"),
        Param("batch", "int", 512, min=1, max=4096, help="(centre, context) pairs per step (d2l: 512)"),
        Param("steps", "int", 3000, min=1, max=1_000_000, help="steps to train"),
        Param("map_words", "int", 30, min=5, max=100, live=True, help="the most frequent words drawn on the map"),
        Param("eval_every", "int", 100, min=1, max=10_000, live=True, help="steps between metrics"),
    ),
    # Sizes: vocab_size (v), dim (d), weights (v * d), tokens (words in the text), in_vocab (those
    # seen min_freq+ times), kept (after subsampling), keep_top (the most frequent word's keep
    # probability), pairs (per epoch). pair_*: the RELATED word pairs of nntui/lab/word2vec.py:
    # mean cosine, minus random_cos (1,000 random pairs), and how many have the second word among
    # the first's 10 nearest. query_top_cos: the typed word's nearest neighbour's cosine.
    metrics=("step", "epoch", "train_loss", "vocab_size", "dim", "weights", "tokens", "in_vocab", "kept", "keep_top",
             "pairs", "random_cos", "pair_cos", "pair_gap", "pair_hits", "pair_count", "query_top_cos"),
    emits=(Metrics, Scatter, Tables),
    visuals=("word_map", "tables", "loss"),
)

CHAR_LM = ExperimentSpec(
    name="char-lm",
    target="nntui.lab.char_lm:CharLM",
    summary="Character language models compared: bigram counts, RNN, LSTM, GRU, a causal CNN and a tiny GPT.",
    params=params(
        Param("corpus", "choice", "names", choices=("names", "shakespeare"),
              help="names: 5,163 first names; shakespeare: the shipped works, 64-character windows"),
        Param("model", "choice", "gru", choices=("bigram", "rnn", "lstm", "gru", "cnn", "gpt"),
              help="bigram: a table of counts; rnn/lstm/gru: one recurrent layer; cnn: causal convolution; "
                   "gpt: 2 causal Transformer blocks"),
        Param("kernel", "int", 3, min=1, max=8, help="cnn: characters each output sees (n of the n-gram)"),
        Param("lr", "float", 1e-2, min=1e-5, max=1.0, live=True, help="Adam learning rate (bigram: unused)"),
        Param("batch", "int", 64, min=1, max=1024, help="names (or text windows) per step"),
        Param("temperature", "float", 1.0, min=0.05, max=5.0, live=True, help="samples: softmax(logits / T)"),
        Param("steps", "int", 3000, min=1, max=1_000_000, help="steps to train at most"),
        Param("seconds", "float", 8.0, min=0.0, max=3600.0,
              help="stop after this many seconds of training (0: only steps)"),
        Param("eval_every", "int", 50, min=1, max=10_000, live=True,
              help="steps between validation losses and samples"),
    ),
    # val_loss: cross entropy on held-out names (text), nats a character; perplexity = e^val_loss;
    # wall_s: seconds spent in training steps so far; parameters: trainable weights (bigram: counts).
    metrics=("step", "epoch", "train_loss", "val_loss", "perplexity", "wall_s", "parameters"),
    emits=(Metrics, TextSample),
    visuals=("loss", "loss_time", "text_stream"),
)

SEQ2SEQ = ExperimentSpec(
    name="seq2seq",
    target="nntui.lab.seq2seq:Seq2SeqLive",
    summary="A GRU encoder-decoder translating a toy language that reverses word order, with and without attention.",
    params=params(
        Param("attention", "bool", True, help="decoder attends over the encoder states (off: the final state only)"),
        Param("max_len", "int", 12, min=4, max=20, help="sentences of 1..max_len words, in training and test"),
        Param("hidden", "int", 64, min=8, max=256, help="GRU state size: the context vector's length"),
        Param("embed", "int", 16, min=4, max=128, help="word embedding size"),
        Param("teacher_forcing", "float", 1.0, min=0.0, max=1.0, live=True,
              help="share of training batches fed the right previous word (else the model's own guess)"),
        Param("beam_width", "int", 3, min=1, max=8, live=True, help="beams kept per step when decoding the example"),
        Param("lr", "float", 3e-3, min=1e-5, max=1.0, live=True, help="Adam learning rate"),
        Param("batch", "int", 64, min=1, max=1024, help="sentences per step"),
        Param("steps", "int", 1500, min=1, max=1_000_000, help="steps to train"),
        Param("eval_every", "int", 20, min=1, max=10_000, live=True,
              help="steps between test evaluations, attention maps and decodings"),
    ),
    # accuracy: greedy exact match over the test set (32 sentences of each length); acc_short /
    # acc_long: over lengths 1-5 / the five longest; attn_on_target: mean attention on the right
    # (mirrored) input word; beam_*/greedy_logp: log P of the example's beam and greedy answers.
    metrics=("step", "train_loss", "accuracy", "acc_short", "acc_long", "attn_on_target", "beam_logp",
             "greedy_logp", "beam_gain"),
    emits=(Metrics, Curve, AttentionMaps, Decoding),
    visuals=("attention", "length_accuracy", "beam_tree", "loss"),
)

CONTEXTUAL = ExperimentSpec(
    name="contextual",
    target="nntui.lab.contextual:ContextualEmbeddings",
    summary="ELMo, small: a bidirectional LSTM language model of Shakespeare's words; one word's vectors in context.",
    params=params(
        Param("word", "text", "will", max=30, live=True, help="the word whose uses are compared"),
        Param("lr", "float", 1e-2, min=1e-5, max=1.0, live=True, help="Adam learning rate"),
        Param("batch", "int", 16, min=1, max=256, help="windows of 32 words per step"),
        Param("steps", "int", 300, min=1, max=1_000_000, help="steps to train"),
        Param("eval_every", "int", 50, min=1, max=10_000, live=True, help="steps between measurements"),
    ),
    # val_*: held-out cross entropy (nats a word) of the forward LM, the backward LM, their mean.
    # will_* / lie_*: mean cosine within a sense minus across senses (noun vs verb, labelled by the
    # word before; nntui/lab/bilm.py), on [h_fwd; h_bwd] and on each half. word_*: the typed word.
    metrics=("step", "epoch", "train_loss", "val_fwd", "val_bwd", "val_loss", "will_within", "will_across",
             "will_gap", "will_gap_fwd", "will_gap_bwd", "lie_gap", "lie_gap_fwd", "lie_gap_bwd", "word_uses",
             "word_cos", "word_gap"),
    emits=(Metrics, Tables),
    visuals=("tables", "loss"),
)

GPT_FINETUNE = ExperimentSpec(
    name="gpt-finetune",
    target="nntui.lab.gpt_finetune:GPTFinetune",
    summary="The tiny GPT pretrained on Shakespeare (L1), prompted, then fine-tuned on a task with L2 or L3 = L2 + λ·L1.",
    params=params(
        Param("pretrain_steps", "int", 300, min=0, max=100_000,
              help="next-character pretraining steps before fine-tuning (0: the classifier from scratch)"),
        Param("steps", "int", 400, min=1, max=1_000_000, help="steps in all: pretraining, then fine-tuning"),
        Param("lam", "float", 0.0, min=0.0, max=10.0, live=True, help="λ in L3 = L2 + λ·L1 while fine-tuning"),
        Param("labels", "int", 256, min=2, max=10_000, help="labelled lines to fine-tune on, half scrambled"),
        Param("lr", "float", 1e-2, min=1e-5, max=1.0, help="Adam learning rate while pretraining"),
        Param("finetune_lr", "float", 1e-3, min=1e-5, max=1.0, help="Adam learning rate while fine-tuning"),
        Param("batch", "int", 32, min=1, max=1024, help="pretraining windows of 64 characters per step"),
        Param("temperature", "float", 1.0, min=0.05, max=5.0, live=True, help="samples: softmax(logits / T)"),
        Param("eval_every", "int", 25, min=1, max=10_000, live=True, help="steps between measurements and samples"),
    ),
    # val_loss: L1 on held-out Shakespeare; train_loss: what is minimised (L1, then L3); task_loss: L2;
    # aux_loss: L1 on the task's real lines; *_accuracy: real line or scrambled (chance 0.5);
    # zero_shot / one_shot / few_shot: prompts whose speaker format the pretrained model completes.
    metrics=("step", "train_loss", "val_loss", "task_loss", "aux_loss", "train_accuracy", "test_accuracy",
             "zero_shot", "one_shot", "few_shot"),
    emits=(Metrics, TextSample),
    visuals=("loss", "accuracy", "text_stream"),
)
