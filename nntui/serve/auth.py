"""Who may log in: a password file and/or an authorized_keys file.

Password file format (`--password-file`), one entry a line:

    # a comment; blank lines are ignored too
    alice:correct horse battery     user "alice" with that password
    classroom-2025                  a line without ":" is a password for any user name

Leading and trailing spaces of a line are dropped. The user name is everything before the
first ":", so a user-specific password may contain ":" but a shared one may not.
"""

from __future__ import annotations

import hmac
import stat
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


class AuthFileError(ValueError):
    """A problem with --password-file or --authorized-keys, worded for the person starting the server."""


@dataclass(frozen=True)
class PasswordBook:
    users: dict[str, str] = field(default_factory=dict)
    shared: tuple[str, ...] = ()
    warning: str = ""

    def __len__(self) -> int:
        return len(self.users) + len(self.shared)

    def check(self, username: str, password: str) -> bool:
        given = password.encode()
        ok = False
        # compare_digest everywhere, and against every shared password, so timing tells nothing
        own = self.users.get(username)
        if own is not None:
            ok |= hmac.compare_digest(own.encode(), given)
        for shared in self.shared:
            ok |= hmac.compare_digest(shared.encode(), given)
        return ok

    @classmethod
    def read(cls, path: Path) -> PasswordBook:
        try:
            text = path.read_text(encoding="utf-8")
            mode = path.stat().st_mode
        except (OSError, UnicodeDecodeError) as exc:
            raise AuthFileError(f"--password-file: cannot read {path}: {exc}") from None
        users: dict[str, str] = {}
        shared: list[str] = []
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            user, colon, password = line.partition(":")
            if not colon:
                shared.append(line)
            elif not user or not password:
                raise AuthFileError(f"--password-file: {path}, line {number}: expected user:password or a password")
            else:
                users[user] = password
        if not users and not shared:
            raise AuthFileError(f"--password-file: {path} holds no password (format: user:password, one a line)")
        warning = ""
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            warning = f"--password-file: {path} is readable by other users; `chmod 600 {path}`"
        return cls(users, tuple(shared), warning)


def read_authorized_keys(path: Path):
    """asyncssh's parsed keys, or an error naming the flag (asyncssh is imported only here)."""
    import asyncssh

    try:
        keys = asyncssh.read_authorized_keys(str(path))
    except (OSError, ValueError) as exc:  # an empty or garbled file is a ValueError
        raise AuthFileError(f"--authorized-keys: cannot use {path}: {exc}") from None
    return keys


def count_keys(path: Path) -> int:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return 0
    return sum(1 for line in lines if line.strip() and not line.lstrip().startswith("#"))


# ---- the brake on password guessing --------------------------------------------------------------
FREE_FAILURES = 10  # wrong passwords an address may make in FAIL_WINDOW_S before it is slowed:
# a classroom behind one NAT address shares them, typos and all
FAIL_WINDOW_S = 600.0
FIRST_WAIT_S, MAX_WAIT_S = 0.5, 8.0  # then each attempt waits 0.5, 1, 2, 4, 8, 8, ... seconds
MAX_TRACKED_ADDRESSES = 10_000  # memory stays bounded whatever the number of addresses


class LoginBrake:
    """Per address: after FREE_FAILURES wrong passwords in FAIL_WINDOW_S, password attempts wait.

    The wait comes before the password is checked, for right and wrong ones alike (a quick
    "yes" would tell a guesser not to wait for the "no"s). Once the brake is on, attempts from
    one address take turns, and a turn still to come counts as a failure when the next one is
    booked, so many connections guess no faster than one: at most one guess every MAX_WAIT_S
    per address. Below the brake nothing waits, even side by side (a class logging in through
    one NAT address): a guesser's first burst gets about as many tries as it has connections
    logging in at once (serve ssh caps those with --max-startups). Public keys are never
    braked: they cannot be guessed.

        wait = brake.wait_for_turn(address); await asyncio.sleep(wait)
        if not check(): brake.failed(address)
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._seen: OrderedDict[str, _Address] = OrderedDict()

    def _entry(self, address: str) -> _Address:
        now = self.clock()
        entry = self._seen.get(address)
        if entry is None:
            entry = self._seen[address] = _Address(deque(maxlen=4 * FREE_FAILURES), deque(maxlen=1000), now)
            while len(self._seen) > MAX_TRACKED_ADDRESSES:
                self._seen.popitem(last=False)
        self._seen.move_to_end(address)
        while entry.failures and now - entry.failures[0] > FAIL_WINDOW_S:
            entry.failures.popleft()
        while entry.turns and entry.turns[0] <= now:
            entry.turns.popleft()
        return entry

    def failures(self, address: str) -> int:
        return len(self._entry(address).failures)

    def wait_for_turn(self, address: str) -> float:
        """Seconds the attempt starting now must wait before its password is checked (its turn is booked)."""
        entry = self._entry(address)
        now = self.clock()
        extra = len(entry.failures) + len(entry.turns) - FREE_FAILURES
        if extra < 0:
            entry.last_turn = max(entry.last_turn, now)
            return 0.0
        entry.last_turn = max(now, entry.last_turn + min(FIRST_WAIT_S * 2 ** min(extra, 16), MAX_WAIT_S))
        entry.turns.append(entry.last_turn)
        return entry.last_turn - now

    def failed(self, address: str) -> None:
        self._entry(address).failures.append(self.clock())


@dataclass
class _Address:
    failures: deque[float]  # when its recent wrong passwords came
    turns: deque[float]  # booked turns still to come
    last_turn: float  # when the latest booked attempt may run
