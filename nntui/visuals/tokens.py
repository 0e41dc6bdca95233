"""Token strips (TokenSequence events) and streams of generated text (TextSample events)."""

from __future__ import annotations

from nntui.i18n import t
from nntui.runtime.history import History
from nntui.spec.events import Event, TextSample, TokenSequence
from nntui.visuals.base import HelpRow, Rows, Visual, at_step, cell, csv_table, named_or_newest, numbered
from nntui.widgets.text_stream import Sample, TextStream
from nntui.widgets.tokens import TokenStrip


def update_tokens(strip: TokenStrip, history: History, lang: str = "en") -> None:
    """The current run's token sequence named "tokens", else its newest of any name, titled by its
    name and step."""
    strip.lang = lang
    run = history.current
    seq = named_or_newest(run, TokenSequence, "tokens")
    if seq is not None:
        name = t("tokens_title", lang) if seq.name == "tokens" else seq.name
        strip.show(seq.tokens, ids=seq.ids, marks=seq.marks, classes=seq.classes, notes=seq.notes,
                   title=f"{name} · {at_step(seq.step, lang)}")


def update_text_stream(stream: TextStream, history: History, lang: str = "en") -> None:
    """The current run's stream named "samples", else its first, with the count of older texts the
    history no longer keeps."""
    stream.lang = lang
    run = history.current
    texts = run.texts if run else {}
    name = "samples" if "samples" in texts else next(iter(texts), None)
    if name is None:
        stream.show([], older=0)
        return
    samples = [Sample(s.step, s.text, s.temperature, s.score) for s in texts[name]]
    stream.show(samples, older=run.texts_dropped.get(name, 0), title=None if name == "samples" else name)


def _token_rows(events: list[Event]) -> Rows:
    for run, event in numbered(events):
        if isinstance(event, TokenSequence):
            for i, token in enumerate(event.tokens):
                extra = [cell(values[i] if i < len(values) else None)
                         for values in (event.ids, event.marks, event.classes, event.notes)]
                yield [run, event.step, event.name, i, token, *extra]


def _text_rows(events: list[Event]) -> Rows:
    for run, event in numbered(events):
        if isinstance(event, TextSample):
            yield [run, event.step, event.name, cell(event.temperature), cell(event.score), event.text]


VISUALS = (
    Visual("tokens", TokenStrip, update_tokens, (TokenSequence,),
           help=(HelpRow("← → Home End", "tokens (strip focused): the token read out",
                         "词元（焦点在词元条上）：读出哪个词元"),),
           exports=(csv_table("tokens.csv", ("step", "name", "position", "token", "id", "mark", "class", "note"),
                              _token_rows),)),
    Visual("text_stream", TextStream, update_text_stream, (TextSample,),
           exports=(csv_table("texts.csv", ("step", "name", "temperature", "score", "text"), _text_rows),)),
)
