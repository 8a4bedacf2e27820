"""Security headers on every response, whoever produced it (gateway or service).

The JSON API gets a CSP that allows nothing at all; only `/docs` (Swagger UI, loaded from its
CDN with an inline bootstrap script) gets what it needs to render.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DOCS_PATH = "/docs"

_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
]
_API_CSP = b"default-src 'none'; frame-ancestors 'none'"
_DOCS_CSP = (
    b"default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
    b"frame-ancestors 'none'"
)
_API = [*_COMMON, (b"content-security-policy", _API_CSP)]
_DOCS = [*_COMMON, (b"content-security-policy", _DOCS_CSP)]
_NAMES = frozenset(name for name, _ in _API)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = _DOCS if scope["path"] == DOCS_PATH else _API

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A service's own values are replaced, so each header appears once.
                message["headers"] = [
                    *(h for h in message.get("headers", ()) if h[0] not in _NAMES),
                    *added,
                ]
            await send(message)

        await self.app(scope, receive, send_secured)
