"""The word map: word vectors projected to the plane, each point drawn as its word (Scatter
events with `names`)."""

from __future__ import annotations

from nntui.i18n import t
from nntui.runtime.history import History
from nntui.spec.events import Scatter
from nntui.visuals.base import Visual, at_step
from nntui.visuals.scatter import VISUALS as SCATTER_VISUALS
from nntui.widgets.word_map import WordMap


def update_word_map(widget: WordMap, history: History, lang: str = "en") -> None:
    """The current run's latest named scatter."""
    widget.lang = lang
    run = history.current
    found = next((s for s in run.all_of(Scatter).values() if s.names), None) if run else None
    if found is None:
        widget.clear(t("word_map", lang))
        return
    widget.show(found.points, found.labels, found.names, found.extent, title=t("word_map", lang),
                note=at_step(found.step, lang))


# The points export as the scatter's do (scatter_points.csv); the names are the lab's vocabulary.
VISUALS = (Visual("word_map", WordMap, update_word_map, (Scatter,), 0.1, exports=SCATTER_VISUALS[0].exports[:1]),)
