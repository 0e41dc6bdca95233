"""Find the line of a TOML document where a dotted field path is written.

tomllib gives no line numbers for valid values, yet every lesson mistake is
reported at its line (`lessons/x.md:12: controls.lr.max: ...`). `FieldLocator`
scans the text a second time to map paths such as `controls.lr.max`,
`steps[2].check` or `title.zh` back to where that key, its table header or the
inline table holding it is written.
"""

from __future__ import annotations

import re
from typing import Iterator

__all__ = ["FieldLocator"]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_BARE_VALUE = re.compile(r"[^\s,\]}#]+")  # numbers, booleans, dates: anything up to a delimiter
_TIME_OF_DATE = re.compile(r" \d\d:\d\d[^\s,\]}#]*")  # the time in `1979-05-27 07:32:00`


class FieldLocator:
    """Map dotted field paths of a TOML document to the (1-based) line defining them.

    A lenient scanner over text that tomllib has already accepted: it records the
    line of every key (`a.b = ...`), table header (`[a.b]`, `[[steps]]` as
    `steps[i]`), inline-table key (`set = { lr = 3 }` as `...set.lr`) and array
    element (`layout[1]`). Unknown paths fall back to their nearest recorded parent.
    """

    def __init__(self, text: str, offset: int = 0) -> None:
        """`offset` is added to every line: the lines of the file before `text` starts."""
        self.text, self.offset = text, offset
        self.lines: dict[str, int] = {}
        self._aot: dict[str, int] = {}  # array-of-tables path -> count so far
        self.pos = 0
        try:
            self._document()
        except IndexError:  # the scanner is lenient; a surprise only costs precision
            pass

    # public -----------------------------------------------------------------

    def line(self, path: str) -> int | None:
        """File line of `path` or of its nearest recorded parent; None if none."""
        while path:
            if path in self.lines:
                return self.lines[path] + self.offset
            path = _parent(path)
        return None

    # scanning ---------------------------------------------------------------

    def _lineno(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def _record(self, path: str, pos: int) -> None:
        # Parents never written out (`b` of `b.c = 1`) get the child's line, so
        # an error about the parent still points somewhere useful.
        line = self._lineno(pos)
        self.lines.setdefault(path, line)
        parent = _parent(path)
        while parent and parent not in self.lines:
            self.lines[parent] = line
            parent = _parent(parent)

    def _peek(self, n: int = 1) -> str:
        return self.text[self.pos:self.pos + n]

    def _skip_space(self, newlines: bool) -> None:
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch in " \t\r" or (newlines and ch == "\n"):
                self.pos += 1
            elif ch == "#":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            else:
                break

    def _document(self) -> None:
        table = ""
        while True:
            self._skip_space(newlines=True)
            if self.pos >= len(self.text):
                return
            start = self.pos
            if self._peek(2) == "[[":
                parts = self._header(brackets=2)
                name = _dot(self._join(parts[:-1]), parts[-1])
                index = self._aot.get(name, 0)
                self._aot[name] = index + 1
                table = f"{name}[{index}]"
                self._record(table, start)
            elif self._peek() == "[":
                table = self._join(self._header(brackets=1))
                self._record(table, start)
            else:
                self._key_value(table)

    def _header(self, brackets: int) -> list[str]:
        """The key parts of a `[a.b]` (brackets=1) or `[[a.b]]` (brackets=2) header."""
        self.pos += brackets
        parts = self._key()
        self._skip_space(False)
        self.pos += brackets  # the closing ] or ]]
        return parts

    def _key_value(self, table: str) -> None:
        """`key = value` inside `table`, at top level or inside an inline table."""
        start = self.pos
        path = _dot(table, ".".join(self._key()))
        self._record(path, start)
        self._skip_space(False)
        self.pos += 1  # =
        self._skip_space(False)
        self._value(path)

    def _join(self, parts: list[str]) -> str:
        """Dotted header path; parts naming an array of tables mean its last element."""
        path = ""
        for part in parts:
            path = _dot(path, part)
            if path in self._aot:
                path = f"{path}[{self._aot[path] - 1}]"
        return path

    def _key(self) -> list[str]:
        parts = []
        while True:
            self._skip_space(False)
            if self._peek() in "\"'":
                begin = self.pos
                self._string()
                parts.append(self.text[begin + 1:self.pos - 1])
            else:
                match = _BARE_KEY.match(self.text, self.pos)
                if match is None:
                    raise IndexError("not a key")
                parts.append(match.group())
                self.pos = match.end()
            self._skip_space(False)
            if self._peek() == ".":
                self.pos += 1
                continue
            return parts

    def _string(self) -> None:
        quote = self._peek()
        if self._peek(3) == quote * 3:
            end = self.text.find(quote * 3, self.pos + 3)
            if end < 0:
                raise IndexError("unterminated string")
            end += 3
            while self.text[end:end + 1] == quote:  # up to two quotes may end the content
                end += 1
            self.pos = end
            return
        self.pos += 1
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "\\" and quote == '"':
                self.pos += 2
                continue
            self.pos += 1
            if ch == quote:
                return
        raise IndexError("unterminated string")

    def _value(self, path: str) -> None:
        ch = self._peek()
        if ch in "\"'":
            self._string()
        elif ch == "{":
            for _ in self._items(closer="}", newlines=False):
                self._key_value(path)
        elif ch == "[":
            for index, _ in enumerate(self._items(closer="]", newlines=True)):
                element = f"{path}[{index}]"
                self._record(element, self.pos)
                self._value(element)
        else:
            match = _BARE_VALUE.match(self.text, self.pos)
            if match is None:
                raise IndexError("not a value")
            self.pos = match.end()
            rest = _TIME_OF_DATE.match(self.text, self.pos)
            if rest is not None:
                self.pos = rest.end()

    def _items(self, closer: str, newlines: bool) -> Iterator[None]:
        """Stop at the start of each item of an inline table or array, commas skipped.

        The opening bracket is at `pos`; the caller reads each item, and the loop
        ends past `closer`. Only arrays may span lines (`newlines`).
        """
        self.pos += 1
        while True:
            self._skip_space(newlines)
            if self._peek() == closer:
                self.pos += 1
                return
            if self._peek() == ",":
                self.pos += 1
                continue
            yield


def _dot(base: str, key: str) -> str:
    return f"{base}.{key}" if base else key


def _parent(path: str) -> str:
    """`a.b[2].c` -> `a.b[2]` -> `a.b` -> `a` -> ``."""
    if path.endswith("]"):
        return path[: path.rindex("[")]
    return path.rpartition(".")[0]
