"""What an app process is told about the remote terminal: TERM, colours, threads.

Pure functions (no asyncssh, no Textual) so the policy is easy to test.
"""

from __future__ import annotations

import re
import sys

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


def app_command(lang: str, threads: int) -> list[str]:
    """The app, as `nntui` without a command runs it: the lesson browser."""
    return [sys.executable, "-m", "nntui", "--lang", lang, "--threads", str(threads)]


def app_environment(base: dict[str, str], term_type: str | None, colors: str, threads: int) -> dict[str, str]:
    """The child's environment: the server's own, less what describes the server's terminal.

    The client's other environment requests (LANG, LC_*, anything `SendEnv` sends) are never
    used: an SSH user must not be able to set LD_PRELOAD or PYTHONPATH for the server's Python.
    """
    env = dict(base)
    for name in ("COLORTERM", "NO_COLOR", "TEXTUAL_COLOR_SYSTEM", "COLUMNS", "LINES", "TERM_PROGRAM"):
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
