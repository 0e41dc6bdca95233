"""`nntui serve ssh` options, checked before anything listens (every error names its flag)."""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from pathlib import Path

from nntui.spec.limits import MAX_THREADS
from nntui.curriculum.model import LANGUAGES
from nntui.serve.auth import AuthFileError, PasswordBook, read_authorized_keys
from nntui.serve.terminal import COLOR_CHOICES


class ConfigError(ValueError):
    pass


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name or "0.0.0.0"-like wildcard: reachable from elsewhere


@dataclass(frozen=True)
class SSHConfig:
    host: str = "127.0.0.1"
    port: int = 2222
    authorized_keys: Path | None = None
    passwords: PasswordBook | None = None
    open: bool = False
    max_sessions: int = 8
    idle_timeout: float = 1800.0
    threads: int = 1
    colors: str = "auto"
    lang: str = "en"
    max_startups: int = 64  # connections logging in at once (gate.py)
    login_grace: float = 20.0  # seconds to log in; then, logged in, to open a session
    max_auth_tries: int = 6  # failed attempts (wrong passwords, refused keys) per connection

    @property
    def auth_summary(self) -> str:
        if self.open:
            return "none (--open: anyone who can reach the port gets an app)"
        methods = []
        if self.authorized_keys:
            methods.append(f"public key ({self.authorized_keys})")
        if self.passwords:
            methods.append(f"password ({len(self.passwords)} entries)")
        return " or ".join(methods)


def check_shared_flags(*, lang: str, port: int, max_sessions: int, idle_timeout: float, threads: int) -> None:
    """The flags `serve ssh` and `serve web` share; ConfigError naming the flag."""
    if lang not in LANGUAGES:
        raise ConfigError(f"--lang: expected one of {', '.join(LANGUAGES)}, got {lang!r}")
    if not 0 < port < 65536:
        raise ConfigError(f"--port: expected 1-65535, got {port}")
    if max_sessions < 1:
        raise ConfigError(f"--max-sessions: expected at least 1, got {max_sessions}")
    if not math.isfinite(idle_timeout) or idle_timeout < 0:  # nan would mean "never" without saying so
        raise ConfigError(f"--idle-timeout: expected seconds >= 0 (0 = never), got {idle_timeout}")
    if not 1 <= threads <= MAX_THREADS:  # the app's own --threads refuses more: every session would fail
        raise ConfigError(f"--threads-per-session: expected 1-{MAX_THREADS}, got {threads}")


def build_config(
    *,
    host: str,
    port: int,
    authorized_keys: Path | None,
    password_file: Path | None,
    open_: bool,
    public: bool,
    max_sessions: int,
    idle_timeout: float,
    threads: int,
    colors: str,
    lang: str,
    max_startups: int = SSHConfig.max_startups,
    login_grace: float = SSHConfig.login_grace,
    max_auth_tries: int = SSHConfig.max_auth_tries,
) -> SSHConfig:
    check_shared_flags(lang=lang, port=port, max_sessions=max_sessions, idle_timeout=idle_timeout, threads=threads)
    if colors not in COLOR_CHOICES:
        raise ConfigError(f"--colors: expected one of {', '.join(COLOR_CHOICES)}, got {colors!r}")
    if not 1 <= max_startups <= 10_000:
        raise ConfigError(f"--max-startups: expected 1-10000, got {max_startups}")
    if not (math.isfinite(login_grace) and 1 <= login_grace <= 600):
        raise ConfigError(f"--login-grace-time: expected 1-600 seconds, got {login_grace}")
    if not 1 <= max_auth_tries <= 100:
        raise ConfigError(f"--max-auth-tries: expected 1-100, got {max_auth_tries}")
    if open_:
        if authorized_keys or password_file:
            raise ConfigError("--open lets anyone in: drop --authorized-keys/--password-file, or drop --open")
        if not is_loopback(host) and not public:
            raise ConfigError(
                f"--open with --host {host}: anyone who can reach this port gets an app on this machine; "
                "add --i-know-this-is-public if that is what you want"
            )
    elif not authorized_keys and not password_file:
        raise ConfigError(
            "no way to log in: give --authorized-keys FILE and/or --password-file FILE "
            "(or --open for no authentication, on 127.0.0.1 unless --i-know-this-is-public)"
        )
    try:
        passwords = PasswordBook.read(password_file) if password_file else None
        if authorized_keys:
            read_authorized_keys(authorized_keys)  # fail now, not at the first student's login
    except AuthFileError as exc:
        raise ConfigError(str(exc)) from None
    return SSHConfig(
        host=host, port=port, authorized_keys=authorized_keys, passwords=passwords, open=open_,
        max_sessions=max_sessions, idle_timeout=idle_timeout, threads=threads, colors=colors, lang=lang,
        max_startups=max_startups, login_grace=login_grace, max_auth_tries=max_auth_tries,
    )
