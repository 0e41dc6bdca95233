"""The server log's fields, and counted (not repeated) lines for events an attacker can cause at will.

A line is `DATE TIME event key=value key=value ...`. Values from the client (user names, commands)
are always in double quotes, and inside the quotes everything but [A-Za-z0-9._@-] is escaped as
\\xNN or \\uNNNN: a user name can hold no space, quote or `=`, so it cannot fake a field, and a
filter such as fail2ban's can trust `peer=` (which the server writes before any client text).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time

_PLAIN = re.compile(r"[A-Za-z0-9._@-]")
MAX_FIELD = 64  # a user name may be 1 KB long; the log keeps this much of it


def quoted(value: object) -> str:
    """A client-supplied string as one log field: quoted, escaped, at most MAX_FIELD characters."""
    text = str(value)
    cut = len(text) > MAX_FIELD
    out = []
    for char in text[:MAX_FIELD]:
        if _PLAIN.fullmatch(char):
            out.append(char)
        elif ord(char) < 0x100:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"' + ("+" if cut else "")  # "+": there was more


def peer_text(peername) -> str:
    """`1.2.3.4:5678` or `[::1]:5678` (an IPv6 address in brackets, so the port stays separate)."""
    if not peername:
        return "?"
    host, port = peername[0], peername[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class Tally:
    """Counts events of a kind and logs them as one line at most every `interval` seconds.

    The first event after a quiet spell is logged at once; later ones are counted and the
    counts logged when the interval is up. 1,000 dropped connections a second make one line
    every `interval` seconds, not a flood (asyncio logs each failed accept() with a traceback).
    """

    def __init__(self, log: logging.Logger, event: str, interval: float = 10.0, suffix: str = "") -> None:
        self.log, self.event, self.interval, self.suffix = log, event, interval, suffix
        self.counts: dict[str, int] = {}
        self.total: dict[str, int] = {}
        self._last = -float("inf")
        self._timer: asyncio.TimerHandle | None = None

    def add(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n
        self.total[what] = self.total.get(what, 0) + n
        wait = self._last + self.interval - time.monotonic()
        if wait <= 0:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(wait, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self.counts:
            return
        fields = " ".join(f"{what}={n}" for what, n in sorted(self.counts.items()))
        self.log.info("%s %s%s", self.event, fields, self.suffix)
        self.counts.clear()
        self._last = time.monotonic()
