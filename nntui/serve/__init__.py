"""Serving the app to a class: `nntui serve ssh` (one app process per connection) and `nntui serve web`.

    cli.py       the typer sub-app; validates flags, imports the rest only when a server starts
    config.py    SSHConfig and its checks (every error names its flag)
    auth.py      password file and authorized_keys; the per-address brake on password guessing
    hostkey.py   the host key, made once in the nntui data folder, checked like sshd does
    gate.py      accepting TCP connections: the cap on connections still logging in
    ssh.py       the asyncssh server: login, refusals, seat registry, log, shutdown
    session.py   one SSH session: PTY required, size clamp, idle timeout, messages to the client
    child.py     one app process on its own PTY and process group: I/O, stop, reap
    terminal.py  how a served app is started (app_command: argv and environment, for ssh and
                 web), its session folder, the size clamp, the terminal reset after a kill
    logline.py   log fields a client cannot forge; counted lines for floods
    web.py       textual-serve

The serving process never imports torch or Textual: each app is a separate `python -P -m nntui`.
"""

import warnings

# asyncssh still names cryptography's DSA classes, and cryptography warns about DSA at import:
# five lines on the server's stderr at every start, about a key type this server never uses.
warnings.filterwarnings("ignore", message="DSA is deprecated", module=r"asyncssh(\.|$)")
