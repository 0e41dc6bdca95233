"""How a served app is started, and what it is told about the remote terminal.

`app_command` is the one place that builds a served app's command line and environment, for
`serve ssh` and `serve web` alike (the contract with the app is in nntui/served.py). The rest
are pure functions (no asyncssh, no Textual) so the policy is easy to test.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from nntui.served import safe_name

COLOR_CHOICES = ("auto", "truecolor", "256", "16", "none")

# OpenSSH forwards TERM but never COLORTERM, so without a hint Rich sees "xterm-256color" and
# draws in 256 colours even on terminals that do 24-bit. These names say the terminal does it.
_TRUECOLOR_WORDS = ("256color", "truecolor", "24bit", "direct")
_TRUECOLOR_TERMS = ("xterm-kitty", "alacritty", "wezterm", "xterm-ghostty", "foot", "contour", "iterm2")

# A terminal type is a terminfo name; anything else is not passed on to the child's environment.
_TERM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
DEFAULT_TERM = "xterm-256color"

# What a killed app leaves behind (alternate screen, mouse reporting, hidden cursor, a half-sent
# synchronized frame): Textual restores these itself only when it exits normally, so the server
# sends this before its own message whenever it ends an app.
TERMINAL_RESET = (
    b"\x1b[?2026l"  # end a synchronized update the app may have been in the middle of
    b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l"  # mouse reporting off
    b"\x1b[?1004l\x1b[?2004l"  # focus events and bracketed paste off
    b"\x1b[<u"  # pop the kitty keyboard mode Textual pushes
    b"\x1b[0m\x1b[?25h"  # plain text, visible cursor
    b"\x1b[?1049l"  # back to the main screen
)


def clean_term(term_type: str | None) -> str:
    term = (term_type or "").strip()
    return term if _TERM_NAME.fullmatch(term) else DEFAULT_TERM


def looks_truecolor(term: str) -> bool:
    term = term.lower()
    return any(word in term for word in _TRUECOLOR_WORDS) or term.startswith(_TRUECOLOR_TERMS)


# The largest terminal an app is given. Textual keeps several cell buffers of the screen's size:
# 10000x10000 took one session to 2.7 GB; 500x200 is wider than any screen a student reads.
MAX_COLS, MAX_ROWS = 500, 200


def clamp_size(cols: int, rows: int) -> tuple[int, int, bool]:
    """(cols, rows, clamped): a client's terminal size, cut to MAX_COLS x MAX_ROWS (and at least 1x1)."""
    new_cols, new_rows = min(max(cols, 1), MAX_COLS), min(max(rows, 1), MAX_ROWS)
    return new_cols, new_rows, (new_cols, new_rows) != (cols, rows)


def app_command(
    lang: str,
    user: str,
    session_dir: str | os.PathLike[str],
    *,
    threads: int = 1,
    base: Mapping[str, str] | None = None,
    term_type: str | None = None,
    colors: str | None = None,
) -> tuple[list[str], dict[str, str]]:
    """(argv, env) of one served app: the lesson browser, as `nntui` without a command runs it.

    - `-P -m nntui`: the installed package, never a `nntui/` folder in the server's working
      directory (run the app with its cwd at `session_dir`, too);
    - NNTUI_SERVED=1, NNTUI_USER (the login name made safe for a file name), NNTUI_SESSION_DIR;
    - `base` (default: the server's environment) less what describes the server's terminal;
      NNTUI_HOME passes through unchanged;
    - `colors` given (serve ssh): TERM and the colour hints for the client's terminal
      (app_environment); None (serve web): textual-serve sets those itself.
    """
    argv = [sys.executable, "-P", "-m", "nntui", "--lang", lang, "--threads", str(threads)]
    env = dict(os.environ if base is None else base)
    if colors is None:
        for name in _SERVER_TERMINAL:
            env.pop(name, None)
    else:
        env = app_environment(env, term_type, colors, threads)
    env.update(
        NNTUI_SERVED="1", NNTUI_USER=safe_name(user), NNTUI_SESSION_DIR=str(session_dir),
        OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
        PYTHONUTF8="1",  # the lessons have Chinese text; a service started with LANG=C must not garble it
        PYTHONSAFEPATH="1",  # -P for the Pythons the app starts in turn (its trainer)
    )
    return argv, env


def new_session_dir(user: str, kind: str = "ssh") -> Path:
    """A fresh folder for one session, mode 0700 (mkdtemp), in the system's temporary folder."""
    return Path(tempfile.mkdtemp(prefix=f"nntui-{kind}-{safe_name(user)}-"))


def remove_session_dir(path: Path | None) -> None:
    """Remove a session's folder and what the app left in it (symlinks are removed, not followed)."""
    if path is not None:
        shutil.rmtree(path, ignore_errors=True)


_SERVER_TERMINAL = ("COLORTERM", "NO_COLOR", "TEXTUAL_COLOR_SYSTEM", "COLUMNS", "LINES", "TERM_PROGRAM")


def app_environment(base: Mapping[str, str], term_type: str | None, colors: str, threads: int) -> dict[str, str]:
    """The child's environment: the server's own, less what describes the server's terminal.

    The client's other environment requests (LANG, LC_*, anything `SendEnv` sends) are never
    used: an SSH user must not be able to set LD_PRELOAD or PYTHONPATH for the server's Python.
    """
    env = dict(base)
    for name in _SERVER_TERMINAL:
        env.pop(name, None)  # these describe the terminal the server runs in, not the client's
    term = clean_term(term_type)
    env["TERM"] = term
    if colors == "none":
        env["NO_COLOR"] = "1"
    elif colors == "truecolor" or (colors == "auto" and looks_truecolor(term)):
        env["COLORTERM"] = "truecolor"
        if colors == "truecolor":
            env["TEXTUAL_COLOR_SYSTEM"] = "truecolor"
    elif colors == "256":
        env["TEXTUAL_COLOR_SYSTEM"] = "256"
    elif colors == "16":
        env["TEXTUAL_COLOR_SYSTEM"] = "standard"
    # Torch reads these when it loads: each session's trainer stays on its share of the cores.
    env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
    env["PYTHONUTF8"] = "1"  # the lessons have Chinese text; a service started with LANG=C must not garble it
    return env
