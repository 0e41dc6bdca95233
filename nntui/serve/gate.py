"""The door: TCP connections are accepted here, and only some are handed to asyncssh.

Like sshd's MaxStartups, at most `cap` connections may be logging in at once (connected, not
yet authenticated). A connection over the cap costs one accept() and one close(), nothing
else: no SSH objects, no key exchange, no log line (they are counted, see Tally). When the
cap is reached, the newcomer takes the place of the oldest connection that has not sent a
single byte yet (every SSH client sends its version line at once; an idle TCP connection
never does): so ~1,000 idle connections held against the port cannot keep a student out,
while a client that has spoken is never dropped for a newcomer. Only when every slot holds a
client that speaks SSH is the newcomer refused; the login grace time frees those slots.

asyncio's own accept loop logs every failed accept() (EMFILE when file descriptors run out)
with a traceback, hundreds a second; here such a failure lowers the cap to what fits, frees
descriptors by dropping the oldest silent connections, rests a moment, and is counted, not
logged each time.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import struct
from collections.abc import Callable

from nntui.serve.logline import Tally

BACKLOG = 512  # a classroom connecting at 9:00 fits in the kernel's queue
ACCEPTS_PER_TICK = 8  # well under the cap: a new client gets loop turns to send its version line
PAUSE_S = 0.25  # accepting rests this long after the system ran out of descriptors or memory
_OUT_OF_RESOURCES = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST and keeps no TIME_WAIT


def listen_sockets(host: str, port: int) -> list[socket.socket]:
    """Non-blocking listening sockets for every address `host` resolves to (OSError if none binds)."""
    infos = socket.getaddrinfo(host or None, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    socks: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            socks.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)  # the IPv4 socket takes those
            sock.bind(address)
            sock.listen(BACKLOG)
            sock.setblocking(False)
    except OSError:
        for sock in socks:
            sock.close()
        raise
    return socks


class Gate:
    """Accepts on `socks`; `admit(sock)` starts an SSH connection object on an accepted socket.

    `admit` returns the connection object (it must offer get_extra_info and abort, as
    asyncssh's do); the server calls `settled(conn)` once that connection has logged in or
    is gone, which frees its slot.
    """

    def __init__(
        self, socks: list[socket.socket], cap: int, admit: Callable[[socket.socket], object], log: logging.Logger,
        tally: Tally | None = None,
    ) -> None:
        self.socks, self.cap, self._admit = socks, cap, admit
        self.pending: dict[object, None] = {}  # connections logging in, oldest first
        self.tally = tally or Tally(log, "preauth")
        self.errors = Tally(log, "accept-failed")
        self._loop = asyncio.get_running_loop()
        self._closed = False

    def start(self) -> None:
        for sock in self.socks:
            self._loop.add_reader(sock.fileno(), self._accept, sock)

    def close(self) -> None:
        """Stop listening, and drop every connection still logging in."""
        self._closed = True
        for sock in self.socks:
            self._loop.remove_reader(sock.fileno())
            sock.close()
        for conn in list(self.pending):
            conn.abort()
        self.pending.clear()
        self.tally.flush()
        self.errors.flush()

    def settled(self, conn: object) -> None:
        self.pending.pop(conn, None)

    # ---- accepting ---------------------------------------------------------------------------------
    def _accept(self, sock: socket.socket) -> None:
        for _ in range(ACCEPTS_PER_TICK):
            try:
                client, _ = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue  # the client gave up while queued
            except OSError as exc:
                self._failed(sock, exc)
                return
            if len(self.pending) >= self.cap and not self._drop_silent():
                self.tally.add("refused_full")
                self._reset(client)
                continue
            self._start(client)

    def _start(self, client: socket.socket) -> None:
        try:
            client.setblocking(False)
            conn = self._admit(client)
        except Exception:  # never lose the listener to one bad connection
            self.tally.add("start_failed")
            client.close()
            return
        self.pending[conn] = None

    def _drop_silent(self) -> bool:
        """Drop the oldest started connection that has sent nothing yet; False if there is none."""
        for conn in self.pending:
            # peername: the connection has its transport (started); client_version: it has spoken.
            if conn.get_extra_info("peername") is not None and conn.get_extra_info("client_version") is None:
                del self.pending[conn]
                conn.abort()
                self.tally.add("silent_dropped")
                return True
        return False

    def _failed(self, sock: socket.socket, exc: OSError) -> None:
        name = errno.errorcode.get(exc.errno or 0, str(exc.errno))
        if exc.errno not in _OUT_OF_RESOURCES:
            self.errors.add(name)
            return  # e.g. a firewall's EPERM: this client only; the next readiness tries again
        # Out of descriptors: what fits is the real cap. Lower it to that (less a margin), free
        # a few descriptors by dropping silent connections, and go on at once if that worked:
        # with the lower cap, newcomers take silent connections' places as usual. Linux keeps
        # reporting the listening socket readable meanwhile, so accepting rests in any case.
        self.cap = max(1, min(self.cap, len(self.pending) - ACCEPTS_PER_TICK))
        dropped = sum(self._drop_silent() for _ in range(ACCEPTS_PER_TICK))
        self.errors.suffix = f" (connections logging in now capped at {self.cap}: the open-file limit)"
        self.errors.add(name)
        fd = sock.fileno()
        self._loop.remove_reader(fd)

        def resume() -> None:
            if not self._closed:
                self._loop.add_reader(fd, self._accept, sock)

        # (aborted connections close their sockets on the loop's next turns)
        self._loop.call_later(0.05 if dropped else PAUSE_S, resume)

    @staticmethod
    def _reset(client: socket.socket) -> None:
        try:
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET)
        except OSError:
            pass
        client.close()
