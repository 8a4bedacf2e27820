"""Forwarding `/{service}/v1/...` to the service's `/v1/...`: plain ASGI over one pooled
aiohttp client (keep-alive), bodies streamed both ways.

Per request: the caller's credentials are replaced by an internal token (none for anonymous
callers; see tokens.py), hop-by-hop headers are dropped, `X-Request-ID` and `X-Forwarded-*` are
set, and a `Location: /v1/...` in the answer gets the public prefix back. Failures become
problem documents naming the service (never its address): refused or open circuit 503,
timeout 504, a broken answer 502. Only idempotent requests whose body can be sent again are
retried, and only when the connection failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from urllib.parse import quote

import aiohttp
import structlog
from starlette.types import Message, Receive, Scope, Send
from yarl import URL

from leko_gateway.breaker import CircuitBreaker
from leko_gateway.tokens import InternalTokens
from leko_kit.auth import principal_from_scope
from leko_kit.context import REQUEST_ID_HEADER, current_request_id
from leko_kit.middleware import send_problem

logger = structlog.get_logger(__name__)

# RFC 9110 §7.6.1 connection-specific fields, plus the caller's credentials (replaced by the
# internal token) and the fields this proxy sets itself.
_DROP_REQUEST = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"expect",
        b"host",
        b"authorization",
        b"x-api-key",
        b"x-request-id",
        b"x-forwarded-for",
        b"x-forwarded-proto",
        b"x-forwarded-host",
        b"forwarded",
    }
)
# `date` and `server` come from this server; the request id is echoed by the gateway itself.
_DROP_RESPONSE = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"date",
        b"server",
        REQUEST_ID_HEADER.encode(),
    }
)
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Bodies up to this size are read whole (one write, and the request can be retried); larger
# or unsized ones are streamed.
_BUFFER_LIMIT = 64 * 1024


@dataclass(eq=False)
class Upstream:
    name: str
    base_url: str
    breaker: CircuitBreaker


class _ClientGone(Exception):
    """The caller disconnected while its request body was being forwarded."""


class UpstreamBrokeOff(Exception):
    """The service failed after its response had started; the connection is cut so the caller
    sees a truncated response rather than a complete-looking short one."""


class Proxy:
    def __init__(
        self,
        *,
        http: Callable[[], aiohttp.ClientSession],
        tokens: InternalTokens,
        retries: int,
        trust_forwarded_for: bool,
        retry_backoff_seconds: float = 0.05,
    ) -> None:
        self._http = http
        self.tokens = tokens
        self.retries = retries
        self.trust_forwarded_for = trust_forwarded_for
        self.retry_backoff_seconds = retry_backoff_seconds

    async def forward(self, upstream: Upstream, scope: Scope, receive: Receive, send: Send) -> None:
        if not upstream.breaker.allow():
            wait = max(1, round(upstream.breaker.retry_after()))
            await self._problem(
                send,
                scope,
                upstream,
                503,
                f"The {upstream.name} service is failing and the gateway has paused requests to "
                f"it; retry in {wait} s.",
                headers=[(b"retry-after", str(wait).encode())],
            )
            return
        try:
            response = await self._request(upstream, scope, receive, send)
        except _ClientGone:
            logger.info("client_disconnected", upstream=upstream.name)
            return
        if response is None:
            return
        try:
            await self._relay(upstream, scope, response, send)
        finally:
            response.release()

    async def _request(
        self, upstream: Upstream, scope: Scope, receive: Receive, send: Send
    ) -> aiohttp.ClientResponse | None:
        """The service's response, or None when a problem was sent instead."""
        method: str = scope["method"]
        url = self._url(upstream, scope)
        headers = self._request_headers(scope)
        body_failure: list[BaseException] = []
        data = await self._body(scope, receive, body_failure)
        allowed_retries = self.retries if method in _IDEMPOTENT and not _is_stream(data) else 0
        attempt = 0
        while True:
            try:
                return await self._http().request(
                    method,
                    url,
                    headers=headers,
                    data=data,
                    allow_redirects=False,
                )
            except (aiohttp.ClientError, TimeoutError) as exc:
                if body_failure:
                    raise body_failure[0] from exc
                attempt += 1
                retryable = isinstance(
                    exc, aiohttp.ClientConnectorError | aiohttp.ServerDisconnectedError
                )
                if not retryable or attempt > allowed_retries:
                    await self._failed(send, scope, upstream, exc)
                    return None
                await asyncio.sleep(self.retry_backoff_seconds * attempt)

    async def _relay(
        self, upstream: Upstream, scope: Scope, response: aiohttp.ClientResponse, send: Send
    ) -> None:
        start: Message = {
            "type": "http.response.start",
            "status": response.status,
            "headers": self._response_headers(upstream, response),
        }
        length = response.content_length
        if length is not None and length <= _BUFFER_LIMIT:
            try:
                body = await response.read()
            except (aiohttp.ClientError, TimeoutError) as exc:
                await self._failed(send, scope, upstream, exc)
                return
            _record(upstream, response.status)
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        _record(upstream, response.status)
        await send(start)
        try:
            async for chunk in response.content.iter_any():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except (aiohttp.ClientError, TimeoutError) as exc:
            upstream.breaker.record_failure()
            logger.warning(
                "upstream_broke_off", upstream=upstream.name, error_type=type(exc).__name__
            )
            raise UpstreamBrokeOff(upstream.name) from exc
        await send({"type": "http.response.body", "body": b""})

    async def _failed(
        self, send: Send, scope: Scope, upstream: Upstream, exc: BaseException
    ) -> None:
        upstream.breaker.record_failure()
        logger.warning("upstream_failed", upstream=upstream.name, error_type=type(exc).__name__)
        name = upstream.name
        if isinstance(exc, aiohttp.ConnectionTimeoutError | aiohttp.ClientConnectorError):
            status, detail = 503, f"The {name} service is not reachable; retry shortly."
        elif isinstance(exc, TimeoutError):
            status, detail = 504, f"The {name} service did not answer in time."
        else:
            status, detail = 502, f"The {name} service sent no valid response."
        await self._problem(send, scope, upstream, status, detail)

    @staticmethod
    async def _problem(
        send: Send,
        scope: Scope,
        upstream: Upstream,
        status: int,
        detail: str,
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        await send_problem(
            send,
            status=status,
            slug="upstream-unavailable" if status == 503 else None,
            detail=detail,
            instance=scope["path"],
            headers=headers,
            extra={"upstream": upstream.name},
        )

    @staticmethod
    def _url(upstream: Upstream, scope: Scope) -> URL:
        prefix_length = len(upstream.name) + 1
        raw_path: bytes | None = scope.get("raw_path")
        if raw_path is not None and raw_path.startswith(b"/" + upstream.name.encode() + b"/"):
            path = raw_path[prefix_length:].decode("latin-1")
        else:
            path = quote(scope["path"][prefix_length:])
        query: bytes = scope.get("query_string", b"")
        if query:
            path += "?" + query.decode("latin-1")
        return URL(upstream.base_url + path, encoded=True)

    def _request_headers(self, scope: Scope) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = []
        listed_in_connection: set[bytes] = set()
        forwarded_for = host = None
        for name, value in scope["headers"]:
            if name == b"connection":
                listed_in_connection.update(v.strip().lower() for v in value.split(b","))
            elif name == b"x-forwarded-for":
                forwarded_for = value.decode("latin-1")
            elif name == b"host":
                host = value.decode("latin-1")
            if name not in _DROP_REQUEST:
                headers.append((name.decode("latin-1"), value.decode("latin-1")))
        if listed_in_connection:
            names = {n.decode("latin-1") for n in listed_in_connection}
            headers = [(n, v) for n, v in headers if n not in names]
        client = scope.get("client")
        peer = str(client[0]) if client else "unknown"
        if forwarded_for and self.trust_forwarded_for:
            peer = f"{forwarded_for}, {peer}"
        headers.append(("x-forwarded-for", peer))
        headers.append(("x-forwarded-proto", scope.get("scheme", "http")))
        if host:
            headers.append(("x-forwarded-host", host))
        headers.append((REQUEST_ID_HEADER, current_request_id() or ""))
        principal = principal_from_scope(scope)
        if principal is not None:
            token = self.tokens.for_request(principal, scope["method"])
            headers.append(("authorization", "Bearer " + token))
        return headers

    @staticmethod
    def _response_headers(
        upstream: Upstream, response: aiohttp.ClientResponse
    ) -> list[tuple[bytes, bytes]]:
        headers = []
        for name, value in response.raw_headers:
            lower = name.lower()
            if lower in _DROP_RESPONSE:
                continue
            if lower == b"location" and value.startswith(b"/v1/"):
                value = b"/" + upstream.name.encode() + value
            headers.append((lower, value))
        return headers

    @staticmethod
    async def _body(
        scope: Scope, receive: Receive, failure: list[BaseException]
    ) -> bytes | AsyncIterator[bytes] | None:
        """None without a body, the bytes of a small declared body, else a stream."""
        declared = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = int(value) if value.isdigit() else None
            elif name == b"transfer-encoding":
                chunked = True
        if not chunked and not declared:
            return None
        if declared is not None and declared <= _BUFFER_LIMIT:
            parts = []
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise _ClientGone
                parts.append(message.get("body", b""))
                more = message.get("more_body", False)
            return b"".join(parts)
        return _stream(receive, failure)


async def _stream(receive: Receive, failure: list[BaseException]) -> AsyncIterator[bytes]:
    while True:
        try:
            message = await receive()
        except BaseException as exc:
            # Raised inside aiohttp's writer (which wraps it in a connection error): kept so
            # that the proxy re-raises the original, e.g. the body-size limit's 413.
            failure.append(exc)
            raise
        if message["type"] == "http.disconnect":
            failure.append(_ClientGone())
            raise failure[-1]
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


def _record(upstream: Upstream, status: int) -> None:
    # The service's own "unavailable" answers count against it like failed connections.
    if status in (502, 503, 504):
        upstream.breaker.record_failure()
    else:
        upstream.breaker.record_success()


def _is_stream(data: object) -> bool:
    return data is not None and not isinstance(data, bytes)
