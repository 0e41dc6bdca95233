"""`nntui serve ssh`: real servers, the real OpenSSH client on a pseudo-terminal, real apps.

The apps are the real thing (Textual plus a trainer process that imports torch), so the tests
that start them are few: one server with keys and passwords for most of them, one --open
server for the idle timeout and SIGTERM.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys

import asyncssh
import pytest
from ssh_harness import SSH, Server, SshTerm, group, processes, wait_until
from typer.testing import CliRunner

from nntui.cli import cli
from nntui.serve.auth import PasswordBook
from nntui.serve.hostkey import load_or_create_host_key
from nntui.serve.terminal import app_environment

needs_ssh = pytest.mark.skipif(SSH is None, reason="no OpenSSH client (`ssh`) on this machine")

BROWSER = "Neural network basics"  # the first chapter's title (lessons/chapters.toml)
BROWSER_ZH = "神经网络基础"
LONG_TITLE = "Backprop through time, LSTM and GRU"  # cut off by the info pane at 80 columns


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    made = {}
    for name in ("student", "stranger"):
        key = asyncssh.generate_private_key("ssh-ed25519")
        path = folder / name
        path.write_bytes(key.export_private_key())
        path.chmod(0o600)  # ssh ignores a private key others can read
        (folder / f"{name}.pub").write_bytes(key.export_public_key())
        made[name] = path
    authorized = folder / "authorized_keys"
    authorized.write_bytes((folder / "student.pub").read_bytes())
    passwords = folder / "passwords"
    passwords.write_text("# a comment\nalice:s3cret pass\n")
    passwords.chmod(0o600)
    made["authorized_keys"], made["passwords"] = authorized, passwords
    return made


@pytest.fixture(scope="module")
def server(tmp_path_factory, keys):
    home = tmp_path_factory.mktemp("serve-home")
    srv = Server(
        home, "--authorized-keys", str(keys["authorized_keys"]), "--password-file", str(keys["passwords"]),
        "--max-sessions", "2", "--idle-timeout", "0",
    )
    yield srv
    assert srv.stop() == 0, srv.log


def ssh_command(server, keys, *command: str, key: str = "student") -> subprocess.CompletedProcess:
    argv = [
        SSH, "-F", "/dev/null", "-p", str(server.port), "-i", str(keys[key]),
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
        "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
        "-o", "PreferredAuthentications=publickey", "student@127.0.0.1", *command,
    ]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)


# ---- sessions with the real client ----------------------------------------------------------------
@needs_ssh
def test_a_session_shows_the_browser_follows_resizes_and_quits(server, keys):
    term = SshTerm(server.port, key=keys["student"], cols=120, rows=40)
    try:
        assert term.wait_text(BROWSER), term.text()
        # The app started at the client's size: footer on the last of 40 rows, long titles whole.
        assert wait_until(lambda: "quit" in term.line(39), 10), term.text()
        assert term.wait_text(LONG_TITLE, 10), term.text()
        [app] = server.app_pids()
        assert wait_until(lambda: len(group(app)) >= 2, 20)  # the app and its trainer, in one group

        term.resize(80, 24)
        assert wait_until(lambda: "quit" in term.line(23), 10), term.text()  # the layout followed
        assert wait_until(lambda: not term.shows(LONG_TITLE), 10), term.text()  # 80 columns cut it off

        term.press("q")
        assert term.wait_exit() == 0  # the app quit and the session ended with its status
        assert wait_until(lambda: not group(app), 10), group(app)
    finally:
        term.close()
    assert any(" connect peer=127.0.0.1:" in line and "user=student" in line for line in server.log), server.log
    assert wait_until(lambda: any("disconnect peer=127.0.0.1:" in line and "user=student" in line
                                  and "(quit)" in line for line in server.log), 5), server.log


@needs_ssh
def test_sessions_are_independent_a_crash_stays_put_and_the_seat_cap_holds(server, keys):
    a = b = third = None
    try:
        a = SshTerm(server.port, key=keys["student"])
        assert a.wait_text(BROWSER)
        [a_app] = server.app_pids()
        b = SshTerm(server.port, key=keys["student"])
        assert b.wait_text(BROWSER)
        [b_app] = server.app_pids() - {a_app}

        a.press("l")
        assert a.wait_text(BROWSER_ZH, 10), a.text()
        assert b.shows(BROWSER) and not b.shows(BROWSER_ZH)  # its own app, its own language

        third = SshTerm(server.port, key=keys["student"])  # --max-sessions 2
        assert third.wait_raw("seats are taken", 20), bytes(third.raw)
        assert third.wait_exit() == 1
        assert server.app_pids() == {a_app, b_app}

        assert wait_until(lambda: len(group(a_app)) >= 2, 20)  # a's trainer is up
        os.kill(a_app, signal.SIGKILL)  # a crash in a's app ...
        assert a.wait_exit() == 128 + signal.SIGKILL  # ... ends a's session, saying how,
        assert a.wait_raw("the app stopped (signal 9)", 5)
        assert wait_until(lambda: not group(a_app), 10)  # takes a's trainer with it,
        b.press("l")  # ... and leaves b running and answering keys
        assert b.wait_text(BROWSER_ZH, 10), b.text()
        assert server.app_pids() == {b_app}

        b.close()  # b's client vanishes without a word: the server notices and cleans up
        assert wait_until(lambda: not group(b_app), 15), group(b_app)
    finally:
        for term in (a, b, third):
            if term is not None:
                term.close()


@needs_ssh
def test_a_key_not_in_authorized_keys_is_refused(server, keys):
    result = ssh_command(server, keys, "true", key="stranger")
    assert result.returncode == 255
    assert "Permission denied" in result.stderr


@needs_ssh
def test_commands_are_refused_politely(server, keys):
    result = ssh_command(server, keys, "echo", "hi")
    assert result.returncode == 1
    assert "hi" not in result.stdout
    assert "only runs the nntui app" in result.stderr
    assert not server.app_pids()


# ---- the protocol edges, with asyncssh as the client -----------------------------------------------
async def connect(server, **kwargs):
    return await asyncssh.connect(
        "127.0.0.1", server.port, known_hosts=None, agent_path=None, client_keys=None, config=None, **kwargs
    )


async def test_passwords_from_the_password_file(server):
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(server, username="alice", password="wrong")
    with pytest.raises(asyncssh.PermissionDenied):
        await connect(server, username="bob", password="s3cret pass")  # alice's password, not bob's
    async with await connect(server, username="alice", password="s3cret pass") as conn:
        result = await conn.run(term_type=None)  # a shell without a terminal
        assert result.exit_status == 1
        assert "needs a terminal" in result.stderr


async def test_forwarding_and_sftp_are_refused(server):
    async with await connect(server, username="alice", password="s3cret pass") as conn:
        with pytest.raises(asyncssh.ChannelOpenError):
            await conn.create_connection(asyncssh.SSHTCPSession, "127.0.0.1", server.port)
        with pytest.raises(asyncssh.ChannelListenError):
            await conn.forward_remote_port("127.0.0.1", 0, "127.0.0.1", 9)
        with pytest.raises((asyncssh.Error, OSError)):
            await conn.start_sftp_client()
        with pytest.raises((asyncssh.Error, OSError)):
            await conn.open_unix_connection("/tmp/.X11-unix/X0")
    assert not server.app_pids()


# ---- an open server: idle timeout and shutdown ------------------------------------------------------
@needs_ssh
def test_idle_sessions_close_and_sigterm_ends_every_session(tmp_path):
    srv = Server(tmp_path, "--open", "--idle-timeout", "4", "--max-sessions", "3")
    idle = busy = None
    try:
        idle = SshTerm(srv.port)
        assert idle.wait_text(BROWSER)
        [idle_app] = srv.app_pids()
        assert idle.wait_raw("without a key press", 20), bytes(idle.raw[-300:])
        assert idle.wait_exit() == 1
        assert wait_until(lambda: not group(idle_app), 10)

        busy = SshTerm(srv.port)
        assert busy.wait_text(BROWSER)
        [busy_app] = srv.app_pids()
        assert wait_until(lambda: len(group(busy_app)) >= 2, 20)  # its trainer is up: it must go too
        assert srv.stop(signal.SIGTERM) == 0
        assert busy.wait_raw("shutting down", 10)
        assert busy.wait_exit() is not None
        assert not group(busy_app)
        assert not [pid for pid, (_, ppid, _) in processes().items() if ppid == srv.pid]  # all reaped
    finally:
        for term in (idle, busy):
            if term is not None:
                term.close()
        srv.stop()
    assert any("disconnect" in line and "without a key press" in line for line in srv.log), srv.log


# ---- options, checked before anything listens --------------------------------------------------------
runner = CliRunner()


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "no way to log in: give --authorized-keys FILE and/or --password-file FILE"),
        (["--open", "--host", "0.0.0.0"], "add --i-know-this-is-public"),
        (["--open", "--password-file", "x"], "--open lets anyone in"),
        (["--open", "--colors", "mauve"], "--colors: expected one of auto, truecolor, 256, 16, none"),
        (["--open", "--lang", "fr"], "--lang: expected one of en, zh"),
        (["--open", "--idle-timeout", "-1"], "--idle-timeout"),
        (["--password-file", "/no/such/file"], "--password-file: cannot read /no/such/file"),
    ],
)
def test_bad_options_exit_2_naming_the_flag(args, message):
    result = runner.invoke(cli, ["serve", "ssh", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_broken_auth_files_are_named(tmp_path):
    bad_keys = tmp_path / "authorized_keys"
    bad_keys.write_text("this is not a key\n")
    result = runner.invoke(cli, ["serve", "ssh", "--authorized-keys", str(bad_keys)])
    assert result.exit_code == 2 and f"--authorized-keys: cannot use {bad_keys}" in result.output
    bad_passwords = tmp_path / "passwords"
    bad_passwords.write_text("good\n:nouser\n")
    result = runner.invoke(cli, ["serve", "ssh", "--password-file", str(bad_passwords)])
    assert result.exit_code == 2 and "line 2: expected user:password" in result.output


def test_password_book_users_and_shared_passwords(tmp_path):
    path = tmp_path / "pw"
    path.write_text("\n# teachers\n  ann:a:b:c  \nclass-pass\n")
    book = PasswordBook.read(path)
    assert book.check("ann", "a:b:c") and not book.check("ann", "a")
    assert book.check("anyone", "class-pass") and book.check("ann", "class-pass")
    assert not book.check("anyone", "a:b:c")
    path.chmod(0o644)
    assert "readable by other users" in PasswordBook.read(path).warning


def test_the_host_key_is_made_once_private_and_kept(tmp_path):
    path = tmp_path / "deep" / "host_key"
    key, _, created = load_or_create_host_key(path)
    assert created and stat.S_IMODE(path.stat().st_mode) == 0o600
    again, _, created_again = load_or_create_host_key(path)
    assert not created_again and again.get_fingerprint() == key.get_fingerprint()


@pytest.mark.parametrize(
    "term, colors, colorterm, system, no_color",
    [
        ("xterm-256color", "auto", "truecolor", None, None),  # OpenSSH sends no COLORTERM: infer it
        ("xterm-kitty", "auto", "truecolor", None, None),
        ("xterm", "auto", None, None, None),
        ("xterm-256color", "256", None, "256", None),
        ("xterm", "truecolor", "truecolor", "truecolor", None),
        ("xterm-256color", "16", None, "standard", None),
        ("xterm-256color", "none", None, None, "1"),
    ],
)
def test_the_app_is_told_the_clients_colours(term, colors, colorterm, system, no_color):
    base = {"PATH": "/bin", "COLORTERM": "24bit", "NO_COLOR": "1", "COLUMNS": "200", "TERM": "screen"}
    env = app_environment(base, term, colors, threads=2)
    assert env["TERM"] == term and env["PATH"] == "/bin"
    assert env.get("COLORTERM") == colorterm
    assert env.get("TEXTUAL_COLOR_SYSTEM") == system
    assert env.get("NO_COLOR") == no_color
    assert "COLUMNS" not in env  # the server's terminal size must not override the client's
    assert env["OMP_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "2"
    assert app_environment(base, "x; rm -rf /", "auto", 1)["TERM"] == "xterm-256color"


def test_the_server_side_never_imports_torch_or_textual():
    code = (
        "import nntui.serve.cli, nntui.serve.ssh, nntui.serve.session, nntui.serve.child, nntui.serve.web, sys\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert "asyncssh" in out
    assert "torch" not in out and "textual" not in out
