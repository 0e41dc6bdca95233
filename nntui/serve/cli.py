"""`nntui serve ssh` and `nntui serve web`: a typer sub-app.

Light on purpose (typer and pathlib only): `nntui --help` imports this module, and asyncssh
and textual-serve load only when a server really starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from nntui.spec.limits import MAX_THREADS

serve_cli = typer.Typer(
    help="Serve the app to a class: over SSH (one app per connection) or in a browser.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

LangOption = Annotated[str, typer.Option("--lang", help="Language the app starts in: en or zh.")]


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"nntui: {message}", err=True)
    return typer.Exit(code)


@serve_cli.command("ssh")
def ssh(
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 2222,
    authorized_keys: Annotated[
        Optional[Path], typer.Option("--authorized-keys", metavar="FILE",
                                     help="OpenSSH authorized_keys file; any user name with one of its keys gets in.")
    ] = None,
    password_file: Annotated[
        Optional[Path], typer.Option("--password-file", metavar="FILE",
                                     help="Lines of user:password, or a bare password any user name may use.")
    ] = None,
    open_: Annotated[bool, typer.Option("--open", help="No authentication at all; needs a loopback --host unless --i-know-this-is-public.")] = False,
    public: Annotated[
        bool, typer.Option("--i-know-this-is-public", help="Allow --open on an address other machines can reach.")
    ] = False,
    max_sessions: Annotated[int, typer.Option("--max-sessions", help="Apps running at once; more clients are turned away.")] = 8,
    idle_timeout: Annotated[
        float, typer.Option("--idle-timeout", metavar="SECONDS", help="Close a session after this long without input; 0 = never.")
    ] = 1800,
    threads: Annotated[int, typer.Option("--threads-per-session", max=MAX_THREADS,
                                         help="Torch threads for each session's training.")] = 1,
    colors: Annotated[
        str, typer.Option("--colors", help="auto (truecolor for 256color/truecolor TERMs), truecolor, 256, 16 or none.")
    ] = "auto",
    max_startups: Annotated[
        int, typer.Option("--max-startups", help="Connections still logging in at once (like sshd's MaxStartups); "
                                                 "silent ones make room for new ones, the rest are refused.")
    ] = 64,
    login_grace: Annotated[
        float, typer.Option("--login-grace-time", metavar="SECONDS",
                            help="Time to log in; a logged-in connection without a session (ssh -N) gets as long.")
    ] = 20,
    max_auth_tries: Annotated[
        int, typer.Option("--max-auth-tries", help="Failed logins (wrong passwords, refused keys) per connection.")
    ] = 6,
    lang: LangOption = "en",
) -> None:
    """Each SSH connection gets its own nntui app, in its own process, on its own terminal."""
    from nntui.serve.config import ConfigError, build_config

    try:
        config = build_config(
            host=host, port=port, authorized_keys=authorized_keys, password_file=password_file, open_=open_,
            public=public, max_sessions=max_sessions, idle_timeout=idle_timeout, threads=threads,
            colors=colors, lang=lang, max_startups=max_startups, login_grace=login_grace,
            max_auth_tries=max_auth_tries,
        )
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    if config.passwords is not None and config.passwords.warning:
        typer.echo(f"nntui: warning: {config.passwords.warning}", err=True)
    from nntui.serve.ssh import run

    raise typer.Exit(run(config))


@serve_cli.command("web")
def web(
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8000,
    public_url: Annotated[
        Optional[str], typer.Option("--public-url", help="The URL browsers use, when behind a proxy.")
    ] = None,
    password_file: Annotated[
        Optional[Path], typer.Option("--password-file", metavar="FILE",
                                     help="HTTP basic auth: lines of user:password, or a bare password any user name may use.")
    ] = None,
    open_: Annotated[bool, typer.Option("--open", help="No login at all; needs a loopback --host unless --i-know-this-is-public.")] = False,
    public: Annotated[
        bool, typer.Option("--i-know-this-is-public", help="Allow --open on an address other machines can reach.")
    ] = False,
    max_sessions: Annotated[int, typer.Option("--max-sessions", help="Apps running at once; more tabs are turned away.")] = 8,
    idle_timeout: Annotated[
        float, typer.Option("--idle-timeout", metavar="SECONDS", help="Close a session after this long without input; 0 = never.")
    ] = 1800,
    threads: Annotated[int, typer.Option("--threads-per-session", max=MAX_THREADS,
                                         help="Torch threads for each session's training.")] = 1,
    lang: LangOption = "en",
) -> None:
    """The app in a browser page (textual-serve): one app process per open tab.

    The login is a token in the printed address (new at every start), or HTTP basic auth with --password-file.
    """
    from nntui.serve.config import ConfigError
    from nntui.serve.web_config import build_web_config

    try:
        config = build_web_config(
            host=host, port=port, lang=lang, public_url=public_url, password_file=password_file, open_=open_,
            public=public, max_sessions=max_sessions, idle_timeout=idle_timeout, threads=threads,
        )
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    if config.passwords is not None and config.passwords.warning:
        typer.echo(f"nntui: warning: {config.passwords.warning}", err=True)
    from nntui.serve.web import serve_web

    raise typer.Exit(serve_web(config))
