"""Serving the app to a class: `nntui serve ssh` (one app process per connection) and `nntui serve web`.

    cli.py       the typer sub-app; validates flags, imports the rest only when a server starts
    config.py    SSHConfig and its checks (every error names its flag)
    auth.py      password file and authorized_keys
    hostkey.py   the host key, made once in the nntui data folder
    ssh.py       the asyncssh server: login, refusals, seat registry, log, shutdown
    session.py   one SSH session: PTY required, resize, idle timeout, messages to the client
    child.py     one app process on its own PTY and process group: I/O, stop, reap
    terminal.py  TERM/colour/thread environment for the app; the terminal reset after a kill
    web.py       textual-serve

The serving process never imports torch or Textual: each app is a separate `python -m nntui`.
"""
