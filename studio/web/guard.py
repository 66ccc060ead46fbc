"""The one gate every request passes: origin, token, rate limit, body size, security headers.

Pure ASGI (no per-request task or body copy), so refusing a flood costs the web loop little and
the show's loop nothing. Refusals are answered with a JSON `detail`, and each is a security event.
Threading: runs on the web loop.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.exceptions import HTTPException

from studio.web.options import WebOptions, is_loopback
from studio.web.ratelimit import RateLimiter
from studio.web.security_log import SecurityLog
from studio.web.tokens import Role, Tokens

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
QUERY_TOKEN_PAGES = ("/control", "/guest")  # pages opened from a link: the token rides in the URL
PUBLIC_PREFIXES = ("/overlay/", "/assets/")
FAILED_AUTH_PER_S = (1.0, 20.0)  # wrong tokens per client: 20 at once, then one a second
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", CSP.encode()),
    (b"cache-control", b"no-store"),
]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request is refused: status, security-event reason, message for the caller."""

    status: int
    reason: str
    message: str
    retry_after: int = 0


class Guard:
    """ASGI middleware in front of the app; sets scope["studio_role"] for the routes."""

    def __init__(
        self,
        app: ASGIApp,
        options: WebOptions,
        security: SecurityLog,
        tokens: Callable[[], Tokens] | None = None,
    ) -> None:
        """Rate buckets per kind of request, from the options; `tokens`: the ones in force now."""
        self.app, self.options, self.security = app, options, security
        self.tokens = tokens or (lambda: options.tokens)
        o = options
        self.limiter = RateLimiter(
            {
                "command": (o.commands_per_s, max(1.0, o.commands_per_s * 2)),
                "read": (o.reads_per_s, max(1.0, o.reads_per_s * 2)),
                "connect": (o.connects_per_s, max(1.0, o.connects_per_s * 5)),
                "auth": FAILED_AUTH_PER_S,
            }
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse or pass one request; HTTP ones get the size limit and the security headers."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refusal = self.check(scope)
        if refusal is not None:
            self.security.event(refusal.reason, _client(scope), scope.get("path", ""), refusal.message)
            await _refuse(scope, send, refusal)
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        await self._http(scope, receive, send)

    def check(self, scope: Scope) -> Refusal | None:
        """The refusal for this request, or None (then scope["studio_role"] is set)."""
        path: str = scope.get("path", "")
        if path.startswith(PUBLIC_PREFIXES):
            scope["studio_role"] = None
            return None
        is_ws = scope["type"] == "websocket"
        changes = is_ws or scope.get("method", "GET") not in SAFE_METHODS
        if changes and not self.origin_allowed(scope):
            return Refusal(403, "origin", f"origin {_header(scope, b'origin')!r} is not allowed")
        return self._authorize(scope, path, is_ws, changes)

    def _authorize(self, scope: Scope, path: str, is_ws: bool, changes: bool) -> Refusal | None:
        """Check the token and the role it grants for `path`, then the client's rate."""
        client = _client(scope)
        by_query = is_ws or path in QUERY_TOKEN_PAGES
        token = _query_token(scope) if by_query else _bearer(scope)
        if token is None:
            where = "a token query parameter" if by_query else "an 'Authorization: Bearer <token>' header"
            return Refusal(401, "auth_missing", f"authentication required: send {where}")
        role: Role | None = self.tokens().role(token)  # read per request: a rotated token is refused at once
        if role is None:
            if not self.limiter.allow(client, "auth"):
                return Refusal(429, "rate_limit", "too many failed attempts; slow down", 1)
            return Refusal(401, "auth_invalid", "invalid token")
        if role == "overlay" and path != "/ws/events":
            return Refusal(403, "overlay_token", "the overlay token is read-only: it opens /ws/events only")
        kind = "connect" if is_ws else "command" if changes else "read"
        if not self.limiter.allow(f"{client}/{role}", kind):
            wait = self.limiter.retry_after(kind)
            return Refusal(429, "rate_limit", f"too many {kind} requests; retry in {wait} s", wait)
        scope["studio_role"] = role
        return None

    def origin_allowed(self, scope: Scope) -> bool:
        """No Origin (not a browser), the studio's own origin, or one listed in the settings."""
        origin = _header(scope, b"origin")
        if origin is None:
            return True
        origin = origin.rstrip("/").lower()
        return origin in self.own_origins(scope) or origin in self.options.allowed_origins

    def own_origins(self, scope: Scope) -> set[str]:
        """The origins this server is reached by: its bind address (and loopback names), scheme and port."""
        o = self.options
        port = (scope.get("server") or (None, o.port))[1]
        hosts = {o.host}
        if is_loopback(o.host):
            hosts |= {"127.0.0.1", "localhost", "[::1]"}
        elif o.host in ("0.0.0.0", "::") and (host := _header(scope, b"host")):
            hosts.add(host.rsplit(":", 1)[0])  # any interface (TLS only): the name the browser used
        return {f"{o.scheme}://{h}:{port}".lower() for h in hosts}

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass an HTTP request on with its body size limited and security headers added."""
        limit = self.options.max_body_bytes
        length = _header(scope, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await self._too_large(scope, send)
            return
        seen = 0

        async def limited() -> MutableMapping[str, Any]:
            """The app's `receive`, counting body bytes as they arrive."""
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:  # a chunked body has no Content-Length: counted as it arrives
                refusal = self._body_refusal()
                self.security.event(refusal.reason, _client(scope), scope.get("path", ""), refusal.message)
                raise HTTPException(refusal.status, refusal.message)
            return message

        async def with_headers(message: MutableMapping[str, Any]) -> None:
            """The app's `send`, adding the security headers to the response."""
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        await self.app(scope, limited, with_headers)

    def _body_refusal(self) -> Refusal:
        """The 413 for a body past the limit."""
        return Refusal(413, "body_too_large", f"body larger than {self.options.max_body_bytes} bytes")

    async def _too_large(self, scope: Scope, send: Send) -> None:
        """Answer 413 and record it."""
        refusal = self._body_refusal()
        self.security.event(refusal.reason, _client(scope), scope.get("path", ""), refusal.message)
        await _refuse(scope, send, refusal)


def _client(scope: Scope) -> str:
    """The peer's address (from the socket: forwarded headers are not trusted)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _header(scope: Scope, name: bytes) -> str | None:
    """One request header as text, or None."""
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _bearer(scope: Scope) -> str | None:
    """The token of an `Authorization: Bearer` header, or None."""
    value = _header(scope, b"authorization")
    if value is None:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _query_token(scope: Scope) -> str | None:
    """The `token` query parameter (WebSockets and pages cannot send headers), or None."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    values = query.get("token")
    return values[0] if values else None


async def _refuse(scope: Scope, send: Send, refusal: Refusal) -> None:
    """A JSON error for HTTP; for a WebSocket an HTTP denial (or a close with the reason)."""
    body = json.dumps({"detail": refusal.message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *HEADERS]
    if refusal.retry_after:
        headers.append((b"retry-after", str(refusal.retry_after).encode()))
    if scope["type"] == "websocket":
        if "websocket.http.response" not in scope.get("extensions", {}):
            await send({"type": "websocket.close", "code": 1008, "reason": refusal.message[:120]})
            return
        prefix = "websocket.http.response"
    else:
        prefix = "http.response"
    await send({"type": f"{prefix}.start", "status": refusal.status, "headers": headers})
    await send({"type": f"{prefix}.body", "body": body})
