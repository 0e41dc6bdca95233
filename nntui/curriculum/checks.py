"""Parse a step's `check`: when the learner has seen what the step describes.

A check is `<metric> <op> <number>` clauses joined by `and`, e.g.
`test_accuracy > 0.9 and epoch >= 2`. A metric is its latest value, or
`max(name)` / `min(name)`, the largest or smallest value of the run so far, for
claims about a whole run: `step >= 1500 and max(accuracy) < 0.2` says accuracy
never left chance in 1,500 steps. See lessons/README.md.
"""

from __future__ import annotations

import re

from nntui.curriculum.model import AGGREGATES, Check, Clause

__all__ = ["parse_check"]

_NAME = r"[A-Za-z_][A-Za-z0-9_.]*"
_CLAUSE = re.compile(
    rf"""\s*(?:(?P<aggregate>{'|'.join(AGGREGATES)})\s*\(\s*(?P<inner>{_NAME})\s*\)|(?P<metric>{_NAME}))\s*
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
                f"joined by 'and', op one of {' '.join(('<', '<=', '>', '>=', '=='))}, "
                f"metric a name or {' / '.join(f'{a}(name)' for a in AGGREGATES)}"
            )
        metric = match["metric"] or match["inner"]
        clauses.append(Clause(metric, match["op"], float(match["value"]), match["aggregate"]))
    return Check(text, tuple(clauses))
