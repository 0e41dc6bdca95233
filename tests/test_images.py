"""The image panel (widgets/images.py): any size, grey or RGB, side by side, scaled to fit; its
event (an RGB ImageGrid), how the history keeps it and the panel that shows it; snapshots."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from rich.color import ColorSystem
from rich.style import Style
from textual.app import App, ComposeResult
from textual.color import Color

from nntui.runtime.history import History
from nntui.visuals import VISUALS
from nntui.spec.events import ImageGrid, RunStarted, from_dict, to_pixels
from nntui.spec.recording_check import Invalid, check_event
from nntui.widgets.images import (
    GREY_LEVELS, MAX_ZOOM, MIN_CELLS, ImagePanel, as_pixels, fit_layout, resample, shade_chars,
)


# ---------------------------------------------------------------------------
# Fixed pictures (no random generator)
# ---------------------------------------------------------------------------
def sphere(size: int, light: tuple[float, float, float] = (0.5, -0.6, 0.62)) -> np.ndarray:
    """A shaded orange ball on a blue-to-white sky, (size, size, 3) floats in 0..1: what a NeRF
    lesson shows beside its render."""
    y, x = np.mgrid[0:size, 0:size] / (size - 1) * 2 - 1
    r2 = x**2 + y**2
    inside = r2 < 0.7
    z = np.sqrt(np.clip(0.7 - r2, 0, None))
    lx, ly, lz = light
    shade = np.clip((x * lx + y * ly + z * lz) / np.sqrt(0.7), 0.1, 1.0)
    sky = np.stack([0.55 + 0.35 * (y + 1) / 2, 0.7 + 0.25 * (y + 1) / 2, np.ones_like(y)], -1)
    ball = np.stack([shade, 0.55 * shade, 0.2 * shade], -1)
    return np.where(inside[..., None], ball, sky)


def blurry(picture: np.ndarray) -> np.ndarray:
    """The render early in training: a box blur of the target."""
    out = picture.copy()
    for _ in range(4):
        out = (out + np.roll(out, 1, 0) + np.roll(out, -1, 0) + np.roll(out, 1, 1) + np.roll(out, -1, 1)) / 5
    return out


def rings(h: int, w: int) -> np.ndarray:
    """A greyscale (h, w) uint8 target of rings."""
    y, x = np.mgrid[0:h, 0:w]
    r = np.hypot(y - h / 2, x - w / 2)
    return (127.5 + 127.5 * np.cos(r / 2.2)).astype(np.uint8)


def cell_lines(panel: ImagePanel, width: int, height: int, no_color: bool = False) -> list[str]:
    return [s.text for s in panel.render_images(width, height, no_color=no_color)]


# ---------------------------------------------------------------------------
# Pure parts
# ---------------------------------------------------------------------------
def test_pixels_from_floats_integers_channels_and_nan():
    assert to_pixels(np.array([[0.0, 0.5, 1.0, 2.0, np.nan, -1.0]])).tolist() == [[0, 128, 255, 255, 0, 0]]
    assert to_pixels(np.array([[0, 300, -5]])).tolist() == [[0, 255, 0]]
    assert to_pixels(np.zeros((2, 3, 1))).shape == (2, 3)  # one channel
    assert to_pixels(np.ones((2, 3, 4))).shape == (2, 3, 3)  # alpha dropped
    assert as_pixels(np.full((2, 2), 255, dtype=np.uint8)).dtype == np.float32
    with pytest.raises(ValueError):
        as_pixels(np.zeros((2, 2, 2)))


def test_resample_means_when_shrinking_and_repeats_when_enlarging():
    a = np.arange(16, dtype=np.float32).reshape(4, 4)
    assert resample(a, 2, 2).tolist() == [[2.5, 4.5], [10.5, 12.5]]  # 2x2 block means
    assert resample(a[:2, :2], 4, 4).tolist() == [[0, 0, 1, 1], [0, 0, 1, 1], [4, 4, 5, 5], [4, 4, 5, 5]]
    odd = np.arange(7, dtype=np.float32)[None, :].repeat(3, 0)
    assert resample(odd, 3, 3)[0].tolist() == pytest.approx([0.5, 2.5, 5.0])  # bins of 2, 2 and 3 pixels
    rgb = sphere(40)
    small = resample(rgb, 10, 10)
    assert small.shape == (10, 10, 3) and small.mean() == pytest.approx(rgb.mean(), rel=1e-5)  # area means


def test_layout_takes_the_largest_scale_at_which_every_picture_fits():
    lay = fit_layout([(100, 100), (100, 100)], 80, 23)  # as wide as the panel allows: 39 + 1 + 39 cells
    assert lay.capacity == 2 and lay.tile_w == 39 and lay.tile_rows == 20
    lay = fit_layout([(100, 100), (100, 100)], 120, 23)  # as high as it allows: 22 lines and a caption
    assert lay.capacity == 2 and lay.tile_rows == 22 and lay.sizes[0] == (44, 44)
    assert fit_layout([(100, 100), (100, 100)], 120, 25).sizes[0] == (48, 48)  # two more lines: 4 more pixels
    # proportions kept: a picture twice as wide as high stays so (two pixels a line)
    wide = fit_layout([(50, 100)], 80, 23)
    oh, ow = wide.sizes[0]
    assert abs(ow / oh - 2) < 0.1
    # a tiny picture is enlarged, but at most MAX_ZOOM cells a pixel
    tiny = fit_layout([(4, 4)], 120, 40)
    assert tiny.sizes[0] == (4 * MAX_ZOOM, 4 * MAX_ZOOM)
    # pictures of different sizes keep their relative sizes
    mixed = fit_layout([(64, 64), (32, 32)], 120, 40)
    assert abs(mixed.sizes[0][1] - 2 * mixed.sizes[1][1]) <= 1 and mixed.sizes[0][1] > 40


def test_too_many_pictures_are_counted_never_dropped_silently():
    panel = ImagePanel("renders")
    panel.show(np.zeros((40, 28, 28), dtype=np.uint8), [f"#{i}" for i in range(40)])
    lines = cell_lines(panel, 60, 12)
    assert 0 < panel.shown < 40 and lines[0].startswith(f"renders +{40 - panel.shown}")
    assert panel.layout_used.tile_w >= MIN_CELLS  # the pictures drawn stay readable
    for width in (5, 9, 14):  # narrow: the count survives, the title is cut
        head = cell_lines(panel, width, 12)[0]
        assert head.rstrip().endswith(f"+{40 - panel.shown}"), (width, head)
    big = cell_lines(panel, 200, 80)
    assert panel.shown == 40 and "+" not in big[0]


def test_rgb_cells_are_upper_half_blocks_in_the_pixels_colours():
    picture = np.zeros((2, 3, 3), dtype=np.uint8)
    picture[0] = (255, 0, 0)  # red over
    picture[1] = (0, 0, 255)  # blue
    panel = ImagePanel("rgb", max_zoom=1)
    panel.show(picture, ["c"])
    strip = panel.render_images(20, 4)[1]
    cells = [s for s in strip if s.text.strip("▀") == ""]
    assert cells and cells[0].text == "▀▀▀"
    assert cells[0].style.color.triplet == (255, 0, 0) and cells[0].style.bgcolor.triplet == (0, 0, 255)
    # without truecolor Rich brings them down to the 256-colour palette's red and blue
    eight_bit = [c.downgrade(ColorSystem.EIGHT_BIT).get_truecolor() for c in (cells[0].style.color, cells[0].style.bgcolor)]
    assert [tuple(c) for c in eight_bit] == [(255, 0, 0), (0, 0, 255)]
    # a grey picture quantised to GREY_LEVELS levels, equal halves drawn as blank background
    panel.show(np.full((2, 2), 128, dtype=np.uint8))
    grey = [s for s in panel.render_images(20, 4)[1] if s.style and s.style.bgcolor is not None and s.text.strip() == ""]
    level = round(round(128 * (GREY_LEVELS - 1) / 255) * 255 / (GREY_LEVELS - 1))
    assert grey and grey[0].style.bgcolor.triplet == (level, level, level)


def test_no_color_shades_by_brightness_and_keeps_thin_strokes():
    assert shade_chars(np.array([255, 0, 128, 255]), np.array([0, 255, 128, 255])).tolist() == ["▀", "▄", "▒", "█"]
    panel = ImagePanel("x", max_zoom=1)
    picture = np.zeros((4, 6, 3))
    picture[0] = 1.0  # a white line on top of black, in RGB
    panel.show(picture)
    lines = panel.render_images(20, 5, no_color=True)
    assert lines[1].text.startswith("▀▀▀▀▀▀") and all(s.style is None or s.style.color is None for s in lines[1])


def test_captions_centre_under_their_pictures_and_wrong_ones_are_marked():
    panel = ImagePanel("fits")
    panel.show([sphere(32), blurry(sphere(32))], ["target", "render"], [False, True])
    lines = cell_lines(panel, 80, 20)
    caption = lines[panel.layout_used.tile_rows + 1]
    assert "target" in caption and "✗render" in caption
    assert caption.index("target") < caption.index("✗render")


def test_every_size_gives_exact_widths_and_never_crashes():
    panels = []
    for images in ([sphere(64), blurry(sphere(64))], np.zeros((24, 28, 28), np.uint8), [rings(9, 31), sphere(5)], []):
        panel = ImagePanel("图像 · 第 300 步", note="真实→预测")
        panel.show(images, ["目标", "渲染"])
        panels.append(panel)
    for no_color in (False, True):
        for w in (1, 2, 5, 9, 17, 40, 80, 120):
            for h in (1, 2, 3, 4, 7, 24, 40):
                for panel in panels:
                    lines = panel.render_images(w, h, no_color=no_color)
                    assert 1 <= len(lines) <= h and {s.cell_length for s in lines} == {w}, (w, h, no_color)


def test_words_follow_the_language():
    panel = ImagePanel()
    assert cell_lines(panel, 40, 5)[0].startswith("images: waiting for images")
    panel.lang = "zh"
    assert cell_lines(panel, 40, 5)[0].startswith("图像：等待图像")


def test_images_module_does_not_import_torch():
    code = "import sys, nntui.widgets.images; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------
# The event, the history, the panel
# ---------------------------------------------------------------------------
def test_an_rgb_image_grid_round_trips_through_json_and_the_checker():
    event = ImageGrid(7, "render", to_pixels(np.stack([sphere(6), blurry(sphere(6))])), ["truth", "render"])
    line = json.loads(json.dumps(event.to_dict()))
    check_event(line)
    back = from_dict(line)
    assert back.images.dtype == np.uint8 and np.array_equal(back.images, event.images)
    assert back.images.shape == (2, 6, 6, 3)
    for bad, message in (
        ({**line, "images": [[[[1, 2]]]]}, "2 channels"),
        ({**line, "images": [[[[1, 2, 300]]]]}, "grey levels 0..255"),
        ({**line, "images": [[[[1, 2, 3]], [[1, 2]]]]}, "rectangular"),
    ):
        with pytest.raises(Invalid, match=message):
            check_event(bad)


def test_the_images_panel_shows_the_grid_named_images_else_the_newest():
    history = History()
    history.apply([RunStarted(1, "nerf", {}, 0, "cpu"),
                   ImageGrid(5, "digits", np.zeros((1, 4, 4), np.uint8), ["d"]),
                   ImageGrid(9, "render", to_pixels(sphere(8))[None], ["r"])])
    panel = VISUALS["images"].build()
    VISUALS["images"].update(panel, history, "en")
    assert panel.title == "render · step 9" and panel._captions == ["r"]
    history.apply([ImageGrid(3, "images", np.zeros((1, 4, 4), np.uint8), ["i"])])
    VISUALS["images"].update(panel, history, "zh")
    assert panel.title == "图像 · 第 3 步" and panel._captions == ["i"]
    assert ImageGrid.kind in VISUALS["images"].feeds_on


# ---------------------------------------------------------------------------
# Snapshots
# ---------------------------------------------------------------------------
class ImagesApp(App):
    """A NeRF-like target beside two renders (RGB), above greyscale pictures of mixed sizes."""

    CSS = """
    ImagePanel { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield ImagePanel("NeRF · step 1,200", note="target, renders", id="rgb")
        yield ImagePanel("grey, mixed sizes", id="grey")

    def on_mount(self) -> None:
        target = sphere(48)
        self.query_one("#rgb", ImagePanel).show([target, blurry(target), sphere(48, (-0.4, -0.4, 0.8))],
                                                ["target", "step 100", "step 1,200"], [False, True, False])
        pictures = [rings(28, 28), rings(14, 40), rings(40, 20), (rings(20, 20) > 127).astype(np.uint8) * 255]
        self.query_one("#grey", ImagePanel).show(pictures, ["28x28", "14x40", "40x20", "binary"])


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot(snap_compare, size, no_color):
    app = ImagesApp()
    assert app.no_color is no_color
    assert snap_compare(app, terminal_size=size)


def test_frame_of_two_renders_at_120x40_stays_cheap():
    """Not a benchmark (benchmarks/bench_visuals.py is): a generous bound that catches a slow path."""
    import time

    panel = ImagePanel("nerf")
    pictures = [sphere(100), blurry(sphere(100))]
    base, fg, bg = Style(), Color(224, 224, 224), Color(0, 0, 0)
    panel.show(pictures, ["a", "b"])
    panel.render_images(120, 40, base=base, foreground=fg, background=bg)
    start = time.perf_counter()
    for _ in range(5):
        panel.show(pictures, ["a", "b"])
        panel.render_images(120, 40, base=base, foreground=fg, background=bg)
    assert (time.perf_counter() - start) / 5 < 0.1
