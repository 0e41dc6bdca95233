"""Where a lesson's TOML front matter sits, and where tomllib says it is wrong.

A lesson file starts with a `+++` line, TOML, another `+++` line, then the
Markdown body. Both the strict reader and the best-effort filing of broken
lessons need the same view of those lines, so it lives here once.
"""

from __future__ import annotations

import re
import tomllib

__all__ = ["FENCE", "file_lines", "fence_lines", "toml_error_at"]

FENCE = "+++"

_AT_LINE = re.compile(r"\s*\(at line (\d+), column \d+\)\s*$")


def file_lines(text: str) -> list[str]:
    """The lines of a lesson file; a byte-order mark some editors write is dropped."""
    return text.lstrip("\ufeff").splitlines()


def fence_lines(lines: list[str]) -> tuple[int | None, int | None]:
    """0-based indexes of the first non-blank line and of the next `+++` line after it.

    Either is None when missing. Whether the first line really is `+++` is left
    to the caller: the strict reader reports it, the best-effort one ignores it.
    """
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return None, None
    close = next((i for i in range(first + 1, len(lines)) if lines[i].rstrip() == FENCE), None)
    return first, close


def toml_error_at(exc: tomllib.TOMLDecodeError) -> tuple[int | None, str]:
    """tomllib's message split into its line within the TOML text and the rest.

    tomllib writes the place into the message (`Invalid value (at line 3,
    column 6)`); we report it as `file:line:` instead. None when the message
    names no line (e.g. `(at end of document)`), which is then left in.
    """
    message = str(exc)
    match = _AT_LINE.search(message)
    if match is None:
        return None, message
    return int(match.group(1)), message[: match.start()]
