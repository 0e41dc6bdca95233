"""What an experiment takes: its parameters (with types, ranges and whether they change live)
and its spec (parameters, metrics, the events it emits, the visuals it offers). Torch-free: the
curriculum and the CLI check lessons and `--set` flags against these before any model exists.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from nntui.spec.events import Event

PARAM_TYPES = ("choice", "int", "float", "bool", "text")


@dataclass(frozen=True)
class Param:
    """One experiment parameter.

    type "text": a short string, e.g. a prompt. `max` (and `min`, if set) bound its length and
    `choices` is the string of characters it may contain ("" allows any character).
    """

    name: str
    type: str
    default: Any
    choices: tuple | str = ()  # for "text": the allowed characters, as one string
    min: float | None = None
    max: float | None = None
    live: bool = False  # can change while the model trains; otherwise applies on restart
    help: str = ""

    def parse(self, text: str) -> Any:
        """Parse a value typed on the command line; raise ValueError naming the problem."""
        if self.type == "bool":
            lowered = text.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"{self.name}: expected true or false, got {text!r}")
        if self.type == "int":
            try:
                value = int(text)
            except ValueError:
                raise ValueError(f"{self.name}: expected an integer, got {text!r}") from None
            return self.check(value)  # out of range: "hidden: 5000 is outside 1..1024"
        if self.type == "float":
            try:
                return self.check(float(text))
            except ValueError as exc:
                if str(exc).startswith(self.name):
                    raise
                raise ValueError(f"{self.name}: expected a number, got {text!r}") from None
        return self.check(text)

    def check(self, value: Any) -> Any:
        """Return the value if it fits this parameter, else raise ValueError saying why."""
        if self.type == "choice":
            if value not in self.choices:
                options = ", ".join(map(str, self.choices))
                raise ValueError(f"{self.name}: expected one of {options}, got {value!r}")
            return value
        if self.type == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"{self.name}: expected true or false, got {value!r}")
            return value
        if self.type == "text":
            return self._check_text(value)
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not is_number or (self.type == "int" and not isinstance(value, int)):
            expected = "an integer" if self.type == "int" else "a number"
            raise ValueError(f"{self.name}: expected {expected}, got {value!r}")
        if value != value or (self.min is not None and value < self.min) or (
            self.max is not None and value > self.max
        ):
            raise ValueError(f"{self.name}: {value} is outside {self.min}..{self.max}")
        return float(value) if self.type == "float" else value

    def _check_text(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"{self.name}: expected text, got {value!r}")
        if self.max is not None and len(value) > self.max:
            raise ValueError(f"{self.name}: {value!r} is longer than {int(self.max)} characters")
        if self.min is not None and len(value) < self.min:
            raise ValueError(f"{self.name}: {value!r} is shorter than {int(self.min)} characters")
        if self.choices:
            for ch in value:
                if ch not in self.choices:
                    raise ValueError(f"{self.name}: {ch!r} is not allowed (allowed: {_ranges(self.choices)})")
        return value


@dataclass(frozen=True)
class ExperimentSpec:
    name: str
    target: str  # "module:Class", imported only when a run starts
    summary: str
    params: dict[str, Param]
    metrics: tuple[str, ...]  # names that Metrics events carry; lessons' checks may use them
    emits: tuple[type[Event], ...] = ()  # the kinds of event its runs send (tests/test_visuals.py checks)
    visuals: tuple[str, ...] = ()  # what a lesson layout may show (nntui/visuals checks each draws one of `emits`)

    def defaults(self) -> dict[str, Any]:
        return {name: p.default for name, p in self.params.items()}

    def resolve(self, overrides: dict[str, Any]) -> dict[str, Any]:
        """Defaults with overrides applied; unknown names and bad values raise ValueError."""
        params = self.defaults()
        for name, value in overrides.items():
            if name not in self.params:
                known = ", ".join(self.params)
                raise ValueError(f"unknown parameter {name!r} for {self.name} (known: {known})")
            params[name] = self.params[name].check(value)
        return params

    def load(self) -> type:
        module, _, cls = self.target.partition(":")
        return getattr(importlib.import_module(module), cls)


def _ranges(chars: str | tuple) -> str:
    """Allowed characters for messages, sorted, runs shortened: 'abc...z' -> 'a-z', 'xyz01' -> '0 1 x-z'."""
    codes = sorted({ord(c) for c in chars})
    parts, start = [], 0
    for i in range(1, len(codes) + 1):
        if i == len(codes) or codes[i] != codes[i - 1] + 1:
            run = codes[start:i]
            parts += [f"{chr(run[0])}-{chr(run[-1])}"] if len(run) > 2 else [chr(c) for c in run]
            start = i
    return " ".join(parts)


def params(*given: Param) -> dict[str, Param]:
    """Parameters by name, in the order given (the order controls and `--help` list them)."""
    return {p.name: p for p in given}
