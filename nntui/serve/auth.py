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
