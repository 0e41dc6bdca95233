"""`nntui serve ssh`: real servers, the real OpenSSH client on a pseudo-terminal, real apps.

The apps are the real thing (Textual plus a trainer process that imports torch), so the tests
that start them are few: one server with keys and passwords for most of them, one --open
server for the idle timeout and SIGTERM, one for the cap on connections still logging in.
(The 1,000-connection version of that is benchmarks/bench_ssh_flood.py.)
"""

from __future__ import annotations

import nntui.serve  # noqa: F401  first: it silences asyncssh's DSA deprecation warnings

import asyncio
import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import asyncssh
import pytest
from ssh_harness import (
    SSH, Server, SshTerm, closed_by_server, group, idle_connections, processes, pty_size, wait_until,
)
from typer.testing import CliRunner

from nntui.cli import cli
from nntui.serve.auth import FREE_FAILURES, LoginBrake, PasswordBook
from nntui.serve.hostkey import HostKeyError, load_or_create_host_key
from nntui.serve.logline import quoted
from nntui.serve.terminal import app_command, app_environment, clamp_size

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
        "--max-sessions", "2", "--idle-timeout", "0", "--max-auth-tries", "3",
    )
    yield srv
    assert srv.stop() == 0, srv.log


def ssh_argv(server, keys, *command: str, key: str | None = "student") -> list[str]:
    auth = ["-i", str(keys[key]), "-o", "PreferredAuthentications=publickey"] if key else []
    return [
        SSH, "-F", "/dev/null", "-p", str(server.port), *auth,
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
        "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
        "student@127.0.0.1", *command,
    ]


def ssh_command(server, keys, *command: str, key: str | None = "student") -> subprocess.CompletedProcess:
    return subprocess.run(ssh_argv(server, keys, *command, key=key), capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)


def lines(server, event: str) -> list[str]:
    return [line for line in server.log if f" {event} " in line]


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

        term.resize(600, 250)  # over the clamp: the app gets 500x200, and the student is told once, at the end
        assert wait_until(lambda: pty_size(app) == (500, 200), 5)
        term.press("q")
        # (60 s: a loaded machine may still be drawing the 500x200 screen when q arrives)
        assert term.wait_exit(60) == 0  # the app quit and the session ended with its status
        assert term.wait_raw("your terminal is 600x250; the app uses at most 500x200", 5)
        assert wait_until(lambda: not group(app), 10), group(app)
    finally:
        term.close()
    assert any(" connect peer=127.0.0.1:" in line and 'user="student"' in line for line in server.log), server.log
    assert wait_until(lambda: any("disconnect peer=127.0.0.1:" in line and 'user="student"' in line
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
def test_a_key_not_in_authorized_keys_is_refused_and_logged(server, keys):
    result = ssh_command(server, keys, "true", key="stranger")
    assert result.returncode == 255
    assert "Permission denied" in result.stderr
    assert wait_until(lambda: any(re.search(r' login-failed peer=127\.0\.0\.1:\d+ method=publickey keys=1 user="student"$',
                                            line) for line in server.log), 5), server.log


def test_the_server_starts_without_warnings(server):
    assert not [line for line in server.log if "Warning" in line or "deprecated" in line], server.log


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


# ---- failed logins: logged, limited per connection, braked per address ---------------------------------
class Guesser(asyncssh.SSHClient):
    """Tries one wrong password after another on one connection, as a guessing tool does."""

    def __init__(self, passwords: list[str]) -> None:
        self.passwords = list(passwords)

    def password_auth_requested(self) -> str | None:
        return self.passwords.pop(0) if self.passwords else None

    def kbdint_auth_requested(self) -> str | None:
        return ""

    def kbdint_challenge_received(self, name, instructions, lang, prompts):
        if not prompts:
            return []
        return [self.passwords.pop(0)] if self.passwords else None


async def guess(server, user: str, passwords: list[str], method: str) -> float:
    """Seconds until the server gave up on (or disconnected) one connection that guesses `passwords`."""
    start = time.monotonic()
    with pytest.raises((asyncssh.PermissionDenied, asyncssh.DisconnectError)):
        await asyncssh.connect(
            "127.0.0.1", server.port, known_hosts=None, agent_path=None, client_keys=None, config=None,
            username=user, client_factory=lambda: Guesser(passwords), preferred_auth=method,
            local_addr=("127.0.0.2", 0),  # an address of its own: the brake must not slow the other tests
        )
    return time.monotonic() - start


async def test_failed_logins_are_logged_limited_and_braked(server):
    liar = 'eve" peer=6.6.6.6:1 method=x'  # a user name that tries to fake the fields a filter reads
    # One connection, many guesses: cut off after --max-auth-tries 3; each failure one line.
    await guess(server, liar, [f"wrong{i}" for i in range(50)], "password")
    await guess(server, "bob", ["a", "b", "c"], "keyboard-interactive")
    await guess(server, "bob", ["d", "e", "f"], "password")
    failed = lambda: [line for line in lines(server, "login-failed") if "peer=127.0.0.2:" in line]  # noqa: E731
    assert wait_until(lambda: len(failed()) == 9, 5), server.log
    assert [re.search(r"tries=(\d)/3", line)[1] for line in failed()[:3]] == ["1", "2", "3"]
    assert all(" login-failed peer=127.0.0.2:" in line for line in failed())
    assert sum("method=keyboard-interactive" in line for line in failed()) == 3
    # What fail2ban's `login-failed peer=<HOST>:\d+ method=` finds: only the real address.
    assert {m[1] for line in failed() for m in re.finditer(r"login-failed peer=([^\s:]+):\d+ method=", line)} == {
        "127.0.0.2"}
    assert failed()[0].endswith(f" user={quoted(liar)}") and " " not in quoted(liar)

    # FREE_FAILURES wrong passwords from one address, then each attempt waits its turn, longer each time.
    assert FREE_FAILURES == 10
    await guess(server, "bob", ["g"], "password")  # the 10th: still free
    assert await guess(server, "bob", ["h"], "password") >= 0.45  # then 0.5 s, 1, 2, 4, 8, 8, ... (the unit test)
    async with await connect(server, username="alice", password="s3cret pass") as conn:  # other addresses: no wait
        assert conn.get_extra_info("username") == "alice"


def test_the_brake_doubles_the_wait_and_forgets_after_a_while():
    now = [0.0]
    brake = LoginBrake(clock=lambda: now[0])
    waits = []
    for _ in range(FREE_FAILURES + 6):
        wait = brake.wait_for_turn("198.51.100.1")
        waits.append(wait)
        now[0] += wait
        brake.failed("198.51.100.1")
    assert waits[:FREE_FAILURES] == [0.0] * FREE_FAILURES
    assert waits[FREE_FAILURES:] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    # Attempts made side by side take turns, each counted as a failure-to-be: no faster than one by one.
    assert [brake.wait_for_turn("198.51.100.1") for _ in range(3)] == [8.0, 16.0, 24.0]
    assert brake.wait_for_turn("198.51.100.2") == 0.0  # another address
    now[0] += 601  # the window has passed: the address starts afresh
    assert brake.failures("198.51.100.1") == 0 and brake.wait_for_turn("198.51.100.1") == 0.0
    # Below the brake, attempts side by side are not held back: a classroom's typos cost nothing.
    assert [brake.wait_for_turn("198.51.100.3") for _ in range(FREE_FAILURES)] == [0.0] * FREE_FAILURES


# ---- the session: its folder, its environment, its terminal size ------------------------------------------
def environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


async def test_a_session_gets_a_private_folder_and_a_clamped_terminal(server):
    async with await connect(server, username="alice", password="s3cret pass") as conn:
        proc = await conn.create_process(term_type="xterm-256color", term_size=(70000, 300), encoding=None)  # > 65535
        assert wait_until(lambda: len(server.app_pids()) == 1, 10)
        [app] = server.app_pids()

        def argv() -> list[bytes]:
            return Path(f"/proc/{app}/cmdline").read_bytes().split(b"\0")

        # (until it execs, a forked child still has the server's command line, environment and stdin)
        assert wait_until(lambda: argv()[1:4] == [b"-P", b"-m", b"nntui"], 10), argv()  # never the cwd's nntui/
        assert pty_size(app) == (500, 200)
        env = environ(app)
        folder = Path(env["NNTUI_SESSION_DIR"])
        assert env["NNTUI_SERVED"] == "1" and env["NNTUI_USER"] == "alice"
        assert Path(os.readlink(f"/proc/{app}/cwd")) == folder
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert env["NNTUI_HOME"] == str(server.home)
        first = await asyncio.wait_for(proc.stdout.read(200), 10)
        assert b"your terminal is 70000x300; the app uses at most 500x200" in first

        proc.change_terminal_size(100000, 100000)  # every resize is clamped too
        proc.change_terminal_size(120, 40)
        assert wait_until(lambda: pty_size(app) == (120, 40), 5)
        proc.change_terminal_size(501, 40)
        assert wait_until(lambda: pty_size(app) == (500, 40), 5)
        (folder / "screenshot.svg").write_text("<svg/>")
    assert wait_until(lambda: not folder.exists(), 10)  # removed with the session, files and all
    assert wait_until(lambda: not server.app_pids(), 10)


def test_the_size_clamp_and_the_app_command():
    assert clamp_size(80, 24) == (80, 24, False)
    assert clamp_size(10000, 10000) == (500, 200, True)
    assert clamp_size(0, 70000) == (1, 200, True)
    argv, env = app_command("zh", "bob smith/..", "/tmp/s", threads=3, base={"NNTUI_HOME": "/h", "COLUMNS": "9"})
    assert argv[1:] == ["-P", "-m", "nntui", "--lang", "zh", "--threads", "3"]
    assert env["NNTUI_USER"] == "bob_smith_.." and env["NNTUI_SESSION_DIR"] == "/tmp/s"
    assert env["NNTUI_SERVED"] == env["PYTHONSAFEPATH"] == "1" and env["NNTUI_HOME"] == "/h"
    assert "COLUMNS" not in env and "TERM" not in env  # web: textual-serve sets the terminal itself
    assert app_command("en", "..", "/s", base={})[1]["NNTUI_USER"] == "_"
    assert app_command("en", "x" * 99, "/s", base={})[1]["NNTUI_USER"] == "x" * 32
    assert app_command("en", "u", "/s", base={}, term_type="xterm", colors="auto")[1]["TERM"] == "xterm"


# ---- the door: connections still logging in ---------------------------------------------------------------
@needs_ssh
def test_idle_connections_cannot_lock_students_out(tmp_path, keys):
    srv = Server(tmp_path, "--open", "--max-startups", "5", "--login-grace-time", "2")
    idle = []
    try:
        idle = idle_connections(srv.port, 20)  # never a byte: the cap keeps the newest 5 of them
        assert wait_until(lambda: sum(map(closed_by_server, idle)) == 15, 5)
        start = time.monotonic()
        result = ssh_command(srv, keys, "true", key=None)  # a real client, while 5 idle ones hold the cap
        assert "only runs the nntui app" in result.stderr and result.returncode == 1, result.stderr
        assert time.monotonic() - start < 5
        lingering = subprocess.Popen(ssh_argv(srv, keys, key=None)[:1] + ["-N"] + ssh_argv(srv, keys, key=None)[1:],
                                     stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert lingering.wait(10) == 255  # ssh -N: logged in, no session: closed after the grace time
        assert wait_until(lambda: all(map(closed_by_server, idle)), 5)  # the grace time ends the idle ones too
    finally:
        for sock in idle:
            sock.close()
        srv.stop()
    assert lines(srv, "closed") and "(no session within 2 seconds of login)" in lines(srv, "closed")[0]
    # 20 dropped connections: counted on a `preauth` line or two, not logged one by one.
    counted = lines(srv, "preauth")
    assert 1 <= len(counted) <= 3 and len(srv.log) <= len(counted) + 3, srv.log
    assert sum(int(n) for line in counted for n in re.findall(r"(?:refused_full|silent_dropped)=(\d+)", line)) >= 15


@needs_ssh
def test_out_of_file_descriptors_the_server_makes_room_and_says_so_once(tmp_path, keys):
    # An open-file limit far below --max-startups: accept() fails with EMFILE before the cap.
    srv = Server(tmp_path, "--open", "--max-startups", "500", nofile=40)
    idle = []
    try:
        idle = idle_connections(srv.port, 60)
        result = ssh_command(srv, keys, "true", key=None)
        assert "only runs the nntui app" in result.stderr and result.returncode == 1, result.stderr
    finally:
        for sock in idle:
            sock.close()
        srv.stop()
    failed = lines(srv, "accept-failed")
    assert 1 <= len(failed) <= 3 and "EMFILE=" in failed[0] and "capped at" in failed[0], srv.log
    assert len(srv.log) <= 8 and not [line for line in srv.log if "Traceback" in line], srv.log
    assert "open-file limit (40) is low for --max-startups 500" in srv.log[0]


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
        folder = Path(environ(busy_app)["NNTUI_SESSION_DIR"])
        assert wait_until(lambda: len(group(busy_app)) >= 2, 20)  # its trainer is up: it must go too
        assert srv.stop(signal.SIGTERM) == 0
        assert busy.wait_raw("shutting down", 10)
        assert busy.wait_exit() is not None
        assert not group(busy_app)
        assert not folder.exists()
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
        (["--open", "--idle-timeout", "nan"], "--idle-timeout: expected seconds >= 0"),
        (["--open", "--login-grace-time", "0"], "--login-grace-time: expected 1-600 seconds"),
        (["--open", "--login-grace-time", "inf"], "--login-grace-time"),
        (["--open", "--max-startups", "0"], "--max-startups: expected 1-10000"),
        (["--open", "--max-auth-tries", "0"], "--max-auth-tries: expected 1-100"),
        (["--open", "--threads-per-session", "100000"], "'--threads-per-session'"),
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
    link = tmp_path / "link"
    link.symlink_to(path)
    assert load_or_create_host_key(link)[0].get_fingerprint() == key.get_fingerprint()


def test_a_bad_host_key_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "host_key"
    load_or_create_host_key(path)
    path.chmod(0o644)
    with pytest.raises(HostKeyError, match=r"open to other users \(mode 0644\).*chmod 600"):
        load_or_create_host_key(path)
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "gone")
    with pytest.raises(HostKeyError, match="symbolic link to .*gone, which does not exist"):
        load_or_create_host_key(dangling)
    assert not (tmp_path / "gone").exists()  # no key made at the link's target
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(HostKeyError, match="cannot read the host key"):
        load_or_create_host_key(loop)
    with pytest.raises(HostKeyError, match="not a regular file"):
        load_or_create_host_key(tmp_path)
    garbage = tmp_path / "garbage"
    garbage.write_text("not a key")
    garbage.chmod(0o600)
    with pytest.raises(HostKeyError, match="move it away to make a new one"):
        load_or_create_host_key(garbage)
    if os.geteuid() != 0:  # root reads everything
        path.chmod(0o000)
        with pytest.raises(HostKeyError, match="permission denied"):
            load_or_create_host_key(path)


def test_the_server_refuses_to_start_with_a_readable_host_key(tmp_path, monkeypatch):
    monkeypatch.setenv("NNTUI_HOME", str(tmp_path))
    _, path, _ = load_or_create_host_key()
    path.chmod(0o640)
    result = runner.invoke(cli, ["serve", "ssh", "--open", "--port", "1"])
    assert result.exit_code == 1 and f"chmod 600 {path}" in result.output, result.output


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
