"""The guide column's text: a lesson page's Markdown, laid out for the width it has.

Before Textual renders it, the page goes through two rewrites that depend on the width:
tables too wide to show whole become lists (`guide_tables`), and Chinese paragraphs are
broken by the Unicode line-breaking rules (`cjk_wrap`). Both run again when the width changes.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown

from .cjk_wrap import wrap_cjk_markdown
from .guide_tables import stack_wide_tables

__all__ = ["Guide", "layout_markdown"]


def layout_markdown(source: str, width: int) -> str:
    return wrap_cjk_markdown(stack_wide_tables(source, width), width)


class Guide(VerticalScroll):
    DEFAULT_CSS = """
    Guide { height: 1fr; scrollbar-gutter: stable; }
    Guide > Markdown { margin: 0; padding: 0 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._source = ""
        self._width = 0

    def compose(self) -> ComposeResult:
        yield Markdown()

    @property
    def text_width(self) -> int:
        """Cells a line of text has: the column less the scrollbar's gutter and the padding."""
        return max(0, self.scrollable_content_region.width - 2)

    def show(self, source: str) -> None:
        self._source = source
        self._render_source()
        self.scroll_home(animate=False)

    def _render_source(self) -> None:
        self._width = self.text_width
        self.query_one(Markdown).update(layout_markdown(self._source, self._width) if self._width else self._source)

    def on_resize(self) -> None:
        if self._source and self.text_width != self._width:
            self._render_source()
