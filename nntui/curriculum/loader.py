"""Read and validate lesson files (format: lessons/README.md).

Every mistake is reported as a `LessonError` located in the file, e.g.
`lessons/x.md:12: controls.lr.max: expected a number`. tomllib gives no line
numbers for valid values, so a small scanner (`_Locator`) maps dotted field
paths such as `controls.lr.max`, `steps[2].check` or `title.zh` back to the
line where that key, its table header or the inline table holding it is written.

Never imports torch or textual: experiments are checked against the
torch-free catalog in `nntui.lab.catalog`.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Any, Iterable, Protocol

from nntui.curriculum.model import (
    LANGUAGES,
    BrokenLesson,
    Chapter,
    Check,
    Clause,
    Control,
    Curriculum,
    Lesson,
    LessonError,
    Step,
    Text,
)
from nntui.lab import catalog
from nntui.lab.catalog import ExperimentSpec, Param

__all__ = [
    "load_lesson",
    "load_chapters",
    "load_curriculum",
    "parse_check",
    "shipped_lessons",
]

FENCE = "+++"
INTRO = "intro"
ALWAYS_METRICS = ("step", "epoch")
TOP_KEYS = ("id", "chapter", "order", "experiment", "layout", "title", "summary",
            "params", "controls", "steps")
REQUIRED_KEYS = ("id", "chapter", "order", "experiment", "title", "summary")
CONTROL_KEYS = ("label", "type", "min", "max", "step", "log", "apply", "choices")
STEP_KEYS = ("id", "set", "check")
CHAPTER_KEYS = ("id", "en", "zh")
APPLY_MODES = ("live", "restart")
STEP_ID = re.compile(r"[a-z0-9-]+")


class _Resource(Protocol):
    """What we need of a file: a pathlib.Path or an importlib.resources Traversable."""

    name: str

    def read_text(self, encoding: str = ...) -> str: ...


# --------------------------------------------------------------------------- checks

_OPS = ("<=", ">=", "==", "<", ">")
_CLAUSE = re.compile(
    r"""\s*(?P<metric>[A-Za-z_][A-Za-z0-9_.]*)\s*
        (?P<op><=|>=|==|<|>)\s*
        (?P<value>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*""",
    re.VERBOSE,
)


def parse_check(source: str) -> Check:
    """Parse `<metric> <op> <number> [and ...]`; raise ValueError saying what is wrong."""
    if not isinstance(source, str):
        raise ValueError(f"expected a string like 'test_accuracy > 0.9', got {source!r}")
    text = source.strip()
    if not text:
        raise ValueError("empty check; expected e.g. 'test_accuracy > 0.9'")
    clauses = []
    for part in re.split(r"\s+and\s+", text):
        match = _CLAUSE.fullmatch(part)
        if match is None:
            raise ValueError(
                f"cannot read {part.strip()!r}: expected '<metric> <op> <number>' "
                f"joined by 'and', op one of {' '.join(('<', '<=', '>', '>=', '=='))}"
            )
        clauses.append(Clause(match["metric"], match["op"], float(match["value"])))
    return Check(text, tuple(clauses))


# --------------------------------------------------------------------------- locator


class _Locator:
    """Map dotted field paths of a TOML document to the (1-based) line defining them.

    A lenient scanner over text that tomllib has already accepted: it records the
    line of every key (`a.b = ...`), table header (`[a.b]`, `[[steps]]` as
    `steps[i]`), inline-table key (`set = { lr = 3 }` as `...set.lr`) and array
    element (`layout[1]`). Unknown paths fall back to their nearest recorded parent.
    """

    def __init__(self, text: str, offset: int = 0) -> None:
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
                self.pos += 2
                parts = self._key()
                self._skip_space(False)
                self.pos += 2  # ]]
                base = self._join(parts[:-1])
                name = _dot(base, parts[-1])
                index = self._aot.get(name, 0)
                self._aot[name] = index + 1
                table = f"{name}[{index}]"
                self._record(table, start)
            elif self._peek() == "[":
                self.pos += 1
                table = self._join(self._key())
                self._skip_space(False)
                self.pos += 1  # ]
                self._record(table, start)
            else:
                parts = self._key()
                path = _dot(table, ".".join(parts))
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
            ch = self._peek()
            if ch in "\"'":
                begin = self.pos
                self._string()
                raw = self.text[begin + 1:self.pos - 1]
                parts.append(raw)
            else:
                match = re.compile(r"[A-Za-z0-9_-]+").match(self.text, self.pos)
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
            self.pos += 1
            while True:
                self._skip_space(False)
                if self._peek() == "}":
                    self.pos += 1
                    return
                if self._peek() == ",":
                    self.pos += 1
                    continue
                start = self.pos
                key = _dot(path, ".".join(self._key()))
                self._record(key, start)
                self._skip_space(False)
                self.pos += 1  # =
                self._skip_space(False)
                self._value(key)
        elif ch == "[":
            self.pos += 1
            index = 0
            while True:
                self._skip_space(True)
                if self._peek() == "]":
                    self.pos += 1
                    return
                if self._peek() == ",":
                    self.pos += 1
                    continue
                element = f"{path}[{index}]"
                self._record(element, self.pos)
                self._value(element)
                index += 1
        else:
            match = re.compile(r"[^\s,\]}#]+").match(self.text, self.pos)
            if match is None:
                raise IndexError("not a value")
            self.pos = match.end()
            # dates with a space between date and time: `1979-05-27 07:32:00`
            rest = re.compile(r" \d\d:\d\d[^\s,\]}#]*").match(self.text, self.pos)
            if rest is not None:
                self.pos = rest.end()


def _dot(base: str, key: str) -> str:
    return f"{base}.{key}" if base else key


def _parent(path: str) -> str:
    """`a.b[2].c` -> `a.b[2]` -> `a.b` -> `a` -> ``."""
    if path.endswith("]"):
        return path[: path.rindex("[")]
    return path.rpartition(".")[0]


# --------------------------------------------------------------------------- lesson


class _LessonReader:
    def __init__(self, text: str, shown: Path, path: Path, chapters: Iterable[Chapter]) -> None:
        self.shown, self.path = shown, path
        self.chapters = {chapter.id: chapter for chapter in chapters}
        self.file_lines = text.lstrip("\ufeff").splitlines()
        self.open_line = 1
        self.close_line = 1
        self.locator: _Locator | None = None

    # errors -----------------------------------------------------------------

    def fail(self, field: str, message: str, line: int | None = None) -> LessonError:
        if line is None:
            line = self.locator.line(field) if self.locator else None
            if line is None:
                line = self.open_line
        return LessonError(self.shown, line, field, message)

    # front matter -----------------------------------------------------------

    def front_matter(self) -> dict[str, Any]:
        lines = self.file_lines
        first = next((i for i, line in enumerate(lines) if line.strip()), None)
        if first is None or lines[first].rstrip() != FENCE:
            where = 1 if first is None else first + 1
            raise self.fail("front matter", f"expected '{FENCE}' on the first line", where)
        self.open_line = first + 1
        close = next((i for i in range(first + 1, len(lines)) if lines[i].rstrip() == FENCE), None)
        if close is None:
            raise self.fail(
                "front matter", f"the '{FENCE}' opened here is never closed by a '{FENCE}' line",
                self.open_line,
            )
        self.close_line = close + 1
        toml_text = "\n".join(lines[first + 1:close])
        try:
            data = tomllib.loads(toml_text)
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            match = re.search(r"\s*\(at line (\d+), column \d+\)\s*$", message)
            if match:
                line = self.open_line + int(match.group(1))
                message = message[: match.start()]
            else:
                line = self.close_line
                message = re.sub(r"\s*\(at end of document\)\s*$", "", message)
            raise self.fail("front matter", f"invalid TOML: {message}", line) from None
        self.locator = _Locator(toml_text, offset=self.open_line)
        return data

    # fields -----------------------------------------------------------------

    def lesson(self) -> Lesson:
        data = self.front_matter()
        for key in data:
            if key not in TOP_KEYS:
                raise self.fail(key, _unknown_key(key, TOP_KEYS))
        for key in REQUIRED_KEYS:
            if key not in data:
                raise self.fail(key, "required but missing", self.open_line)

        lesson_id = self.string(data, "id")
        if lesson_id != self.path.stem:
            raise self.fail("id", f"expected {self.path.stem!r} (the file name), got {lesson_id!r}")
        chapter = self.string(data, "chapter")
        if chapter not in self.chapters:
            raise self.fail("chapter", f"unknown chapter {chapter!r} (known: {', '.join(self.chapters)})")
        order = data["order"]
        if not isinstance(order, int) or isinstance(order, bool):
            raise self.fail("order", f"expected an integer, got {order!r}")
        name = self.string(data, "experiment")
        if name not in catalog.EXPERIMENTS:
            raise self.fail(
                "experiment",
                f"unknown experiment {name!r} (known: {', '.join(catalog.EXPERIMENTS)})",
            )
        spec = catalog.EXPERIMENTS[name]
        title = self.text(data["title"], "title")
        summary = self.text(data["summary"], "summary")
        layout = self.layout(data.get("layout", list(spec.widgets)), spec)
        params = self.params(data.get("params", {}), spec)
        controls = self.controls(data.get("controls", {}), spec)
        steps = self.steps(data.get("steps", []), spec)
        pages = self.body(steps)

        intro_title, intro_body = pages[INTRO]
        return Lesson(
            id=lesson_id,
            path=self.path,
            chapter=chapter,
            order=order,
            title=title,
            summary=summary,
            experiment=name,
            params=params,
            controls=controls,
            layout=layout,
            intro=Step(INTRO, intro_title, intro_body),
            steps=tuple(
                Step(step_id, pages[step_id][0], pages[step_id][1], values, check)
                for step_id, values, check in steps
            ),
        )

    def string(self, table: dict, key: str, field: str | None = None) -> str:
        field = field or key
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, f"expected a non-empty string, got {value!r}")
        return value

    def text(self, value: Any, field: str) -> Text:
        if not isinstance(value, dict):
            raise self.fail(field, f"expected a table with {' and '.join(LANGUAGES)}, got {value!r}")
        for key in value:
            if key not in LANGUAGES:
                raise self.fail(f"{field}.{key}", f"unknown language (expected {' and '.join(LANGUAGES)})")
        for lang in LANGUAGES:
            if lang not in value:
                raise self.fail(f"{field}.{lang}", "required but missing")
            self.string(value, lang, f"{field}.{lang}")
        return Text(value["en"].strip(), value["zh"].strip())

    def layout(self, value: Any, spec: ExperimentSpec) -> tuple[str, ...]:
        offers = ", ".join(spec.widgets)
        if not isinstance(value, list) or not value:
            raise self.fail("layout", f"expected a non-empty list of widget names (offers: {offers})")
        for index, widget in enumerate(value):
            field = f"layout[{index}]"
            if not isinstance(widget, str):
                raise self.fail(field, f"expected a widget name, got {widget!r}")
            if widget not in spec.widgets:
                raise self.fail(field, f"{widget!r} is not a widget of {spec.name} (offers: {offers})")
            if widget in value[:index]:
                raise self.fail(field, f"{widget!r} is listed twice")
        return tuple(value)

    def param_value(self, spec: ExperimentSpec, name: str, value: Any, field: str) -> Any:
        param = spec.params[name]
        try:
            return param.check(value)
        except ValueError as exc:
            raise self.fail(field, _strip_name(str(exc), name)) from None

    def known_param(self, spec: ExperimentSpec, name: str, field: str) -> Param:
        if name not in spec.params:
            raise self.fail(field, _unknown_param(name, spec))
        return spec.params[name]

    def table(self, value: Any, field: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(field, f"expected a table, got {value!r}")
        return value

    def params(self, value: Any, spec: ExperimentSpec) -> dict[str, Any]:
        params = spec.defaults()
        for name, raw in self.table(value, "params").items():
            field = f"params.{name}"
            self.known_param(spec, name, field)
            params[name] = self.param_value(spec, name, raw, field)
        return params

    def controls(self, value: Any, spec: ExperimentSpec) -> tuple[Control, ...]:
        return tuple(
            self.control(name, raw, spec)
            for name, raw in self.table(value, "controls").items()
        )

    def control(self, name: str, raw: Any, spec: ExperimentSpec) -> Control:
        base = f"controls.{name}"
        param = self.known_param(spec, name, base)
        raw = self.table(raw, base)
        for key in raw:
            if key not in CONTROL_KEYS:
                raise self.fail(f"{base}.{key}", _unknown_key(key, CONTROL_KEYS))
        if "label" not in raw:
            raise self.fail(f"{base}.label", "required but missing")
        label = self.text(raw["label"], f"{base}.label")

        if "type" in raw and raw["type"] != param.type:
            raise self.fail(
                f"{base}.type",
                f"expected {param.type!r} (as {spec.name} declares {name}), got {raw['type']!r}",
            )
        numeric = param.type in ("int", "float")
        for key in ("min", "max", "step", "log"):
            if key in raw and not numeric:
                raise self.fail(f"{base}.{key}", f"only for int and float parameters; {name} is {param.type}")
        bounds: dict[str, float | None] = {"min": param.min, "max": param.max}
        for key in ("min", "max"):
            if key not in raw:
                continue
            number = self.number(raw[key], f"{base}.{key}", integer=param.type == "int")
            if (param.min is not None and number < param.min) or (
                param.max is not None and number > param.max
            ):
                raise self.fail(
                    f"{base}.{key}",
                    f"{number} is outside {name}'s range {param.min}..{param.max}",
                )
            bounds[key] = number
        low, high = bounds["min"], bounds["max"]
        if low is not None and high is not None and low > high:
            field = f"{base}.min" if "min" in raw else f"{base}.max"
            raise self.fail(field, f"min {low} is greater than max {high}")
        if param.type == "float":
            low = None if low is None else float(low)
            high = None if high is None else float(high)

        log = raw.get("log", False)
        if not isinstance(log, bool):
            raise self.fail(f"{base}.log", f"expected true or false, got {log!r}")
        if log and (low is None or low <= 0):
            raise self.fail(f"{base}.log", f"a log scale needs min > 0 (min is {low})")
        step = None
        if "step" in raw:
            step = self.number(raw["step"], f"{base}.step")
            if step <= 0:
                raise self.fail(f"{base}.step", f"expected a number > 0, got {step}")
            if log and step <= 1:
                raise self.fail(f"{base}.step", f"with log = true, step is a factor and must be > 1, got {step}")
            step = float(step)

        choices: tuple = param.choices
        if "choices" in raw:
            if param.type != "choice":
                raise self.fail(f"{base}.choices", f"only for choice parameters; {name} is {param.type}")
            listed = raw["choices"]
            if not isinstance(listed, list) or not listed:
                raise self.fail(f"{base}.choices", f"expected a non-empty list, got {listed!r}")
            for index, choice in enumerate(listed):
                field = f"{base}.choices[{index}]"
                if choice not in param.choices:
                    options = ", ".join(map(str, param.choices))
                    raise self.fail(field, f"{choice!r} is not a choice of {name} (choices: {options})")
                if choice in listed[:index]:
                    raise self.fail(field, f"{choice!r} is listed twice")
            choices = tuple(listed)

        apply = raw.get("apply", "live" if param.live else "restart")
        if apply not in APPLY_MODES:
            raise self.fail(f"{base}.apply", f"expected live or restart, got {apply!r}")
        if apply == "live" and not param.live:
            raise self.fail(
                f"{base}.apply",
                f"{name} cannot change while {spec.name} trains; use apply = \"restart\"",
            )
        return Control(
            param=name,
            type=param.type,
            label=label,
            min=low if numeric else None,
            max=high if numeric else None,
            choices=choices,
            step=step,
            log=log,
            apply=apply,
        )

    def number(self, value: Any, field: str, integer: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise self.fail(field, "expected an integer" if integer else "expected a number")
        if integer and not isinstance(value, int):
            raise self.fail(field, "expected an integer")
        return value

    def steps(self, value: Any, spec: ExperimentSpec) -> list[tuple[str, dict, Check | None]]:
        if not isinstance(value, list):
            raise self.fail("steps", "expected an array of tables: [[steps]]")
        metrics = tuple(dict.fromkeys((*ALWAYS_METRICS, *spec.metrics)))
        seen: dict[str, int] = {}
        steps = []
        for index, raw in enumerate(value):
            base = f"steps[{index}]"
            raw = self.table(raw, base)
            for key in raw:
                if key not in STEP_KEYS:
                    raise self.fail(f"{base}.{key}", _unknown_key(key, STEP_KEYS))
            if "id" not in raw:
                raise self.fail(f"{base}.id", "required but missing")
            step_id = raw["id"]
            if not isinstance(step_id, str) or not STEP_ID.fullmatch(step_id):
                raise self.fail(f"{base}.id", f"expected lowercase letters, digits and '-', got {step_id!r}")
            if step_id == INTRO:
                raise self.fail(f"{base}.id", f"{INTRO!r} is reserved for the opening page")
            if step_id in seen:
                raise self.fail(f"{base}.id", f"duplicate step id {step_id!r} (also steps[{seen[step_id]}])")
            seen[step_id] = index

            values = {}
            for name, setting in self.table(raw.get("set", {}), f"{base}.set").items():
                field = f"{base}.set.{name}"
                self.known_param(spec, name, field)
                values[name] = self.param_value(spec, name, setting, field)

            check = None
            if "check" in raw:
                try:
                    check = parse_check(raw["check"])
                except ValueError as exc:
                    raise self.fail(f"{base}.check", str(exc)) from None
                for clause in check.clauses:
                    if clause.metric not in metrics:
                        raise self.fail(
                            f"{base}.check",
                            f"unknown metric {clause.metric!r} for {spec.name} (known: {', '.join(metrics)})",
                        )
            steps.append((step_id, values, check))
        return steps

    # body -------------------------------------------------------------------

    def body(self, steps: list[tuple[str, dict, Check | None]]) -> dict[str, tuple[Text, Text]]:
        ids = [INTRO, *(step_id for step_id, _, _ in steps)]
        heading = re.compile(r"##\s+(?P<lang>[A-Za-z-]+)\s*:(?P<title>.*?)\{#(?P<id>[^}]*)\}\s*")
        sections: dict[tuple[str, str], tuple[int, str, list[str]]] = {}
        current: list[str] | None = None
        fence: str | None = None
        for number in range(self.close_line + 1, len(self.file_lines) + 1):
            line = self.file_lines[number - 1]
            stripped = line.strip()
            marker = re.match(r"(```+|~~~+)", stripped)
            if marker and (fence is None or stripped.startswith(fence)):
                fence = None if fence else marker.group(1)[:3]
            if fence is None and not marker and re.match(r"##(\s|$)", line):
                match = heading.fullmatch(line.rstrip())
                if match is None:
                    raise self.fail("body", "expected a heading like '## en: <title> {#<id>}'", number)
                lang, title, page = match["lang"], match["title"].strip(), match["id"].strip()
                if lang not in LANGUAGES:
                    raise self.fail("body", f"unknown language {lang!r} (expected {' or '.join(LANGUAGES)})", number)
                if page not in ids:
                    raise self.fail("body", f"section {{#{page}}} names no step (known: {', '.join(ids)})", number)
                if not title:
                    raise self.fail("body", f"empty title in the {lang} heading {{#{page}}}", number)
                if (lang, page) in sections:
                    first = sections[(lang, page)][0]
                    raise self.fail("body", f"duplicate {lang} section {{#{page}}} (first at line {first})", number)
                current = []
                sections[(lang, page)] = (number, title, current)
                continue
            if current is None:
                if stripped:
                    raise self.fail("body", "text before the first '## en: <title> {#intro}' heading", number)
                continue
            current.append(line)

        pages: dict[str, tuple[Text, Text]] = {}
        for index, page in enumerate(ids):
            for lang in LANGUAGES:
                if (lang, page) not in sections:
                    if page == INTRO:
                        line = self.close_line
                        field = "body"
                    else:
                        field = f"steps[{index - 1}].id"
                        line = None
                    raise self.fail(field, f"missing section '## {lang}: <title> {{#{page}}}'", line)
            titles = {lang: sections[(lang, page)][1] for lang in LANGUAGES}
            bodies = {lang: "\n".join(sections[(lang, page)][2]).strip("\n") for lang in LANGUAGES}
            pages[page] = (Text(titles["en"], titles["zh"]), Text(bodies["en"], bodies["zh"]))
        return pages


def _unknown_key(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    if close:
        return f"unknown key (did you mean {close[0]!r}?)"
    return f"unknown key (known: {', '.join(known)})"


def _unknown_param(name: str, spec: ExperimentSpec) -> str:
    close = difflib.get_close_matches(name, spec.params, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown parameter {name!r} for {spec.name} ({hint}known: {', '.join(spec.params)})"


def _strip_name(message: str, name: str) -> str:
    prefix = f"{name}: "
    return message[len(prefix):] if message.startswith(prefix) else message


# --------------------------------------------------------------------------- public API


def shipped_lessons():
    """The lessons directory shipped as the package `nntui.lessons` (a Traversable)."""
    return files("nntui.lessons")


def load_lesson(path: Path | str, *, chapters: Iterable[Chapter] | None = None,
                shown: Path | str | None = None) -> Lesson:
    """Read and validate one lesson file; raise LessonError at the first mistake.

    `chapters` defaults to the chapters.toml beside the file, else the shipped one.
    `shown` is the path used in messages (default: `path` as given).
    """
    path = Path(path)
    if chapters is None:
        chapters = _chapters_for(path.parent)
    return _read_lesson(path, path.read_text(encoding="utf-8"), chapters, Path(shown or path))


def _read_lesson(path: Path, text: str, chapters: Iterable[Chapter], shown: Path) -> Lesson:
    return _LessonReader(text, shown, path, chapters).lesson()


def load_chapters(path: Path | str | _Resource, *, shown: Path | str | None = None) -> tuple[Chapter, ...]:
    """Read chapters.toml: `[[chapter]]` entries with id, en and zh, in file order."""
    shown = Path(shown or str(path))
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\s*\(at line (\d+), column \d+\)\s*$", message)
        line = int(match.group(1)) if match else None
        message = message[: match.start()] if match else message
        raise LessonError(shown, line, "", f"invalid TOML: {message}") from None
    locator = _Locator(text)

    def fail(field: str, message: str) -> LessonError:
        return LessonError(shown, locator.line(field) or 1, field, message)

    for key in data:
        if key != "chapter":
            raise fail(key, _unknown_key(key, ("chapter",)))
    entries = data.get("chapter")
    if not isinstance(entries, list) or not entries:
        raise fail("chapter", "expected at least one [[chapter]] entry")
    chapters = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        base = f"chapter[{index}]"
        if not isinstance(entry, dict):
            raise fail(base, "expected a table")
        for key in entry:
            if key not in CHAPTER_KEYS:
                raise fail(f"{base}.{key}", _unknown_key(key, CHAPTER_KEYS))
        for key in CHAPTER_KEYS:
            value = entry.get(key)
            if key not in entry:
                raise fail(f"{base}.{key}", "required but missing")
            if not isinstance(value, str) or not value.strip():
                raise fail(f"{base}.{key}", f"expected a non-empty string, got {value!r}")
        if entry["id"] in seen:
            raise fail(f"{base}.id", f"duplicate chapter id {entry['id']!r} (also chapter[{seen[entry['id']]}])")
        seen[entry["id"]] = index
        chapters.append(Chapter(entry["id"], index, Text(entry["en"].strip(), entry["zh"].strip())))
    return tuple(chapters)


def _chapters_for(directory: Path) -> tuple[Chapter, ...]:
    own = directory / "chapters.toml"
    if own.is_file():
        return load_chapters(own)
    return load_chapters(shipped_lessons() / "chapters.toml", shown=Path("lessons/chapters.toml"))


def load_curriculum(directory: Path | str | None = None) -> Curriculum:
    """Every lesson in `directory` (default: the shipped lessons), broken ones included.

    Every `*.md` except README.md is a lesson; one that fails validation becomes a
    BrokenLesson carrying the message. Chapters come from the directory's
    chapters.toml, or the shipped one if it has none (a broken chapters.toml raises).
    """
    if directory is None:
        root = shipped_lessons()
        shown_dir = Path("lessons")
    else:
        root = Path(directory)
        shown_dir = root
    chapter_file = root / "chapters.toml"
    if chapter_file.is_file():
        chapters = load_chapters(chapter_file, shown=shown_dir / "chapters.toml")
    else:
        chapters = load_chapters(shipped_lessons() / "chapters.toml", shown=Path("lessons/chapters.toml"))

    lessons: list[Lesson | BrokenLesson] = []
    for entry in root.iterdir():
        name = entry.name
        if not name.endswith(".md") or name == "README.md" or not entry.is_file():
            continue
        path = Path(str(entry))
        shown = shown_dir / name
        try:
            lessons.append(_read_lesson(path, entry.read_text(encoding="utf-8"), chapters, shown))
        except LessonError as exc:
            lessons.append(_broken(path, shown, str(exc), entry, chapters))
        except Exception as exc:  # noqa: BLE001 - a lesson must never take the app down
            lessons.append(_broken(path, shown, f"{shown}: {type(exc).__name__}: {exc}", entry, chapters))

    rank = {chapter.id: chapter.order for chapter in chapters}
    lessons.sort(key=lambda lesson: (rank.get(lesson.chapter, len(rank)), lesson.order, lesson.id))
    return Curriculum(chapters, tuple(lessons))


def _broken(path: Path, shown: Path, error: str, entry: Any, chapters: tuple[Chapter, ...]) -> BrokenLesson:
    """A BrokenLesson, filed under its chapter and order when those can still be read."""
    chapter, order = "", 10**6
    try:
        lines = entry.read_text(encoding="utf-8").lstrip("\ufeff").splitlines()
        start = next(i for i, line in enumerate(lines) if line.strip())
        end = next(i for i in range(start + 1, len(lines)) if lines[i].rstrip() == FENCE)
        data = tomllib.loads("\n".join(lines[start + 1:end]))
        if data.get("chapter") in {c.id for c in chapters}:
            chapter = data["chapter"]
        if isinstance(data.get("order"), int) and not isinstance(data["order"], bool):
            order = data["order"]
    except Exception:  # noqa: BLE001 - best effort only
        pass
    return BrokenLesson(id=path.stem, path=path, error=error, chapter=chapter, order=order)
