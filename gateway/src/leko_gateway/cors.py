"""CORS for other vendors' web frontends (`GATEWAY_CORS_ORIGINS`).

Preflights are answered here and never reach a service. Listed origins may send credentials
(API keys, bearer tokens); `*` in the list admits any other origin without credentials. An
origin that is not admitted gets a 403 problem to its preflight and no CORS headers otherwise,
so browsers keep the response from the page.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leko_kit.middleware import header, send_problem

_METHODS = b"GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
_REQUEST_HEADERS = (
    b"Authorization, X-API-Key, Content-Type, Idempotency-Key, If-Match, If-None-Match, "
    b"X-Request-ID"
)
_EXPOSED = (
    b"X-Request-ID, Location, ETag, Retry-After, Idempotent-Replayed, RateLimit-Limit, "
    b"RateLimit-Remaining, RateLimit-Reset"
)
_MAX_AGE = b"600"


class CorsMiddleware:
    def __init__(self, app: ASGIApp, *, origins: Iterable[str]) -> None:
        self.app = app
        listed = list(origins)
        self.origins = frozenset(o.rstrip("/") for o in listed if o != "*")
        self.any_origin = "*" in listed

    def _allowed(self, origin: str) -> list[tuple[bytes, bytes]] | None:
        """The CORS response headers for `origin`, or None if it is not admitted."""
        if origin in self.origins:
            return [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-allow-credentials", b"true"),
                (b"vary", b"Origin"),
            ]
        if self.any_origin:
            return [(b"access-control-allow-origin", b"*")]
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = header(scope, b"origin") if scope["type"] == "http" else None
        if origin is None:
            await self.app(scope, receive, send)
            return
        allowed = self._allowed(origin)
        if scope["method"] == "OPTIONS" and header(scope, b"access-control-request-method"):
            await self._preflight(scope, send, origin, allowed)
            return
        if allowed is None:
            await self.app(scope, receive, send)
            return
        cors_headers = [*allowed, (b"access-control-expose-headers", _EXPOSED)]

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *cors_headers]
            await send(message)

        await self.app(scope, receive, send_with_cors)

    @staticmethod
    async def _preflight(
        scope: Scope, send: Send, origin: str, allowed: list[tuple[bytes, bytes]] | None
    ) -> None:
        if allowed is None:
            await send_problem(
                send,
                status=403,
                slug="cors-origin-refused",
                detail=f"Cross-origin requests from {origin} are not allowed; ask LEKO to add "
                "the origin to the gateway's CORS list.",
                instance=scope["path"],
            )
            return
        await send(
            {
                "type": "http.response.start",
                "status": 204,
                "headers": [
                    *allowed,
                    (b"access-control-allow-methods", _METHODS),
                    (b"access-control-allow-headers", _REQUEST_HEADERS),
                    (b"access-control-max-age", _MAX_AGE),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})
