"""Parse a step's `check`: when the learner has done what the step asks.

A check is `<metric> <op> <number>` clauses joined by `and`, e.g.
`test_accuracy > 0.9 and epoch >= 2`; see lessons/README.md.
"""

from __future__ import annotations

import re

from nntui.curriculum.model import Check, Clause

__all__ = ["parse_check"]

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
