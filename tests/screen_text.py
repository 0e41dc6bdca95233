"""Read what an app under test shows, as plain text lines (what a learner reads)."""

from __future__ import annotations

import io

from rich.console import Console
from textual.app import App


def screen_lines(app: App) -> list[str]:
    """The current screen, one string per terminal row (wide characters count once)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False).splitlines()


def screen_text(app: App) -> str:
    return "\n".join(screen_lines(app))


def screen_colours(app: App) -> set[str]:
    """Every foreground and background colour the current screen sends (besides the default)."""
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    console = Console(width=app.size[0], file=io.StringIO(), force_terminal=True, color_system="truecolor")
    colours = set()
    for segment in console.render(update):
        style = segment.style
        if style is None:
            continue
        for colour in (style.color, style.bgcolor):
            if colour is not None and not colour.is_default:
                colours.add(colour.name)
    return colours


def browser_labels(app: App) -> list[str]:
    """The lesson browser's lesson lines as shown (with ✓ / ✗ marks)."""
    tree = app.screen.query_one("#lessons")
    return [str(leaf.label) for branch in tree.root.children for leaf in branch.children]
