"""Messages for names a lesson or chapters.toml gets wrong, with a close match when any."""

from __future__ import annotations

import difflib

from nntui.spec.params import ExperimentSpec

__all__ = ["unknown_key", "unknown_param", "strip_name"]


def unknown_key(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    if close:
        return f"unknown key (did you mean {close[0]!r}?)"
    return f"unknown key (known: {', '.join(known)})"


def unknown_param(name: str, spec: ExperimentSpec) -> str:
    close = difflib.get_close_matches(name, spec.params, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown parameter {name!r} for {spec.name} ({hint}known: {', '.join(spec.params)})"


def strip_name(message: str, name: str) -> str:
    """`lr: expected a number` -> `expected a number`: the field path already names `lr`."""
    prefix = f"{name}: "
    return message[len(prefix):] if message.startswith(prefix) else message
