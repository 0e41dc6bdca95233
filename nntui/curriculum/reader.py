"""Read one lesson file into a `Lesson`, stopping at its first mistake.

Every mistake becomes a `LessonError` at the line where it is written, e.g.
`lessons/x.md:12: controls.lr.max: expected a number`: fields are checked
against the experiment's torch-free declaration in `nntui.spec.catalog`, and
`FieldLocator` finds their lines.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Iterable

from nntui.curriculum.checks import parse_check
from nntui.curriculum.frontmatter import FENCE, fence_lines, file_lines, toml_error_at
from nntui.curriculum.hints import strip_name, unknown_key, unknown_param
from nntui.curriculum.locate import FieldLocator
from nntui.curriculum.model import LANGUAGES, Chapter, Check, Control, Lesson, LessonError, Step, Text
from nntui.curriculum.sections import INTRO, SUMMARY, read_pages
from nntui.spec import catalog
from nntui.spec.params import ExperimentSpec, Param

__all__ = ["LessonReader"]

ALWAYS_METRICS = ("step", "epoch")  # every experiment reports these; checks may use them
TOP_KEYS = ("id", "chapter", "order", "experiment", "layout", "title", "summary",
            "params", "controls", "steps")
REQUIRED_KEYS = ("id", "chapter", "order", "experiment", "title", "summary")
CONTROL_KEYS = ("label", "type", "min", "max", "step", "log", "apply", "choices", "names")
STEP_KEYS = ("id", "set", "check", "pace", "pause")
APPLY_MODES = ("live", "restart")
STEP_ID = re.compile(r"[a-z0-9-]+")
LESSON_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
# A link in a lesson may lead to a web page; any other target (file:, javascript:, a path)
# would act on the machine the lesson is shown on.
_LINK = re.compile(r"\]\(\s*<?(?P<target>[^)\s>]*)|<(?P<auto>[A-Za-z][A-Za-z0-9+.-]*:[^>\s]*)>")

# (step id, parameter values it sets, its check, pace, pause) before the body adds the pages
StepFields = tuple[str, dict, "Check | None", "float | None", bool]


class LessonReader:
    """One lesson file; `lesson()` validates it and raises LessonError at the first mistake."""

    def __init__(self, text: str, shown: Path, path: Path, chapters: Iterable[Chapter]) -> None:
        """`shown` is the path printed in errors; `path` is where the lesson lives."""
        self.shown, self.path = shown, path
        self.chapters = {chapter.id: chapter for chapter in chapters}
        self.file_lines = file_lines(text)
        self.open_line = 1  # the front matter's fences, 1-based, once found
        self.close_line = 1
        self.locator: FieldLocator | None = None

    # errors -----------------------------------------------------------------

    def fail(self, field: str, message: str, line: int | None = None) -> LessonError:
        """The error for `field`, at `line` or else where the field is written."""
        if line is None:
            line = self.locator.line(field) if self.locator else None
            if line is None:
                line = self.open_line
        return LessonError(self.shown, line, field, message)

    # front matter -----------------------------------------------------------

    def front_matter(self) -> dict[str, Any]:
        lines = self.file_lines
        first, close = fence_lines(lines)
        if first is None or lines[first].rstrip() != FENCE:
            where = 1 if first is None else first + 1
            raise self.fail("front matter", f"expected '{FENCE}' on the first line", where)
        self.open_line = first + 1
        if close is None:
            raise self.fail(
                "front matter", f"the '{FENCE}' opened here is never closed by a '{FENCE}' line",
                self.open_line,
            )
        self.close_line = close + 1
        toml_text = "\n".join(lines[first + 1:close])
        try:
            data = tomllib.loads(toml_text)
        except RecursionError:  # tomllib recurses per level: a file nested thousands deep
            raise self.fail("front matter", "nested too deep (a lesson needs a few levels)", self.open_line) from None
        except tomllib.TOMLDecodeError as exc:
            line, message = toml_error_at(exc)
            if line is None:  # tomllib ran off the end: point at the closing fence
                line = self.close_line
                message = re.sub(r"\s*\(at end of document\)\s*$", "", message)
            else:
                line += self.open_line
            raise self.fail("front matter", f"invalid TOML: {message}", line) from None
        self.locator = FieldLocator(toml_text, offset=self.open_line)
        return data

    # fields -----------------------------------------------------------------

    def lesson(self) -> Lesson:
        data = self.front_matter()
        self.known_keys(data, TOP_KEYS, "")
        for key in REQUIRED_KEYS:
            if key not in data:
                raise self.fail(key, "required but missing", self.open_line)

        lesson_id = self.string(data, "id")
        if not LESSON_ID.fullmatch(lesson_id):
            raise self.fail("id", f"expected lowercase letters, digits and '-', got {lesson_id!r}")
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
        rows = self.layout(data.get("layout", list(spec.visuals)), spec)
        params = spec.defaults() | self.param_values(data.get("params", {}), spec, "params")
        controls = self.controls(data.get("controls", {}), spec)
        steps = self.steps(data.get("steps", []), spec)
        pages = read_pages(self.file_lines, self.close_line, [fields[0] for fields in steps], self.fail)
        self.links_lead_to_web_pages()

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
            layout=tuple(name for row in rows for name in row),
            rows=rows,
            intro=Step(INTRO, intro_title, intro_body),
            steps=tuple(
                Step(step_id, pages[step_id][0], pages[step_id][1], values, check, pace, pause)
                for step_id, values, check, pace, pause in steps
            ),
            recap=Step(SUMMARY, *pages[SUMMARY]) if SUMMARY in pages else None,
        )

    def links_lead_to_web_pages(self) -> None:
        fenced = False
        for number in range(self.close_line + 1, len(self.file_lines) + 1):
            line = self.file_lines[number - 1]
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
            if fenced:
                continue
            for match in _LINK.finditer(line):
                target = match["target"] if match["target"] is not None else match["auto"]
                if not target.startswith(("https://", "http://")):
                    raise self.fail("body", f"link to {target!r}: a lesson may only link to http(s) pages", number)

    # generic values -----------------------------------------------------------

    def known_keys(self, table: dict, known: tuple[str, ...], base: str) -> None:
        """Reject the first key of `table` (at field path `base`) not in `known`."""
        for key in table:
            if key not in known:
                raise self.fail(f"{base}.{key}" if base else key, unknown_key(key, known))

    def required(self, table: dict, key: str, base: str) -> Any:
        if key not in table:
            raise self.fail(f"{base}.{key}", "required but missing")
        return table[key]

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
            self.required(value, lang, field)
            self.string(value, lang, f"{field}.{lang}")
        return Text(value["en"].strip(), value["zh"].strip())

    def choice_names(self, value: Any, choices: tuple, name: str, base: str):
        """`names = { window = { en = "window", zh = "窗口" } }`: a choice's words in each language."""
        for choice, text in self.table(value, f"{base}.names").items():
            if choice not in choices:
                known = ", ".join(map(str, choices)) or "none: not a choice parameter"
                raise self.fail(f"{base}.names.{choice}", f"{choice!r} is not a choice of {name} (choices: {known})")
            yield choice, self.text(text, f"{base}.names.{choice}")

    def table(self, value: Any, field: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(field, f"expected a table, got {value!r}")
        return value

    def number(self, value: Any, field: str, integer: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise self.fail(field, "expected an integer" if integer else "expected a number")
        if integer and not isinstance(value, int):
            raise self.fail(field, "expected an integer")
        return value

    # experiment-specific values -------------------------------------------------

    def layout(self, value: Any, spec: ExperimentSpec) -> tuple[tuple[str, ...], ...]:
        """Rows of visuals, top to bottom: a name is a row of its own, a list of names shares one."""
        offers = ", ".join(spec.visuals)
        if not isinstance(value, list) or not value:
            raise self.fail("layout", f"expected a non-empty list of visual names (offers: {offers})")
        rows, seen = [], []
        for index, entry in enumerate(value):
            names = entry if isinstance(entry, list) and entry else [entry]
            for position, name in enumerate(names):
                field = f"layout[{index}]" if names is not entry else f"layout[{index}][{position}]"
                if not isinstance(name, str):
                    raise self.fail(field, f"expected a visual name, got {name!r}")
                if name not in spec.visuals:
                    raise self.fail(field, f"{name!r} is not a visual of {spec.name} (offers: {offers})")
                if name in seen:
                    raise self.fail(field, f"{name!r} is listed twice")
                seen.append(name)
            rows.append(tuple(names))
        return tuple(rows)

    def known_param(self, spec: ExperimentSpec, name: str, field: str) -> Param:
        if name not in spec.params:
            raise self.fail(field, unknown_param(name, spec))
        return spec.params[name]

    def param_values(self, value: Any, spec: ExperimentSpec, base: str) -> dict[str, Any]:
        """A table of parameter values (`params`, a step's `set`), each checked by its Param."""
        values = {}
        for name, raw in self.table(value, base).items():
            field = f"{base}.{name}"
            param = self.known_param(spec, name, field)
            try:
                values[name] = param.check(raw)
            except ValueError as exc:
                raise self.fail(field, strip_name(str(exc), name)) from None
        return values

    def controls(self, value: Any, spec: ExperimentSpec) -> tuple[Control, ...]:
        return tuple(self.control(name, raw, spec) for name, raw in self.table(value, "controls").items())

    def control(self, name: str, raw: Any, spec: ExperimentSpec) -> Control:
        base = f"controls.{name}"
        param = self.known_param(spec, name, base)
        raw = self.table(raw, base)
        self.known_keys(raw, CONTROL_KEYS, base)
        label = self.text(self.required(raw, "label", base), f"{base}.label")

        if "type" in raw and raw["type"] != param.type:
            raise self.fail(
                f"{base}.type",
                f"expected {param.type!r} (as {spec.name} declares {name}), got {raw['type']!r}",
            )
        numeric = param.type in ("int", "float")
        for key in ("min", "max", "step", "log"):
            if key in raw and not numeric:
                raise self.fail(f"{base}.{key}", f"only for int and float parameters; {name} is {param.type}")
        # a control may narrow the parameter's declared range, never widen it
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
        names = tuple(self.choice_names(raw["names"], choices, name, base)) if "names" in raw else ()

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
            # text: min and max bound the length and choices lists the allowed characters
            min=low if numeric or param.type == "text" else None,
            max=high if numeric or param.type == "text" else None,
            choices=choices,
            step=step,
            log=log,
            names=names,
            apply=apply,
        )

    def steps(self, value: Any, spec: ExperimentSpec) -> list[StepFields]:
        if not isinstance(value, list):
            raise self.fail("steps", "expected an array of tables: [[steps]]")
        metrics = tuple(dict.fromkeys((*ALWAYS_METRICS, *spec.metrics)))
        seen: dict[str, int] = {}
        steps = []
        for index, raw in enumerate(value):
            base = f"steps[{index}]"
            raw = self.table(raw, base)
            self.known_keys(raw, STEP_KEYS, base)
            step_id = self.required(raw, "id", base)
            if not isinstance(step_id, str) or not STEP_ID.fullmatch(step_id):
                raise self.fail(f"{base}.id", f"expected lowercase letters, digits and '-', got {step_id!r}")
            if step_id in (INTRO, SUMMARY):
                what = "the opening page" if step_id == INTRO else "the closing page, which is not a step"
                raise self.fail(f"{base}.id", f"{step_id!r} is reserved for {what}")
            if step_id in seen:
                raise self.fail(f"{base}.id", f"duplicate step id {step_id!r} (also steps[{seen[step_id]}])")
            seen[step_id] = index

            values = self.param_values(raw.get("set", {}), spec, f"{base}.set")
            check = self.check(raw["check"], f"{base}.check", spec, metrics) if "check" in raw else None
            pace = None
            if "pace" in raw:
                pace = float(self.number(raw["pace"], f"{base}.pace"))
                if pace <= 0:
                    raise self.fail(f"{base}.pace", f"expected steps per second > 0, got {raw['pace']}")
            pause = raw.get("pause", False)
            if not isinstance(pause, bool):
                raise self.fail(f"{base}.pause", f"expected true or false, got {pause!r}")
            if pause and check is None:
                raise self.fail(f"{base}.pause", "pauses when the check first holds: the step needs a check")
            steps.append((step_id, values, check, pace, pause))
        return steps

    def check(self, value: Any, field: str, spec: ExperimentSpec, metrics: tuple[str, ...]) -> Check:
        try:
            check = parse_check(value)
        except ValueError as exc:
            raise self.fail(field, str(exc)) from None
        for clause in check.clauses:
            if clause.metric not in metrics:
                raise self.fail(
                    field,
                    f"unknown metric {clause.metric!r} for {spec.name} (known: {', '.join(metrics)})",
                )
            if clause.aggregate and clause.metric in ALWAYS_METRICS:
                raise self.fail(field, f"{clause.key}: {clause.metric} only grows; compare it directly")
        return check
