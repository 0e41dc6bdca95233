"""What a served app (one student's session under `nntui serve ssh|web`) knows about itself.

The server starts each app with NNTUI_SERVED=1, the student's login name in NNTUI_USER and a
private folder of its own in NNTUI_SESSION_DIR (see nntui/serve/terminal.py). Served, the app
acts on the student's behalf only inside that session: progress is the student's own, no URL
is opened on the server, and files are written only into the session's folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["is_served", "login", "session_dir", "safe_name"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def is_served() -> bool:
    return os.environ.get("NNTUI_SERVED") == "1"


def safe_name(name: str) -> str:
    """A login name usable as a file name: [A-Za-z0-9._-], at most 32 characters, never "." or ".."."""
    cleaned = _UNSAFE.sub("_", name)[:32]
    return cleaned if cleaned.strip(".") else "_"


def login() -> str | None:
    """The student's login name, made safe for a file name; None when not served."""
    name = os.environ.get("NNTUI_USER", "")
    return safe_name(name) if is_served() and name else None


def session_dir() -> Path | None:
    """The session's own folder (None when not served, or when the server gave none)."""
    folder = os.environ.get("NNTUI_SESSION_DIR", "")
    return Path(folder) if is_served() and folder else None
