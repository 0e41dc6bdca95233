"""Shared helpers for the widget tests."""

from __future__ import annotations

from textual.geometry import Region
from textual.widget import Widget


def spy_refreshes(widget: Widget) -> list[Region]:
    """Record the regions `widget` asks to repaint (a whole-widget refresh as its full region)."""
    regions: list[Region] = []
    original = widget.refresh

    def spy(*regions_, **kwargs):
        regions.extend(regions_)
        if not regions_:
            regions.append(Region(0, 0, widget.size.width, widget.size.height))
        return original(*regions_, **kwargs)

    widget.refresh = spy
    return regions
