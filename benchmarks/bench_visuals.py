"""Micro-benchmark: frame times of the image panel, the token strip and the text stream.

Run by hand:  .venv/bin/python benchmarks/bench_visuals.py [--repeat 30]

A frame is show() (the data handed over, as an update from the history does) plus every line of
the widget built anew, at 120x40 and 80x24, in colour and NO_COLOR:
  * ImagePanel, two 100x100 RGB pictures (a NeRF target and render), three ways:
      - "new colours": the process has never drawn these colours (the first frame after start),
      - "new pictures": every (upper, lower) cell style made afresh (a render that changed all over),
      - "same pictures": the styles cached (what a slowly changing render costs);
    and two pictures of RGB noise with new colours, the worst case (every cell its own style);
  * ImagePanel, 24 MNIST-sized greyscale pictures; DigitGrid, the same through its own layout;
  * TokenStrip, 500 tokens with marks and classes, the cursor in the middle (scrolled);
  * TextStream, 100 samples of ~300 characters (English and Chinese), wrapping cache cold and warm.
Times are the best of --repeat runs, in ms per frame.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from rich.style import Style
from textual.color import Color

from nntui.widgets import images as images_module
from nntui.widgets.digits import DigitGrid
from nntui.widgets.images import ImagePanel
from nntui.widgets.text_stream import Sample, TextStream
from nntui.widgets.tokens import TokenStrip

FG, BG = Color(224, 224, 224), Color(18, 18, 18)
BASE = Style(color=FG.rich_color, bgcolor=BG.rich_color)
SIZES = ((120, 40), (80, 24))


def best_ms(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times) * 1e3  # the least disturbed run (a shared machine inflates the median)


def sphere(size: int, shift: float = 0.0) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size] / (size - 1) * 2 - 1
    r2 = x**2 + y**2
    z = np.sqrt(np.clip(0.7 - r2, 0, None))
    shade = np.clip((x * (0.5 + shift) - 0.6 * y + 0.62 * z) / np.sqrt(0.7), 0.1, 1.0)
    sky = np.stack([0.55 + 0.35 * (y + 1) / 2, 0.7 + 0.25 * (y + 1) / 2, np.ones_like(y)], -1)
    ball = np.stack([shade, 0.55 * shade, 0.2 * shade], -1)
    return np.where((r2 < 0.7)[..., None], ball, sky)


def render(widget, w: int, h: int, no_color: bool):
    return widget.render_standalone(w, h, base=BASE, foreground=FG, background=BG, no_color=no_color)


def bench_images(repeat: int) -> None:
    rng = np.random.default_rng(0)
    target = sphere(100)
    renders = [np.clip(sphere(100, 0.01 * k) + 0.03 * rng.standard_normal((100, 100, 3)), 0, 1) for k in range(8)]
    panel = ImagePanel("NeRF")
    for w, h in SIZES:
        for no_color in (False, True):
            mode = "NO_COLOR" if no_color else "colour"
            cases = {"same pictures": lambda: None}
            if not no_color:
                cases = {
                    "new colours": lambda: (images_module._STYLES.clear(),
                                            images_module._COLORS.__setitem__(slice(None), [None] * len(images_module._COLORS))),
                    "new pictures": images_module._STYLES.clear,
                    "same pictures": lambda: None,
                }
            for name, reset in cases.items():
                k = [0]

                def frame():
                    reset()
                    k[0] += 1
                    panel.show([target, renders[k[0] % len(renders)] if name != "same pictures" else renders[0]],
                               ["target", "render"])
                    return render(panel, w, h, no_color)

                print(f"ImagePanel 2 RGB 100x100, {w}x{h} {mode}, {name}: {best_ms(frame, repeat):.2f} ms/frame")

    noise = [rng.random((100, 100, 3)) for _ in range(4)]  # the worst case: every cell its own colours
    for w, h in SIZES:
        def frame():
            images_module._STYLES.clear()
            images_module._COLORS[:] = [None] * len(images_module._COLORS)
            noise.append(noise.pop(0))
            panel.show(noise[:2], ["noise", "noise"])
            return render(panel, w, h, False)

        print(f"ImagePanel 2 RGB 100x100 of noise, {w}x{h} colour, new colours: {best_ms(frame, repeat):.2f} ms/frame")

        def frame_known_colours():
            images_module._STYLES.clear()
            noise.append(noise.pop(0))
            panel.show(noise[:2], ["noise", "noise"])
            return render(panel, w, h, False)

        print(f"ImagePanel 2 RGB 100x100 of noise, {w}x{h} colour, new pictures: "
              f"{best_ms(frame_known_colours, repeat):.2f} ms/frame")

    digits = (np.random.default_rng(1).random((24, 28, 28)) ** 3 * 255).astype(np.uint8)
    captions = [f"{i % 10}→{(i * 7) % 10}" for i in range(24)]
    for cls in (ImagePanel, DigitGrid):
        widget = cls("digits")
        for w, h in SIZES:
            for no_color in (False, True):
                def frame():
                    widget.show(digits, captions, [i % 5 == 0 for i in range(24)])
                    return render(widget, w, h, no_color)

                mode = "NO_COLOR" if no_color else "colour"
                print(f"{cls.__name__} 24 grey 28x28, {w}x{h} {mode}: {best_ms(frame, repeat):.2f} ms/frame")


def bench_tokens(repeat: int) -> None:
    words = ["the", " cat", " sat", " on", " mat", "est", "ing", "\n", " [MASK]", " un", "believ", "able"]
    marks = ["", "", "masked", "", "replaced", "", "right", "", "wrong", "merged"]
    n = 500
    strip = TokenStrip("tokens")
    tokens = [words[i % len(words)] for i in range(n)]
    for w, h in SIZES:
        for no_color in (False, True):
            def frame():
                strip.show(tokens, ids=list(range(n)), marks=[marks[i % len(marks)] for i in range(n)],
                           classes=[i // 3 for i in range(n)], notes=[f"p={i / n:.2f}" for i in range(n)])
                strip.cursor = n // 2
                return render(strip, w, h, no_color)

            mode = "NO_COLOR" if no_color else "colour"
            print(f"TokenStrip {n} tokens, cursor at {n // 2}, {w}x{h} {mode}: {best_ms(frame, repeat):.2f} ms/frame")


def bench_text(repeat: int) -> None:
    english = ("MENENIUS: I tell you, friends, most charitable care have the patricians of you. For your wants, "
               "your suffering in this dearth, you may as well strike at the heaven with your staves as lift "
               "them against the Roman state, whose course will on the way it takes. ")
    chinese = "天地玄黄，宇宙洪荒。日月盈昃，辰宿列张。寒来暑往，秋收冬藏。闰余成岁，律吕调阳。" * 3
    samples = [Sample(100 * i, (english if i % 2 else chinese) + str(i), 0.8, -1.0 - i / 100) for i in range(100)]
    stream = TextStream()
    for w, h in SIZES:
        for no_color in (False, True):
            for cold in (True, False):
                def frame():
                    if cold:
                        stream._wrapped.clear()
                    stream.show(samples, older=20)
                    return render(stream, w, h, no_color)

                mode = "NO_COLOR" if no_color else "colour"
                cache = "wrapping anew" if cold else "wrapping cached"
                print(f"TextStream 100 samples, {w}x{h} {mode}, {cache}: {best_ms(frame, repeat):.2f} ms/frame")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    bench_images(args.repeat)
    bench_tokens(args.repeat)
    bench_text(args.repeat)


if __name__ == "__main__":
    main()
