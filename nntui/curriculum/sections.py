"""Split a lesson's Markdown body into its pages: one per step, in every language.

Each page starts at a heading `## <lang>: <title> {#<step id>}`; the opening
page is `{#intro}`. Headings inside fenced code blocks are text, not pages.
"""

from __future__ import annotations

import re
from typing import Callable

from nntui.curriculum.model import LANGUAGES, LessonError, Text

__all__ = ["INTRO", "SUMMARY", "read_pages"]

INTRO = "intro"
SUMMARY = "summary"  # an optional closing page: shown last, not a step, never ticked

_HEADING = re.compile(r"##\s+(?P<lang>[A-Za-z-]+)\s*:(?P<title>.*?)\{#(?P<id>[^}]*)\}\s*")

# fail(field, message, line): the error to raise; line None means "where `field` is written".
Fail = Callable[[str, str, "int | None"], LessonError]


def read_pages(
    lines: list[str], fence_line: int, step_ids: list[str], fail: Fail
) -> dict[str, tuple[Text, Text]]:
    """{page id: (title, body)} for the intro, every step and the summary if written, each in
    every language.

    `lines` is the whole file and `fence_line` the 1-based line closing the front
    matter, so errors carry file line numbers.
    """
    ids = [INTRO, *step_ids, SUMMARY]
    sections: dict[tuple[str, str], tuple[int, str, list[str]]] = {}
    current: list[str] | None = None
    fence: str | None = None
    for number in range(fence_line + 1, len(lines) + 1):
        line = lines[number - 1]
        stripped = line.strip()
        marker = re.match(r"(```+|~~~+)", stripped)
        if marker and (fence is None or stripped.startswith(fence)):
            fence = None if fence else marker.group(1)[:3]
        if fence is None and not marker and re.match(r"##(\s|$)", line):
            match = _HEADING.fullmatch(line.rstrip())
            if match is None:
                raise fail("body", "expected a heading like '## en: <title> {#<id>}'", number)
            lang, title, page = match["lang"], match["title"].strip(), match["id"].strip()
            if lang not in LANGUAGES:
                raise fail("body", f"unknown language {lang!r} (expected {' or '.join(LANGUAGES)})", number)
            if page not in ids:
                raise fail("body", f"section {{#{page}}} names no step (known: {', '.join(ids)})", number)
            if not title:
                raise fail("body", f"empty title in the {lang} heading {{#{page}}}", number)
            if (lang, page) in sections:
                first = sections[(lang, page)][0]
                raise fail("body", f"duplicate {lang} section {{#{page}}} (first at line {first})", number)
            current = []
            sections[(lang, page)] = (number, title, current)
            continue
        if current is None:
            if stripped:
                raise fail("body", "text before the first '## en: <title> {#intro}' heading", number)
            continue
        current.append(line)

    pages: dict[str, tuple[Text, Text]] = {}
    for index, page in enumerate(ids):
        if page == SUMMARY and not any((lang, page) in sections for lang in LANGUAGES):
            continue
        for lang in LANGUAGES:
            if (lang, page) not in sections:
                missing = f"missing section '## {lang}: <title> {{#{page}}}'"
                # A missing intro is the body's fault; a missing step page is
                # reported at that step in the front matter, where it is declared.
                if page == INTRO:
                    raise fail("body", missing, fence_line)
                if page == SUMMARY:  # written in one language only: point at that heading
                    written = next(sections[(other, page)][0] for other in LANGUAGES if (other, page) in sections)
                    raise fail("body", missing, written)
                raise fail(f"steps[{index - 1}].id", missing, None)
        titles = {lang: sections[(lang, page)][1] for lang in LANGUAGES}
        bodies = {lang: "\n".join(sections[(lang, page)][2]).strip("\n") for lang in LANGUAGES}
        pages[page] = (Text(titles["en"], titles["zh"]), Text(bodies["en"], bodies["zh"]))
    return pages
