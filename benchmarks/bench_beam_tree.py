"""Micro-benchmark: frame times of BeamTree (and TokenBars).

Run by hand:  .venv/bin/python benchmarks/bench_beam_tree.py [--repeat 50]

The tree is a real beam search (width 8, 10 expansions, about 300 recorded candidates) over a
seeded random 12-token bigram table, and the notes' toy model (width 2). A frame is every line of
the widget built anew (what a key press of `<` / `>` or a resize costs); "show + frame" adds
rebuilding the tree from the event's dicts (what a new decoding costs). Times are the best of
--repeat runs, in ms per frame. The bar: well under 10 ms.
"""

from __future__ import annotations

import argparse
import time

import torch
from rich.style import Style
from textual.color import Color

from nntui.lab.decoding import beam_search, filter_distribution, greedy
from nntui.lab.decoding_notes import NOTES_EOS_ID, NOTES_VOCAB, notes_next_log_probs
from nntui.widgets.beam_tree import BeamTree
from nntui.widgets.token_bars import TokenBars

FG, BG = Color(224, 224, 224), Color(18, 18, 18)
BASE = Style(color=FG.rich_color, bgcolor=BG.rich_color)


def random_search(vocab: int = 12, width: int = 8, steps: int = 10, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    table = torch.log_softmax(2 * torch.randn(vocab + 1, vocab, generator=gen, dtype=torch.float64), dim=1)

    def next_log_probs(batch):
        return torch.stack([table[seq[-1] if seq else vocab] for seq in batch])

    beam = beam_search(next_log_probs, [], beam_width=width, max_new_tokens=steps, eos_id=vocab - 1)
    rollout = greedy(next_log_probs, [], max_new_tokens=steps, eos_id=vocab - 1)
    return beam.to_dict(), rollout.to_dict(), [f"w{i}" for i in range(vocab - 1)] + ["</s>"]


def best_ms(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1e3  # the least disturbed run (a shared machine inflates the median)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=50)
    args = ap.parse_args()

    notes_beam = beam_search(notes_next_log_probs, [], beam_width=2, max_new_tokens=10, eos_id=NOTES_EOS_ID)
    notes_greedy = greedy(notes_next_log_probs, [], max_new_tokens=10, eos_id=NOTES_EOS_ID)
    cases = [
        ("width 8, 10 steps, 12 tokens", random_search()),
        ("notes, width 2", (notes_beam.to_dict(), notes_greedy.to_dict(), list(NOTES_VOCAB))),
    ]
    for name, (beam, rollout, vocab) in cases:
        tree = BeamTree()
        tree.show(beam, vocab, greedy=rollout)
        n_nodes = sum(len(step) for step in beam["steps"])
        for w, h in ((80, 24), (120, 40)):
            for no_color in (False, True):
                def frame():
                    return tree.render_tree(w, h, base=BASE, foreground=FG, background=BG, no_color=no_color)

                def show_and_frame():
                    tree.show(beam, vocab, greedy=rollout)
                    return frame()

                mode = "NO_COLOR" if no_color else "colour"
                print(
                    f"BeamTree {name} ({n_nodes} nodes), {w}x{h} {mode}: "
                    f"{best_ms(frame, args.repeat):.3f} ms/frame, "
                    f"{best_ms(show_and_frame, args.repeat):.3f} ms show + frame"
                )

    logits = torch.linspace(3, -3, 50, dtype=torch.float64)
    probs = torch.softmax(logits, dim=0).tolist()
    kept = filter_distribution(logits, top_p=0.9).tolist()
    bars = TokenBars()
    bars.show([f"t{i}" for i in range(50)], probs, kept)
    ms = best_ms(lambda: bars.render_bars(80, 24, base=BASE, foreground=FG, background=BG), args.repeat)
    print(f"TokenBars 50 tokens, 80x24 colour: {ms:.3f} ms/frame")


if __name__ == "__main__":
    main()
