"""Who may use `nntui serve web`: the login, the Origin check and the failed-login brake.

An aiohttp middleware in front of textual-serve's routes. A request gets in with one of:
- `?token=...` (the secret in the URL printed at start; only when there is no password file),
- HTTP basic auth against --password-file (same file and parser as `serve ssh`),
- the signed cookie set when the page was opened with one of the above: the page's script
  opens its WebSocket without a token, and browsers need not send basic auth credentials
  on a WebSocket handshake.
The WebSocket is also refused when it comes from a page of another site (Origin): a page on
evil.example could otherwise open sessions in the student's browser and press keys.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import logging
import secrets
import time
from typing import NamedTuple

from aiohttp import web
from yarl import URL

from nntui.served import safe_name
from nntui.serve.auth import LoginBrake
from nntui.serve.config import is_loopback
from nntui.serve.logline import peer_text, quoted
from nntui.serve.web_config import WebConfig

log = logging.getLogger("nntui.serve")

USER = web.RequestKey("nntui_user", str)  # the login name of an admitted request
NO_LOGIN_USER = "web"  # NNTUI_USER for a token login or --open (the contract's name for "nobody")
COOKIE_LIFETIME_S = 12 * 3600
# The brake (auth.LoginBrake, shared with serve ssh) may book an address's next try further
# ahead than this when many are sent at once: those are answered 429 at once, not held open.
MAX_HOLD_S = 30.0
PUBLIC_PREFIXES = ("/static/",)  # the page's script, styles and fonts: nothing secret, no app


class Credentials(NamedTuple):
    method: str  # "token" or "basic"
    user: str
    secret: str


def peer(request: web.Request) -> str:
    return peer_text(request.transport.get_extra_info("peername") if request.transport else None)


class Guard:
    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self.brake = LoginBrake()
        self._secret = secrets.token_bytes(32)  # cookies die with the server
        self.cookie_name = f"nntui_login_{config.port}"  # one per port: two servers on a host never mix

    # ---- cookies -------------------------------------------------------------------------------
    def _sign(self, text: str) -> str:
        return hmac.new(self._secret, text.encode(), hashlib.sha256).hexdigest()

    def make_cookie(self, user: str) -> str:
        body = f"{int(time.time()) + COOKIE_LIFETIME_S}.{user}"
        return f"{body}.{self._sign(body)}"

    def read_cookie(self, value: str) -> str | None:
        body, _, mac = value.rpartition(".")
        if not body or not hmac.compare_digest(mac, self._sign(body)):
            return None
        expires, _, user = body.partition(".")
        return user if expires.isdigit() and int(expires) > time.time() else None

    # ---- the login -----------------------------------------------------------------------------
    def credentials(self, request: web.Request) -> Credentials | None:
        """What the request offers as a login (None: nothing, which is not a failed login)."""
        if self.config.token is not None:
            given = request.query.get("token")
            return None if given is None else Credentials("token", "-", given)
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return Credentials("basic", "?", "")
        return Credentials("basic", user, password)

    def check(self, given: Credentials) -> str | None:
        """The login name the credentials are right for, or None."""
        if given.method == "token":
            token = self.config.token or ""
            return NO_LOGIN_USER if hmac.compare_digest(given.secret.encode(), token.encode()) else None
        if self.config.passwords is not None and self.config.passwords.check(given.user, given.secret):
            return safe_name(given.user) if given.user else NO_LOGIN_USER
        return None

    def _refuse_login(self) -> web.Response:
        if self.config.passwords is not None:
            return web.Response(
                status=401, text="nntui: log in with your user name and password\n",
                headers={"WWW-Authenticate": 'Basic realm="nntui", charset="UTF-8"'},
            )
        return web.Response(status=403, text="nntui: open the address the server printed (it ends in ?token=...)\n")

    # ---- where a WebSocket may come from -------------------------------------------------------
    def _own_origins(self, request: web.Request) -> set[tuple[str, int | None]]:
        own: set[tuple[str, int | None]] = set()
        try:
            served = URL(f"http://{request.host}")
            if served.host:
                host = served.host.lower()
                if served.explicit_port is None:  # "Host: name" means the scheme's default port
                    own |= {(host, 80), (host, 443)}
                else:
                    own.add((host, served.explicit_port))
        except ValueError:
            pass
        if self.config.public_url:
            public = URL(self.config.public_url)
            own.add(((public.host or "").lower(), public.port))
        return own

    def origin_allowed(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if origin is None:
            return True  # not a browser (browsers always send it on a WebSocket); the login still applies
        try:
            url = URL(origin)
        except ValueError:
            return False
        if url.scheme not in ("http", "https") or not url.host:
            return False  # "null" (a sandboxed frame, a file:// page) included
        return (url.host.lower(), url.port) in self._own_origins(request)

    def host_allowed(self, request: web.Request) -> bool:
        """With no login, only loopback names: a DNS-rebinding page (evil.example -> 127.0.0.1) gets nothing."""
        if not self.config.open or not is_loopback(self.config.host):
            return True
        try:
            name = URL(f"http://{request.host}").host or ""
        except ValueError:
            return False
        public = URL(self.config.public_url).host if self.config.public_url else None
        return is_loopback(name.strip("[]")) or name in (self.config.host, public)

    # ---- the middleware ------------------------------------------------------------------------
    async def admit(self, request: web.Request) -> tuple[str, bool] | web.Response:
        """(user, whether to set the cookie) for an admitted request, or the answer refusing it."""
        if self.config.open:
            return NO_LOGIN_USER, False
        if (cookie := request.cookies.get(self.cookie_name)) and (user := self.read_cookie(cookie)):
            return user, False  # a student already in is never braked
        given = self.credentials(request)
        if given is None:
            return self._refuse_login()
        address = request.remote or "?"
        # As serve ssh: after 10 wrong logins from an address, its tries take turns and wait,
        # right and wrong alike (else a quick "yes" would tell a guesser not to wait for "no").
        wait = self.brake.wait_for_turn(address)
        if wait > MAX_HOLD_S:
            return web.Response(status=429, text="nntui: too many wrong logins; wait a minute\n",
                                headers={"Retry-After": str(int(wait))})
        if wait > 0:
            await asyncio.sleep(wait)
        user = self.check(given)
        if user is not None:
            return user, True
        self.brake.failed(address)
        # one line per failed login, as serve ssh writes it (a fail2ban filter can match both):
        #   failregex = login-failed peer=<HOST>:\d+ method=
        log.info("login-failed peer=%s method=%s user=%s", peer(request), given.method, quoted(given.user))
        return self._refuse_login()

    @web.middleware
    async def middleware(self, request: web.Request, handler) -> web.StreamResponse:
        if not self.host_allowed(request):
            return web.Response(status=403, text="nntui: unknown Host; use the address the server printed\n")
        if request.path.startswith(PUBLIC_PREFIXES):
            return await handler(request)
        if request.path == "/ws" and not self.origin_allowed(request):
            log.info("refused peer=%s (foreign Origin) origin=%s", peer(request),
                     quoted(request.headers.get("Origin", "")))
            return web.Response(status=403, text="nntui: this page may not be opened from another site\n")
        admitted = await self.admit(request)
        if isinstance(admitted, web.Response):
            return admitted
        request[USER], fresh = admitted
        response = await handler(request)
        if not response.prepared:  # a WebSocket's answer is already sent: nothing to add there
            if fresh:
                response.set_cookie(self.cookie_name, self.make_cookie(request[USER]), httponly=True,
                                    samesite="Strict", path="/", secure=request.secure)
            # the token is in the page's address: never send it on as a Referer, never cache it,
            # and never let another site show the page in a frame over its own buttons
            response.headers.setdefault("Referrer-Policy", "no-referrer")
            response.headers.setdefault("Cache-Control", "no-store")
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response
