"""Pictures: the MNIST digit grid with true→predicted captions, and any grid of greyscale or RGB
images (ImageGrid events), several side by side with captions."""

from __future__ import annotations

from nntui.i18n import t
from nntui.runtime.history import History
from nntui.spec.events import ImageGrid
from nntui.visuals.base import Visual, at_step, named_or_newest
from nntui.widgets.digits import DigitGrid
from nntui.widgets.images import ImagePanel


def update_digits(grid: DigitGrid, history: History, lang: str = "en") -> None:
    grid.lang = lang
    run = history.current
    event = run.latest_of(ImageGrid, "digits") if run else None
    if event is not None:  # the lab captions each digit true→predicted
        grid.show(event.images, event.captions, event.flagged, title=t("digits_title", lang), note=t("digits_note", lang))


def update_images(panel: ImagePanel, history: History, lang: str = "en") -> None:
    """The current run's ImageGrid named "images", else its newest grid of any name, titled by its
    name and step."""
    panel.lang = lang
    run = history.current
    grid = named_or_newest(run, ImageGrid, "images")
    if grid is not None:
        name = t("images_title", lang) if grid.name == "images" else grid.name
        panel.show(list(grid.images), grid.captions, grid.flagged,  # a list: (n, h, 3) is n grey pictures
                   title=f"{name} · {at_step(grid.step, lang)}")


# Image grids are pictures, not series: `nntui export` leaves them out.
VISUALS = (
    Visual("digits", DigitGrid, update_digits, (ImageGrid,)),
    Visual("images", ImagePanel, update_images, (ImageGrid,)),
)
