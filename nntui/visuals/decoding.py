"""Decoding views of the latest search: the beam-search tree, the next-token distribution, the
sampled sequences."""

from __future__ import annotations

from nntui.i18n import t
from nntui.runtime.history import History
from nntui.spec.events import Decoding
from nntui.visuals.base import HelpRow, Visual, at_step
from nntui.widgets.beam_tree import BeamTree
from nntui.widgets.samples import SampleList
from nntui.widgets.token_bars import TokenBars


def update_beam_tree(tree: BeamTree, history: History, lang: str = "en") -> None:
    tree.lang = lang
    run = history.current
    found = run.latest_of(Decoding) if run else None
    if found is not None:
        start = f"“{found.prompt}”" if found.prompt else t("from_start", lang)
        # The training step the model had reached; a worked example (one step) has none to tell.
        title = f"{start} · {at_step(found.step, lang)}" if run.total != 1 else start
        tree.show(found.beam, found.vocab, greedy=found.greedy, title=title)


def update_next_token(bars: TokenBars, history: History, lang: str = "en") -> None:
    bars.lang = lang
    run = history.current
    found = run.latest_of(Decoding) if run else None
    if found is not None:
        nt = found.next_token
        top_k = nt.get("top_k", 0) or t("off", lang)
        settings = f"T {nt.get('temperature', 1):g} · top-k {top_k} · top-p {nt.get('top_p', 1):g}"
        bars.show(found.vocab, nt["probs"], nt.get("kept", []), title=f"{t('next_token', lang)} · {settings}")


def update_samples(widget: SampleList, history: History, lang: str = "en") -> None:
    widget.lang = lang
    run = history.current
    found = run.latest_of(Decoding) if run else None
    if found is not None:
        widget.show(found.vocab, found.samples)


VISUALS = (
    Visual("beam_tree", BeamTree, update_beam_tree, (Decoding,),
           help=(HelpRow("> <", "beam search: one expansion further / back", "束搜索：前进 / 后退一次扩展"),
                 HelpRow("End", "beam search (tree focused): the whole search", "束搜索（焦点在树上）：显示整次搜索"))),
    Visual("next_token", TokenBars, update_next_token, (Decoding,)),
    Visual("samples", SampleList, update_samples, (Decoding,)),
)
