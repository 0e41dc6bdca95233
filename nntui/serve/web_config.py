"""`nntui serve web` options, checked before anything listens (every error names its flag).

Light on purpose (no aiohttp, no textual-serve): the CLI checks options before loading those.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from nntui.serve.auth import AuthFileError, PasswordBook
from nntui.serve.config import ConfigError, check_shared_flags, is_loopback
from nntui.serve.terminal import clamp_size

@dataclass(frozen=True)
class WebConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    lang: str = "en"
    public_url: str | None = None
    passwords: PasswordBook | None = None  # HTTP basic auth against --password-file
    token: str | None = None  # the secret in the printed URL, when there is no password file
    open: bool = False  # no login at all
    max_sessions: int = 8
    idle_timeout: float = 1800.0
    threads: int = 1

    @property
    def auth_summary(self) -> str:
        if self.open:
            return "none (--open: anyone who can reach the port gets an app)"
        if self.passwords is not None:
            return f"HTTP basic auth ({len(self.passwords)} entries)"
        return "the token in the URL below (new at every start)"


def page_size(width: object, height: object) -> tuple[int, int] | None:
    """The terminal an app gets for the size a page asked for (its ?width=&height= or a resize
    message: anything JSON can hold), clamped as serve ssh clamps a PTY; None for a non-size."""
    numbers = []
    for value in (width, height):
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return None
        numbers.append(int(value))
    cols, rows, _ = clamp_size(*numbers)
    return cols, rows


def build_web_config(
    *,
    host: str,
    port: int,
    lang: str,
    public_url: str | None,
    password_file: Path | None,
    open_: bool,
    public: bool,
    max_sessions: int,
    idle_timeout: float,
    threads: int,
) -> WebConfig:
    check_shared_flags(lang=lang, port=port, max_sessions=max_sessions, idle_timeout=idle_timeout, threads=threads)
    if public_url is not None:
        parts = urlsplit(public_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"--public-url: expected http://HOST[:PORT] or https://..., got {public_url!r}")
        public_url = public_url.rstrip("/")
    if open_:
        if password_file:
            raise ConfigError("--open lets anyone in: drop --password-file, or drop --open")
        if not is_loopback(host) and not public:
            raise ConfigError(
                f"--open with --host {host}: anyone who can reach this port gets an app on this machine; "
                "add --i-know-this-is-public if that is what you want"
            )
    try:
        passwords = PasswordBook.read(password_file) if password_file else None
    except AuthFileError as exc:
        raise ConfigError(str(exc)) from None
    # Without a password file the login is a fresh random token, printed with the address
    # (as Jupyter does): even on 127.0.0.1 other users of a shared machine can reach the port.
    token = None if open_ or passwords is not None else secrets.token_urlsafe(24)
    return WebConfig(
        host=host, port=port, lang=lang, public_url=public_url, passwords=passwords, token=token,
        open=open_, max_sessions=max_sessions, idle_timeout=idle_timeout, threads=threads,
    )
